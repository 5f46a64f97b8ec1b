"""Why each daemon woke or stopped: who woke it, learnt once, and its last cause.

Subscribed to the EventHub before anyone else (services.py builds it
first), so that on WOKE the lookup of who is connected to the daemon's
sockets (trayapp/adapters/wakers.py: kernel tables, scanned in a thread,
while the client is still connected) starts at once, and only once:

* the history recorder writes its answer in the run's ``waker`` column;
* the notification policy (announce.py) waits for it to say "woken by
  docker (PID 4242, alice)", or "started" when no client was waiting;
* the status window shows each daemon's last cause (``line``).

Every other event that names a cause (core.causes.CAUSE_EVENTS: went back
to sleep, stopped by us or by someone else, crashed, failed) replaces the
daemon's last cause as it comes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from trayapp.adapters import wakers
from trayapp.core.causes import CAUSE_EVENTS, Cause, Wakers
from trayapp.core.events import Event, EventHub, EventKind
from trayapp.core.keys import Key
from trayapp.core.model import Daemon
from trayapp.core.table import DaemonTable

log = logging.getLogger(__name__)

FindWakers = Callable[[Sequence[tuple[str, str]]], "Wakers | None"]
Lookup = asyncio.Future["Wakers | None"]
WAIT = 5.0  # seconds a reader waits for a lookup at most


class Causes:
    def __init__(self, table: DaemonTable, find: FindWakers = wakers.find) -> None:
        self.table = table
        self.find = find
        self._lookups: dict[Key, Lookup] = {}  # of each daemon's last wake
        self._last: dict[Key, Cause] = {}
        self._listeners: list[Callable[[Key], None]] = []
        self._unsubscribe: Callable[[], None] | None = None

    def start(self, events: EventHub) -> None:
        self._unsubscribe = events.subscribe(CAUSE_EVENTS, self.on_event)

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def listen(self, listener: Callable[[Key], None]) -> Callable[[], None]:
        """Hear the key of each daemon whose last cause changed; returns the unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    # -- what the others read ---------------------------------------------------------

    def lookup(self, key: Key) -> Lookup | None:
        """Who was connected at the daemon's last wake (a future: the scan may run still)."""
        return self._lookups.get(key)

    async def wakers(self, key: Key, timeout: float = WAIT) -> Wakers | None:
        """The answer of the last wake's lookup; None: none, or it could not tell."""
        lookup = self._lookups.get(key)
        if lookup is None:
            return None
        try:
            return await asyncio.wait_for(asyncio.shield(lookup), timeout)
        except Exception:  # best effort: a notice without a name beats none
            log.exception("cannot tell who woke %s", key[1])
            return None

    def last(self, key: Key) -> Cause | None:
        return self._last.get(key)

    def line(self, key: Key) -> str | None:
        """``woken by docker (PID 4242, alice) at 14:02``; None before anything happened."""
        cause = self._last.get(key)
        return cause.line() if cause is not None else None

    # -- events -----------------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        key, d = event.key, event.daemon
        if event.kind is not EventKind.WOKE:
            self._set(key, Cause(event.kind, event.at, result=d.result))
            return
        self._set(key, Cause(EventKind.WOKE, event.at))
        lookup = self._start_lookup(d)
        if lookup is not None:
            self._lookups[key] = lookup
            lookup.add_done_callback(lambda done: self._learnt(key, event.at, done))

    def _start_lookup(self, d: Daemon) -> Lookup | None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a plain test): nothing can be looked up
            return None
        listen = [a for s in d.sockets if (u := self.table.unit(d.manager, s)) for a in u.listen]
        return loop.run_in_executor(None, self.find, listen)

    def _learnt(self, key: Key, at: float, done: Lookup) -> None:
        if done.cancelled() or done.exception() is not None or self._lookups.get(key) is not done:
            return  # failed (readers log it), or a newer wake has its own lookup
        last = self._last.get(key)
        if last is not None and (last.kind, last.at, last.wakers) == (EventKind.WOKE, at, None):
            self._set(key, Cause(EventKind.WOKE, at, done.result()))

    def _set(self, key: Key, cause: Cause) -> None:
        self._last[key] = cause
        for listener in list(self._listeners):
            try:
                listener(key)
            except Exception:
                log.exception("a listener of causes failed")
