"""What the idle watcher (usecases/idlestop.py) and its two helpers share: the
check, warning and stop (idlecheck.py) and the stop before sleep (idlesleep.py).

The helpers take the watcher as ``Watcher``, the part of it they use, so
that neither imports idlestop.py, which runs them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from trayapp.adapters import busy
from trayapp.core.idle import Sample, ServiceStats
from trayapp.core.keys import Key
from trayapp.core.model import Daemon, Manager
from trayapp.core.outcome import Outcome
from trayapp.core.table import DaemonTable
from trayapp.usecases.stats import StatsReader

Stopper = Callable[[Manager, str], Awaitable[Outcome]]
#: busy_check(daemon, its sockets' Listen=, its service's properties read now)
BusyCheck = Callable[[Daemon, list[tuple[str, str]], ServiceStats], Awaitable[busy.BusyReport]]


class IdleNotifier(Protocol):
    def warn(self, daemon: Daemon, seconds: float) -> Awaitable[str]:
        """Warn that ``daemon`` stops in ``seconds``; resolves to "keep",
        "hold" (until the user stops it) or "stop"."""

    def announce(self, text: str) -> None:
        """Tell the user what was done (every auto-stop, and every decision not to)."""


@dataclass
class Watch:
    """One daemon's timer, and the start of its window."""

    window: float
    start: Sample | None = None
    timer: asyncio.TimerHandle | None = None
    task: asyncio.Task[None] | None = None
    held: bool = False  # "until I stop it": no idle stop in this run


class Watcher(Protocol):
    """The idle watcher as its helpers see it (usecases/idlestop.py's IdleWatcher)."""

    table: DaemonTable
    reader: StatsReader
    stop: Stopper
    quiet_stop: Stopper | None
    notifier: IdleNotifier
    busy_check: BusyCheck
    grace: float
    cpu_threshold: float
    last_busy: dict[Key, str]
    on_stats: Callable[[Key, ServiceStats], None]
    clock: Callable[[], float]

    def arm(self, d: Daemon, window: float, start: Sample | None = None) -> None: ...

    def after_stop(self, d: Daemon, window: float) -> None: ...

    def watch(self, key: Key) -> Watch | None: ...

    def watched(self) -> list[Key]: ...

    def tell(self, d: Daemon, text: str) -> None: ...

    def decide(self, event: str, d: Daemon | None, text: str, reasons: tuple[str, ...] = (),
               notes: tuple[str, ...] = (), window: float | None = None) -> None: ...
