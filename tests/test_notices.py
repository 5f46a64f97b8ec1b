"""Notification decisions, stepped through transitions with a frozen clock (SafeEyes-style)."""

from __future__ import annotations

from tests.daemons import set_state, units
from trayapp.core.model import DaemonMode, DaemonState, Manager
from trayapp.core.notices import Notice, NoticeKind, Notices
from trayapp.core.plans import Action
from trayapp.core.table import Change, DaemonTable

S = Manager.SYSTEM
KEY = (S, "podman.service")
D = DaemonState


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Rig:
    """A real table, its changes fed to Notices, the clock stepped by hand."""

    def __init__(self, state: DaemonState = D.DORMANT,
                 mode: DaemonMode = DaemonMode.ON_DEMAND) -> None:
        self.clock = Clock()
        self.notices = Notices(clock=self.clock, quiet=60, grace=10)
        self.table = DaemonTable(clock=self.clock)
        self.table.replace(S, units("podman", state, mode))
        self.pending: set[tuple[Manager, str]] = set()
        self.told: list[Notice] = []
        self.table.listen(self._changes)

    def _changes(self, changes: list[Change]) -> None:
        self.told += self.notices.decide(changes, self.pending)

    def to(self, state: DaemonState, at: float) -> list[NoticeKind]:
        self.clock.now = at
        before = len(self.told)
        set_state(self.table, S, "podman", state)
        return [n.kind for n in self.told[before:]]


def test_startup_snapshot_is_not_news() -> None:
    rig = Rig(D.FAILED)
    assert rig.told == []


def test_wake_is_told_with_stop_and_keep_buttons() -> None:
    rig = Rig()
    assert rig.to(D.STARTING, 1) == [NoticeKind.WOKEN]
    notice = rig.told[-1]
    assert notice.previous is D.DORMANT
    assert [a for a, _ in notice.actions] == [Action.STOP, Action.ALWAYS_ON]
    assert [label for _, label in notice.actions] == ["Stop now", "Keep always on"]
    assert "woke" in notice.title and "podman.socket" in notice.body
    assert rig.to(D.RUNNING, 2) == []  # starting -> running is the same wake


def test_podman_churn_is_one_notification_per_burst() -> None:
    rig = Rig()
    t = 0.0
    kinds: list[NoticeKind] = []
    # podman exits 5 s after its last client and is woken again: ten cycles.
    for _ in range(10):
        kinds += rig.to(D.RUNNING, t)
        kinds += rig.to(D.DORMANT, t + 5)
        t += 20
    assert kinds == [NoticeKind.WOKEN]
    # Quiet for more than 60 s since the last change: a new burst, a new notice.
    assert rig.to(D.RUNNING, t + 61) == [NoticeKind.WOKEN]


def test_quiet_period_counts_from_the_last_change() -> None:
    rig = Rig()
    assert rig.to(D.RUNNING, 0) == [NoticeKind.WOKEN]
    assert rig.to(D.DORMANT, 50) == []
    assert rig.to(D.RUNNING, 100) == []  # 50 s after the last change: same burst
    assert rig.to(D.DORMANT, 161) == [NoticeKind.STOPPED]


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
    assert "stopped unexpectedly" in rig.told[-1].title
    assert "nothing listens" in rig.told[-1].body
    rig2 = Rig(D.RUNNING)
    assert rig2.to(D.DORMANT, 0) == [NoticeKind.STOPPED]
    assert "still listens" in rig2.told[-1].body


def test_changes_from_our_own_actions_are_not_news() -> None:
    rig = Rig(D.RUNNING, DaemonMode.ALWAYS_ON)
    rig.pending.add(KEY)
    assert rig.to(D.STOPPING, 0) == []
    assert rig.to(D.OFF, 1) == []
    rig.pending.clear()
    rig.notices.ours(KEY)  # the action ended at t=1; systemd's last signal comes late
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
