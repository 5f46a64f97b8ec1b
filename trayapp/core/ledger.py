"""The ledger: the actions this process asked systemd for, and one lifetime for all.

An action is on record from the moment it is asked for until ``grace``
seconds after it ended: systemd may announce the unit changes an action
caused after the job's own result (``PropertiesChanged`` after
``JobRemoved``), so "was this stop ours?" must outlive the action a little.

Everyone who needs to know consults this one ledger: the controller (one
action per daemon at a time; the views' busy marks), the event hub (a stop
on record is *stopped by us*, any other stop happened elsewhere), the
notification policy (our own changes are no news), the history recorder
(why a run ended) and the idle watcher (its stop is under way).  Another
process's actions (the CLI's) reach the tray through the history store's
intents, which the composition root writes from this ledger's listeners.

Pure: time comes from the injected clock, nothing is scheduled.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from .keys import Key
from .plans import Action
from .runs import EndReason

log = logging.getLogger(__name__)

#: Seconds an ended action stays on record (see the module's docstring).
GRACE = 5.0


@dataclass(frozen=True)
class Entry:
    action: Action
    why: EndReason  # USER (a click, a command) or IDLE (the idle watcher)
    ended_at: float | None = None  # the clock's time; None while in flight

    @property
    def in_flight(self) -> bool:
        return self.ended_at is None


Listener = Callable[[Key, Entry], None]


class Ledger:
    def __init__(self, clock: Callable[[], float] = time.monotonic, grace: float = GRACE) -> None:
        self._clock = clock
        self.grace = grace
        self._entries: dict[Key, Entry] = {}
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> None:
        """``listener(key, entry)`` when an action begins and when it ends."""
        self._listeners.append(listener)

    def begin(self, key: Key, action: Action, why: EndReason = EndReason.USER) -> bool:
        """Put an action on record; False (and nothing recorded) if one is in flight."""
        if self.in_flight(key) is not None:
            return False
        entry = self._entries[key] = Entry(action, why)
        self._tell(key, entry)
        return True

    def end(self, key: Key) -> None:
        entry = self._entries.get(key)
        if entry is None or not entry.in_flight:
            return
        ended = self._entries[key] = Entry(entry.action, entry.why, self._clock())
        self._tell(key, ended)

    def in_flight(self, key: Key) -> Action | None:
        entry = self._entries.get(key)
        return entry.action if entry is not None and entry.in_flight else None

    def pending(self) -> dict[Key, Action]:
        """Every action in flight, for the views' busy marks."""
        return {k: e.action for k, e in self._entries.items() if e.in_flight}

    def ours(self, key: Key) -> Entry | None:
        """The action on record for ``key``: in flight, or ended within ``grace``."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.ended_at is not None and self._clock() - entry.ended_at >= self.grace:
            del self._entries[key]  # expired: the record stays bounded by the daemons
            return None
        return entry

    def _tell(self, key: Key, entry: Entry) -> None:
        for listener in list(self._listeners):
            try:
                listener(key, entry)
            except Exception:  # else an action would stay "in flight" for good
                log.exception("a listener of the ledger failed")
