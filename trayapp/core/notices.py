"""Which daemon changes deserve a notification, and which are noise.

Users asked for "no silent state changes" (docker/for-win#15044), but an
on-demand daemon churns: podman.service exits after 5 s idle and the next
client wakes it again, libvirt's daemons after 120 s.  So notifications come
per *burst*: the first noteworthy change of a daemon is announced, and
further ones are dropped until the daemon has been quiet for ``quiet``
seconds, unless the news gets worse (anything -> failed is always told, once
per burst).

Events caused by our own actions are not announced here (the action's
result is): the event hub marks them ``ours`` from the ledger
(trayapp/core/ledger.py), which keeps an action on record a little after
it ended, because systemd may announce its changes after the job's result.

Pure: time comes from the injected clock, nothing is scheduled.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum

from .causes import FAILURE_RESULTS, CauseKind, Wakers, crash_words, wake_cause
from .events import Event, EventKind
from .keys import Key
from .model import Daemon, DaemonState
from .plans import Action, allowed_actions


class NoticeKind(IntEnum):
    """Ordered by severity: a later kind escalates an earlier one."""

    WOKEN = 1  # woken by a client, or started (the wakers tell which)
    SLEPT = 2  # went back to sleep: exited on its own, cleanly
    STOPPED = 3  # stopped by someone else
    FAILED = 4  # crashed (a failure result) or failed


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    daemon: Daemon
    previous: DaemonState
    # Buttons to offer, in order: (action, label).
    actions: tuple[tuple[Action, str], ...] = ()
    event: EventKind | None = None  # the event it tells of
    # Who was connected when it woke (usecases/causes.py); None: not known.
    wakers: Wakers | None = None

    def with_wakers(self, wakers: Wakers | None) -> Notice:
        return dataclasses.replace(self, wakers=wakers)

    @property
    def title(self) -> str:
        return self.words()[0]

    @property
    def body(self) -> str:
        return self.words()[1]

    def words(self) -> tuple[str, str]:
        """The title and the body: each cause named as it was learnt, nothing more."""
        d, name = self.daemon, self.daemon.name
        sockets = ", ".join(d.sockets)
        if self.kind is NoticeKind.WOKEN:
            cause = wake_cause(self.wakers)
            if cause is CauseKind.WOKEN and self.wakers is not None:
                who = self.wakers.text()
                return (f"{name} woken by {who}",
                        f"{who} connected to {sockets}, so systemd started {d.service}.")
            if cause is CauseKind.STARTED:
                return (f"{name} started", f"No client was seen waiting on {sockets} when "
                        f"{d.service} started: systemctl start, or another unit, started it.")
            return (f"{name} woke up",
                    f"{d.service} started while {sockets} listened; who started it is not known.")
        if self.kind is NoticeKind.FAILED:
            crashed = self.event is EventKind.CRASHED
            ended = f"ended with result {d.result}" if d.result in FAILURE_RESULTS else "failed"
            what = d.service if crashed else f"{d.service} or one of its sockets"
            return (f"{name} {crash_words(d.result) if crashed else 'failed'}",
                    f"{what} {ended} (see journalctl -u {d.service}; "
                    "systemctl reset-failed clears it).")
        dormant = d.state is DaemonState.DORMANT
        if self.kind is NoticeKind.SLEPT:
            title = f"{name} went back to sleep" if dormant else f"{name} exited on its own"
            head = f"{d.service} exited on its own, cleanly"
        else:
            title = f"{name} stopped by someone else"
            head = f"Someone else stopped {d.service} (systemctl stop or another unit)"
        if dormant:
            return title, f"{head}; its socket still listens, so the next client wakes it."
        return title, f"{head}, and nothing listens for it now: clients will fail."


#: The events worth a notification, and what kind of news each is.
NEWS = {
    EventKind.WOKE: NoticeKind.WOKEN,
    EventKind.EXITED: NoticeKind.SLEPT,
    EventKind.STOPPED_ELSEWHERE: NoticeKind.STOPPED,
    EventKind.CRASHED: NoticeKind.FAILED,
    EventKind.FAILED: NoticeKind.FAILED,
}


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
    def __init__(self, clock: Callable[[], float] = time.monotonic, quiet: float = 60.0) -> None:
        self._clock = clock
        self.quiet = quiet
        self._bursts: dict[Key, _Burst] = {}

    def decide(self, events: Iterable[Event]) -> list[Notice]:
        now = self._clock()
        out: list[Notice] = []
        for event in events:
            kind = NEWS.get(event.kind)
            if kind is None or event.ours or event.previous is None:
                continue
            burst = self._bursts.get(event.key)
            if burst is not None and now - burst.last_change < self.quiet:
                burst.last_change = now
                if kind is NoticeKind.FAILED and burst.worst < NoticeKind.FAILED:
                    burst.worst = kind
                    out.append(self._notice(kind, event))
                continue
            self._bursts[event.key] = _Burst(now, kind)
            out.append(self._notice(kind, event))
        return out

    @staticmethod
    def _notice(kind: NoticeKind, event: Event) -> Notice:
        assert event.previous is not None
        d = event.daemon
        return Notice(kind, d, event.previous.state, _buttons(kind, d), event.kind)
