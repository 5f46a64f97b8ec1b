"""Named events (core/events.py): every state transition, and the hub that hands them out."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from tests.support import set_state, table_with
from trayapp.core.events import LIFE_EVENTS, Event, EventHub, EventKind, events_of, state_event
from trayapp.core.keys import Key
from trayapp.core.model import Daemon, DaemonMode, DaemonState, Manager
from trayapp.core.table import Change

S = Manager.SYSTEM
K = EventKind
D = DaemonState
STOP = "stop"  # in the grid below: STOPPED_BY_US when ours, else STOPPED_ELSEWHERE

# Every (old, new) pair of states, and what it is called.
GRID: dict[tuple[DaemonState, DaemonState], EventKind | str | None] = {
    (D.DORMANT, D.DORMANT): None,
    (D.DORMANT, D.OFF): None,  # the socket stopped listening
    (D.DORMANT, D.STARTING): K.WOKE,
    (D.DORMANT, D.RUNNING): K.WOKE,
    (D.DORMANT, D.STOPPING): K.STOPPING,
    (D.DORMANT, D.FAILED): K.FAILED,  # the socket failed: there was no process
    (D.OFF, D.DORMANT): None,  # a socket started listening
    (D.OFF, D.OFF): None,
    (D.OFF, D.STARTING): K.STARTED,
    (D.OFF, D.RUNNING): K.STARTED,
    (D.OFF, D.STOPPING): K.STOPPING,
    (D.OFF, D.FAILED): K.FAILED,
    (D.STARTING, D.DORMANT): STOP,
    (D.STARTING, D.OFF): STOP,
    (D.STARTING, D.STARTING): None,
    (D.STARTING, D.RUNNING): K.BECAME_ACTIVE,
    (D.STARTING, D.STOPPING): K.STOPPING,
    (D.STARTING, D.FAILED): K.CRASHED,
    (D.RUNNING, D.DORMANT): STOP,
    (D.RUNNING, D.OFF): STOP,
    (D.RUNNING, D.STARTING): None,  # a reload, as systemd reports it
    (D.RUNNING, D.RUNNING): None,
    (D.RUNNING, D.STOPPING): K.STOPPING,
    (D.RUNNING, D.FAILED): K.CRASHED,
    (D.STOPPING, D.DORMANT): STOP,
    (D.STOPPING, D.OFF): STOP,
    (D.STOPPING, D.STARTING): K.STARTED,
    (D.STOPPING, D.RUNNING): K.STARTED,
    (D.STOPPING, D.STOPPING): None,
    (D.STOPPING, D.FAILED): K.CRASHED,
    (D.FAILED, D.DORMANT): None,
    (D.FAILED, D.OFF): None,  # reset-failed
    (D.FAILED, D.STARTING): K.STARTED,
    (D.FAILED, D.RUNNING): K.STARTED,
    (D.FAILED, D.STOPPING): K.STOPPING,
    (D.FAILED, D.FAILED): None,
}


def expected(old: DaemonState, new: DaemonState, ours: bool) -> EventKind | None:
    want = GRID[(old, new)]
    if want == STOP:
        return K.STOPPED_BY_US if ours else K.STOPPED_ELSEWHERE
    assert want is None or isinstance(want, EventKind)
    return want


def test_the_grid_covers_every_pair_of_states() -> None:
    assert set(GRID) == {(a, b) for a in DaemonState for b in DaemonState}


@pytest.mark.parametrize("ours", [False, True], ids=["elsewhere", "ours"])
@pytest.mark.parametrize(("old", "new"), list(GRID), ids=[f"{a}->{b}" for a, b in GRID])
def test_state_event(old: DaemonState, new: DaemonState, ours: bool) -> None:
    assert state_event(old, new, ours) is expected(old, new, ours)


@pytest.mark.parametrize(("old", "new", "kind"), [
    (D.DORMANT, D.STARTING, K.WOKE),
    (D.STARTING, D.RUNNING, K.BECAME_ACTIVE),
    (D.OFF, D.RUNNING, K.STARTED),
    (D.FAILED, D.RUNNING, K.STARTED),
    (D.RUNNING, D.STOPPING, K.STOPPING),
    (D.RUNNING, D.DORMANT, K.STOPPED_ELSEWHERE),
    (D.STOPPING, D.DORMANT, K.STOPPED_ELSEWHERE),
    (D.RUNNING, D.FAILED, K.CRASHED),
    (D.DORMANT, D.FAILED, K.FAILED),
])
def test_the_named_transitions(old: DaemonState, new: DaemonState, kind: EventKind) -> None:
    # The transitions the brief of issue 10 names, spelt out once more by hand.
    assert state_event(old, new, stop_ours=False) is kind


@pytest.mark.parametrize("old", [D.RUNNING, D.STOPPING])
@pytest.mark.parametrize("new", [D.DORMANT, D.OFF])
def test_a_stop_on_record_is_ours(old: DaemonState, new: DaemonState) -> None:
    assert state_event(old, new, stop_ours=True) is K.STOPPED_BY_US
    assert state_event(old, new, stop_ours=False) is K.STOPPED_ELSEWHERE


# -- events_of: whole changes ------------------------------------------------------------


def daemon(state: DaemonState = D.DORMANT, mode: DaemonMode = DaemonMode.ON_DEMAND) -> Daemon:
    [d] = table_with(("x", D.DORMANT, DaemonMode.ON_DEMAND)).daemons()
    return dataclasses.replace(d, state=state, mode=mode)


@pytest.mark.parametrize("ours", [False, True])
@pytest.mark.parametrize(("old", "new"), list(GRID), ids=[f"{a}->{b}" for a, b in GRID])
def test_events_of_a_state_change(old: DaemonState, new: DaemonState, ours: bool) -> None:
    before, after = daemon(old), daemon(new)
    events = events_of(Change(before, after, 12.5), ours)
    kind = expected(old, new, ours)
    assert events == ([] if kind is None else [Event(kind, after, before, 12.5, ours)])


def test_a_mode_change_alone() -> None:
    before, after = daemon(D.DORMANT), daemon(D.DORMANT, DaemonMode.ALWAYS_ON)
    assert events_of(Change(before, after, 1.0)) == [
        Event(K.MODE_CHANGED, after, before, 1.0, False)]


def test_a_mode_change_and_a_state_change_are_two_events() -> None:
    before = daemon(D.DORMANT, DaemonMode.ON_DEMAND)
    after = daemon(D.RUNNING, DaemonMode.ALWAYS_ON)
    events = events_of(Change(before, after, 2.0), ours=True)
    assert [e.kind for e in events] == [K.MODE_CHANGED, K.WOKE]
    assert all(e.ours and e.previous == before and e.daemon == after for e in events)


def test_a_change_of_nothing_named_has_no_event() -> None:
    before = daemon(D.RUNNING)
    after = dataclasses.replace(before, memory_bytes=123)
    assert events_of(Change(before, after, 3.0)) == []


@pytest.mark.parametrize("ours", [False, True])
def test_added_and_removed(ours: bool) -> None:
    d = daemon(D.RUNNING)
    [appeared] = events_of(Change(None, d, 4.0), ours)
    assert appeared == Event(K.APPEARED, d, None, 4.0, ours)
    [vanished] = events_of(Change(d, None, 5.0), ours)
    assert vanished == Event(K.VANISHED, d, d, 5.0, ours)
    assert vanished.key == (S, "x.service")


def test_life_events_are_what_the_recorder_and_idle_watcher_need() -> None:
    assert K.MODE_CHANGED not in LIFE_EVENTS and K.FAILED not in LIFE_EVENTS
    assert set(EventKind) - LIFE_EVENTS == {K.MODE_CHANGED, K.FAILED}


# -- the hub ---------------------------------------------------------------------------


class Ours:
    """The hub's ``ours`` callback: a set of keys, and the keys it was asked about."""

    def __init__(self) -> None:
        self.keys: set[Key] = set()
        self.asked: list[Key] = []

    def __call__(self, key: Key) -> bool:
        self.asked.append(key)
        return key in self.keys


