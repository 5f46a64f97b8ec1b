"""Idle auto-stop: stop a daemon that has been idle for its window, after a warning.

No polling: each running daemon with an idle window gets one one-shot timer
(``loop.call_later``) for the end of its window, armed when it starts
running, re-armed after a check that finds it busy (or after "Keep running"),
cancelled when it stops.  A dormant daemon has no timer and is never looked
at.  When the timer fires:

1. read the service's properties (still active? CPUUsageNSec now) and its
   sockets' listening addresses, fresh from systemd;
2. only while it is active: busy.check (open connections from the kernel's
   socket tables; Docker's API for running containers);
3. core.idle.judge over the window;
4. idle: ``notifier.warn(daemon, grace)``: the user may keep it running;
   without an answer within the grace period it is stopped with the core's
   stop action (sockets keep listening, and the action refuses if it has
   become busy meanwhile), and the result is announced.  Nothing is silent.

The watcher hears the daemons' named events (core/events.py): a daemon that
begins to run arms its timer, one that stops running cancels it.  Its own
stop is on the ledger (core/ledger.py) with the reason IDLE: while that is
in flight, the changes the stop causes neither re-arm nor cancel anything.

The check, the warning and the stop are usecases/idlecheck.py's; before
sleep, ``before_sleep`` stops the idle ones at once (usecases/idlesleep.py).
On battery the windows are shorter: the settings give them
(``Services.idle_window``) and ``reconfigure`` re-arms the timers.

The notifier is a Protocol: the tray implements it with desktop
notifications and a "Keep running" button (usecases/announce.py),
``trayapp idle-watch`` with lines on stdout and "keep" on stdin
(cli/idle_watch.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from trayapp.core.events import Event, EventHub
from trayapp.core.idle import (
    DEFAULT_CPU_THRESHOLD,
    TIMER_EVENTS,
    Sample,
    ServiceStats,
    TimerStep,
    describe_window,
    timer_step,
)
from trayapp.core.keys import Key
from trayapp.core.ledger import Ledger
from trayapp.core.model import Daemon, DaemonState, Manager
from trayapp.core.outcome import Outcome
from trayapp.core.runs import EndReason
from trayapp.core.table import DaemonTable
from trayapp.usecases import idlecheck, idlesleep
from trayapp.usecases.idle_parts import BusyCheck, IdleNotifier, Stopper, Watch
from trayapp.usecases.stats import StatsReader

log = logging.getLogger(__name__)

Answer = Literal["keep", "hold", "stop"]  # hold: keep it running until the user stops it
DEFAULT_GRACE = 30.0


WindowFor = Callable[[Daemon], "float | None"]


@dataclass(frozen=True)
class Decision:
    """What the watcher did, for a log line or ``idle-watch --json``."""

    # armed, busy, idle, kept, stopped, not-stopped, exits-by-itself; before sleep:
    # sleep, released (manager None, service "")
    event: str
    manager: Manager | None
    service: str
    text: str
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    at: float = field(default_factory=time.time)
    window: float | None = None  # armed: the window, in seconds

    def as_dict(self) -> dict[str, Any]:
        return {"event": self.event, "manager": str(self.manager or ""),
                "service": self.service, "text": self.text, "reasons": list(self.reasons),
                "notes": list(self.notes), "at": self.at, "window": self.window}


class IdleWatcher:
    def __init__(
        self,
        table: DaemonTable,
        reader: StatsReader,
        stop: Stopper,
        notifier: IdleNotifier,
        window_for: WindowFor,
        *,
        grace: float = DEFAULT_GRACE,
        cpu_threshold: float = DEFAULT_CPU_THRESHOLD,
        busy_check: BusyCheck,
        quiet_stop: Stopper | None = None,
        follow_up: Callable[[Daemon, str], None] | None = None,
        ledger: Ledger | None = None,
        on_stats: Callable[[Key, ServiceStats], None] = lambda key, stats: None,
        on_decision: Callable[[Decision], None] = lambda d: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.table = table
        self.reader = reader
        self.stop = stop
        self.notifier = notifier
        self.window_for = window_for
        self.grace = grace
        self.cpu_threshold = cpu_threshold
        self.busy_check = busy_check
        self.quiet_stop = quiet_stop  # a stop that never asks; None: none before sleep
        # What came of a warning, told in its place (the tray replaces the bubble);
        # None: notifier.announce.
        self.follow_up = follow_up
        self.last_busy: dict[Key, str] = {}  # why each daemon was not stopped, for views
        self.ledger = ledger or Ledger()  # where our own stop is on record
        self.on_stats = on_stats  # each read of a running service (the recorder's peak memory)
        self.on_decision = on_decision
        self.clock = clock
        self._watches: dict[Key, Watch] = {}
        self._unsubscribe: Callable[[], None] | None = None

    # -- life cycle ------------------------------------------------------------------

    def start(self, events: EventHub) -> None:
        self._unsubscribe = events.subscribe(TIMER_EVENTS, self._on_event)
        self.reconfigure()

    def reconfigure(self) -> None:
        """The windows changed (settings): arm, re-arm or cancel every daemon's timer."""
        for d in self.table.daemons():
            window = self.window_for(d) if d.state is DaemonState.RUNNING else None
            watch = self._watches.get(d.key)
            if window is None:
                self._cancel(d.key)
            elif watch is None or (watch.window != window and not watch.held):
                self.arm(d, window)
        for key in list(self._watches):
            if self.table.daemon(*key) is None:
                self._cancel(key)

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for key in list(self._watches):
            self._cancel(key, force=True)

    def armed(self) -> dict[Key, float]:
        """The daemons with a timer, and their windows (for views and tests)."""
        return {k: w.window for k, w in self._watches.items() if not w.held}

    # -- events ------------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        step = timer_step(event)  # by the event's kind (core/idle.py)
        if step is TimerStep.CANCEL:
            self._cancel(event.key)
        elif step is TimerStep.ARM:
            window = self.window_for(event.daemon)
            if window is not None:
                self.arm(event.daemon, window)

    def _stopping(self, key: Key) -> bool:
        """Our own idle stop of ``key`` is in flight."""
        entry = self.ledger.ours(key)
        return entry is not None and entry.in_flight and entry.why is EndReason.IDLE

    def arm(self, d: Daemon, window: float, start: Sample | None = None) -> None:
        """A timer for the end of the window; the window starts now."""
        if self._stopping(d.key):
            return  # our stop is under way; what follows it is decided when it ends
        held = self._watches.get(d.key)
        if held is not None and held.held:
            return  # "until I stop it": this run is left alone (starting -> running too)
        self._cancel(d.key)
        watch = self._watches[d.key] = Watch(window, start)
        loop = asyncio.get_running_loop()
        watch.timer = loop.call_later(window, self._fire, d.key)
        if start is None:
            watch.task = loop.create_task(self._take_start(d, watch))
        self.decide("armed", d, f"{d.name}: idle check in {describe_window(window)}",
                    window=window)

    def after_stop(self, d: Daemon, window: float) -> None:
        """After a stop of ours: a client may have woken it again already; otherwise no timer."""
        now = self.table.daemon(*d.key)
        if now is not None and now.state is DaemonState.RUNNING:
            self.arm(now, window)
        else:
            self._cancel(d.key)

    def watch(self, key: Key) -> Watch | None:
        return self._watches.get(key)

    def watched(self) -> list[Key]:
        return list(self._watches)

    def _cancel(self, key: Key, force: bool = False) -> None:
        watch = self._watches.get(key)
        if watch is None or (self._stopping(key) and not force):
            return
        del self._watches[key]
        self.last_busy.pop(key, None)
        if watch.timer is not None:
            watch.timer.cancel()
        task = watch.task
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()  # a warning on screen is withdrawn with it

    async def _take_start(self, d: Daemon, watch: Watch) -> None:
        stats = await self.reader.service(d.manager, d.service)
        if stats is not None and self._watches.get(d.key) is watch:
            watch.start = Sample(self.clock(), stats.cpu_nsec, stats.invocation)

    def _fire(self, key: Key) -> None:
        watch = self._watches.get(key)
        if watch is None:
            return
        watch.timer = None
        watch.task = asyncio.get_running_loop().create_task(idlecheck.check(self, key, watch))

    # -- what the watcher did, said (also for usecases/idlecheck.py, idlesleep.py) ----------

    def tell(self, d: Daemon, text: str) -> None:
        if self.follow_up is not None:
            self.follow_up(d, text)
        else:
            self.notifier.announce(text)

    def decide(self, event: str, d: Daemon | None, text: str, reasons: tuple[str, ...] = (),
               notes: tuple[str, ...] = (), window: float | None = None) -> None:
        log.info("%s", text)
        manager, service = (d.manager, d.service) if d is not None else (None, "")
        try:
            self.on_decision(Decision(event, manager, service, text, reasons, notes,
                                      window=window))
        except Exception:
            log.exception("decision listener failed")

    # -- before sleep ---------------------------------------------------------------------

    async def before_sleep(self) -> list[Outcome]:
        """Stop, without a warning, every watched on-demand daemon that is idle now and
        that may be stopped with no prompt (usecases/idlesleep.py)."""
        return await idlesleep.before_sleep(self)
