"""Writes the activation history from the named events of core/events.py.

Built by the composition root (trayapp/services.py) for the tray and for
``trayapp idle-watch``.  Per daemon:

* WOKE (dormant -> starting/running): a wake.  Who woke it is the lookup the
  causes started at once (usecases/causes.py: kernel tables, while the client
  is still connected); the service's InvocationID, timestamps and
  MemoryCurrent are read, and the run is written with the clients found.
* STARTED: a run without a wake (from off or failed).
* BECAME_ACTIVE (starting -> running): its ActiveEnterTimestamp is known now.
* STOPPING: MemoryCurrent is read once more.  systemd 252 has no
  MemoryPeak (255 added it; it is used where present), so the peak is the
  largest MemoryCurrent seen at these reads and at each idle check.
* STOPPED_BY_US, STOPPED_ELSEWHERE, CRASHED, VANISHED: the run ends, with a
  reason (core.runs.end_reason): a crash is a crash; a stop on the ledger
  (ours: idle or the user's), or one another process announced through the
  store's intents (the CLI's), is that; a manager that is stopping means
  shutdown; anything else happened elsewhere.
* APPEARED: a daemon that appears (start-up, resync) is reconciled with the runs the
  store still has open: the same InvocationID still running is adopted;
  any other open run ended while nobody watched: "shutdown" if the manager
  started after it was last seen, else "elsewhere", ended at its last sighting.

Reads and writes for one daemon run in order (a lock per daemon), so a very
short run's end is never written before its beginning.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from trayapp.core.causes import Wakers
from trayapp.core.events import LIFE_EVENTS, PROCESS_ENDED, Event, EventHub, EventKind
from trayapp.core.idle import ServiceStats
from trayapp.core.keys import Key
from trayapp.core.ledger import Ledger
from trayapp.core.model import AWAKE, Daemon, DaemonState
from trayapp.core.runs import EVENT_ENDS, EndReason, Run, end_reason
from trayapp.core.table import DaemonTable
from trayapp.usecases.causes import Causes
from trayapp.usecases.stats import StatsReader

if TYPE_CHECKING:
    from trayapp.adapters.history_db import Store

log = logging.getLogger(__name__)

T = TypeVar("T")

class Recorder:
    def __init__(
        self,
        store: Store,
        table: DaemonTable,
        reader: StatsReader,
        ledger: Ledger,
        causes: Causes,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.table = table
        self.reader = reader
        self.ledger = ledger  # stops of ours: in flight, or just ended
        self.causes = causes  # who woke it: one lookup per wake, shared
        self.clock = clock
        self.problem: str | None = None  # the last write that failed, for the front end
        self._open: dict[Key, str] = {}  # the invocation of each run going on
        self._locks: dict[Key, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._unsubscribe: Callable[[], None] | None = None

    def start(self, events: EventHub) -> None:
        """Hear the events of runs, and take up the daemons the table already has."""
        self._unsubscribe = events.subscribe(LIFE_EVENTS, self.on_event)
        now = self.clock()
        for d in self.table.daemons():
            self.on_event(Event(EventKind.APPEARED, d, None, now))

    def close(self) -> None:
        """Stop listening.  The runs going on were seen running until now: say so,
        so a run that ends while nobody watches (a shutdown) ends about here."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for task in list(self._tasks):
            task.cancel()
        now = self.clock()
        for (manager, service), invocation in self._open.items():
            self._write(self.store.saw, str(manager), service, invocation, memory=None, at=now)

    async def settle(self) -> None:
        """Wait for the writes under way (tests, and before closing the store)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def saw(self, key: Key, stats: ServiceStats) -> None:
        """A read someone else made (the idle watcher's): keep the memory peak."""
        invocation = self._open.get(key)
        if invocation and stats.invocation == invocation:
            self._write(self.store.saw, str(key[0]), key[1], invocation,
                        memory=_peak(stats), at=self.clock())

    # -- events ---------------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        d, kind = event.daemon, event.kind
        if d.service.endswith("@.service"):
            return  # Accept=yes templates: one instance per connection, not a run
        # The kind does not say whether a run went on before, the previous state
        # does: STARTED from stopping (a restart) goes on with the run it had, and
        # a daemon that VANISHED while dormant, off or failed had none.
        was_awake = event.previous is not None and event.previous.state in AWAKE
        if kind is EventKind.APPEARED:
            self._spawn(d.key, self._take_up(d, event.at))
        elif kind is EventKind.WOKE:
            # The causes started the lookup already (they hear the event first).
            self._spawn(d.key, self._began(d, event.at, self.causes.lookup(d.key)))
        elif (kind is EventKind.STARTED and not was_awake) or kind is EventKind.BECAME_ACTIVE:
            self._spawn(d.key, self._began(d, event.at, None))
        elif kind is EventKind.STOPPING:
            self._spawn(d.key, self._stopping(d))
        elif kind in PROCESS_ENDED:  # stopped, exited, crashed: always from awake
            self._spawn(d.key, self._ended(d, d.state, event.at, EVENT_ENDS.get(kind)))
        elif kind is EventKind.VANISHED and was_awake:
            self._spawn(d.key, self._ended(d, None, event.at, None))

    async def _began(self, d: Daemon, at: float,
                     finding: asyncio.Future[Wakers | None] | None) -> None:
        stats = await self.reader.service(d.manager, d.service)
        waker = None
        if finding is not None:
            try:
                found = await finding
                waker = found.history_text() if found is not None else None
            except Exception:  # best effort: never lose the run over it
                log.exception("cannot tell who woke %s", d.service)
        if stats is None or not stats.invocation:
            return
        self._open[d.key] = stats.invocation
        self._write(self.store.begin_run, _run_of(d, stats, at, waker, self.clock()))

    async def _stopping(self, d: Daemon) -> None:
        stats = await self.reader.service(d.manager, d.service)
        if stats is not None:
            self.saw(d.key, stats)

    async def _ended(self, d: Daemon, new: DaemonState | None, at: float,
                     seen: EndReason | None) -> None:
        invocation = self._open.pop(d.key, None)
        if invocation is None:
            return
        ended_at = self._stopped_at(d, at)
        reason = await self._reason(d, new, ended_at, seen)
        self._write(self.store.end_run, str(d.manager), d.service, invocation, ended_at, reason)

    async def _reason(self, d: Daemon, new: DaemonState | None, ended_at: float,
                      seen: EndReason | None = None) -> EndReason:
        names = (d.service, *d.sockets)
        ours = self.ledger.ours(d.key)
        intent = ours.why if ours is not None else None
        if intent is None:  # another process's (the CLI's) stop, through the store
            intent = self._read(self.store.intent, str(d.manager), names, ended_at)
        stopping = False
        if new is not DaemonState.FAILED and intent is None:
            state = await self.reader.manager_state(d.manager)
            stopping = state is not None and state[0] == "stopping"
        return end_reason(new, intent, stopping, seen)

    def _stopped_at(self, d: Daemon, at: float) -> float:
        # The service's own StateChangeTimestamp (signalled) beats the time we heard.
        unit = self.table.unit(d.manager, d.service)
        if unit is not None and unit.state_change_usec > 0:
            return unit.state_change_usec / 1e6
        return at

    async def _take_up(self, d: Daemon, at: float) -> None:
        """A daemon seen for the first time: settle the runs the store left open."""
        stats = None
        if d.state in AWAKE:
            stats = await self.reader.service(d.manager, d.service)
        live = stats.invocation if stats is not None and stats.active_state != "inactive" else ""
        stale = self._read(self.store.open_runs, str(d.manager), d.service) or []
        stale = [r for r in stale if r.invocation != live]
        if stale:
            state = await self.reader.manager_state(d.manager)
            started = state[1] if state is not None else None
            for run in stale:
                seen = run.last_seen or run.woke_at
                gone = started is not None and started > seen
                reason = EndReason.SHUTDOWN if gone else EndReason.ELSEWHERE
                self._write(self.store.end_run, run.manager, run.service, run.invocation,
                            seen, reason)
        if live and stats is not None:
            self._open[d.key] = live
            self._write(self.store.begin_run, _run_of(d, stats, at, None, self.clock()))

    # -- plumbing ---------------------------------------------------------------------

    def _spawn(self, key: Key, coro: Coroutine[Any, Any, None]) -> None:
        lock = self._locks.setdefault(key, asyncio.Lock())

        async def in_order() -> None:
            async with lock:
                try:
                    await coro
                except Exception:
                    log.exception("recording %s failed", key[1])

        task = asyncio.get_running_loop().create_task(in_order())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(lambda _task: coro.close())  # cancelled before it ran

    def _write(self, method: Callable[..., object], *args: object, **kw: object) -> None:
        try:
            method(*args, **kw)
        except sqlite3.Error as exc:
            # Kept for the front end to show; the applet goes on without history.
            self.problem = f"cannot write the activation history: {exc}"
            log.warning("%s", self.problem)

    def _read(self, method: Callable[..., T], *args: object) -> T | None:
        try:
            return method(*args)
        except sqlite3.Error as exc:
            log.warning("cannot read the activation history: %s", exc)
            return None


def _peak(stats: ServiceStats) -> int | None:
    values = [v for v in (stats.memory_bytes, stats.memory_peak) if v]
    return max(values) if values else None


def _run_of(d: Daemon, stats: ServiceStats, at: float, waker: str | None, now: float) -> Run:
    woke = stats.inactive_exit_usec / 1e6 if stats.inactive_exit_usec else at
    active = stats.active_enter_usec / 1e6 if stats.active_enter_usec else None
    if active is not None and active < woke:
        active = None  # the timestamp of an earlier run
    return Run(
        manager=str(d.manager), service=d.service, invocation=stats.invocation,
        woke_at=woke, active_at=active,
        startup=stats.startup_seconds if active is not None else None,
        peak_memory=_peak(stats), waker=waker, last_seen=now,
    )
