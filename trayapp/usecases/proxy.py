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

from dataclasses import replace
from typing import Protocol

from trayapp.adapters.dbus import proxy as units
from trayapp.adapters.dbus.bus import Connection, NotAuthorised, SystemdError
from trayapp.adapters.dbus.follower import JobFollower
from trayapp.adapters.dbus.jobs import StepFailed, run_plan
from trayapp.adapters.dbus.units import has_unit_file, loaded, read_unit, search_path
from trayapp.core import outcome_words as words
from trayapp.core import proxy as core
from trayapp.core import proxy_address as addr
from trayapp.core import proxy_plans
from trayapp.core.keys import daemon_key
from trayapp.core.model import Daemon, Manager, UnitInfo
from trayapp.core.outcome import Outcome, Status
from trayapp.core.plans import Action, Step, Verb
from trayapp.core.proxy_address import ProxyRefusal
from trayapp.core.proxy_risks import risks
from trayapp.core.unitname import BadUnitName, check_unit_name
from trayapp.core.words import window
from trayapp.usecases.daemons import read_back
from trayapp.usecases.proxy_book import ProxyBook, ProxyRequest, saved_spec
from trayapp.usecases.proxy_choice import check_backend_seen, choose
from trayapp.usecases.workload import check_busy


def uses_proxy(sockets: list[UnitInfo]) -> bool:
    return any(core.proxied_service(s.name) is not None for s in sockets)


async def switch(conn: Connection, jobs: JobFollower, daemon: Daemon, service: UnitInfo,
                 sockets: list[UnitInfo], action: Action, request: ProxyRequest,
                 book: ProxyBook, *, force: bool = False) -> Outcome:
    """On-demand (set the proxy up) or always-on (take it away) for ``daemon``."""
    def out(status: Status, message: str, steps_done: tuple[str, ...] = (),
            warnings: tuple[str, ...] = (), units: dict[str, dict[str, str]] | None = None,
            ) -> Outcome:
        return Outcome(action, conn.manager, service.name, status, message, units or {},
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
    spec, learnt, warnings = await choose(conn, service, request, saved, book.proposal(key))
    core.check_spec(spec, masked=masked, proxyd=proxyd)
    assert proxyd is not None
    running = service.active_state in ("active", "reloading")
    name = daemon.name
    check_backend_seen(name, service, spec, learnt, running, saved, book, key)
    old = None
    if await units.exists(conn, service.name):
        if saved_spec(service.name, saved) == spec:
            return out(Status.DONE, f"{words.done_title(Action.ON_DEMAND, daemon.name, False)}. "
                       f"{_sleeps(spec)}", units=await _now(conn, service.name, proxy=True))
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
    return out(Status.DONE, f"{words.done_title(Action.ON_DEMAND, name, True)}. {_sleeps(spec)}",
               steps_done=done, warnings=tuple(warnings),
               units=await _now(conn, service.name, proxy=True))


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
    now = await _now(conn, service.name, proxy=False)
    name = service.name.removesuffix(".service")
    title = words.done_title(Action.ALWAYS_ON, name, bool(done))
    if not done:
        return out(Status.DONE, f"{title}. {words.done_sentence(Action.ALWAYS_ON, False, False)}",
                   warnings=tuple(warnings), units=now)
    gone = f" {words.proxy_gone()}" if removed else ""
    return out(Status.DONE, f"{title}. {words.done_sentence(Action.ALWAYS_ON, True, False)}{gone}",
               steps_done=done, warnings=tuple(warnings), units=now)


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


async def _now(conn: Connection, service: str, *, proxy: bool) -> dict[str, dict[str, str]]:
    """What systemd reports of the daemon (and of the proxy's socket, when it is made),
    for --verbose and --json: the message itself speaks plainly (issue 23)."""
    return await read_back(conn, [service, core.socket_name(service)] if proxy else [service])


def _sleeps(spec: core.ProxySpec) -> str:
    return words.proxy_sleeps(", ".join(map(str, spec.listen)), str(spec.backend),
                              window(spec.idle_seconds))


class _Out(Protocol):
    def __call__(self, status: Status, message: str, steps_done: tuple[str, ...] = (),
                 warnings: tuple[str, ...] = (),
                 units: dict[str, dict[str, str]] | None = None) -> Outcome: ...
