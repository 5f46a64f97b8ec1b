"""The executor: running a plan's steps against systemd, and undoing them on failure.

This is the one module that changes systemd: every StartUnit, StopUnit,
EnableUnitFiles, DisableUnitFiles, Reload, StartTransientUnit and
ResetFailedUnit trayapp sends is sent here, for a step of a core Plan
(core/plans.py).  Every such call carries ALLOW_INTERACTIVE_AUTHORIZATION,
so polkit can ask the user's agent for a password, unless the plan says it
must not ask (the stop before sleep); reads never do.  Jobs are followed to
their end by follower.py's JobFollower.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from dbus_fast import Message, Variant

from trayapp.core.enablement import Difference, Goal
from trayapp.core.plans import Plan, Step, Verb

from .bus import Connection, SystemdError
from .enablement import Change, Keeper, RunStep, changes_of
from .follower import JobFollower
from .units import loaded, read_unit

log = logging.getLogger(__name__)

# A polkit agent may wait for a password: long, but bounded (a hung polkitd
# must not leave the action waiting for ever).
AUTH_TIMEOUT = 120.0



class StepFailed(Exception):
    def __init__(self, step: Step, reason: str, cause: Exception | None = None) -> None:
        super().__init__(f"{step}: {reason}")
        self.step = step
        self.reason = reason
        self.cause = cause


@dataclass
class Run:
    """What happened when a plan ran."""

    done: list[Step] = field(default_factory=list)
    error: StepFailed | None = None
    rollback_errors: list[StepFailed] = field(default_factory=list)
    # Units systemd's calls changed beyond the goal, that were put back.
    repaired: list[Difference] = field(default_factory=list)
    # What still differed from the goal at the end (the switch failed).
    unmet: list[Difference] = field(default_factory=list)
    # Aliases of the daemon's units (Alias=, e.g. a D-Bus activation name) that
    # went with their enablement: systemd has no call that makes one alone.
    lost_aliases: list[str] = field(default_factory=list)


async def _mutate(conn: Connection, member: str, signature: str, body: list[object],
                  interactive: bool = True) -> Message:
    return await asyncio.wait_for(
        conn.call(member, signature, body, interactive=interactive), AUTH_TIMEOUT
    )


async def run_step(conn: Connection, jobs: JobFollower, step: Step, *,
                   interactive: bool = True) -> list[Change]:
    """Run one step; raise StepFailed with the reason when it does not hold.
    Returns the unit-file changes an enable or disable reports.  Without
    ``interactive`` polkit may not ask for a password: it answers at once."""
    try:
        if step.verb is Verb.ENABLE:
            reply = await _mutate(conn, "EnableUnitFiles", "asbb",
                                  [list(step.units), False, False], interactive)
            return changes_of(reply.body)
        if step.verb is Verb.DISABLE:
            reply = await _mutate(conn, "DisableUnitFiles", "asb", [list(step.units), False],
                                  interactive)
            return changes_of(reply.body)
        if step.verb is Verb.RELOAD:
            await _mutate(conn, "Reload", "", [], interactive)
        elif step.verb is Verb.CREATE:
            await _create(conn, jobs, step, interactive)
        elif step.verb is Verb.REMOVE:
            await _remove(conn, jobs, step, interactive)
        elif step.verb in (Verb.START, Verb.STOP):
            member = "StartUnit" if step.verb is Verb.START else "StopUnit"
            for unit in step.units:
                async with jobs.expect():
                    reply = await _mutate(conn, member, "ss", [unit, "replace"], interactive)
                    job = reply.body[0] if reply.body else None
                    if not isinstance(job, str):
                        raise StepFailed(step, f"systemd returned no job for {unit}")
                    result = await jobs.wait(job)
                if result != "done" and step.verb is Verb.START:
                    await reset_failed(conn, unit, interactive)
                if result != "done":
                    raise StepFailed(step, f"the {step.verb} job of {unit} ended with '{result}'")
    except TimeoutError as exc:
        raise StepFailed(step, "no answer in time (is polkitd or systemd hanging?)", exc) from exc
    except SystemdError as exc:
        raise StepFailed(step, exc.text or exc.name, exc) from exc
    return []


async def _create(conn: Connection, jobs: JobFollower, step: Step, interactive: bool) -> None:
    """One StartTransientUnit: the step's first unit, the others as its auxiliary
    units.  A start that fails (a socket that cannot bind) removes them again."""
    if step.transient is None or len(step.transient.properties) != len(step.units):
        raise StepFailed(step, "trayapp does not know how to make it")
    [first, *aux] = [[(n, Variant(sig, v)) for n, sig, v in props]
                     for props in step.transient.properties]
    name = step.units[0]
    async with jobs.expect():
        reply = await _mutate(conn, "StartTransientUnit", "ssa(sv)a(sa(sv))",
                              [name, "fail", first, list(zip(step.units[1:], aux, strict=True))],
                              interactive)
        job = reply.body[0] if reply.body else None
        if not isinstance(job, str):
            raise StepFailed(step, f"systemd returned no job for {name}")
        result = await jobs.wait(job)
    if result != "done":
        await _remove(conn, jobs, step, interactive)
        hint = f": {step.transient.hint}" if step.transient.hint else ""
        raise StepFailed(step, f"{name} did not start ('{result}'){hint}")


async def _remove(conn: Connection, jobs: JobFollower, step: Step, interactive: bool) -> None:
    """Stop each transient unit of the step that systemd has loaded; once inactive it
    vanishes (a failed one only once reset)."""
    for name in step.units:
        info = await loaded(conn, name)
        if info is None:
            continue
        if info.active_state != "inactive":
            await run_step(conn, jobs, Step(Verb.STOP, (name,)), interactive=interactive)
        info = await loaded(conn, name)
        if info is not None and info.active_state == "failed":
            await reset_failed(conn, name, interactive)


async def run_plan(
    conn: Connection, jobs: JobFollower, plan: Plan, was_active: frozenset[str] = frozenset()
) -> Run:
    """Run the steps in order, then hold the plan's enablement goal; on the first
    failure undo what was done, newest first.

    A plan with a goal reads its units' enablement first and follows what
    the calls report (adapters/dbus/enablement.py): after the steps, what
    they changed beyond the goal (Also=) is put back, and a goal that still
    does not hold fails the switch.  Undoing steps is not always enough
    either: a failed step can take other units down with it (a service with
    Requires= on a socket whose start failed), so after the undo every unit
    in ``was_active`` that no longer runs is started again.
    """
    run = Run()
    keeper = None
    if plan.goal is not None:
        keeper = Keeper(conn)
        try:  # not the transient units: they have no unit file to hold
            await keeper.read_before({*plan.goal.enable, *plan.goal.disable,
                                      *(u for s in plan.steps for u in s.units
                                        if s.verb not in (Verb.CREATE, Verb.REMOVE))})
        except SystemdError as exc:  # nothing was changed yet
            run.error = StepFailed(Step(Verb.CHECK), f"cannot read the units first: {exc}", exc)
            return run

    asks = plan.interactive

    async def step_of(step: Step) -> list[Change]:
        changes = await run_step(conn, jobs, step, interactive=asks)
        if keeper is not None:
            keeper.saw(changes)
        return changes

    # A start or stop of several units runs one unit at a time, each on record:
    # one that fails half way undoes exactly the units it did.
    for step in (part for whole in plan.steps for part in whole.one_by_one()):
        try:
            await step_of(step)
            run.done.append(step)
            if step.verb is Verb.STOP and plan.restore_sockets:
                await _restore_sockets(conn, jobs, plan.restore_sockets, asks)
        except StepFailed as exc:
            run.error = exc
            break
        except SystemdError as exc:  # a read on the way (a socket to restore) failed
            run.error = StepFailed(step, exc.text or exc.name, exc)
            break
    if run.error is None and plan.goal is not None and keeper is not None:
        await _hold_goal(keeper, plan.goal, step_of, run)
    if run.error is not None:
        await _roll_back(conn, jobs, run, was_active, keeper, step_of, asks)
    return run


async def _hold_goal(keeper: Keeper, goal: Goal, step_of: RunStep, run: Run) -> None:
    """After the steps: put back what they changed beyond ``goal``; a goal that
    still does not hold is the run's error."""
    try:
        run.unmet = await keeper.hold(goal, step_of, run.repaired)
        run.lost_aliases = await keeper.lost_aliases()
    except StepFailed as exc:
        run.error = exc
    except SystemdError as exc:
        run.error = StepFailed(Step(Verb.CHECK), f"cannot read what holds: {exc}", exc)
    if run.unmet:
        check = Step(Verb.CHECK, tuple(d.unit for d in run.unmet))
        run.error = StepFailed(check, "; ".join(str(d) for d in run.unmet))


