"""Running a plan's steps against systemd, and undoing them on failure.

Every mutating call carries ALLOW_INTERACTIVE_AUTHORIZATION, so polkit can
ask the user's agent for a password; reads never do.  StartUnit/StopUnit
return a job path at once: the job's real result arrives later in
``JobRemoved``, which needs ``Subscribe()`` and a match on the manager's
signals.  dbus-fast runs signal handlers as messages arrive but resumes the
awaiting caller a loop iteration later, so a JobRemoved can be seen before
the StartUnit reply is in our hands: while such a call is in flight, results
are kept by job path for a few seconds (a few dozen at most).  Only
systemd's current owner is heard (Connection.on_signal): anyone may send a
JobRemoved, unicast to us.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from dbus_fast import Message, Variant

from trayapp.core.enablement import Difference, Goal
from trayapp.core.plans import Plan, Step, Verb

from .bus import MANAGER_IFACE, MANAGER_PATH, SYSTEMD, BusUnavailable, Connection, SystemdError
from .enablement import Change, Keeper, RunStep, changes_of
from .units import read_unit

log = logging.getLogger(__name__)

# A polkit agent may wait for a password: long, but bounded (a hung polkitd
# must not leave the action waiting for ever).
AUTH_TIMEOUT = 120.0
JOB_TIMEOUT = 180.0

MANAGER_SIGNALS = (
    f"type='signal',sender='{SYSTEMD}',path='{MANAGER_PATH}',interface='{MANAGER_IFACE}'"
)


class StepFailed(Exception):
    def __init__(self, step: Step, reason: str, cause: Exception | None = None) -> None:
        super().__init__(f"{step}: {reason}")
        self.step = step
        self.reason = reason
        self.cause = cause


class JobFollower:
    """Collects JobRemoved results, from systemd's owner only, for the jobs we start.

    A result is kept only while one of our StartUnit/StopUnit calls is in
    flight (``expect``): it may be the job that call is about to name, since
    the signal can be handed over before the reply.  Those early results are
    kept for EARLY_WINDOW seconds, EARLY_MAX at most; every other job's
    result is ignored.
    """

    EARLY_WINDOW = 5.0
    EARLY_MAX = 32

    def __init__(self, conn: Connection, clock: Callable[[], float] = time.monotonic) -> None:
        self.conn = conn
        self.clock = clock
        self._early: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._waiters: dict[str, asyncio.Future[str]] = {}
        self._expecting = 0
        conn.on_signal(SYSTEMD, self._on_signal)

    async def subscribe(self, add_match: bool = True) -> None:
        if add_match:
            await self.conn.add_match(MANAGER_SIGNALS)
        await self.conn.call("Subscribe")

    def _on_signal(self, msg: Message) -> None:
        if msg.member != "JobRemoved" or msg.path != MANAGER_PATH or len(msg.body) != 4:
            return
        _id, job, _unit, result = msg.body
        if not (isinstance(job, str) and isinstance(result, str)):
            return
        waiter = self._waiters.pop(job, None)
        if waiter is not None:
            if not waiter.done():
                waiter.set_result(result)
        elif self._expecting:
            self._keep_early(job, result)

    def _keep_early(self, job: str, result: str) -> None:
        now = self.clock()
        while self._early and (len(self._early) >= self.EARLY_MAX
                               or next(iter(self._early.values()))[0] < now - self.EARLY_WINDOW):
            self._early.popitem(last=False)
        self._early[job] = (now, result)

    @contextlib.asynccontextmanager
    async def expect(self) -> AsyncIterator[None]:
        """Around a call that starts a job: its result may arrive before the reply."""
        self._expecting += 1
        try:
            yield
        finally:
            self._expecting -= 1

    async def wait(self, job: str, timeout: float = JOB_TIMEOUT) -> str:
        early = self._early.pop(job, None)
        if early is not None and early[0] >= self.clock() - self.EARLY_WINDOW:
            return early[1]
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        self._waiters[job] = waiter
        lost = loop.create_task(self.conn.wait_closed())
        try:
            done, _ = await asyncio.wait([waiter, lost], timeout=timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
            if waiter in done:
                return str(waiter.result())
            if lost in done:
                raise BusUnavailable(f"lost the {self.conn.manager} bus while following {job}")
            raise TimeoutError
        finally:
            lost.cancel()
            self._waiters.pop(job, None)


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
        else:
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


async def start_transient(conn: Connection, jobs: JobFollower, step: Step,
                          properties: list[tuple[str, Variant]],
                          aux: list[tuple[str, list[tuple[str, Variant]]]]) -> str:
    """Make and start the transient unit ``step`` names (with its auxiliary units, as
    one call); returns its start job's result.  Raises StepFailed when systemd or
    polkit refuses."""
    [name] = step.units
    try:
        async with jobs.expect():
            reply = await _mutate(conn, "StartTransientUnit", "ssa(sv)a(sa(sv))",
                                  [name, "fail", properties, aux])
            job = reply.body[0] if reply.body else None
            if not isinstance(job, str):
                raise StepFailed(step, f"systemd returned no job for {name}")
            return await jobs.wait(job)
    except TimeoutError as exc:
        raise StepFailed(step, "no answer in time (is polkitd or systemd hanging?)", exc) from exc
    except SystemdError as exc:
        raise StepFailed(step, exc.text or exc.name, exc) from exc


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
        try:
            await keeper.read_before({*plan.goal.enable, *plan.goal.disable,
                                      *(u for s in plan.steps for u in s.units)})
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
        try:
            run.unmet = await keeper.hold(plan.goal, step_of, run.repaired)
            run.lost_aliases = await keeper.lost_aliases()
        except StepFailed as exc:
            run.error = exc
        except SystemdError as exc:
            run.error = StepFailed(Step(Verb.CHECK), f"cannot read what holds: {exc}", exc)
        if run.unmet:
            check = Step(Verb.CHECK, tuple(d.unit for d in run.unmet))
            run.error = StepFailed(check, "; ".join(str(d) for d in run.unmet))
    if run.error is not None:
        await _roll_back(conn, jobs, run, was_active, keeper, step_of, asks)
    return run


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
