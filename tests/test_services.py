"""The composition root (trayapp/services.py), without a bus: nothing here calls
``watch()`` or ``connect()``; the table is fed by hand as the Monitor would.

The history store is a real file under a temporary XDG_DATA_HOME (where
platformdirs puts ``user_data_dir``), so ``open_history()`` runs as it does
for the tray; what systemd would answer to property reads is a fake reader.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes import FakeStats
from tests.support import FakeNotifier, set_state, units, until_async
from trayapp.adapters.history_db import Store
from trayapp.core.events import Event, EventKind
from trayapp.core.keys import Key
from trayapp.core.ledger import Entry
from trayapp.core.model import Daemon, DaemonMode, DaemonState, Manager
from trayapp.core.outcome import Outcome, Status
from trayapp.core.plans import Action
from trayapp.core.runs import EndReason
from trayapp.services import Services

S = Manager.SYSTEM
X: Key = (S, "x.service")
WINDOW = 60.0


@pytest.fixture
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """platformdirs' user_data_dir (the store's default path) under tmp_path."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def services(data_home: Path) -> Iterator[Services]:
    s = Services([S])
    s.monitor.table.replace(S, units("x", DaemonState.DORMANT, DaemonMode.ON_DEMAND)
                            + units("y", DaemonState.DORMANT, DaemonMode.ON_DEMAND))
    s.stats = FakeStats(s.monitor.table)  # type: ignore[assignment]
    yield s
    if s.store is not None:  # a test that did not close it
        s.store.close()


def window_for(d: Daemon) -> float | None:
    return WINDOW if d.service == "x.service" else None


