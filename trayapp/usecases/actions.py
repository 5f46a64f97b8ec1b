"""One action on one daemon, from a name to a verified Outcome.

Shared by the CLI (``trayapp on-demand docker``) and the tray's Controller:
read the daemon's units, ask whether it is busy (only if it runs), make the
core's plan, run it through the adapter, then read back what systemd says
holds and describe that in the message.
"""

from __future__ import annotations

import logging

from trayapp.adapters.dbus import proxy as proxy_units
from trayapp.adapters.dbus.bus import BusUnavailable, Connection, NotAuthorised, SystemdError
from trayapp.adapters.dbus.jobs import JobFollower, Run, run_plan
from trayapp.adapters.dbus.units import read_unit
from trayapp.core import outcome_words as words
from trayapp.core.model import Daemon, UnitInfo, classify, service_of
from trayapp.core.outcome import Outcome, Status
from trayapp.core.plans import Action, Plan, Refusal, make_plan
from trayapp.core.proxy import proxied_service, socket_name
from trayapp.core.unitname import BadUnitName, daemon_service_name
from trayapp.usecases import proxy as proxied
from trayapp.usecases.proxy import ProxyBook, ProxyRequest
from trayapp.usecases.workload import check_before_stop

log = logging.getLogger(__name__)

NO_AGENT = "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired"
_VERBS = {
    Action.ON_DEMAND: "switch {} to on-demand",
    Action.ALWAYS_ON: "switch {} to always-on",
    Action.STOP: "stop {}",
    Action.START: "start {}",
}


async def load_daemon(conn: Connection, name: str
                      ) -> tuple[Daemon, UnitInfo, list[UnitInfo], list[UnitInfo]]:
    """The daemon a user means by ``name`` (service or socket), read fresh: with
    its sockets and the path units that also start it (cups.path)."""
    first, _ = await read_unit(conn, name)
    if first.load_state == "not-found":
        raise Refusal(words.no_unit(name, str(conn.manager)))
    service = first
    if first.is_socket:
        service, _ = await read_unit(conn, service_of(first))
    names = set(service.triggered_by) | ({first.name} if first.is_socket else set())
    # A stopped, disabled path unit is unloaded and so missing from TriggeredBy:
    # look for the one of the service's own name too (cups.path for cups.service).
    names.add(service.name.removesuffix(".service") + ".path")
    sockets: list[UnitInfo] = []
    paths: list[UnitInfo] = []
    for trigger in sorted(names):
        if trigger.endswith((".socket", ".path")):
            unit = (await read_unit(conn, trigger))[0]
            if unit.is_socket:
                sockets.append(unit)
            elif unit.load_state == "loaded" and service.name in unit.triggers:
                paths.append(unit)
    # trayapp's own proxy in front of it (core/proxy.py): it triggers the proxy's
    # service, not this one, so TriggeredBy does not name it.
    proxy = socket_name(service.name)
    if proxied_service(service.name) is None and proxy not in names:
        front = await proxy_units.loaded(conn, proxy)
        if front is not None:
            sockets.append(front)
    return classify(conn.manager, service, sockets), service, sockets, paths


def describe(units: dict[str, dict[str, str]]) -> str:
    return "; ".join(
        f"{name}: {u.get('UnitFileState') or '?'}, {u.get('ActiveState') or '?'}"
        for name, u in sorted(units.items())
    )