def rig() -> tuple[EventHub, Ours, list[Event]]:
    ours = Ours()
    hub = EventHub(ours=ours)
    heard: list[Event] = []
    hub.subscribe(EventKind, heard.append)
    return hub, ours, heard


def test_the_hub_names_a_real_tables_changes() -> None:
    table = table_with(("x", D.DORMANT, DaemonMode.ON_DEMAND))
    hub, _, heard = rig()
    table.listen(hub.publish)
    for state in (D.STARTING, D.RUNNING, D.STOPPING, D.DORMANT, D.RUNNING, D.FAILED, D.OFF):
        set_state(table, S, "x", state)
    table.remove(S, "x.socket")
    table.remove(S, "x.service")
    # failed -> off (reset) is nothing named; without its socket it is no daemon.
    assert [e.kind for e in heard] == [K.WOKE, K.BECAME_ACTIVE, K.STOPPING,
                                       K.STOPPED_ELSEWHERE, K.WOKE, K.CRASHED, K.VANISHED]
    assert all(e.key == (S, "x.service") for e in heard)


def test_the_hub_delivers_only_the_kinds_asked_for() -> None:
    hub = EventHub()
    wakes: list[Event] = []
    stops: list[Event] = []
    hub.subscribe([K.WOKE], wakes.append)
    hub.subscribe({K.STOPPED_ELSEWHERE, K.STOPPED_BY_US}, stops.append)
    hub.publish([Change(daemon(D.DORMANT), daemon(D.RUNNING), 1.0),
                 Change(daemon(D.RUNNING), daemon(D.STOPPING), 2.0),
                 Change(daemon(D.STOPPING), daemon(D.DORMANT), 3.0),
                 Change(None, daemon(D.DORMANT), 4.0)])
    assert [(e.kind, e.at) for e in wakes] == [(K.WOKE, 1.0)]
    assert [(e.kind, e.at) for e in stops] == [(K.STOPPED_ELSEWHERE, 3.0)]


