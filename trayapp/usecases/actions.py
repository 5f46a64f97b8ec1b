"""One action on one daemon, from a name to a verified Outcome.

Shared by the CLI (``trayapp on-demand docker``) and the tray's Controller:
read the daemon's units, ask whether it is busy (only if it runs), make the
core's plan, run it through the adapter, then read back what systemd says
holds and describe that in the message.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from trayapp.adapters.dbus.bus import Connection, NotAuthorised
from trayapp.adapters.dbus.follower import JobFollower
from trayapp.adapters.dbus.jobs import Run, run_plan
from trayapp.core import outcome_words as words
from trayapp.core.model import Manager, UnitInfo
from trayapp.core.outcome import Outcome, Status
from trayapp.core.plans import Action, Plan, Refusal, make_plan
from trayapp.core.unitname import BadUnitName, daemon_service_name
from trayapp.usecases import proxy as proxied
from trayapp.usecases.daemons import describe, load_daemon, read_back
from trayapp.usecases.proxy_book import NoBook, ProxyBook, ProxyRequest
from trayapp.usecases.workload import check_busy

log = logging.getLogger(__name__)

def _auth_message(exc: NotAuthorised, name: str, manager: str, interactive: bool) -> str:
    if exc.needs_agent:
        return words.not_allowed(name, words.no_agent() if interactive else
                                 words.needs_password())
    return words.not_allowed(name, words.refused(manager, exc.text or exc.name))


async def perform(
    conn: Connection, jobs: JobFollower, name: str, action: Action, *, force: bool = False,
    proxy: ProxyRequest | None = None, book: ProxyBook | None = None,
    interactive: bool = True, connections: Mapping[Manager, Connection] | None = None,
) -> Outcome:
    """Do ``action`` for daemon ``name``; never raises for expected failures.
    Without ``interactive`` no call lets polkit ask for a password.  The busy check
    learns what the daemon carries over ``connections`` (default: ``conn`` alone).

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
                                    proxy or ProxyRequest(), book or NoBook(),
                                    force=force)
    warnings = list(daemon.warnings)
    if_done: list[str] = []  # what holds only once the change was made (issue 23)
    stop_if_running = True
    if action in (Action.STOP, Action.ON_DEMAND) and service.active_state == "active":
        verdict = await _busy_verdict(action, daemon.name, service.name, sockets, force,
                                      manager, connections or {manager: conn})
        warnings += verdict.warnings
        if verdict.refusal is not None:
            return outcome(Status.FAILED, verdict.refusal, service.name,
                           warnings=tuple(warnings))
        stop_if_running = verdict.stop_if_running
        if_done += verdict.if_done
    try:
        plan = replace(make_plan(action, daemon, service, sockets,
                                 stop_if_running=stop_if_running, paths=paths),
                       interactive=interactive)
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
    return _conclude(action, manager, plan, run, units, tuple(warnings))


@dataclass(frozen=True)
class _Verdict:
    warnings: tuple[str, ...] = ()
    refusal: str | None = None  # the message, when the change is refused
    stop_if_running: bool = True
    if_done: tuple[str, ...] = ()


async def _busy_verdict(action: Action, daemon: str, service: str, sockets: Sequence[UnitInfo],
                        force: bool, manager: Manager,
                        connections: Mapping[Manager, Connection]) -> _Verdict:
    """What the one busy check (usecases/workload.py, with what the daemon carries and
    libvirt-guests' rule) means for stopping ``service``: a stop is refused, an
    on-demand switch leaves it running; ``force`` overrides both."""
    listen = [a for s in sockets for a in s.listen]
    report = await check_busy(manager, service, listen, connections)
    warnings = tuple(report.warnings)
    if not report.busy or force:
        return _Verdict(warnings)
    reasons = "; ".join(report.reasons)
    if action is Action.STOP:
        refusal = (words.unsure_refusal if report.unsure else words.busy_refusal)(reasons)
        return _Verdict(warnings, words.failed(action, daemon, refusal))
    left = (words.unsure_left_running if report.unsure else words.busy_left_running)
    return _Verdict(warnings, stop_if_running=False, if_done=(left(daemon, reasons),))


def _conclude(
    action: Action, manager: object, plan: Plan, run: Run,
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
        return outcome(Status.NOT_AUTHORISED,
                       _auth_message(cause, name, str(manager), plan.interactive))
    failed = words.failed(action, name, words.step_failed(str(run.error.step), run.error.reason))
    if not run.done:
        return outcome(Status.FAILED, f"{failed} {words.nothing_had_changed()} {now}")
    if run.rollback_errors:
        undone = "; ".join(str(e) for e in run.rollback_errors)
        return outcome(Status.FAILED,
                       f"{failed} {words.rollback_incomplete(len(run.done), undone)} {now}")
    return outcome(Status.FAILED, f"{failed} {words.rolled_back(len(run.done))} {now}")
