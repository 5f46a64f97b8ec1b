"""The ledger of our own actions (core/ledger.py), with a frozen clock stepped by hand."""

from __future__ import annotations

from tests.support import Clock
from trayapp.core.keys import Key
from trayapp.core.ledger import GRACE, Entry, Ledger
from trayapp.core.model import Manager
from trayapp.core.plans import Action
from trayapp.core.runs import EndReason

X: Key = (Manager.SYSTEM, "x.service")
Y: Key = (Manager.USER, "x.service")  # same unit, the user's manager: another daemon


def ledger(grace: float = 5.0) -> tuple[Ledger, Clock]:
    clock = Clock(100.0)
    return Ledger(clock=clock, grace=grace), clock


def test_the_default_grace() -> None:
    assert Ledger().grace == GRACE > 0


def test_begin_refuses_a_second_action_in_flight() -> None:
    book, _ = ledger()
    assert book.begin(X, Action.STOP)
    assert not book.begin(X, Action.START, EndReason.IDLE)
    assert book.in_flight(X) is Action.STOP
    entry = book.ours(X)
    assert entry == Entry(Action.STOP, EndReason.USER)  # the refused one left no trace
    assert book.begin(Y, Action.START)  # another daemon is free
    book.end(X)
    assert book.in_flight(X) is None
    assert book.begin(X, Action.START, EndReason.IDLE)  # ended: the next may begin
    assert book.ours(X) == Entry(Action.START, EndReason.IDLE)


def test_pending_is_every_action_in_flight() -> None:
    book, _ = ledger()
    assert book.pending() == {}
    book.begin(X, Action.STOP)
    book.begin(Y, Action.ON_DEMAND)
    assert book.pending() == {X: Action.STOP, Y: Action.ON_DEMAND}
    book.end(X)
    assert book.pending() == {Y: Action.ON_DEMAND}  # ended: on record, but not pending


def test_ours_in_flight_then_within_grace_then_gone() -> None:
    book, clock = ledger(grace=5.0)
    assert book.ours(X) is None
    book.begin(X, Action.STOP, EndReason.IDLE)
    clock.now = 1000.0  # however long the action takes
    entry = book.ours(X)
    assert entry is not None and entry.in_flight and entry.why is EndReason.IDLE
    book.end(X)
    clock.now = 1004.9
    late = book.ours(X)
    assert late is not None and not late.in_flight
    assert late == Entry(Action.STOP, EndReason.IDLE, ended_at=1000.0)
    clock.now = 1005.0  # grace seconds after the end: no longer ours
    assert book.ours(X) is None


def test_expired_entries_are_dropped() -> None:
    book, clock = ledger(grace=5.0)
    book.begin(X, Action.STOP)
    book.end(X)
    clock.now += 10
    assert book.ours(X) is None
    assert X not in book._entries  # the record stays bounded by the daemons
    clock.now -= 10  # even were the clock to go back, it is gone
    assert book.ours(X) is None


def test_end_without_begin_and_a_second_end_change_nothing() -> None:
    book, clock = ledger()
    heard: list[tuple[Key, Entry]] = []
    book.listen(lambda key, entry: heard.append((key, entry)))
    book.end(X)
    assert book.ours(X) is None and heard == []
    book.begin(X, Action.STOP)
    book.end(X)
    clock.now += 3
    book.end(X)  # the end is not moved later
    entry = book.ours(X)
    assert entry is not None and entry.ended_at == 100.0
    assert len(heard) == 2


def test_listeners_hear_begin_and_end() -> None:
    book, clock = ledger()
    first: list[tuple[Key, Entry]] = []
    second: list[tuple[Key, Entry]] = []
    book.listen(lambda key, entry: first.append((key, entry)))
    book.listen(lambda key, entry: second.append((key, entry)))
    book.begin(X, Action.STOP, EndReason.IDLE)
    assert not book.begin(X, Action.START)  # refused: nobody hears of it
    clock.now = 107.0
    book.end(X)
    assert first == [(X, Entry(Action.STOP, EndReason.IDLE)),
                     (X, Entry(Action.STOP, EndReason.IDLE, ended_at=107.0))]
    assert second == first
    assert first[0][1].in_flight and not first[1][1].in_flight


def test_a_listener_sees_the_ledger_already_changed() -> None:
    book, _ = ledger()
    seen: list[Action | None] = []
    book.listen(lambda key, entry: seen.append(book.in_flight(key)))
    book.begin(X, Action.STOP)
    book.end(X)
    assert seen == [Action.STOP, None]


def test_a_listener_that_raises_leaves_the_record_right() -> None:
    ledger = Ledger(clock=Clock(100.0))

    def broken(key: object, entry: object) -> None:
        raise RuntimeError("a broken listener")

    ledger.listen(broken)
    assert ledger.begin(X, Action.STOP)
    ledger.end(X)
    assert ledger.in_flight(X) is None  # not stuck "in flight" for good
    assert ledger.begin(X, Action.START)