async def read_back(conn: Connection, names: list[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for name in names:
        try:
            info, _ = await read_unit(conn, name)
        except (SystemdError, BusUnavailable) as exc:
            out[name] = {"error": str(exc)}
            continue
        out[name] = {
            "UnitFileState": info.unit_file_state,
            "ActiveState": info.active_state,
            "SubState": info.sub_state,
        }
    return out


def _auth_message(exc: NotAuthorised, name: str, manager: str) -> str:
    if exc.name == NO_AGENT:
        return words.not_allowed(name, words.no_agent())
    return words.not_allowed(name, words.refused(manager, exc.text or exc.name))


async def perform(
    conn: Connection, jobs: JobFollower, name: str, action: Action, *, force: bool = False,
    proxy: ProxyRequest | None = None, book: ProxyBook | None = None,
) -> Outcome:
    """Do ``action`` for daemon ``name``; never raises for expected failures.

    A daemon with no socket unit goes on demand through a proxy (usecases/proxy.py),
    with ``proxy``'s addresses or the ones ``book`` keeps; always-on takes the proxy away.
    """
    manager = conn.manager

    def outcome(status: Status, message: str, service: str = name, **kw: object) -> Outcome:
        return Outcome(action, manager, service, status, message, **kw)  # type: ignore[arg-type]

    try:
        unit_name = daemon_service_name(name)
    except BadUnitName as exc:
        return outcome(Status.BAD_INPUT, words.failed(action, name, f"{exc}."))
    try:
        daemon, service, sockets, paths = await load_daemon(conn, unit_name)
    except Refusal as exc:
        return outcome(Status.BAD_INPUT, words.failed(action, name, f"{exc}."))
    if action in (Action.ON_DEMAND, Action.ALWAYS_ON) and (
            not sockets or proxied.uses_proxy(sockets)):
        return await proxied.switch(conn, jobs, daemon, service, sockets, action,
                                    proxy or proxied.ProxyRequest(), book or proxied.NoBook(),
                                    force=force)
    what = _VERBS[action].format(daemon.name)
    warnings = list(daemon.warnings)
    if_done: list[str] = []  # what holds only once the change was made (issue 23)
    stop_if_running = True
    if action in (Action.STOP, Action.ON_DEMAND) and service.active_state == "active":
        listen = [a for s in sockets for a in s.listen]
        # With what it carries (guests, containers, jobs) and libvirt-guests' rule.
        report = await check_before_stop(conn, service.name, listen)
        warnings += report.warnings
        if report.busy and action is Action.STOP and not force:
            return outcome(
                Status.FAILED,
                words.failed(action, daemon.name, (
                    words.unsure_refusal if report.unsure else words.busy_refusal)(
                    "; ".join(report.reasons))),
                service.name, warnings=tuple(warnings),
            )
        if report.busy and action is Action.ON_DEMAND and not force:
            stop_if_running = False
            if_done.append((words.unsure_left_running if report.unsure else
                            words.busy_left_running)(daemon.name, "; ".join(report.reasons)))
    try:
        plan = make_plan(action, daemon, service, sockets, stop_if_running=stop_if_running,
                         paths=paths)
    except Refusal as exc:
        return outcome(Status.BAD_INPUT, words.failed(action, daemon.name, f"{exc}."),
                       service.name)
    was_active = frozenset(u.name for u in (service, *sockets) if u.active_state == "active")
    run = await run_plan(conn, jobs, plan, was_active)
    if run.error is None:
        warnings += if_done + list(plan.notes)
    if run.repaired and run.error is None:
        warnings.append(words.repaired(sorted({d.unit for d in run.repaired})))
    if run.lost_aliases and run.error is None:
        warnings.append(words.lost_aliases(daemon.name, list(run.lost_aliases)))
    units = await read_back(conn, [service.name, *(u.name for u in (*sockets, *paths))])
    return _conclude(action, manager, what, plan, run, units, tuple(warnings))


def _conclude(
    action: Action, manager: object, what: str, plan: Plan, run: Run,
    units: dict[str, dict[str, str]], warnings: tuple[str, ...],
) -> Outcome:
    done = tuple(str(s) for s in run.done)
    now = words.now(describe(units))
    name = plan.service.removesuffix(".service")

    def outcome(status: Status, message: str) -> Outcome:
        return Outcome(action, manager, plan.service, status, message, units,  # type: ignore[arg-type]
                       done, warnings)

    if run.error is None:  # plain words; the units' states are in .units (--verbose, --json)
        changed = bool(plan.steps)
        listening = any(u.get("ActiveState") == "active" for n, u in units.items()
                        if n.endswith(".socket"))
        return outcome(Status.DONE, f"{words.done_title(action, name, changed)}. "
                                    f"{words.done_sentence(action, changed, listening)}")
    cause = run.error.cause
    if isinstance(cause, NotAuthorised) and not run.done:
        return outcome(Status.NOT_AUTHORISED, _auth_message(cause, name, str(manager)))
    failed = words.failed(action, name, words.step_failed(str(run.error.step), run.error.reason))
    if not run.done:
        return outcome(Status.FAILED, f"{failed} {words.nothing_had_changed()} {now}")
    if run.rollback_errors:
        undone = "; ".join(str(e) for e in run.rollback_errors)
        return outcome(Status.FAILED,
                       f"{failed} {words.rollback_incomplete(len(run.done), undone)} {now}")
    return outcome(Status.FAILED, f"{failed} {words.rolled_back(len(run.done))} {now}")
