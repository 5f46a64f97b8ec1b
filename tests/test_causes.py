"""True causes (issue 11): events named with the service's Job and Result, the words
of each notice, who woke a daemon (core/causes.py), and the causes use case
(usecases/causes.py) that looks it up once for the recorder, the notices and the
status window.

The table is fed what systemd's signals carry (seen on systemd 252 in the testbed):
a stop someone asked for shows ``Job`` non-zero on the service before and even
in the signal that says ``inactive``, then ``Job=0``; a process that exits by
itself has no job, and its ``Result`` says success or why not.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence

import pytest

from tests.support import Clock, FakeNotifier, table_with
from trayapp.adapters.dbus.units import fields_from_properties
from trayapp.core.causes import Cause, Client, Wakers
from trayapp.core.events import Event, EventHub, EventKind, state_event
from trayapp.core.ledger import Ledger
from trayapp.core.model import DaemonMode, DaemonState, Manager
from trayapp.core.notices import Notices
from trayapp.core.plans import Action
from trayapp.core.table import DaemonTable
from trayapp.usecases.announce import Announcer
from trayapp.usecases.causes import Causes

S = Manager.SYSTEM
X = (S, "x.service")
D = DaemonState
K = EventKind
ALICE = Wakers(1, (Client(4242, "docker", "alice"),))

# -- naming: job and result ------------------------------------------------------------


@pytest.mark.parametrize(("job", "result", "kind"), [
    (False, "success", K.EXITED),  # an idle timeout: went back to sleep
    (True, "success", K.STOPPED_ELSEWHERE),  # someone's stop job
    (False, "signal", K.CRASHED),
    (False, "exit-code", K.CRASHED),
    (True, "signal", K.STOPPED_ELSEWHERE),  # a stop that ended with a signal is still a stop
    (False, "", K.STOPPED_ELSEWHERE),  # Result not known: nothing more is claimed
])
@pytest.mark.parametrize("new", [D.DORMANT, D.OFF])
def test_an_end_is_named_by_job_and_result(job: bool, result: str, kind: EventKind,
                                           new: DaemonState) -> None:
    assert state_event(D.RUNNING, new, False, job=job, result=result) is kind
    assert state_event(D.STOPPING, new, False, job=job, result=result) is kind
    # Ours stays ours, whatever systemd says.
    assert state_event(D.RUNNING, new, True, job=job, result=result) is K.STOPPED_BY_US


def test_the_job_and_result_in_signals_reach_the_daemon() -> None:
    fields = fields_from_properties({"Job": [212, "/org/freedesktop/systemd1/job/212"],
                                     "Result": "success", "ActiveState": "active"})
    assert fields == {"job": 212, "result": "success", "active_state": "active"}
    assert fields_from_properties({"Job": (0, "/")}) == {"job": 0}
    assert fields_from_properties({"Job": "nonsense"}) == {}


class Signals:
    """A table fed systemd's signals for x.service, as the testbed showed them."""

    def __init__(self, state: DaemonState = D.RUNNING) -> None:
        self.table = table_with(("x", state, DaemonMode.ON_DEMAND))
        self.changes = 0
        self.table.listen(lambda changes: self._count(len(changes)))
        self.hub = EventHub()
        self.table.listen(self.hub.publish)
        self.heard: list[Event] = []
        self.hub.subscribe(EventKind, self.heard.append)

    def _count(self, n: int) -> None:
        self.changes += n

    def service(self, **fields: object) -> None:
        self.table.update(S, "x.service", fields)

    def kinds(self) -> list[EventKind]:
        return [e.kind for e in self.heard]


def test_systemctl_stop_is_a_stop_by_someone_else() -> None:
    s = Signals()
    s.service(result="success")
    s.service(job=212)  # the job is queued: still active
    s.service(active_state="deactivating")
    s.service(active_state="inactive")  # the job still shows here...
    s.service(job=0)  # ...and is gone in the next signal
    assert s.kinds() == [K.STOPPING, K.STOPPED_ELSEWHERE]


