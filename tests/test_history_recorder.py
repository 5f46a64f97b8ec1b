"""The recorder (trayapp/usecases/recorder.py) on a real DaemonTable and a real store.

What systemd would answer to property reads comes from tests/fakes.py's FakeStats; the
table is fed the unit changes systemd's signals would carry, and its changes
reach the recorder as named events through a real EventHub whose ``ours`` is
a real Ledger of our actions (as trayapp/services.py wires them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from tests.fakes import EPOCH, FakeStats
from tests.support import Clock, set_state, table_with, units
from trayapp.adapters.history_db import Store
from trayapp.core.causes import Client, Wakers
from trayapp.core.events import EventHub
from trayapp.core.ledger import Ledger
from trayapp.core.model import DaemonMode, DaemonState, Manager
from trayapp.core.plans import Action
from trayapp.core.runs import EndReason, Run
from trayapp.core.table import DaemonTable
from trayapp.usecases.causes import Causes
from trayapp.usecases.recorder import Recorder

S = Manager.SYSTEM
KEY = (S, "x.service")
NOW = EPOCH  # when FakeStats' runs begin


def wakers(listen: Sequence[tuple[str, str]]) -> Wakers | None:
    return Wakers(1, (Client(42, "socat", "alice"),))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "history.sqlite", clock=lambda: NOW)


@dataclass
class Rig:
    table: DaemonTable
    system: FakeStats
    recorder: Recorder
    ledger: Ledger
    hub: EventHub
    clock: Clock

    def start(self) -> None:
        self.recorder.start(self.hub)


def setup(store: Store, state: DaemonState = DaemonState.DORMANT) -> Rig:
    table = table_with(("x", state, DaemonMode.ON_DEMAND), clock=NOW)
    system = FakeStats(table, runs=0, started=NOW - 3600)  # no run before the test's
    clock = Clock()
    ledger = Ledger(clock=clock, grace=5.0)
    hub = EventHub(ours=lambda k: ledger.ours(k) is not None)
    table.listen(hub.publish)
    causes = Causes(table, find=wakers)
    causes.start(hub)  # first, as in services.py: the recorder reads its lookup
    recorder = Recorder(store, table, system, ledger, causes, clock=lambda: NOW)
    return Rig(table, system, recorder, ledger, hub, clock)


async def cycle(table: DaemonTable, system: FakeStats, recorder: Recorder,
                end: DaemonState = DaemonState.DORMANT) -> None:
    system.start_run()
    for state in (DaemonState.STARTING, DaemonState.RUNNING, DaemonState.STOPPING, end):
        set_state(table, S, "x", state)
        await recorder.settle()


async def test_a_wake_and_an_idle_stop(store: Store) -> None:
    r = setup(store)
    r.start()
    r.system.start_run()
    set_state(r.table, S, "x", DaemonState.STARTING)
    set_state(r.table, S, "x", DaemonState.RUNNING)
    await r.recorder.settle()
    r.ledger.begin(KEY, Action.STOP, EndReason.IDLE)  # the idle watcher's stop
    set_state(r.table, S, "x", DaemonState.DORMANT)
    await r.recorder.settle()
    r.ledger.end(KEY)
    [run] = store.runs()
    assert run.invocation == "inv1" and run.waker == "socat (pid 42)"
    assert run.woke_at == NOW + 100 and run.active_at == NOW + 100.25 and run.startup == 0.25
    assert run.end is EndReason.IDLE and run.peak_memory == 10 * 2**20


@pytest.mark.parametrize(("end", "ours", "manager_state", "expected"), [
    (DaemonState.FAILED, None, "running", EndReason.CRASH),
    (DaemonState.FAILED, EndReason.USER, "running", EndReason.CRASH),  # a crash is a crash
    (DaemonState.DORMANT, EndReason.USER, "running", EndReason.USER),
    (DaemonState.DORMANT, EndReason.IDLE, "running", EndReason.IDLE),
    (DaemonState.OFF, EndReason.USER, "stopping", EndReason.USER),  # ours beats shutdown
    (DaemonState.OFF, None, "stopping", EndReason.SHUTDOWN),
    (DaemonState.DORMANT, None, "running", EndReason.ELSEWHERE),
])
async def test_how_runs_end(store: Store, end: DaemonState, ours: EndReason | None,
                            manager_state: str, expected: EndReason) -> None:
    r = setup(store)
    r.system.state = manager_state
    r.start()
    if ours is not None:  # an action of ours in flight for the whole run
        r.ledger.begin(KEY, Action.STOP, ours)
    await cycle(r.table, r.system, r.recorder, end)
    [run] = store.runs()
    assert run.end is expected


async def test_a_stop_ended_just_before_its_last_signal_is_still_ours(store: Store) -> None:
    # systemd may announce the unit's change after the job's result: the
    # action ended, but within the ledger's grace the stop is still ours.
    r = setup(store)
    r.start()
    r.system.start_run()
    set_state(r.table, S, "x", DaemonState.RUNNING)
    await r.recorder.settle()
    r.ledger.begin(KEY, Action.STOP)
    set_state(r.table, S, "x", DaemonState.STOPPING)
    r.ledger.end(KEY)
    r.clock.now += 4.9
    set_state(r.table, S, "x", DaemonState.DORMANT)
    await r.recorder.settle()
    assert store.runs()[0].end is EndReason.USER


@pytest.mark.parametrize(("job", "result", "expected"), [
    (0, "success", EndReason.EXITED),  # no stop job, a clean end: back to sleep
    (7, "success", EndReason.ELSEWHERE),  # someone's stop job
    (0, "signal", EndReason.CRASH),  # a failure Result, though it ended inactive
])
async def test_the_stops_own_signals_name_its_end(store: Store, job: int, result: str,
                                                  expected: EndReason) -> None:
    r = setup(store)
    r.start()
    r.system.start_run()
    set_state(r.table, S, "x", DaemonState.RUNNING)
    await r.recorder.settle()
    r.table.update(S, "x.service", {"job": job, "result": result})
    set_state(r.table, S, "x", DaemonState.DORMANT)
    await r.recorder.settle()
    assert store.runs()[0].end is expected


async def test_a_stop_after_the_grace_is_not_ours(store: Store) -> None:
    r = setup(store)
    r.start()
    r.ledger.begin(KEY, Action.STOP)
    r.ledger.end(KEY)
    r.clock.now += 5.0
    await cycle(r.table, r.system, r.recorder)
    assert store.runs()[0].end is EndReason.ELSEWHERE


async def test_a_stop_the_cli_announced_in_the_shared_file_is_the_users(store: Store,
                                                                       tmp_path: Path) -> None:
    r = setup(store)
    r.start()
    other_process = Store(tmp_path / "history.sqlite", clock=lambda: NOW)
    other_process.note_intent("system", "x.socket", EndReason.USER)  # any of its units
    await cycle(r.table, r.system, r.recorder)
    assert store.runs()[0].end is EndReason.USER


async def test_our_ledger_goes_before_another_process_intent(store: Store,
                                                             tmp_path: Path) -> None:
    r = setup(store)
    r.start()
    other_process = Store(tmp_path / "history.sqlite", clock=lambda: NOW)
    other_process.note_intent("system", "x.service", EndReason.USER)
    r.ledger.begin(KEY, Action.STOP, EndReason.IDLE)
    await cycle(r.table, r.system, r.recorder)
    assert store.runs()[0].end is EndReason.IDLE


async def test_runs_left_open_are_settled_when_the_daemon_is_seen_again(store: Store) -> None:
    # Left open by a recorder that died: one before the manager restarted
    # (a reboot), one after (stopped while nobody watched).
    store.begin_run(Run("system", "x.service", "before-boot", NOW - 7200, last_seen=NOW - 7000))
    store.begin_run(Run("system", "x.service", "after-boot", NOW - 1800, last_seen=NOW - 1700))
    r = setup(store)
    r.start()
    await r.recorder.settle()
    runs = {run.invocation: run for run in store.runs()}
    assert runs["before-boot"].end is EndReason.SHUTDOWN
    assert runs["before-boot"].ended_at == NOW - 7000  # its last sighting
    assert runs["after-boot"].end is EndReason.ELSEWHERE


async def test_a_daemon_appearing_later_is_taken_up_too(store: Store) -> None:
    # A resync (or a new socket unit) adds a daemon after start: APPEARED.
    store.begin_run(Run("system", "z.service", "gone", NOW - 1800, last_seen=NOW - 1700))
    r = setup(store)
    r.start()
    await r.recorder.settle()
    assert store.runs()[0].end is None  # z is not in the table yet
    for unit in units("z", DaemonState.DORMANT, DaemonMode.ON_DEMAND):
        r.table.put(S, unit)
    await r.recorder.settle()
    [run] = store.runs()
    assert run.end is EndReason.ELSEWHERE


async def test_a_run_still_going_is_adopted_and_recorded_to_its_end(store: Store) -> None:
    r = setup(store, state=DaemonState.RUNNING)
    r.system.start_run()
    store.begin_run(Run("system", "x.service", "inv1", NOW - 60, last_seen=NOW - 50))
    r.start()
    await r.recorder.settle()
    assert store.open_runs("system", "x.service")[0].invocation == "inv1"
    set_state(r.table, S, "x", DaemonState.DORMANT)
    await r.recorder.settle()
    [run] = store.runs()
    assert run.end is EndReason.ELSEWHERE and run.waker is None


async def test_a_daemon_that_vanishes_while_running_ends_its_run(store: Store) -> None:
    r = setup(store)
    r.start()
    r.system.start_run()
    set_state(r.table, S, "x", DaemonState.RUNNING)
    await r.recorder.settle()
    r.table.remove(S, "x.socket")
    r.table.remove(S, "x.service")
    await r.recorder.settle()
    [run] = store.runs()
    assert run.invocation == "inv1" and run.end is EndReason.ELSEWHERE


async def test_a_daemon_that_vanishes_while_dormant_has_no_run_to_end(store: Store) -> None:
    r = setup(store)
    r.start()
    await r.recorder.settle()
    r.table.remove(S, "x.socket")
    r.table.remove(S, "x.service")
    assert not r.recorder._tasks  # nothing to read or write: nothing spawned
    assert store.runs() == []


async def test_a_restart_from_stopping_goes_on_with_the_run_it_had(store: Store) -> None:
    # STARTED from stopping (stopping -> running) begins no run of its own;
    # from off or failed it does (test_how_runs_end's cycles, and the next line).
    r = setup(store)
    r.start()
    r.system.start_run()
    set_state(r.table, S, "x", DaemonState.RUNNING)
    set_state(r.table, S, "x", DaemonState.STOPPING)
    await r.recorder.settle()
    r.system.start_run()
    set_state(r.table, S, "x", DaemonState.RUNNING)
    await r.recorder.settle()
    assert [(run.invocation, run.end) for run in store.runs()] == [("inv1", None)]


async def test_idle_checks_reads_keep_the_memory_peak(store: Store) -> None:
    r = setup(store)
    r.start()
    r.system.start_run()
    set_state(r.table, S, "x", DaemonState.RUNNING)
    await r.recorder.settle()
    stats = await r.system.service(S, "x.service")
    assert stats is not None
    r.recorder.saw(KEY, replace(stats, memory_bytes=99 * 2**20))
    r.recorder.saw(KEY, replace(stats, invocation="other", memory_bytes=500 * 2**20))
    assert store.runs()[0].peak_memory == 99 * 2**20


async def test_close_stops_listening_and_marks_open_runs_as_seen_until_now(store: Store) -> None:
    r = setup(store)
    r.start()
    r.system.start_run()
    set_state(r.table, S, "x", DaemonState.RUNNING)
    await r.recorder.settle()
    later = NOW + 500
    r.recorder.clock = lambda: later
    r.recorder.close()
    assert store.runs()[0].last_seen == later
    set_state(r.table, S, "x", DaemonState.DORMANT)
    await r.recorder.settle()
    assert store.runs()[0].end is None  # no longer listening