def hold_actions(services: Services, monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """The controller's actions wait for the returned event, then succeed."""
    gate = asyncio.Event()

    async def perform(manager: Manager, service: str, action: Action, force: bool,
                      proxy: object = None, interactive: bool = True) -> Outcome:
        await gate.wait()
        return Outcome(action, manager, service, Status.DONE,
                       "Done." if interactive else "Done, asking no password.")

    monkeypatch.setattr(services.controller, "_perform", perform)
    return gate


# -- the graph ---------------------------------------------------------------------------


async def test_table_changes_reach_the_recorder_and_the_idle_watcher(
        services: Services, data_home: Path) -> None:
    assert services.open_history() is None
    assert services.store is not None
    assert services.store.path == data_home / "trayapp" / "history.sqlite"
    recorder = services.recorder
    assert recorder is not None
    idle = services.start_idle(FakeNotifier(answer=None), window_for)
    assert services.idle is idle and idle.armed() == {}
    heard: list[Event] = []
    services.events.subscribe(EventKind, heard.append)  # as the tray's Announcer does
    assert idle.on_stats == recorder.saw  # the idle checks' reads keep the memory peak

    set_state(services.monitor.table, S, "x", DaemonState.RUNNING)
    set_state(services.monitor.table, S, "y", DaemonState.RUNNING)  # no window for y
    await recorder.settle()
    assert idle.armed() == {X: WINDOW}
    assert [(r.service, r.invocation, r.end) for r in services.store.runs()] == [
        ("x.service", "inv1", None), ("y.service", "inv1", None)]

    # A stop on the ledger: the hub marks it ours, the recorder says whose.
    assert services.ledger.begin(X, Action.STOP)
    set_state(services.monitor.table, S, "x", DaemonState.DORMANT)
    services.ledger.end(X)
    set_state(services.monitor.table, S, "y", DaemonState.DORMANT)  # nobody's here
    await recorder.settle()
    ends = {r.service: r.end for r in services.store.runs()}
    assert ends == {"x.service": EndReason.USER, "y.service": EndReason.ELSEWHERE}
    assert [(e.kind, e.key, e.ours) for e in heard] == [
        (EventKind.WOKE, X, False), (EventKind.WOKE, (S, "y.service"), False),
        (EventKind.STOPPED_BY_US, X, True), (EventKind.STOPPED_ELSEWHERE, (S, "y.service"), False)]
    assert idle.armed() == {}
    await services.close()


async def test_the_daemons_already_in_the_table_are_taken_up(services: Services) -> None:
    set_state(services.monitor.table, S, "x", DaemonState.RUNNING)  # before anything listens
    services.open_history()
    idle = services.start_idle(FakeNotifier(answer=None), window_for)
    assert services.recorder is not None
    await services.recorder.settle()
    assert idle.armed() == {X: WINDOW}
    assert services.store is not None
    assert [r.service for r in services.store.open_runs("system", "x.service")] == ["x.service"]
    await services.close()


async def test_the_idle_watchers_stop_goes_on_the_ledger_as_idle(
        services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = hold_actions(services, monkeypatch)
    heard: list[tuple[Key, Entry]] = []
    services.ledger.listen(lambda key, entry: heard.append((key, entry)))
    task = services.stop_idle(S, "x.service")
    await until_async(lambda: services.ledger.in_flight(X), what="the stop on the ledger")
    entry = services.ledger.ours(X)
    assert entry is not None and (entry.action, entry.why) == (Action.STOP, EndReason.IDLE)
    gate.set()
    assert (await task).ok
    assert [(k, e.action, e.why, e.in_flight) for k, e in heard] == [
        (X, Action.STOP, EndReason.IDLE, True), (X, Action.STOP, EndReason.IDLE, False)]


async def test_the_stop_before_sleep_is_the_controllers_never_asking_and_heard(
        services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """One pipeline (issue 21): the stop before sleep goes through the controller, on
    the ledger as the idle watcher's, non-interactive, and its outcome reaches the
    listeners like any other (marked as the idle watcher's own)."""
    gate = hold_actions(services, monkeypatch)
    told: list[Outcome] = []
    services.controller.listen(told.append)
    task = services.stop_before_sleep(S, "x.service")
    await until_async(lambda: services.ledger.in_flight(X), what="the stop on the ledger")
    entry = services.ledger.ours(X)
    assert entry is not None and (entry.action, entry.why) == (Action.STOP, EndReason.IDLE)
    gate.set()
    outcome = await task
    assert outcome.message == "Done, asking no password."
    assert told == [outcome] and outcome.asked_by_idle


async def test_without_a_store_there_is_no_recorder_and_the_idle_watcher_still_runs(
        data_home: Path) -> None:
    data_home.parent.mkdir(parents=True, exist_ok=True)
    data_home.write_text("not a directory")  # the store cannot be made under it
    services = Services([S])
    services.monitor.table.replace(S, units("x", DaemonState.RUNNING, DaemonMode.ON_DEMAND))
    services.stats = FakeStats(services.monitor.table)  # type: ignore[assignment]
    warning = services.open_history()
    assert warning is not None and "not recorded" in warning
    assert services.store is None and services.recorder is None
    assert services.history_problem == warning
    idle = services.start_idle(FakeNotifier(answer=None), window_for)
    assert idle.armed() == {X: WINDOW}
    services.ledger.begin(X, Action.STOP)  # no store to write the intent to: no error
    services.ledger.end(X)
    await services.close()
    assert services.idle is None


# -- intents: our stops, for the recorders of other processes ------------------------------


def intent(store: Store, at: float, *names: str) -> EndReason | None:
    return store.intent("system", names or ("x.service",), at)


@pytest.mark.parametrize("record", [True, False])
async def test_a_stop_on_the_ledger_is_an_intent_until_it_ends(services: Services,
                                                               record: bool) -> None:
    services.open_history(record=record)
    assert (services.recorder is not None) is record
    store = services.store
    assert store is not None
    soon = time.time() + 10  # a stop that ends in 10 s is covered while the intent is open
    assert intent(store, soon) is None
    assert services.ledger.begin(X, Action.STOP)
    assert intent(store, soon) is EndReason.USER
    # Another process's store (the tray's, while the CLI acts) sees it too.
    other = Store(store.path)
    try:
        assert intent(other, soon) is EndReason.USER
    finally:
        other.close()
    services.ledger.end(X)
    assert intent(store, soon) is None  # settled: later stops are not covered
    assert intent(store, time.time()) is EndReason.USER  # the stop that just happened is
    await services.close()


async def test_the_idle_stop_is_noted_as_idle(services: Services,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    gate = hold_actions(services, monkeypatch)
    services.open_history()
    store = services.store
    assert store is not None
    task = services.stop_idle(S, "x.service")
    await until_async(lambda: services.ledger.in_flight(X), what="the stop on the ledger")
    soon = time.time() + 10
    assert intent(store, soon) is EndReason.IDLE
    gate.set()
    await task
    assert intent(store, soon) is None
    await services.close()


@pytest.mark.parametrize(("action", "noted"), [
    (Action.STOP, True), (Action.ON_DEMAND, True),  # both stop the service
    (Action.START, False), (Action.ALWAYS_ON, False),
])
async def test_only_stopping_actions_are_noted(services: Services, action: Action,
                                               noted: bool) -> None:
    services.open_history()
    store = services.store
    assert store is not None
    services.ledger.begin(X, action)
    assert (intent(store, time.time() + 10) is EndReason.USER) is noted
    services.ledger.end(X)
    await services.close()


# -- close -------------------------------------------------------------------------------


async def test_close_undoes_everything_in_reverse_order(
        services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    services.open_history()
    services.start_idle(FakeNotifier(answer=None), window_for)
    set_state(services.monitor.table, S, "x", DaemonState.RUNNING)
    recorder, idle, store = services.recorder, services.idle, services.store
    assert recorder is not None and idle is not None and store is not None
    await recorder.settle()
    assert idle.armed() == {X: WINDOW}
    path = store.path

    calls: list[str] = []

    def spy(obj: Any, name: str) -> None:
        original = getattr(obj, name)
        if inspect.iscoroutinefunction(original):
            async def wrapped_async(*args: Any, **kw: Any) -> Any:
                calls.append(f"{type(obj).__name__}.{name}")
                return await original(*args, **kw)
            monkeypatch.setattr(obj, name, wrapped_async)
        else:
            def wrapped(*args: Any, **kw: Any) -> Any:
                calls.append(f"{type(obj).__name__}.{name}")
                return original(*args, **kw)
            monkeypatch.setattr(obj, name, wrapped)

    for obj, name in [(idle, "close"), (recorder, "close"), (recorder, "settle"),
                      (services.monitor, "close"), (store, "close")]:
        spy(obj, name)
    recorder.clock = lambda: 2_000_000_000.0  # when close() says the run was last seen

    await services.close()

    assert calls == ["IdleWatcher.close", "Recorder.close", "Recorder.settle",
                     "Monitor.close", "Store.close"]
    assert services.store is None and services.recorder is None and services.idle is None
    assert idle.armed() == {}
    # The recorder's last write reached the file before the store was closed.
    reopened = Store(path)
    try:
        [run] = reopened.open_runs("system", "x.service")
        assert run.last_seen == 2_000_000_000.0
    finally:
        reopened.close()
    # Nothing listens any more: a change after close writes nothing, arms nothing.
    # (Dormant, then running again: a live watcher would arm a timer, a live
    # recorder would end this run and begin another.)
    set_state(services.monitor.table, S, "x", DaemonState.DORMANT)
    set_state(services.monitor.table, S, "x", DaemonState.RUNNING)
    await asyncio.sleep(0.05)
    assert idle.armed() == {}
    reopened = Store(path)
    try:
        assert [(r.invocation, r.ended_at) for r in reopened.runs()] == \
            [(run.invocation, run.ended_at)]
    finally:
        reopened.close()


async def test_close_twice_and_close_before_opening_are_harmless(services: Services) -> None:
    await services.close()
    services.open_history()
    await services.close()
    await services.close()
    assert services.store is None


async def test_close_lets_an_action_under_way_finish_before_the_buses_close(
        services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """Quit, logout or ^C during a switch: the switch ends (or rolls back) on a
    live bus; it is not cut off half way (found in review)."""
    gate = hold_actions(services, monkeypatch)
    closed: list[str] = []
    monkeypatch.setattr(services.monitor, "close", lambda: closed.append("monitor"))
    task = services.controller.request(S, "x.service", Action.ON_DEMAND)
    await asyncio.sleep(0)
    closing = asyncio.get_running_loop().create_task(services.close())
    await asyncio.sleep(0.05)
    assert closed == [] and not task.done()  # close waits for the action
    gate.set()
    await closing
    assert task.done() and task.result().ok and closed == ["monitor"]
