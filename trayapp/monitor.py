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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from trayapp.core.model import Manager
from trayapp.core.table import DaemonTable
from trayapp.systemd import units
from trayapp.systemd.bus import BusUnavailable, Connection, SystemdError
from trayapp.systemd.watcher import Watcher

log = logging.getLogger(__name__)

_NO_MANAGER = frozenset(
    {"org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner"}
)


def default_managers() -> list[Manager]:
    """Both managers for a user; only the system one for root (like systemctl)."""
    return [Manager.SYSTEM] if os.getuid() == 0 else [Manager.SYSTEM, Manager.USER]


def explain(manager: Manager, exc: Exception) -> str:
    """A message a user can act on, for a manager that cannot be reached."""
    if isinstance(exc, SystemdError) and exc.name in _NO_MANAGER:
        if manager is Manager.USER:
            return (
                "no systemd user manager answers on your session bus "
                "(is user@UID.service running? `loginctl enable-linger` starts one "
                "without a login)"
            )
        return "systemd does not answer on the system bus (is systemd PID 1?)"
    return str(exc)


@dataclass
class Monitor:
    managers: list[Manager]
    table: DaemonTable = field(default_factory=DaemonTable)
    connections: dict[Manager, Connection] = field(default_factory=dict)
    watchers: dict[Manager, Watcher] = field(default_factory=dict)
    problems: dict[Manager, str] = field(default_factory=dict)

    async def _each(self, work: Callable[[Manager], Awaitable[None]]) -> None:
        """Run ``work`` for every manager at once; failures go to ``problems``."""

        async def one(manager: Manager) -> None:
            try:
                await work(manager)
            except (SystemdError, BusUnavailable) as exc:
                self.problems[manager] = explain(manager, exc)

        await asyncio.gather(*(one(m) for m in self.managers))

    async def _open(self, manager: Manager) -> Connection:
        conn = await Connection.open(manager)
        self.connections[manager] = conn
        return conn

    async def snapshot(self) -> None:
        """Read every manager once; unreachable ones end up in ``problems``."""

        async def read(manager: Manager) -> None:
            results = await units.read_all(await self._open(manager))
            self.table.replace(manager, [info for info, _ in results])

        await self._each(read)

    async def watch(self) -> None:
        """Read every manager and keep following it from signals."""

        async def follow(manager: Manager) -> None:
            watcher = Watcher(await self._open(manager), self.table)
            await watcher.start()
            self.watchers[manager] = watcher

        await self._each(follow)

    def calls(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for conn in self.connections.values():
            total.update(conn.calls)
        return total

    def close(self) -> None:
        for conn in self.connections.values():
            conn.close()