async def _roll_back(conn: Connection, jobs: JobFollower, run: Run, was_active: frozenset[str],
                     keeper: Keeper | None, step_of: RunStep, asks: bool) -> None:
    # Undo newest first.  With a keeper, enablement is put back as it was,
    # whatever the calls changed; else step by step.  A Reload is not undone
    # in place but once at the end.
    files_changed = False
    for step in reversed(run.done):
        if step.verb in (Verb.RELOAD, Verb.CHECK):
            continue
        files = step.verb in (Verb.ENABLE, Verb.DISABLE)
        files_changed |= files
        if files and keeper is not None:
            continue
        try:
            await step_of(step.undo)
        except StepFailed as exc:
            run.rollback_errors.append(exc)
    try:
        if keeper is not None:
            left = await keeper.hold(Goal(), step_of, [])
            if left:
                raise StepFailed(Step(Verb.CHECK, tuple(d.unit for d in left)),
                                 "; ".join(str(d) for d in left))
        elif files_changed:
            await run_step(conn, jobs, Step(Verb.RELOAD), interactive=asks)
    except StepFailed as exc:
        run.rollback_errors.append(exc)
    except SystemdError as exc:
        run.rollback_errors.append(StepFailed(Step(Verb.CHECK), str(exc), exc))
    for name in sorted(was_active):
        try:
            info, _ = await read_unit(conn, name)
            if info.active_state not in ("active", "activating", "reloading"):
                await run_step(conn, jobs, Step(Verb.START, (name,)), interactive=asks)
        except StepFailed as exc:
            run.rollback_errors.append(exc)
        except SystemdError as exc:
            run.rollback_errors.append(StepFailed(Step(Verb.START, (name,)), str(exc), exc))


async def reset_failed(conn: Connection, unit: str, interactive: bool = True) -> None:
    """A start that failed leaves the unit 'failed'; put it back to inactive, as before
    (a failed transient unit also stays loaded until then)."""
    try:
        await _mutate(conn, "ResetFailedUnit", "s", [unit], interactive)
    except (SystemdError, TimeoutError) as exc:
        log.info("could not reset %s after its failed start: %s", unit, exc)


async def _restore_sockets(conn: Connection, jobs: JobFollower, sockets: tuple[str, ...],
                           asks: bool) -> None:
    """Start again the sockets a stop took down (PartOf=/BindsTo= in some packages)."""
    for name in sockets:
        info, _ = await read_unit(conn, name)
        if info.active_state != "active":
            log.info("%s stopped with its service; starting it again", name)
            await run_step(conn, jobs, Step(Verb.START, (name,)), interactive=asks)
