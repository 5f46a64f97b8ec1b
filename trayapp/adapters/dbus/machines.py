"""Workloads systemd can show without waking anything: machines and scopes.

* ``machines``: systemd-machined's ``ListMachines`` (no privilege needed):
  the guests libvirt registered, as (name, class, service) rows.  machined
  is bus-activated and exits when it holds no machine, so when nobody owns
  its name no guest is registered, and it is not woken to say so.
* ``scopes``: the running scope units of a manager whose names match
  (``ListUnitsByPatterns``): libvirt's guests in ``machine.slice``,
  podman's ``libpod-*.scope`` containers.

``BusSources`` answers the busy check (adapters/busy.py) over the monitor's
connections, one per manager.  Replies are checked as hostile input.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from trayapp.core.model import Manager

from .bus import BusUnavailable, Connection
from .trust import DBUS, DBUS_PATH

MACHINED = "org.freedesktop.machine1"
MACHINED_PATH = "/org/freedesktop/machine1"
MACHINED_IFACE = "org.freedesktop.machine1.Manager"
RUNNING = ["active", "activating", "deactivating", "reloading"]
MAX_ROWS = 4096


async def machines(conn: Connection) -> list[tuple[str, str, str]]:
    """machined's machines, (name, class, service); [] when machined is not running."""
    owned = await conn.call("NameHasOwner", "s", [MACHINED], path=DBUS_PATH, interface=DBUS,
                            destination=DBUS)
    if not (owned.body and owned.body[0] is True):
        return []
    reply = await conn.call("ListMachines", path=MACHINED_PATH, interface=MACHINED_IFACE,
                            destination=MACHINED)
    rows = reply.body[0] if reply.body and isinstance(reply.body[0], list) else []
    found = []
    for row in rows[:MAX_ROWS]:
        # dbus-fast gives structs as tuples (lists in older versions).
        if isinstance(row, (list, tuple)) and len(row) >= 3 \
                and all(isinstance(x, str) for x in row[:3]):
            found.append((row[0], row[1], row[2]))
    return found


async def scopes(conn: Connection, patterns: Sequence[str]) -> list[str]:
    """The running scope units of ``conn``'s manager matching ``patterns``."""
    reply = await conn.call("ListUnitsByPatterns", "asas", [RUNNING, list(patterns)])
    rows = reply.body[0] if reply.body and isinstance(reply.body[0], list) else []
    return [row[0] for row in rows[:MAX_ROWS]
            if isinstance(row, (list, tuple)) and row and isinstance(row[0], str)
            and row[0].endswith(".scope")]


class BusSources:
    """The busy check's view of machined and the managers' scopes.

    ``connections`` is the monitor's live mapping (a reconnect replaces an
    entry); a manager without a connection raises BusUnavailable, which the
    check reports as "cannot tell".
    """

    def __init__(self, connections: Mapping[Manager, Connection]) -> None:
        self.connections = connections

    def _conn(self, manager: Manager) -> Connection:
        conn = self.connections.get(manager)
        if conn is None or not conn.connected:
            raise BusUnavailable(f"not connected to the {manager} manager")
        return conn

    async def machines(self) -> list[tuple[str, str, str]]:
        return await machines(self._conn(Manager.SYSTEM))

    async def scopes(self, manager: Manager, patterns: Sequence[str]) -> list[str]:
        return await scopes(self._conn(manager), patterns)
