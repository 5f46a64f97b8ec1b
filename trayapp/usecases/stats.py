"""Reads what systemd never signals, over the monitor's own connections.

The idle watcher needs a running service's CPU time at the start and the
end of its window (CPUUsageNSec, or its cgroup's cpu.stat where systemd does
not account CPU: see core/idle.py); the recorder needs its InvocationID, the timestamps
of its run and its MemoryCurrent when it becomes active, and the manager's
SystemState when it stops.  All are property reads on PID 1: none of them
touches the daemon, so none can wake it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from trayapp.adapters import cgroups
from trayapp.adapters.dbus.bus import BusUnavailable, SystemdError
from trayapp.adapters.dbus.units import read_properties, read_unit
from trayapp.core.idle import ServiceStats, stats_from_properties
from trayapp.core.model import Manager

if TYPE_CHECKING:
    from trayapp.usecases.monitor import Monitor

log = logging.getLogger(__name__)


class StatsReader(Protocol):
    async def service(self, manager: Manager, service: str) -> ServiceStats | None: ...

    async def manager_state(self, manager: Manager) -> tuple[str, float | None] | None:
        """(SystemState, UserspaceTimestamp in Unix seconds), None when unreadable."""
        ...

    async def listening(self, manager: Manager, sockets: Sequence[str]
                        ) -> list[tuple[str, str]] | None:
        """The sockets' listening addresses read now (None when unreadable)."""
        ...


class MonitorStats:
    """StatsReader over a Monitor's connections; None whenever a read fails."""

    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor

    async def service(self, manager: Manager, service: str) -> ServiceStats | None:
        conn = self.monitor.connections.get(manager)
        if conn is None or not conn.connected:
            return None
        try:
            stats = stats_from_properties(await read_properties(conn, service))
        except (SystemdError, BusUnavailable) as exc:
            log.info("cannot read %s on the %s manager: %s", service, manager, exc)
            return None
        if stats.cpu_nsec is None and stats.control_group:
            stats = dataclasses.replace(stats, cpu_nsec=cgroups.cpu_nsec(stats.control_group))
        if stats.memory_bytes:  # 0: read as it starts, before its cgroup holds anything
            # systemd never signals MemoryCurrent: each read (at a wake, at each idle
            # check) is also what the views show, or a woken daemon's memory would be
            # the figure of its last full read, or none (issue 23 finding 7).
            self.monitor.table.update(manager, service, {"memory_bytes": stats.memory_bytes})
        return stats

    async def manager_state(self, manager: Manager) -> tuple[str, float | None] | None:
        conn = self.monitor.connections.get(manager)
        if conn is None or not conn.connected:
            return None
        try:
            props = await read_properties(conn, None)
        except (SystemdError, BusUnavailable) as exc:
            log.info("cannot read the %s manager's state: %s", manager, exc)
            return None
        state = props.get("SystemState")
        started = props.get("UserspaceTimestamp")
        return (
            state if isinstance(state, str) else "",
            started / 1e6 if isinstance(started, int) and started > 0 else None,
        )

    async def listening(self, manager: Manager, sockets: Sequence[str]
                        ) -> list[tuple[str, str]] | None:
        conn = self.monitor.connections.get(manager)
        if conn is None or not conn.connected:
            return None
        try:
            return [a for s in sockets for a in (await read_unit(conn, s))[0].listen]
        except (SystemdError, BusUnavailable) as exc:
            log.info("cannot read the sockets %s on the %s manager: %s", sockets, manager, exc)
            return None
