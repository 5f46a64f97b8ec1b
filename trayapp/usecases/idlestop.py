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

Before sleep (adapters/dbus/power.py's ``SleepGuard`` holds logind's delay
lock), ``before_sleep`` stops at once, without a warning, the watched
on-demand daemons that are idle now, with a stop that never asks for a
password (``quiet_stop``: the controller's stop, non-interactive; a daemon
whose stop would need one is left running).  On battery the windows are
shorter: the settings give them (``Services.idle_window``) and
``reconfigure`` re-arms the timers.

The notifier is a Protocol: the tray implements it with desktop
notifications and a "Keep running" button (usecases/announce.py),
``trayapp idle-watch`` with lines on stdout and "keep" on stdin
(cli/idle_watch.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from trayapp.adapters import busy
from trayapp.core.events import LIFE_EVENTS, Event, EventHub, EventKind
from trayapp.core.idle import (
    DEFAULT_CPU_THRESHOLD,
    IdleRules,
    Sample,
    ServiceStats,
    TimerStep,
    describe_window,
    idle_message,
    judge,
    timer_step,
)
from trayapp.core.keys import Key
from trayapp.core.ledger import Ledger
from trayapp.core.model import Daemon, DaemonState, Manager
from trayapp.core.outcome import Outcome
from trayapp.core.runs import EndReason
from trayapp.core.table import DaemonTable
from trayapp.core.words import translate
from trayapp.usecases.stats import StatsReader

log = logging.getLogger(__name__)

Answer = Literal["keep", "stop"]
DEFAULT_GRACE = 30.0


class IdleNotifier(Protocol):
    def warn(self, daemon: Daemon, seconds: float) -> Awaitable[str]:
        """Warn that ``daemon`` stops in ``seconds``; resolves to "keep" or "stop"."""

    def announce(self, text: str) -> None:
        """Tell the user what was done (every auto-stop, and every decision not to)."""


Stopper = Callable[[Manager, str], Awaitable[Outcome]]
#: busy_check(daemon, its sockets' Listen=, its service's properties read now)
BusyCheck = Callable[[Daemon, list[tuple[str, str]], ServiceStats], Awaitable[busy.BusyReport]]
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


@dataclass
class _Watch:
    window: float
    start: Sample | None = None
    timer: asyncio.TimerHandle | None = None
    task: asyncio.Task[None] | None = None


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
        self._watches: dict[Key, _Watch] = {}
        self._unsubscribe: Callable[[], None] | None = None

    # -- life cycle ------------------------------------------------------------------

    def start(self, events: EventHub) -> None:
        self._unsubscribe = events.subscribe(LIFE_EVENTS, self._on_event)
        self.reconfigure()

    def reconfigure(self) -> None:
        """The windows changed (settings): arm, re-arm or cancel every daemon's timer."""
        for d in self.table.daemons():
            window = self.window_for(d) if d.state is DaemonState.RUNNING else None
            watch = self._watches.get(d.key)
            if window is None:
                self._cancel(d.key)
            elif watch is None or watch.window != window:
                self._arm(d, window)
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
        return {k: w.window for k, w in self._watches.items()}

    # -- events ------------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        new = None if event.kind is EventKind.VANISHED else event.daemon
        step = timer_step(event.previous, new)
        if step is TimerStep.CANCEL:
            self._cancel(event.key)
        elif step is TimerStep.ARM and new is not None:
            window = self.window_for(new)
            if window is not None:
                self._arm(new, window)

    def _stopping(self, key: Key) -> bool:
        """Our own idle stop of ``key`` is in flight."""
        entry = self.ledger.ours(key)
        return entry is not None and entry.in_flight and entry.why is EndReason.IDLE

    def _arm(self, d: Daemon, window: float, start: Sample | None = None) -> None:
        """A timer for the end of the window; the window starts now."""
        if self._stopping(d.key):
            return  # our stop is under way; what follows it is decided when it ends
        self._cancel(d.key)
        watch = self._watches[d.key] = _Watch(window, start)
        loop = asyncio.get_running_loop()
        watch.timer = loop.call_later(window, self._fire, d.key)
        if start is None:
            watch.task = loop.create_task(self._take_start(d, watch))
        self._decide("armed", d, f"{d.name}: idle check in {describe_window(window)}",
                     window=window)

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

    async def _take_start(self, d: Daemon, watch: _Watch) -> None:
        stats = await self.reader.service(d.manager, d.service)
        if stats is not None and self._watches.get(d.key) is watch:
            watch.start = Sample(self.clock(), stats.cpu_nsec, stats.invocation)

    def _fire(self, key: Key) -> None:
        watch = self._watches.get(key)
        if watch is None:
            return
        watch.timer = None
        watch.task = asyncio.get_running_loop().create_task(self._check(key, watch))

    # -- the check, the warning, the stop ---------------------------------------------------

    async def _check(self, key: Key, watch: _Watch) -> None:
        try:
            await self._check_once(key, watch)
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed check must not leave the daemon unwatched for ever
            log.exception("idle check of %s failed", key[1])
            d = self.table.daemon(*key)
            if d is not None and self._watches.get(key) is watch:
                self._arm(d, watch.window)

    async def _check_once(self, key: Key, watch: _Watch) -> None:
        d = self.table.daemon(*key)
        if d is None or d.state is not DaemonState.RUNNING:
            return
        stats = await self.reader.service(d.manager, d.service)
        # Read fresh from systemd, never from signal-fed state: what leads to a stop is re-read.
        listen = await self.reader.listening(d.manager, d.sockets)
        if stats is None or stats.active_state != "active" or listen is None:
            # Not active (or unreadable): no busy check now (Docker's would wake it).
            self._arm(d, watch.window)
            return
        end = Sample(self.clock(), stats.cpu_nsec, stats.invocation)
        self.on_stats(key, stats)
        now = self.table.daemon(*key)
        if now is None or now.state is not DaemonState.RUNNING:
            return  # it stopped while we read (the change cancelled the rest)
        report = await self.busy_check(d, listen, stats)
        rules = IdleRules(watch.window, self.cpu_threshold)
        verdict = judge(rules, watch.start, end, report.reasons)
        if not verdict.idle:
            self._decide("busy", d, f"{d.name} is busy: {'; '.join(verdict.reasons)}",
                         verdict.reasons, verdict.notes)
            self._arm(d, watch.window, start=end)
            self.last_busy[key] = "; ".join(verdict.reasons)
            return
        if report.exits_by_itself:
            # Its own idle exit will stop it: a warning would announce a stop podman makes.
            self._decide("exits-by-itself", d, f"{d.name} is idle; {report.exits_by_itself}, "
                         "so trayapp does not stop it", notes=(report.exits_by_itself,))
            self._arm(d, watch.window, start=end)
            return
        self.last_busy.pop(key, None)
        self._decide("idle", d, idle_message(d, watch.window, self.grace), notes=verdict.notes)
        answer = await self._ask(d)
        if answer == "keep":
            self._decide("kept", d, f"{d.name}: kept running at the user's request")
            self._tell(d, translate("idle", "{name} keeps running; trayapp asks again after "
                                    "{window} more without use.").format(
                name=d.name, window=describe_window(watch.window)))
            self._arm(d, watch.window)
            return
        await self._stop(d, watch)

    async def _ask(self, d: Daemon) -> str:
        try:
            answer = await asyncio.wait_for(self.notifier.warn(d, self.grace), self.grace)
        except TimeoutError:
            return "stop"
        return "keep" if answer == "keep" else "stop"

    async def _stop(self, d: Daemon, watch: _Watch) -> None:
        # Shielded: the stop changes the table, and that change must not
        # cancel the action half way.  The stopper puts it on the ledger.
        outcome = await asyncio.shield(self.stop(d.manager, d.service))
        idle_for = describe_window(watch.window)
        if outcome.ok:
            text = translate("idle", "Stopped {name} after {window} without use. Its socket "
                             "still listens: the next client wakes it again.").format(
                name=d.name, window=idle_for)
            self._decide("stopped", d, text)
        else:
            text = translate("idle", "Did not stop idle {name}: {why}").format(
                name=d.name, why=outcome.message)
            self._decide("not-stopped", d, text)
        self._tell(d, text)
        # A client may have woken it again already; otherwise no timer.
        now = self.table.daemon(*d.key)
        if now is not None and now.state is DaemonState.RUNNING:
            self._arm(now, watch.window)
        else:
            self._cancel(d.key)

    def _tell(self, d: Daemon, text: str) -> None:
        if self.follow_up is not None:
            self.follow_up(d, text)
        else:
            self.notifier.announce(text)

    def _decide(self, event: str, d: Daemon | None, text: str, reasons: tuple[str, ...] = (),
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
        that may be stopped with no prompt (``quiet_stop`` never asks).  The caller
        bounds the time
        (logind's delay): a stop cut off by it is still finished by systemd."""
        candidates = [d for key in list(self._watches)
                      if (d := self.table.daemon(*key)) is not None
                      and d.state is DaemonState.RUNNING and d.mode.on_demand]
        self._decide("sleep", None, f"going to sleep: {len(candidates)} idle-watched "
                     "on-demand daemon(s) running")
        if self.quiet_stop is None or not candidates:
            return []
        found = await asyncio.gather(*(self._sleep_stop(d) for d in candidates))
        return [o for o in found if o is not None]

    async def _sleep_stop(self, d: Daemon) -> Outcome | None:
        assert self.quiet_stop is not None
        watch = self._watches.get(d.key)
        stats = await self.reader.service(d.manager, d.service)
        listen = await self.reader.listening(d.manager, d.sockets)
        if watch is None or stats is None or stats.active_state != "active" or listen is None:
            return None
        report = await self.busy_check(d, listen, stats)
        end = Sample(self.clock(), stats.cpu_nsec, stats.invocation)
        # The window need not be over: going to sleep ends it.
        verdict = judge(IdleRules(0.0, self.cpu_threshold), watch.start, end, report.reasons)
        if not verdict.idle:
            self._decide("busy", d, f"{d.name} is busy, left running over sleep: "
                         f"{'; '.join(verdict.reasons)}", verdict.reasons, verdict.notes)
            return None
        outcome = await asyncio.shield(self.quiet_stop(d.manager, d.service))
        text = (f"Stopped idle {d.name} before sleep." if outcome.ok
                else f"Left idle {d.name} running over sleep: {outcome.message}")
        self._decide("stopped" if outcome.ok else "not-stopped", d, text)
        now = self.table.daemon(*d.key)
        if now is not None and now.state is DaemonState.RUNNING:
            self._arm(now, watch.window)
        else:
            self._cancel(d.key)
        return outcome