def test_the_job_seen_before_counts_when_the_last_signal_has_none() -> None:
    s = Signals()
    s.service(job=212, result="success")
    s.service(active_state="inactive", job=0)
    assert s.kinds() == [K.STOPPED_ELSEWHERE]


def test_an_exit_on_its_own_went_back_to_sleep_and_a_segfault_crashed() -> None:
    s = Signals()
    s.service(result="success")
    s.service(active_state="inactive", job=0)
    assert s.kinds() == [K.EXITED]
    s2 = Signals()
    s2.service(result="signal")  # the Service interface's signal comes first
    s2.service(active_state="failed")
    assert s2.kinds() == [K.CRASHED]


def test_job_and_result_alone_are_no_table_change() -> None:
    s = Signals()
    s.service(job=212)
    s.service(result="exit-code")
    s.service(job=0, result="success")
    assert s.changes == 0 and s.heard == []
    d = s.table.daemon(*X)
    assert d is not None and (d.job, d.result) == (False, "success")


# -- words -----------------------------------------------------------------------------


def test_wakers_words() -> None:
    assert ALICE.text() == "docker (PID 4242, alice)"
    assert ALICE.history_text() == "docker (pid 4242)"  # the history's column, as before
    other = Wakers(2)
    assert other.woken and other.text() == "a process of another user"
    assert other.history_text() is None
    assert not Wakers().woken and Wakers().text() == "no client"


def test_cause_lines() -> None:
    at = 1_700_000_000.0
    hm = time.strftime("%H:%M", time.localtime(at))
    assert Cause(EventKind.WOKE, at, ALICE).line() == f"woken by docker (PID 4242, alice) at {hm}"
    assert Cause(EventKind.WOKE, at, Wakers()).line() == f"started at {hm}"
    assert Cause(EventKind.WOKE, at).line() == f"woke at {hm}"  # the lookup not back yet
    assert Cause(EventKind.EXITED, at).line() == f"went back to sleep at {hm}"
    assert Cause(EventKind.CRASHED, at, result="core-dump").line() == f"crashed (core-dump) at {hm}"
    assert Cause(EventKind.CRASHED, at).line() == f"failed at {hm}"


class Told:
    """Notices decided on the events of a Signals table (no debouncing in the way)."""

    def __init__(self, state: DaemonState = D.RUNNING) -> None:
        self.s = Signals(state)
        self.notices = Notices(clock=Clock(), quiet=0)

    def titles(self, wakers: Wakers | None = None) -> list[tuple[str, str]]:
        told = self.notices.decide(self.s.heard)
        return [n.with_wakers(wakers).words() for n in told]


def test_notice_words_for_each_cause() -> None:
    t = Told(D.DORMANT)
    t.s.service(active_state="active")
    [(title, body)] = t.titles(ALICE)
    assert title == "x woke up"
    assert body == "Woken by docker (PID 4242, alice)."
    t = Told(D.DORMANT)
    t.s.service(active_state="active")
    [(title, body)] = t.titles(Wakers())
    assert title == "x started" and body.startswith("No client was waiting")
    t = Told(D.DORMANT)
    t.s.service(active_state="active")
    assert t.titles(None)[0][0] == "x woke up"  # could not tell: no claim either way
    t = Told(D.DORMANT)
    t.s.service(active_state="active")  # a run seen from its start (core/notices.py)
    t.s.service(result="success")
    t.s.service(active_state="inactive")
    [_, (title, body)] = t.titles()
    assert title == "x went back to sleep" and "exited on its own" in body
    t = Told()
    t.s.service(job=7)
    t.s.service(active_state="inactive", job=0)
    assert t.titles()[0][0] == "x was stopped"
    t = Told()
    t.s.service(result="signal")
    t.s.service(active_state="failed")
    [(title, body)] = t.titles()
    assert title == "x crashed" and "ended with a signal" in body
    assert "journalctl -u x.service" in body  # the unit name where it helps


