"""Notification decisions, stepped through transitions with a frozen clock (SafeEyes-style).

A real table feeds a real EventHub whose ``ours`` is a real Ledger (as in
trayapp/services.py); Notices decides on every event the hub names.
"""

from __future__ import annotations

from tests.support import Clock, set_state, units
from trayapp.core.events import Event, EventHub, EventKind
from trayapp.core.ledger import Ledger
from trayapp.core.model import DaemonMode, DaemonState, Manager
from trayapp.core.notices import NEWS, Notice, NoticeKind, Notices
from trayapp.core.plans import Action
from trayapp.core.table import DaemonTable

S = Manager.SYSTEM
KEY = (S, "podman.service")
D = DaemonState


class Rig:
    """A real table, its events fed to Notices, the clock stepped by hand."""

    def __init__(self, state: DaemonState = D.DORMANT,
                 mode: DaemonMode = DaemonMode.ON_DEMAND) -> None:
        self.clock = Clock()
        self.notices = Notices(clock=self.clock, quiet=60)
        self.ledger = Ledger(clock=self.clock, grace=10)
        self.table = DaemonTable(clock=self.clock)
        self.table.replace(S, units("podman", state, mode))
        self.told: list[Notice] = []
        self.events: list[Event] = []
        self.hub = EventHub(ours=lambda k: self.ledger.ours(k) is not None)
        self.table.listen(self.hub.publish)
        self.hub.subscribe(EventKind, self._heard)  # every kind: Notices picks its news

    def _heard(self, event: Event) -> None:
        self.events.append(event)
        self.told += self.notices.decide([event])

    def to(self, state: DaemonState, at: float, result: str = "") -> list[NoticeKind]:
        self.clock.now = at
        before = len(self.told)
        set_state(self.table, S, "podman", state, result)
        return [n.kind for n in self.told[before:]]


def test_startup_snapshot_is_not_news() -> None:
    rig = Rig(D.FAILED)
    assert rig.told == []


def test_the_end_of_a_run_under_way_at_start_is_not_news() -> None:
    """Issue 23, finding 5: "libvirtd went back to sleep", unasked, right after the
    applet started: the run began before it watched.  A crash is still told, and the
    next run's sleep, whose wake was seen, is told too."""
    rig = Rig(D.RUNNING)
    assert rig.to(D.DORMANT, 1, result="success") == []
    assert rig.to(D.RUNNING, 100) == [NoticeKind.WOKEN]
    assert rig.to(D.DORMANT, 200, result="success") == [NoticeKind.SLEPT]
    crashing = Rig(D.RUNNING)
    assert crashing.to(D.FAILED, 1, result="signal") == [NoticeKind.FAILED]


def test_wake_is_told_with_stop_and_keep_buttons() -> None:
    rig = Rig()
    assert rig.to(D.STARTING, 1) == [NoticeKind.WOKEN]
    notice = rig.told[-1]
    assert notice.previous is D.DORMANT
    assert [a for a, _ in notice.actions] == [Action.STOP, Action.ALWAYS_ON]
    assert [label for _, label in notice.actions] == ["Stop now", "Keep always on"]
    # Words a user says: a short title, one sentence, no unit names.
    assert (notice.title, notice.body) == ("podman woke up", "Who woke it is not known.")
    assert rig.to(D.RUNNING, 2) == []  # starting -> running is the same wake


def test_podman_churn_is_one_notification_per_burst() -> None:
    rig = Rig()
    t = 0.0
    kinds: list[NoticeKind] = []
    # podman exits by itself 5 s after its last client and is woken again: ten cycles.
    for _ in range(10):
        kinds += rig.to(D.RUNNING, t)
        kinds += rig.to(D.DORMANT, t + 5, result="success")
        t += 20
    assert kinds == [NoticeKind.WOKEN]
    # Quiet for more than 60 s since the last change: a new burst, a new notice.
    assert rig.to(D.RUNNING, t + 61) == [NoticeKind.WOKEN]


def test_quiet_period_counts_from_the_last_change() -> None:
    rig = Rig()
    assert rig.to(D.RUNNING, 0) == [NoticeKind.WOKEN]
    assert rig.to(D.DORMANT, 50, result="success") == []
    assert rig.to(D.RUNNING, 100) == []  # 50 s after the last change: same burst
    assert rig.to(D.DORMANT, 161) == [NoticeKind.SLEPT]  # Result= is still success


def test_the_first_wake_after_a_stop_is_always_told() -> None:
    """Issue 23, finding 6: PostgreSQL stopped from the tray, woken by pg_isready 21 s
    later: the wake was folded into the burst of the wake before, and not told."""
    rig = Rig()
    assert rig.to(D.RUNNING, 0) == [NoticeKind.WOKEN]
    assert rig.ledger.begin(KEY, Action.STOP)  # the tray's stop
    assert rig.to(D.DORMANT, 10) == []  # ours: the action's result says it
    rig.ledger.end(KEY)
    assert rig.to(D.RUNNING, 31) == [NoticeKind.WOKEN]  # 21 s later: told
    # Someone else's stop inside a burst is folded as before, but it ends the burst.
    assert rig.to(D.DORMANT, 40) == []
    assert rig.to(D.RUNNING, 45) == [NoticeKind.WOKEN]
    # A daemon that sleeps by itself and wakes again is still one burst.
    assert rig.to(D.DORMANT, 50, result="success") == []
    assert rig.to(D.RUNNING, 55) == []


