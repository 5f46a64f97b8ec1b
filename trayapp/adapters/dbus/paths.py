"""Which unit object paths one Watcher follows: one PropertiesChanged match rule
per watched unit, so that other units' chatter never reaches the applet.

At most MAX_UNITS are watched: far above any real machine's socket units and
their services, and within the system bus's 512 match rules per connection
(max_match_rules_per_connection), leaving room for the manager's and the
owners' rules.  Only real units are watched (stubs are never read, see
watcher.py), so no other user can fill it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from .bus import PROPS_IFACE, SYSTEMD, Connection, unit_path

log = logging.getLogger(__name__)

MAX_UNITS = 480


def props_rule(path: str) -> str:
    return (
        f"type='signal',sender='{SYSTEMD}',path='{path}',"
        f"interface='{PROPS_IFACE}',member='PropertiesChanged'"
    )


class WatchedPaths:
    """Unit names by object path, each with its match rule on ``conn``."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.names: dict[str, str] = {}

    def name_at(self, path: str) -> str | None:
        return self.names.get(path)

    async def add(self, names: Iterable[str]) -> bool:
        """Add a match for each unit before it is read; False when the limit of
        watched units leaves no room for them."""
        new = []
        room = True
        for name in names:
            path = unit_path(name)
            if path in self.names:
                continue
            if len(self.names) >= MAX_UNITS:
                log.warning("%s manager: more than %d units; not watching %s",
                            self.conn.manager, MAX_UNITS, name)
                room = False
                break
            self.names[path] = name
            new.append(path)
        # The names recorded before the limit get their rules too: recorded without
        # one, a unit would count as watched and never hear of a change.
        await asyncio.gather(*(self.conn.add_match(props_rule(p)) for p in new))
        return room

    async def keep_only(self, keep: set[str]) -> None:
        """Stop watching every unit not in ``keep``."""
        keep_paths = {unit_path(n) for n in keep}
        gone = [p for p in self.names if p not in keep_paths]
        for path in gone:
            self.names.pop(path, None)
        await asyncio.gather(*(self.conn.remove_match(props_rule(p)) for p in gone))