# -- the use case: one lookup, shared ------------------------------------------------


class Finder:
    """A fake wakers.find: counts its calls, answers once released."""

    def __init__(self, answer: Wakers | None) -> None:
        self.answer = answer
        self.calls: list[Sequence[tuple[str, str]]] = []
        self.release = threading.Event()

    def __call__(self, listen: Sequence[tuple[str, str]]) -> Wakers | None:
        self.calls.append(listen)
        self.release.wait(5)
        return self.answer


def wired(answer: Wakers | None) -> tuple[DaemonTable, Causes, Finder, FakeNotifier, Announcer]:
    table = table_with(("x", D.DORMANT, DaemonMode.ON_DEMAND))
    table.update(S, "x.socket", {"listen": (("Stream", "/run/x.sock"),)})
    ledger = Ledger()
    hub = EventHub(ours=lambda k: ledger.ours(k) is not None)
    table.listen(hub.publish)
    finder = Finder(answer)
    causes = Causes(table, find=finder)
    causes.start(hub)
    notifier = FakeNotifier()
    announcer = Announcer(notifier, lambda d: True, lambda m, s, a: None,
                          Notices(quiet=0), causes=causes)
    announcer.start(hub)
    return table, causes, finder, notifier, announcer


def kind_of(causes: Causes) -> EventKind | None:
    last = causes.last(X)
    return last.kind if last is not None else None


async def test_a_wake_is_told_once_the_one_lookup_names_the_client() -> None:
    table, causes, finder, notifier, announcer = wired(ALICE)
    table.update(S, "x.service", {"active_state": "active"})
    await asyncio.sleep(0.01)
    assert notifier.shown == []  # not before who woke it is known
    assert str(causes.line(X)).startswith("woke at")
    finder.release.set()
    await announcer.settle()
    assert [(n["title"], n["body"]) for n in notifier.shown] == [
        ("x woke up", "Woken by docker (PID 4242, alice).")]
    assert [a for a, _ in notifier.shown[0]["actions"]] == [Action.STOP, Action.ALWAYS_ON]
    assert finder.calls == [[("Stream", "/run/x.sock")]]  # once, with the socket's address
    assert await causes.wakers(X) == ALICE  # the recorder's read: the same answer, no rescan
    assert len(finder.calls) == 1
    assert str(causes.line(X)).startswith("woken by docker (PID 4242, alice) at")


async def test_a_crash_while_the_wake_waits_for_its_lookup_is_not_replaced_by_it() -> None:
    """Both carry the daemon's tag: the late wake would replace the crash's
    bubble with a "woken by" and a Stop button (found in review)."""
    table, _causes, finder, notifier, announcer = wired(ALICE)
    table.update(S, "x.service", {"active_state": "active"})
    await asyncio.sleep(0.01)
    table.update(S, "x.service", {"active_state": "failed", "result": "signal"})
    finder.release.set()
    await announcer.settle()
    assert [n["title"] for n in notifier.shown] == ["x crashed"]


async def test_a_start_without_a_client_is_told_as_started() -> None:
    table, causes, finder, notifier, announcer = wired(Wakers())
    finder.release.set()
    table.update(S, "x.service", {"active_state": "active"})
    await announcer.settle()
    assert [n["title"] for n in notifier.shown] == ["x started"]
    assert kind_of(causes) is EventKind.WOKE
    last = causes.last(X)
    assert last is not None and last.started and not last.woken


async def test_the_last_cause_follows_the_events() -> None:
    table, causes, finder, notifier, announcer = wired(ALICE)
    finder.release.set()
    table.update(S, "x.service", {"active_state": "active", "result": "success"})
    await announcer.settle()
    table.update(S, "x.service", {"active_state": "inactive"})
    assert kind_of(causes) is EventKind.EXITED
    assert notifier.shown[-1]["title"] == "x went back to sleep"
