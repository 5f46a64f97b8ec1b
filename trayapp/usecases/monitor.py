"""Connects the core's DaemonTable to the systemd managers: shared by both front ends.

``Monitor`` opens one connection per manager asked for, reads a snapshot
(``snapshot()``, for ``trayapp status``) or keeps the table live from
signals (``watch()``, for ``status --watch`` and the tray).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from trayapp.adapters.dbus import units
from trayapp.adapters.dbus.bus import BusUnavailable, Connection, SystemdError
from trayapp.adapters.dbus.watcher import Watcher
from trayapp.core.keys import parse_key
from trayapp.core.model import Manager
from trayapp.core.table import DaemonTable

log = logging.getLogger(__name__)

def default_managers() -> list[Manager]:
    """Both managers for a user; only the system one for root (like systemctl)."""
    return [Manager.SYSTEM] if os.getuid() == 0 else [Manager.SYSTEM, Manager.USER]


def explain(manager: Manager, exc: Exception) -> str:
    """A message a user can act on, for a manager that cannot be reached."""
    if isinstance(exc, SystemdError) and exc.no_manager:
        if manager is Manager.USER:
            return (
                "no systemd user manager answers on your session bus "
                "(is user@UID.service running? `loginctl enable-linger` starts one "
                "without a login)"
            )
        return "systemd does not answer on the system bus (is systemd PID 1?)"
    return str(exc)


RETRY_FIRST = 0.5  # seconds before the first reconnection attempt
RETRY_MAX = 30.0  # the backoff doubles up to this


@dataclass
class Monitor:
    """Keeps ``table`` equal to the managers' state, reconnecting when a bus goes away.

    ``problems`` holds, per manager, why it is not connected now; listeners
    given to ``on_connection`` hear of every connect and disconnect (the
    tray shows a disconnected icon).  While disconnected the table keeps the
    last known units; the resync after reconnecting replaces them.
    """

    managers: list[Manager]
    table: DaemonTable = field(default_factory=DaemonTable)
    connections: dict[Manager, Connection] = field(default_factory=dict)
    watchers: dict[Manager, Watcher] = field(default_factory=dict)
    problems: dict[Manager, str] = field(default_factory=dict)
    reconnect: bool = True
    _listeners: list[Callable[[Manager, bool], None]] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _closing: bool = False

    def on_connection(self, callback: Callable[[Manager, bool], None]) -> None:
        """``callback(manager, connected)`` on every connect and disconnect."""
        self._listeners.append(callback)

    def connected(self, manager: Manager) -> bool:
        conn = self.connections.get(manager)
        return conn is not None and conn.connected and manager in self.watchers

    async def _each(self, work: Callable[[Manager], Awaitable[object]]) -> None:
        """Run ``work`` for every manager at once; failures go to ``problems``."""

        async def one(manager: Manager) -> None:
            try:
                await work(manager)
            except (SystemdError, BusUnavailable) as exc:
                self.problems[manager] = explain(manager, exc)

        await asyncio.gather(*(one(m) for m in self.managers))

    async def _open(self, manager: Manager, follow: bool = True) -> Connection:
        conn = await Connection.open(manager, follow)
        self.connections[manager] = conn
        return conn

    async def connect(self) -> None:
        """Open a connection to every manager, reading nothing (for one action)."""
        await self._each(self._open)

    async def snapshot(self) -> None:
        """Read every manager once; unreachable ones end up in ``problems``."""

        async def read(manager: Manager) -> None:
            results = await units.read_all(await self._open(manager, follow=False),
                                           services=self.table.followed(manager))
            self.table.replace(manager, [info for info, _ in results])

        await self._each(read)

    def follow(self, keys: Iterable[str]) -> None:
        """Show the services of ``keys`` as daemons though no socket unit triggers
        them (core/table.py); those new to a watched manager are read at once."""
        by_manager: dict[Manager, set[str]] = {m: set() for m in Manager}
        for key in keys:
            manager, unit = parse_key(key)
            by_manager[manager].add(unit)
        for manager, names in by_manager.items():
            added = names - self.table.followed(manager)
            self.table.follow(manager, names)
            watcher = self.watchers.get(manager)
            if added and watcher is not None:
                watcher.request_resync()

    async def watch(self) -> None:
        """Follow every manager from signals; returns once each has been tried once.

        A manager that cannot be reached now, or is lost later, is retried
        with a doubling backoff (when ``reconnect``), and resynced in full
        when it comes back.
        """
        tried = [asyncio.Event() for _ in self.managers]
        loop = asyncio.get_running_loop()
        for manager, event in zip(self.managers, tried, strict=True):
            self._tasks.append(loop.create_task(self._supervise(manager, event)))
        await asyncio.gather(*(e.wait() for e in tried))

    async def _supervise(self, manager: Manager, tried: asyncio.Event) -> None:
        delay = RETRY_FIRST
        while not self._closing:
            conn: Connection | None = None
            try:
                conn = await self._open(manager)
                watcher = Watcher(conn, self.table)
                await watcher.start()
            except (SystemdError, BusUnavailable, OSError) as exc:
                self.problems[manager] = explain(manager, exc)
                if conn is not None:
                    conn.close()
            except Exception as exc:  # a bug must not leave the manager unwatched for good
                log.exception("cannot watch the %s manager", manager)
                self.problems[manager] = f"cannot watch it ({exc!r}); trying again"
                if conn is not None:
                    conn.close()
            else:
                self.watchers[manager] = watcher
                self.problems.pop(manager, None)
                delay = RETRY_FIRST
                self._tell(manager, True)
                tried.set()
                await conn.wait_closed()
                watcher.close()
                self.watchers.pop(manager, None)
                if self._closing:
                    return
                self.problems[manager] = f"lost the connection to the {manager} bus; reconnecting"
                log.warning("%s manager: %s", manager, self.problems[manager])
                self._tell(manager, False)
            tried.set()
            if not self.reconnect:
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX)

    def _tell(self, manager: Manager, connected: bool) -> None:
        for callback in list(self._listeners):
            try:
                callback(manager, connected)
            except Exception:
                log.exception("connection listener failed")

    def calls(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for conn in self.connections.values():
            total.update(conn.calls)
        return total

    def systemd_calls(self) -> int:
        """Of ``calls()``, those sent to PID 1 (the rest went to the bus driver)."""
        return sum(conn.systemd_calls for conn in self.connections.values())

    def dropped(self) -> int:
        """Signals dropped since start: not sent by the owner of a name followed."""
        return sum(conn.gate.drops.dropped for conn in self.connections.values())

    def close(self) -> None:
        self._closing = True
        for task in self._tasks:
            task.cancel()
        for watcher in self.watchers.values():
            watcher.close()
        for conn in self.connections.values():
            conn.close()