def test_failure_escalates_inside_a_burst_once() -> None:
    rig = Rig()
    assert rig.to(D.RUNNING, 0) == [NoticeKind.WOKEN]
    assert rig.to(D.FAILED, 3) == [NoticeKind.FAILED]
    assert rig.told[-1].actions == ((Action.START, "Start again"),)
    assert rig.to(D.RUNNING, 10) == []
    assert rig.to(D.FAILED, 20) == []  # already told in this burst


def test_unexpected_stop_says_whether_the_socket_still_listens() -> None:
    rig = Rig(D.RUNNING, DaemonMode.ALWAYS_ON)
    assert rig.to(D.OFF, 0) == [NoticeKind.STOPPED]
    assert rig.told[-1].title == "podman was stopped"
    assert "nothing listens" in rig.told[-1].body
    rig2 = Rig(D.RUNNING)
    assert rig2.to(D.DORMANT, 0) == [NoticeKind.STOPPED]
    assert "still listens" in rig2.told[-1].body


def test_changes_from_our_own_actions_are_not_news() -> None:
    rig = Rig(D.RUNNING, DaemonMode.ALWAYS_ON)
    assert rig.ledger.begin(KEY, Action.STOP)
    assert rig.to(D.STOPPING, 0) == []
    assert rig.to(D.OFF, 1) == []
    rig.ledger.end(KEY)  # the action ended at t=1; systemd's last signal comes late
    assert rig.to(D.DORMANT, 2) == []
    assert rig.to(D.RUNNING, 5) == []  # within the grace period
    # After the grace period a wake is news again (no burst was started by ours).
    assert rig.to(D.DORMANT, 30) == [NoticeKind.STOPPED]


def test_other_daemons_have_their_own_bursts() -> None:
    rig = Rig()
    rig.table.replace(S, units("podman", D.DORMANT, DaemonMode.ON_DEMAND)
                      + units("docker", D.DORMANT, DaemonMode.ON_DEMAND))  # fmt: skip
    assert rig.to(D.RUNNING, 0) == [NoticeKind.WOKEN]
    rig.clock.now = 1
    set_state(rig.table, S, "docker", D.RUNNING)
    assert [n.daemon.name for n in rig.told] == ["podman", "docker"]


def test_a_daemon_appearing_failed_at_a_resync_is_not_news() -> None:
    rig = Rig()
    rig.table.replace(S, units("podman", D.DORMANT, DaemonMode.ON_DEMAND)
                      + units("docker", D.FAILED, DaemonMode.ON_DEMAND))  # fmt: skip
    assert [e.kind for e in rig.events] == [EventKind.APPEARED]
    assert rig.told == []


def test_only_the_news_kinds_are_told() -> None:
    assert set(NEWS) == {EventKind.WOKE, EventKind.EXITED, EventKind.STOPPED_ELSEWHERE,
                         EventKind.CRASHED, EventKind.FAILED}
    rig = Rig(D.OFF, DaemonMode.MANUAL)

    def service(active: str, at: float, unit: str = "podman.service") -> list[NoticeKind]:
        # One unit at a time (set_state would pass through dormant on the way).
        rig.clock.now = at
        before = len(rig.told)
        rig.table.update(S, unit, {"active_state": active})
        return [n.kind for n in rig.told[before:]]

    assert service("active", 0) == []  # started by someone, no socket woke it: no news
    assert service("deactivating", 1) == []
    assert service("inactive", 2) == [NoticeKind.STOPPED]
    assert service("failed", 100, "podman.socket") == [NoticeKind.FAILED]
    assert [e.kind for e in rig.events] == [EventKind.STARTED, EventKind.STOPPING,
                                            EventKind.STOPPED_ELSEWHERE, EventKind.FAILED]


def test_events_marked_ours_are_no_news_whatever_their_kind() -> None:
    rig = Rig(D.RUNNING)
    rig.ledger.begin(KEY, Action.START)
    assert rig.to(D.FAILED, 0) == []  # our start failed: its outcome tells, not a notice
    assert rig.events[-1].kind is EventKind.CRASHED and rig.events[-1].ours
    rig.ledger.end(KEY)
    rig.clock.now = 11  # the grace period is over
    assert rig.to(D.DORMANT, 11) == []  # failed -> dormant is nothing named
    assert rig.to(D.RUNNING, 12) == [NoticeKind.WOKEN]  # no burst was started by ours


def test_every_notice_says_a_short_title_and_one_sentence() -> None:
    """Words a user says: the body does not repeat the title, names no unit
    (but the journal's, after a failure), and is one sentence."""
    import dataclasses
    import re

    from trayapp.core.causes import Client, Wakers

    [d] = [c.daemon for c in DaemonTable().replace(S, units("podman", D.DORMANT,
                                                          DaemonMode.ON_DEMAND))]
    seen = 0
    for event in NEWS:
        for state in (D.DORMANT, D.OFF, D.RUNNING, D.FAILED):
            for wakers in (None, Wakers(), Wakers(1, (Client(7, "curl", "bob"),))):
                for result in ("signal", "success"):
                    n = Notice(event, dataclasses.replace(d, state=state, result=result),
                               D.RUNNING, wakers=wakers)
                    kind = n.kind
                    title, body = n.words()
                    seen += 1
                    assert len(title) <= 30 and "." not in title, title
                    assert title.lower() not in body.lower(), (title, body)
                    sentence, *details = body.split("\n")
                    assert sentence.endswith(".") and sentence.count(". ") == 0, body
                    assert not re.findall(r"[\w-]+\.(?:service|socket)", sentence), body
                    if kind is NoticeKind.FAILED:  # the details line: where to look
                        assert details == ["Its log: journalctl -u podman.service"], body
                    else:
                        assert details == [], body
    assert seen == len(NEWS) * 4 * 3 * 2
