"""On demand through systemd-socket-proxyd, for a daemon with no socket unit.

``switch()`` is reached from ``actions.perform()`` (so the CLI's
``trayapp on-demand postgresql@15-main`` and the tray's Controller.request
are the same call): on-demand sets the proxy up, always-on takes it away.
``restore()`` re-creates the proxies the user's settings name, once at start
(transient units vanish at reboot).

The daemon's own configuration is never touched: trayapp reads where it
listens from the kernel's table, and when that is not the back end it says
which setting in which file to change, and changes nothing.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Protocol

from trayapp.adapters.dbus import proxy as units
from trayapp.adapters.dbus.bus import Connection, NotAuthorised, SystemdError
from trayapp.adapters.dbus.follower import JobFollower
from trayapp.adapters.dbus.jobs import StepFailed, run_plan
from trayapp.adapters.dbus.units import has_unit_file, loaded, read_unit, search_path
from trayapp.adapters.socktables import has_ipv6_loopback
from trayapp.core import proxy as core
from trayapp.core import proxy_address as addr
from trayapp.core import proxy_plans
from trayapp.core.keys import daemon_key
from trayapp.core.model import Daemon, Manager, UnitInfo
from trayapp.core.outcome import Outcome, Status
from trayapp.core.plans import Action, Step, Verb
from trayapp.core.proxy_address import ProxyRefusal
from trayapp.core.proxy_risks import risks
from trayapp.core.settings import DaemonSettings
from trayapp.core.unitname import BadUnitName, check_unit_name
from trayapp.usecases.daemons import describe, read_back
from trayapp.usecases.workload import check_busy


@dataclass(frozen=True)
class ProxyRequest:
    """What the user asked for; empty fields take the saved or learnt values."""

    listen: tuple[str, ...] = ()
    backend: str = ""
    idle_seconds: int | None = None
    allow_remote: bool = False  # a client address other machines reach, on purpose


class ProxyBook(Protocol):
    """Where the proxies are kept across reboots (the user's settings)."""

    def get(self, key: str) -> DaemonSettings: ...

    def put(self, key: str, spec: core.ProxySpec | None) -> str | None:
        """Keep (None: forget) one daemon's proxy; returns a problem for the user."""

    def propose(self, key: str, spec: core.ProxySpec) -> None: ...

    def proposal(self, key: str) -> core.ProxySpec | None: ...


class Proposals:
    """The addresses a refusal proposed, for this process's life (the last 32): the
    tray's next click, once the user changed the daemon's configuration, uses them
    (it listens on the back end by then, so they can no longer be learnt)."""

    MAX = 32

    def __init__(self) -> None:
        self._proposed: OrderedDict[str, core.ProxySpec] = OrderedDict()

    def propose(self, key: str, spec: core.ProxySpec) -> None:
        self._proposed.pop(key, None)
        self._proposed[key] = spec
        while len(self._proposed) > self.MAX:
            self._proposed.popitem(last=False)

    def proposal(self, key: str) -> core.ProxySpec | None:
        return self._proposed.get(key)


class NoBook(Proposals):
    """No settings to keep them in: the proxy lasts until the next reboot."""

    def get(self, key: str) -> DaemonSettings:
        return DaemonSettings()

    def put(self, key: str, spec: core.ProxySpec | None) -> str | None:
        return "trayapp has no settings file here, so the proxy lasts until the next reboot"


def uses_proxy(sockets: list[UnitInfo]) -> bool:
    return any(core.proxied_service(s.name) is not None for s in sockets)


def saved_spec(service: str, saved: DaemonSettings) -> core.ProxySpec | None:
    if not saved.proxy_listen or not saved.proxy_backend:
        return None
    try:
        return core.ProxySpec(service, tuple(addr.parse_address(a) for a in saved.proxy_listen),
                              addr.parse_address(saved.proxy_backend), saved.proxy_idle_seconds,
                              saved.proxy_backend_uid)
    except ProxyRefusal:
        return None


async def switch(conn: Connection, jobs: JobFollower, daemon: Daemon, service: UnitInfo,
                 sockets: list[UnitInfo], action: Action, request: ProxyRequest,
                 book: ProxyBook, *, force: bool = False) -> Outcome:
    """On-demand (set the proxy up) or always-on (take it away) for ``daemon``."""
    def out(status: Status, message: str, steps_done: tuple[str, ...] = (),
            warnings: tuple[str, ...] = ()) -> Outcome:
        return Outcome(action, conn.manager, service.name, status, message,
                       steps_done=steps_done, warnings=warnings)

    what = (f"switch {daemon.name} to on-demand (proxy)" if action is Action.ON_DEMAND
            else f"switch {daemon.name} to always-on")
    if conn.manager is not Manager.SYSTEM:
        return out(Status.BAD_INPUT, f"Cannot {what}: a proxy is made for the system "
                   "manager's daemons only. Nothing changed.")
    key = daemon_key(conn.manager, service.name)
    try:
        if action is Action.ON_DEMAND:
            return await _on_demand(conn, jobs, daemon, service, request, book, key, what,
                                    force, out)
        return await _always_on(conn, jobs, service, book, key, what, out)
    except ProxyRefusal as exc:
        return out(Status.BAD_INPUT, f"Cannot {what}: {exc}. Nothing changed.")
    except StepFailed as exc:
        if isinstance(exc.cause, NotAuthorised):
            return out(Status.NOT_AUTHORISED, f"Not authorised to {what} ({exc.reason}). "
                       "Nothing changed.")
        return out(Status.FAILED, f"Could not {what}: {exc}. Nothing changed.")


async def _on_demand(conn: Connection, jobs: JobFollower, daemon: Daemon, service: UnitInfo,
                     request: ProxyRequest, book: ProxyBook, key: str, what: str,
                     force: bool, out: _Out) -> Outcome:
    saved = book.get(key)
    masked = tuple(u.name for u in (service,) if u.load_state == "masked"
                   or u.unit_file_state.startswith("masked"))
    proxyd = units.find_proxyd()
    if masked or proxyd is None:  # said first: nothing else matters until it is fixed
        core.check_spec(core.ProxySpec(service.name, (), addr.Address()), masked=masked,
                        proxyd=proxyd)
    spec, learnt, warnings = await _choose(conn, service, request, saved, book.proposal(key))
    core.check_spec(spec, masked=masked, proxyd=proxyd)
    assert proxyd is not None
    running = service.active_state in ("active", "reloading")
    name = daemon.name
    _check_backend_seen(name, service, spec, learnt, running, saved, book, key)
    old = None
    if await units.exists(conn, service.name):
        if saved_spec(service.name, saved) == spec:
            return out(Status.DONE, f"Nothing to do: already so ({core.describe(spec)}).")
        old = proxy_plans.remove_step(
            service.name, await _create_step(conn, saved_spec(service.name, saved), proxyd))
    holder = await units.holder(conn, spec)
    spec = replace(spec, holder_uid=holder[1] if holder is not None else -1)
    if service.unit_file_state == "enabled-runtime":
        warnings.append(_runtime_note(service.name))
    stop = running and await _idle_or_forced(conn, name, service, spec, force, warnings)
    plan = proxy_plans.on_demand(service, proxy_plans.create_step(spec, proxyd, holder),
                                 old=old, stop=stop)
    run = await run_plan(conn, jobs, plan, frozenset({service.name}) if running else frozenset())
    if run.error is not None:
        if isinstance(run.error.cause, NotAuthorised) and not run.done:
            return out(Status.NOT_AUTHORISED, f"Not authorised to {what} "
                       f"({run.error.reason}). Nothing changed.")
        failed = f"Could not {what}: step '{run.error.step}' failed: {run.error.reason}."
        if not run.done:
            return out(Status.FAILED, f"{failed} Nothing changed.")
        undone = " (the rollback was incomplete)" if run.rollback_errors else ""
        return out(Status.FAILED, f"{failed} The proxy was removed and the steps done were "
                   f"rolled back{undone}.")
    problem = book.put(key, spec)
    if problem:
        warnings.append(f"the proxy will not be re-created after a reboot: {problem}")
    warnings.append("the daemon sees every connection come from the proxy, not from the "
                    "client: PostgreSQL 'peer' authentication cannot work through it; TCP "
                    "with passwords does")
    warnings += risks(spec)  # who else could stand in for it or its clients
    done = tuple(str(s) for s in run.done)
    now = await _now(conn, service.name)
    return out(Status.DONE, f"Done: {what}: {core.describe(spec)}. Now: {now}.",
               steps_done=done, warnings=tuple(warnings))


def _check_backend_seen(name: str, service: UnitInfo, spec: core.ProxySpec,
                        learnt: list[addr.Address], running: bool,
                        saved: DaemonSettings, book: ProxyBook, key: str) -> None:
    """Refuse unless the running daemon is seen on the back end and off the client
    addresses (or, asleep, the proxy asked for is the one saved)."""
    if running:
        again = (f"trayapp on-demand {name} "
                 + " ".join(f"--listen {a}" for a in spec.listen) + f" --backend {spec.backend}")
        if not addr.covers(learnt, spec.backend):
            book.propose(key, spec)
            now = ", ".join(map(str, learnt)) or "no TCP address trayapp can see"
            raise ProxyRefusal(
                f"{name} listens on {now}, not on the back end {spec.backend}. "
                f"{core.config_hint(service.name, spec.backend)}; restart it "
                f"(trayapp does not edit it); then run: {again}")
        taken = [a for a in spec.listen if addr.covers(learnt, a)]
        if taken:
            raise ProxyRefusal(
                f"{name} itself still listens on the client address {taken[0]}: "
                f"{core.config_hint(service.name, spec.backend)}; restart it; then run: {again}")
    elif saved_spec(service.name, saved) != spec:
        raise ProxyRefusal(
            f"{name} is not running, so trayapp cannot see that it listens on the back end "
            f"{spec.backend}: start it (trayapp start {name}) and run this again")


async def _create_step(conn: Connection, spec: core.ProxySpec | None,
                       proxyd: str | None) -> Step | None:
    """The CREATE of the saved proxy ``spec``, to make it again if a switch fails (None:
    none is saved, or it cannot be made now: no proxyd, its holder cannot be told)."""
    if spec is None or proxyd is None:
        return None
    try:
        return proxy_plans.create_step(spec, proxyd, await units.holder(conn, spec))
    except ProxyRefusal:
        return None


async def _idle_or_forced(conn: Connection, name: str, service: UnitInfo,
                          spec: core.ProxySpec, force: bool, warnings: list[str]) -> bool:
    """Whether the running daemon may be stopped now: it is idle (the one busy check,
    on the back end the proxy forwards to), or the user forced it.  What the user
    should know goes to ``warnings``."""
    report = await check_busy(conn.manager, service.name, [("Stream", str(spec.backend))],
                              {conn.manager: conn})
    warnings += report.warnings
    if report.busy and not force:
        first = f"trayapp cannot tell whether {name} is busy" if report.unsure else \
            f"{name} is busy"
        warnings.append(f"{first} ({'; '.join(report.reasons)}), so it was left "
                        "running; the proxy stops it once it has been idle")
        return False
    return True


async def _choose(conn: Connection, service: UnitInfo, request: ProxyRequest,
                  saved: DaemonSettings, proposed: core.ProxySpec | None,
                  ) -> tuple[core.ProxySpec, list[addr.Address], list[str]]:
    """The proxy asked for: the request, else the saved one, else the one a refusal
    proposed, else learnt from the kernel; and what the user should know about the
    addresses chosen for them.  Only the request or the saved settings put a client
    address beyond loopback (issue 22: remote clients stay remote)."""
    running = service.active_state in ("active", "reloading")
    uid, learnt = await units.listening(conn, service.name) if running else (None, [])
    listen = [addr.parse_address(a) for a in request.listen or saved.proxy_listen]
    backend_text = request.backend or (saved.proxy_backend if not request.listen else "")
    backend = addr.parse_address(backend_text) if backend_text else None
    notes: list[str] = []
    if request.listen and addr.remote(listen) and not request.allow_remote:
        beyond = ", ".join(map(str, addr.remote(listen)))
        raise ProxyRefusal(
            f"{beyond} is reachable from other machines, and through the proxy their "
            f"clients would reach {service.name} as local ones, so its rules for local "
            "clients (pg_hba.conf's 127.0.0.1 lines, Redis's protected mode) would apply "
            "to them: listen on loopback (127.0.0.1, [::1]), or add --allow-remote if "
            "that is what you want")
    if not listen and backend is None and proposed is not None:
        listen, backend = list(proposed.listen), proposed.backend
    ipv6 = has_ipv6_loopback()
    if not listen:
        listen = _learnt_listen(service, running, uid, learnt, backend)
        if not request.allow_remote:
            dropped = addr.remote(listen)
            listen = addr.both_loopbacks(addr.loopback_only(listen), ipv6)
            if dropped:
                notes.append(
                    f"{service.name} listened on {', '.join(map(str, dropped))}; the proxy "
                    f"listens on {', '.join(map(str, listen))} only, so other machines' "
                    "clients no longer reach it (--allow-remote with --listen lets them "
                    "in, seen as local clients)")
    if request.listen or not saved.proxy_listen:  # saved addresses are kept as they are
        paired = [a for a in addr.both_loopbacks(listen, ipv6)  # never the back end itself
                  if a in listen or backend is None or not addr.covers([a], backend)]
        if paired != listen:
            notes.append(f"the proxy holds {', '.join(map(str, paired[len(listen):]))} too: "
                         "'localhost' clients try both loopback addresses, and a free one "
                         "would be anyone's")
            listen = paired
    if backend is None:
        backend = addr.default_backend(listen[0])
    idle = request.idle_seconds if request.idle_seconds is not None else saved.proxy_idle_seconds
    # The daemon's uid seen when the saved proxy was made: the one that must hold the
    # same back end while the daemon sleeps and shows no user (pg_ctlcluster's).
    uid = saved.proxy_backend_uid if saved.proxy_backend == str(backend) else -1
    return (core.ProxySpec(service.name, tuple(listen), backend, core.parse_idle(idle),
                           holder_uid=uid), learnt, notes)


def _learnt_listen(service: UnitInfo, running: bool, uid: int | None,
                   learnt: list[addr.Address], backend: addr.Address | None,
                   ) -> list[addr.Address]:
    """The client addresses taken from where the running daemon listens now."""
    if not running:
        raise ProxyRefusal(
            f"{service.name} has no socket unit and is not running, so no address can "
            "be learnt from it: start it, or name the address clients use (--listen)")
    if uid == 0:
        raise ProxyRefusal(
            f"{service.name} has no socket unit and runs as root: the kernel's table "
            "cannot tell its listening sockets from other root processes', so name "
            "the address its clients use (--listen) and the one it should listen on "
            "instead (--backend)")
    seen = [a for a in learnt if backend is None or not addr.covers([a], backend)]
    if not seen:
        raise ProxyRefusal(f"{service.name} listens on no TCP address trayapp can "
                           "see: name the address clients use (--listen)")
    return [a for a in seen if a.port == seen[0].port]


async def _always_on(conn: Connection, jobs: JobFollower, service: UnitInfo, book: ProxyBook,
                     key: str, what: str, out: _Out) -> Outcome:
    saved = saved_spec(service.name, book.get(key))
    removed = any([await loaded(conn, core.socket_name(service.name)) is not None,
                   await loaded(conn, core.proxy_service_name(service.name)) is not None])
    remove = None
    if removed:
        again = await _create_step(conn, saved, units.find_proxyd())
        remove = proxy_plans.remove_step(service.name, again)
    plan = proxy_plans.always_on(service, remove)
    run = await run_plan(conn, jobs, plan, frozenset(
        {service.name} if service.active_state == "active" else ()))
    if run.error is not None:
        back = ""
        if remove is not None and remove in run.done:
            failed_again = [e for e in run.rollback_errors if e.step.verb is Verb.CREATE]
            back = (f" Making the proxy again failed too ({failed_again[0].reason})."
                    if failed_again else " The proxy was made again.")
        if isinstance(run.error.cause, NotAuthorised) and not run.done:
            return out(Status.NOT_AUTHORISED, f"Not authorised to {what} "
                       f"({run.error.reason}). Nothing changed.")
        return out(Status.FAILED, f"Could not {what}: step '{run.error.step}' failed: "
                   f"{run.error.reason}. The steps done were rolled back.{back}")
    warnings: list[str] = []
    problem = book.put(key, None)
    if problem:
        warnings.append(f"trayapp could not forget the proxy: {problem}")
    if saved is not None:
        listen = ", ".join(map(str, saved.listen))
        warnings.append(
            f"{service.name} still listens on {saved.backend}, as its configuration says; "
            f"its clients reach it on {listen} again only once you change that back "
            f"({core.config_hint(service.name, saved.listen[0])})")
    done = tuple(str(s) for s in run.done)
    now = await _now(conn, service.name)
    if not done:
        return out(Status.DONE, f"Nothing to do: already so. Now: {now}.",
                   warnings=tuple(warnings))
    gone = "; the proxy is gone" if removed else ""
    return out(Status.DONE, f"Done: {what}{gone}. Now: {now}.", steps_done=done,
               warnings=tuple(warnings))


async def restore(conn: Connection, jobs: JobFollower, book: ProxyBook,
                  keys: list[str]) -> list[Outcome]:
    """Make again the saved proxies that are missing (after a reboot); one outcome each."""
    outcomes: list[Outcome] = []
    proxyd = units.find_proxyd()
    for key in keys:
        service = key  # system daemons only: their key is the service's name
        spec = saved_spec(service, book.get(key))
        if spec is None or key.startswith("user:"):
            continue
        try:
            if await units.exists(conn, service):
                continue
            # The key comes from a file: it reaches Requires=, After= and
            # PropagatesStopTo= only as the interactive path would let it (issue 22).
            await _check_saved_service(conn, service)
            core.check_spec(spec, proxyd=proxyd)
            assert proxyd is not None
            create = proxy_plans.create_step(spec, proxyd, await units.holder(conn, spec))
            run = await run_plan(conn, jobs, proxy_plans.restore(spec, create))
            if run.error is not None:
                raise run.error
            outcomes.append(Outcome(Action.ON_DEMAND, conn.manager, service, Status.DONE,
                                    f"The proxy for {service} listens again: "
                                    f"{core.describe(spec)}."))
        except (ProxyRefusal, StepFailed, SystemdError) as exc:
            outcomes.append(Outcome(Action.ON_DEMAND, conn.manager, service, Status.FAILED,
                                    f"Could not make the proxy for {service} again: {exc}."))
    return outcomes


async def _check_saved_service(conn: Connection, service: str) -> None:
    """A saved proxy's daemon must be a service with a unit file, loaded, not masked."""
    try:
        check_unit_name(service)
    except BadUnitName as exc:
        raise ProxyRefusal(f"the saved name is no unit name: {exc}") from None
    if not service.endswith(".service") or service.endswith("@.service"):
        raise ProxyRefusal(f"{service!r} is not a service")
    # No read of a name without a file: it would load a not-found stub.
    if not has_unit_file(await search_path(conn), service, instances=True):
        raise ProxyRefusal(f"{service} has no unit file")
    info, _ = await read_unit(conn, service)
    if info.load_state != "loaded" or info.unit_file_state.startswith("masked"):
        raise ProxyRefusal(f"{service} is {info.load_state or 'not loaded'}"
                           f"{', masked' if 'masked' in info.unit_file_state else ''}")


def _runtime_note(service: str) -> str:
    stem = service.removesuffix(".service")
    extra = ""
    if stem.startswith("postgresql@") and "-" in stem:
        version, _, cluster = stem.removeprefix("postgresql@").partition("-")
        extra = (f" (Debian's postgresql-generator does it from "
                 f"/etc/postgresql/{version}/{cluster}/start.conf: write 'manual' there)")
    return (f"{service} is enabled at runtime, by a generator or a link in /run{extra}; "
            "trayapp cannot change that, so it may start at boot on its own; the proxy "
            "stops it after its first idle time")


async def _now(conn: Connection, service: str) -> str:
    return describe(await read_back(conn, [service, core.socket_name(service)]))


class _Out(Protocol):
    def __call__(self, status: Status, message: str, steps_done: tuple[str, ...] = (),
                 warnings: tuple[str, ...] = ()) -> Outcome: ...
