"""Which daemon changes deserve a notification, and which are noise.

Users asked for "no silent state changes" (docker/for-win#15044), but an
on-demand daemon churns: podman.service exits after 5 s idle and the next
client wakes it again, libvirt's daemons after 120 s.  So notifications come
per *burst*: the first noteworthy change of a daemon is announced, and
further ones are dropped until the daemon has been quiet for ``quiet``
seconds, unless the news gets worse (anything -> failed is always told, once
per burst).

Changes caused by our own actions are not announced here (the action's
result is): a daemon is "ours" while an action for it is pending and for
``grace`` seconds after it ended, because the table may hear systemd's
PropertiesChanged after the job's JobRemoved.

Pure: time comes from the injected clock, nothing is scheduled.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from enum import IntEnum

from .model import Daemon, DaemonState, Manager
from .plans import Action, allowed_actions
from .table import Change

Key = tuple[Manager, str]

_ASLEEP = frozenset({DaemonState.DORMANT})
_AWAKE = frozenset({DaemonState.STARTING, DaemonState.RUNNING})
_DOWN = frozenset({DaemonState.DORMANT, DaemonState.OFF})


class NoticeKind(IntEnum):
    """Ordered by severity: a later kind escalates an earlier one."""

    WOKEN = 1
    STOPPED = 2
    FAILED = 3


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    daemon: Daemon
    previous: DaemonState
    # Buttons to offer, in order: (action, label).
    actions: tuple[tuple[Action, str], ...] = ()

    @property
    def title(self) -> str:
        name = self.daemon.name
        if self.kind is NoticeKind.WOKEN:
            return f"{name} woke up"
        if self.kind is NoticeKind.FAILED:
            return f"{name} failed"
        return f"{name} stopped unexpectedly"

    @property
    def body(self) -> str:
        d = self.daemon
        if self.kind is NoticeKind.WOKEN:
            return f"A client connected to {', '.join(d.sockets)}, so systemd started {d.service}."
        if self.kind is NoticeKind.FAILED:
            return (
                f"{d.service} or one of its sockets failed "
                f"(see journalctl -u {d.service}; systemctl reset-failed clears it)."
            )
        if d.state is DaemonState.DORMANT:
            return f"{d.service} exited; its socket still listens, so the next client wakes it."
        return f"{d.service} stopped and nothing listens for it now: clients will fail."


def classify_change(change: Change) -> NoticeKind | None:
    """The kind of news in one change, before debouncing; None for none."""
    old, new = change.old, change.new
    if old is None or new is None or old.state is new.state:
        return None
    if new.state is DaemonState.FAILED:
        return NoticeKind.FAILED
    if old.state in _ASLEEP and new.state in _AWAKE:
        return NoticeKind.WOKEN
    if old.state is DaemonState.RUNNING and new.state in _DOWN:
        return NoticeKind.STOPPED
    return None


def _buttons(kind: NoticeKind, d: Daemon) -> tuple[tuple[Action, str], ...]:
    wanted: tuple[tuple[Action, str], ...] = ()
    if kind is NoticeKind.WOKEN:
        wanted = ((Action.STOP, "Stop now"), (Action.ALWAYS_ON, "Keep always on"))
    elif kind is NoticeKind.FAILED:
        wanted = ((Action.START, "Start again"),)
    allowed = allowed_actions(d)
    return tuple((a, label) for a, label in wanted if a in allowed)


@dataclass
class _Burst:
    last_change: float  # when the daemon last did something noteworthy
    worst: NoticeKind  # the most severe kind announced in this burst


class Notices:
    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        quiet: float = 60.0,
        grace: float = 5.0,
    ) -> None:
        self._clock = clock
        self.quiet = quiet
        self.grace = grace
        self._bursts: dict[Key, _Burst] = {}
        self._ours_until: dict[Key, float] = {}

    def ours(self, key: Key) -> None:
        """An action of ours for ``key`` started or ended: its effects are not news."""
        self._ours_until[key] = self._clock() + self.grace

    def decide(self, changes: Iterable[Change], pending: Collection[Key] = ()) -> list[Notice]:
        now = self._clock()
        out: list[Notice] = []
        for change in changes:
            kind = classify_change(change)
            if kind is None or change.new is None:
                continue
            key = change.daemon.key
            if key in pending or now < self._ours_until.get(key, float("-inf")):
                continue
            burst = self._bursts.get(key)
            if burst is not None and now - burst.last_change < self.quiet:
                burst.last_change = now
                if kind is NoticeKind.FAILED and burst.worst < NoticeKind.FAILED:
                    burst.worst = kind
                    out.append(self._notice(kind, change))
                continue
            self._bursts[key] = _Burst(now, kind)
            out.append(self._notice(kind, change))
        return out

    @staticmethod
    def _notice(kind: NoticeKind, change: Change) -> Notice:
        assert change.old is not None and change.new is not None
        d = change.new
        return Notice(kind, d, change.old.state, _buttons(kind, d))