def test_the_hub_marks_ours_from_its_callback() -> None:
    hub, ours, heard = rig()
    ours.keys.add((S, "x.service"))
    hub.publish([Change(daemon(D.RUNNING), daemon(D.DORMANT), 1.0)])
    ours.keys.clear()
    hub.publish([Change(daemon(D.DORMANT), daemon(D.RUNNING), 2.0),
                 Change(daemon(D.RUNNING), daemon(D.DORMANT), 3.0)])
    assert [(e.kind, e.ours) for e in heard] == [
        (K.STOPPED_BY_US, True), (K.WOKE, False), (K.STOPPED_ELSEWHERE, False)]
    assert ours.asked == [(S, "x.service")] * 3


def test_the_hub_asks_about_a_vanished_daemon_by_its_key() -> None:
    hub, ours, heard = rig()
    ours.keys.add((S, "x.service"))
    hub.publish([Change(daemon(D.RUNNING), None, 1.0)])
    assert [(e.kind, e.ours) for e in heard] == [(K.VANISHED, True)]


def test_a_subscriber_that_raises_does_not_stop_the_others(
        caplog: pytest.LogCaptureFixture) -> None:
    hub = EventHub()
    before: list[Event] = []
    after: list[Event] = []

    def broken(event: Event) -> None:
        raise RuntimeError("boom")

    hub.subscribe([K.WOKE], before.append)
    hub.subscribe([K.WOKE], broken)
    hub.subscribe([K.WOKE], after.append)
    with caplog.at_level(logging.ERROR, logger="trayapp.core.events"):
        hub.publish([Change(daemon(D.DORMANT), daemon(D.RUNNING), 1.0),
                     Change(daemon(D.RUNNING), daemon(D.DORMANT), 2.0),
                     Change(daemon(D.DORMANT), daemon(D.STARTING), 3.0)])
    assert [e.at for e in before] == [1.0, 3.0]
    assert [e.at for e in after] == [1.0, 3.0]  # the next events still came through too
    assert sum("woke" in r.getMessage() for r in caplog.records) == 2


def test_unsubscribe() -> None:
    hub = EventHub()
    kept: list[Event] = []
    dropped: list[Event] = []
    hub.subscribe([K.WOKE], kept.append)
    unsubscribe = hub.subscribe([K.WOKE], dropped.append)
    hub.publish([Change(daemon(D.DORMANT), daemon(D.RUNNING), 1.0)])
    unsubscribe()
    hub.publish([Change(daemon(D.DORMANT), daemon(D.RUNNING), 2.0)])
    assert [e.at for e in kept] == [1.0, 2.0]
    assert [e.at for e in dropped] == [1.0]


def test_a_subscriber_may_unsubscribe_while_hearing_an_event() -> None:
    hub = EventHub()
    heard: list[float] = []
    others: list[float] = []

    def once(event: Event) -> None:
        heard.append(event.at)
        unsubscribe()

    unsubscribe = hub.subscribe([K.WOKE], once)
    hub.subscribe([K.WOKE], lambda e: others.append(e.at))
    hub.publish([Change(daemon(D.DORMANT), daemon(D.RUNNING), 1.0),
                 Change(daemon(D.DORMANT), daemon(D.RUNNING), 2.0)])
    assert heard == [1.0] and others == [1.0, 2.0]
