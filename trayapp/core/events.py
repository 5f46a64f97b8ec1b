"""Named events: what a daemon's old and new state mean, worked out once for everyone.

The table reports a ``Change`` (old daemon, new daemon) whenever what a user
sees differs.  ``events_of`` names what happened, and ``EventHub`` hands each
event to the subscribers that asked for its kind:

=================  ===========================================================
APPEARED           first seen (start-up, a resync, a new socket unit)
VANISHED           no longer a daemon (its unit files are gone)
WOKE               dormant -> starting/running: its socket was connected to,
                   or someone started the service while the socket listened
STARTED            off/failed/stopping -> starting/running (no socket woke it)
BECAME_ACTIVE      starting -> running
STOPPING           -> stopping
STOPPED_BY_US      had a process -> dormant/off, with a stop of ours on record
STOPPED_ELSEWHERE  had a process -> dormant/off, someone else's stop (a job on
                   the service: systemctl stop, another unit's stop)
EXITED             had a process -> dormant/off on its own: no job on the
                   service and its Result is success ("went back to sleep",
                   an idle timeout: libvirtd --timeout, podman --time)
CRASHED            had a process -> failed, or ended on its own with a
                   failure Result (exit-code, signal, core-dump, timeout...)
FAILED             -> failed without a process (a socket failed)
MODE_CHANGED       on-demand / always-on / manual / masked changed
=================  ===========================================================

A change may carry two events (a mode change and a state change).  Every
event says whether an action of ours for that daemon was on record
(``ours``, from the ledger): the notification policy keeps quiet about those.

Subscribers: the causes (usecases/causes.py: who woke it, the last cause),
notices (WOKE, EXITED, STOPPED_ELSEWHERE, CRASHED, FAILED), the history
recorder (the life of a run), the idle watcher (its timer: running or not).
Pure: no I/O, no clock of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from .keys import Key
from .model import AWAKE, DOWN, Daemon, DaemonState
from .table import Change

log = logging.getLogger(__name__)


class EventKind(StrEnum):
    APPEARED = "appeared"
    VANISHED = "vanished"
    WOKE = "woke"
    STARTED = "started"
    BECAME_ACTIVE = "became-active"
    STOPPING = "stopping"
    STOPPED_BY_US = "stopped-by-us"
    STOPPED_ELSEWHERE = "stopped-elsewhere"
    EXITED = "exited"
    CRASHED = "crashed"
    FAILED = "failed"
    MODE_CHANGED = "mode-changed"


#: A process that was there ended (named only for a daemon that was awake:
#: starting, running or stopping): the end of a run.
PROCESS_ENDED = frozenset({
    EventKind.STOPPED_BY_US, EventKind.STOPPED_ELSEWHERE, EventKind.EXITED, EventKind.CRASHED,
})
#: After these a daemon does not run: it is stopping, its process ended, or it is gone.
NOT_RUNNING_AFTER = PROCESS_ENDED | {EventKind.STOPPING, EventKind.VANISHED}
#: After these a daemon may run: it does when its state is RUNNING.  BECAME_ACTIVE
#: always leaves it running; WOKE and STARTED may leave it starting (BECAME_ACTIVE
#: follows), and APPEARED finds it in any state.
MAY_RUN_AFTER = frozenset({
    EventKind.APPEARED, EventKind.WOKE, EventKind.STARTED, EventKind.BECAME_ACTIVE,
})
#: The events in which a daemon's process begins or ends, or it comes or goes:
#: what the history recorder and the idle watcher follow.
LIFE_EVENTS = MAY_RUN_AFTER | NOT_RUNNING_AFTER


@dataclass(frozen=True)
class Event:
    kind: EventKind
    daemon: Daemon  # as it is now (as it was last, for VANISHED)
    previous: Daemon | None  # None for APPEARED
    at: float  # Unix time the change was learnt
    ours: bool = False  # an action of ours for this daemon was on record

    @property
    def key(self) -> Key:
        return self.daemon.key


_STIRRING = frozenset({DaemonState.STARTING, DaemonState.RUNNING})


def state_event(old: DaemonState, new: DaemonState, stop_ours: bool, *,
                job: bool = False, result: str = "") -> EventKind | None:
    """The name of one state transition (None: none worth a name).

    For a process that ended: ``job``, systemd had a job on the service (a
    stop someone asked for); ``result``, the service's Result after it ("":
    not known, e.g. not read).
    """
    if old is new:
        return None
    if new in _STIRRING:
        if old is DaemonState.DORMANT:
            return EventKind.WOKE
        if old is DaemonState.STARTING:
            return EventKind.BECAME_ACTIVE if new is DaemonState.RUNNING else None
        if old is DaemonState.RUNNING:
            return None  # running -> starting: systemd reports a reload so
        return EventKind.STARTED
    if new is DaemonState.STOPPING:
        return EventKind.STOPPING
    if new is DaemonState.FAILED:
        return EventKind.CRASHED if old in AWAKE else EventKind.FAILED
    if new in DOWN and old in AWAKE:
        return _ended(stop_ours, job, result)
    return None  # off <-> dormant, failed -> off: a socket started or stopped listening


def _ended(stop_ours: bool, job: bool, result: str) -> EventKind:
    if stop_ours:
        return EventKind.STOPPED_BY_US
    if job or not result:
        return EventKind.STOPPED_ELSEWHERE
    return EventKind.EXITED if result == "success" else EventKind.CRASHED


def events_of(change: Change, ours: bool = False) -> list[Event]:
    """The named events in one change; ``ours``: an action of ours is on record."""
    old, new = change.old, change.new
    if new is None:
        assert old is not None
        return [Event(EventKind.VANISHED, old, old, change.at, ours)]
    if old is None:
        return [Event(EventKind.APPEARED, new, None, change.at, ours)]
    found: list[Event] = []
    if old.mode is not new.mode:
        found.append(Event(EventKind.MODE_CHANGED, new, old, change.at, ours))
    # The job may be gone in the very signal that says inactive: the one
    # seen before counts too.
    kind = state_event(old.state, new.state, ours, job=old.job or new.job, result=new.result)
    if kind is not None:
        found.append(Event(kind, new, old, change.at, ours))
    return found


Subscriber = Callable[[Event], None]


class EventHub:
    """Turns table changes into events and hands each to those who asked for its kind.

    ``ours(key)`` tells whether an action of ours for a daemon is on record
    (the ledger's).  A subscriber that raises is logged and the others still
    hear the event.
    """

    def __init__(self, ours: Callable[[Key], bool] = lambda key: False) -> None:
        self._ours = ours
        self._subscribers: list[tuple[frozenset[EventKind], Subscriber]] = []

    def subscribe(self, kinds: Iterable[EventKind], subscriber: Subscriber) -> Callable[[], None]:
        """Hear events of ``kinds``; returns the unsubscribe."""
        entry = (frozenset(kinds), subscriber)
        self._subscribers.append(entry)
        return lambda: self._subscribers.remove(entry)

    def publish(self, changes: Iterable[Change]) -> None:
        """A table listener: name the events in ``changes`` and hand them out."""
        for change in changes:
            for event in events_of(change, self._ours(change.daemon.key)):
                self._deliver(event)

    def _deliver(self, event: Event) -> None:
        for kinds, subscriber in list(self._subscribers):
            if event.kind in kinds:
                try:
                    subscriber(event)
                except Exception:
                    log.exception("subscriber of %s events failed", event.kind)
