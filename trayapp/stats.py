"""Reads what systemd never signals, over the monitor's own connections.

The idle watcher needs a running service's CPUUsageNSec at the start and
the end of its window; the recorder needs its InvocationID, the timestamps
of its run and its MemoryCurrent when it becomes active, and the manager's
SystemState when it stops.  All are property reads on PID 1: none of them
touches the daemon, so none can wake it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from trayapp.core.idle import ServiceStats, stats_from_properties
from trayapp.core.model import Manager
from trayapp.systemd.bus import BusUnavailable, SystemdError
from trayapp.systemd.units import read_properties

if TYPE_CHECKING:
    from trayapp.monitor import Monitor

log = logging.getLogger(__name__)


class StatsReader(Protocol):
    async def service(self, manager: Manager, service: str) -> ServiceStats | None: ...

    async def manager_state(self, manager: Manager) -> tuple[str, float | None] | None:
        """(SystemState, UserspaceTimestamp in Unix seconds), None when unreadable."""
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
            return stats_from_properties(await read_properties(conn, service))
        except (SystemdError, BusUnavailable) as exc:
            log.info("cannot read %s on the %s manager: %s", service, manager, exc)
            return None

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
