"""The recorder (trayapp/recorder.py) on a real DaemonTable and a real store.

What systemd would answer to property reads comes from FakeManager; the
table is fed the unit changes systemd's signals would carry.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.daemons import set_state, table_with
from trayapp.core.runs import EndReason, Run
from trayapp.core.idle import ServiceStats
from trayapp.core.model import DaemonMode, DaemonState, Manager
from trayapp.core.table import DaemonTable
from trayapp.adapters.history_db import Store
from trayapp.usecases.recorder import Recorder

S = Manager.SYSTEM
KEY = (S, "x.service")
NOW = 1_700_000_000.0


class FakeManager:
    def __init__(self, table: DaemonTable) -> None:
        self.table = table
        self.runs = 0
        self.state = "running"
        self.started = NOW - 3600  # the manager's UserspaceTimestamp

    def start_run(self) -> None:
        self.runs += 1

    async def service(self, manager: Manager, service: str) -> ServiceStats | None:
        d = self.table.daemon(manager, service)
        up = d is not None and d.state in (DaemonState.STARTING, DaemonState.RUNNING)
        woke = int((NOW + self.runs * 100) * 1e6)
        return ServiceStats(
            active_state="active" if up else "inactive",
            invocation=f"inv{self.runs}" if self.runs else "",
            inactive_exit_usec=woke, active_enter_usec=woke + 250_000,
            inactive_exit_mono=10_000_000, active_enter_mono=10_250_000,
            memory_bytes=(self.runs * 10) * 2**20 if up else None,
        )

    async def manager_state(self, manager: Manager) -> tuple[str, float | None] | None:
        return (self.state, self.started)


def wakers(listen: Sequence[tuple[str, str]]) -> str | None:
    return "socat (pid 42)"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "history.sqlite", clock=lambda: NOW)


def setup(store: Store, pending: set[tuple[Manager, str]] | None = None,
          state: DaemonState = DaemonState.DORMANT) -> tuple[DaemonTable, FakeManager, Recorder]:
    table = table_with(("x", state, DaemonMode.ON_DEMAND), clock=NOW)
    system = FakeManager(table)
    recorder = Recorder(store, table, system, pending=lambda: pending or set(),
                        find_waker=wakers, clock=lambda: NOW)
    return table, system, recorder


async def cycle(table: DaemonTable, system: FakeManager, recorder: Recorder,
                end: DaemonState = DaemonState.DORMANT) -> None:
    system.start_run()
    for state in (DaemonState.STARTING, DaemonState.RUNNING, DaemonState.STOPPING, end):
        set_state(table, S, "x", state)
        await recorder.settle()


async def test_a_wake_and_an_idle_stop(store: Store) -> None:
    table, system, recorder = setup(store)
    recorder.start()
    system.start_run()
    set_state(table, S, "x", DaemonState.STARTING)
    set_state(table, S, "x", DaemonState.RUNNING)
    await recorder.settle()
    recorder.expect_stop(KEY, EndReason.IDLE)
    set_state(table, S, "x", DaemonState.DORMANT)
    await recorder.settle()
    [r] = store.runs()
    assert r.invocation == "inv1" and r.waker == "socat (pid 42)"
    assert r.woke_at == NOW + 100 and r.active_at == NOW + 100.25 and r.startup == 0.25
    assert r.end is EndReason.IDLE and r.peak_memory == 10 * 2**20


@pytest.mark.parametrize(("end", "pending", "manager_state", "expected"), [
    (DaemonState.FAILED, False, "running", EndReason.CRASH),
    (DaemonState.DORMANT, True, "running", EndReason.USER),
    (DaemonState.OFF, False, "stopping", EndReason.SHUTDOWN),
    (DaemonState.DORMANT, False, "running", EndReason.ELSEWHERE),
])
async def test_how_runs_end(store: Store, end: DaemonState, pending: bool, manager_state: str,
                            expected: EndReason) -> None:
    table, system, recorder = setup(store, {KEY} if pending else set())
    system.state = manager_state
    recorder.start()
    await cycle(table, system, recorder, end)
    [r] = store.runs()
    assert r.end is expected


async def test_a_stop_the_cli_announced_in_the_shared_file_is_the_users(store: Store,
                                                                       tmp_path: Path) -> None:
    table, system, recorder = setup(store)
    recorder.start()
    other_process = Store(tmp_path / "history.sqlite", clock=lambda: NOW)
    other_process.note_intent("system", "x.socket", EndReason.USER)  # any of its units
    await cycle(table, system, recorder)
    assert store.runs()[0].end is EndReason.USER


async def test_runs_left_open_are_settled_when_the_daemon_is_seen_again(store: Store) -> None:
    # Left open by a recorder that died: one before the manager restarted
    # (a reboot), one after (stopped while nobody watched).
    store.begin_run(Run("system", "x.service", "before-boot", NOW - 7200, last_seen=NOW - 7000))
    store.begin_run(Run("system", "x.service", "after-boot", NOW - 1800, last_seen=NOW - 1700))
    _, _, recorder = setup(store)
    recorder.start()
    await recorder.settle()
    runs = {r.invocation: r for r in store.runs()}
    assert runs["before-boot"].end is EndReason.SHUTDOWN
    assert runs["before-boot"].ended_at == NOW - 7000  # its last sighting
    assert runs["after-boot"].end is EndReason.ELSEWHERE


async def test_a_run_still_going_is_adopted_and_recorded_to_its_end(store: Store) -> None:
    table, system, recorder = setup(store, state=DaemonState.RUNNING)
    system.start_run()
    store.begin_run(Run("system", "x.service", "inv1", NOW - 60, last_seen=NOW - 50))
    recorder.start()
    await recorder.settle()
    assert store.open_runs("system", "x.service")[0].invocation == "inv1"
    set_state(table, S, "x", DaemonState.DORMANT)
    await recorder.settle()
    [r] = store.runs()
    assert r.end is EndReason.ELSEWHERE and r.waker is None


async def test_close_marks_open_runs_as_seen_until_now(store: Store) -> None:
    table, system, recorder = setup(store)
    recorder.start()
    system.start_run()
    set_state(table, S, "x", DaemonState.RUNNING)
    await recorder.settle()
    later = NOW + 500
    recorder.clock = lambda: later
    recorder.close()
    assert store.runs()[0].last_seen == later
