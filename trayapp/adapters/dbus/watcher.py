"""Keeps a DaemonTable equal to one systemd manager's state, from signals only.

Signals used (org.freedesktop.systemd1(5)):

* ``Subscribe()`` first: without it PID 1 emits no unit signals at all.
* ``PropertiesChanged`` on each watched unit's object path (one match rule
  per path, so other units' chatter never reaches us).
* ``UnitNew`` for socket units that appear while we watch.
* ``UnitFilesChanged`` (carries nothing): enablement is never signalled as a
  property, so re-list the unit files and re-read their states.
* ``Reloading(false)`` after a daemon-reload: resync everything, since units
  may have been added, removed or changed on disk.
* ``UnitRemoved`` is ignored: systemd sends it when it garbage-collects an
  inactive unit from memory, which says nothing about the unit file; reading
  the unit again would load it and start a load/collect loop.

Replies and signals from systemd are ordered by their sender serials, but a
reply is handed to us a loop iteration later than a signal that came after
it; SerialClock keeps a stale reply from overwriting a newer signal.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Iterable
from typing import Any

from dbus_fast import Message, MessageType

from trayapp.core.model import UnitInfo, service_of
from trayapp.core.table import DaemonTable

from . import units
from .bus import MANAGER_IFACE, MANAGER_PATH, PROPS_IFACE, SYSTEMD, Connection, unit_path

log = logging.getLogger(__name__)

_MANAGER_RULE = (
    f"type='signal',sender='{SYSTEMD}',path='{MANAGER_PATH}',interface='{MANAGER_IFACE}'"
)


# systemd re-executing (daemon-reexec) or restarting gives its bus name a new
# owner; the new instance's serials start again from 1.
_OWNER_RULE = (
    "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
    f"member='NameOwnerChanged',arg0='{SYSTEMD}'"
)


def _props_rule(path: str) -> str:
    return (
        f"type='signal',sender='{SYSTEMD}',path='{path}',"
        f"interface='{PROPS_IFACE}',member='PropertiesChanged'"
    )


class SerialClock:
    """Per (unit, field), the sender serial of the message that last set it."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], int] = {}

    def clear(self) -> None:
        self._seen.clear()

    def fresh(self, unit: str, fields: dict[str, Any], serial: int) -> dict[str, Any]:
        """The fields that are newer than what was applied before; records them."""
        out = {}
        for name, value in fields.items():
            if self._seen.get((unit, name), -1) <= serial:
                self._seen[(unit, name)] = serial
                out[name] = value
        return out


def _fields(info: UnitInfo) -> dict[str, Any]:
    return {f.name: getattr(info, f.name) for f in dataclasses.fields(info) if f.name != "name"}


class Watcher:
    """Follows one manager's socket units and their services into ``table``."""

    def __init__(self, conn: Connection, table: DaemonTable) -> None:
        self.conn = conn
        self.table = table
        self.manager = conn.manager
        self._clock = SerialClock()
        self._names_by_path: dict[str, str] = {}
        self._matched: set[str] = set()
        self._buffer: list[tuple[str, dict[str, Any], int]] | None = None
        self._reloading = False
        self._resync_task: asyncio.Task[None] | None = None
        self._resync_again = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._reading: set[str] = set()
        self.synced = asyncio.Event()

    async def start(self) -> None:
        """Subscribe, read everything, and follow changes from then on."""
        self.conn.on_message(self._on_message)
        await self.conn.add_match(_MANAGER_RULE)
        await self.conn.add_match(_OWNER_RULE)
        await self.conn.call("Subscribe")
        await self._resync()

    # -- signals -------------------------------------------------------------

    def _on_message(self, msg: Message) -> None:
        if msg.message_type != MessageType.SIGNAL:
            return
        try:
            if msg.member == "PropertiesChanged" and msg.interface == PROPS_IFACE:
                self._on_properties(msg)
            elif msg.member == "NameOwnerChanged" and msg.body[:1] == [SYSTEMD]:
                if len(msg.body) == 3 and msg.body[2]:
                    log.info("%s manager has a new bus owner: resubscribing", self.manager)
                    self._clock.clear()
                    self._spawn(self._resubscribe())
            elif msg.path == MANAGER_PATH and msg.interface == MANAGER_IFACE:
                self._on_manager_signal(msg)
        except Exception:  # a malformed signal must not kill the watcher
            log.exception("cannot handle %s %s", msg.member, msg.path)

    def _on_properties(self, msg: Message) -> None:
        name = self._names_by_path.get(msg.path or "")
        if name is None or len(msg.body) < 2:
            return
        fields = units.fields_from_properties(msg.body[1])
        invalidated = msg.body[2] if len(msg.body) > 2 else []
        if any(p in units.PROPERTIES for p in invalidated if isinstance(p, str)):
            self._spawn(self._read_one(name))
        if not fields:
            return
        if self._buffer is not None:
            self._buffer.append((name, fields, msg.serial))
            return
        fresh = self._clock.fresh(name, fields, msg.serial)
        if fresh:
            self.table.update(self.manager, name, fresh)

    def _on_manager_signal(self, msg: Message) -> None:
        member = msg.member
        if member == "Reloading" and msg.body:
            self._reloading = bool(msg.body[0])
            if not self._reloading:
                self.request_resync()
        elif member == "UnitFilesChanged":
            self._spawn(self._refresh_unit_files())
        elif member == "UnitNew" and not self._reloading and msg.body:
            name = msg.body[0]
            if (
                isinstance(name, str)
                and name.endswith(".socket")
                and not name.endswith("@.socket")
                and self.table.unit(self.manager, name) is None
            ):
                self._spawn(self._read_one(name))

    async def _resubscribe(self) -> None:
        await self.conn.call("Subscribe")
        self.request_resync()

    # -- reading -------------------------------------------------------------

    def request_resync(self) -> None:
        """Read everything again, once, after any resync already running."""
        if self._resync_task and not self._resync_task.done():
            self._resync_again = True
            return
        self._resync_task = asyncio.get_running_loop().create_task(self._resync_loop())

    async def _resync_loop(self) -> None:
        while True:
            self._resync_again = False
            try:
                await self._resync()
            except Exception:
                log.exception("resync of the %s manager failed", self.manager)
            if not self._resync_again:
                return

    async def _resync(self) -> None:
        self._buffer = []
        try:
            results = await units.read_all(self.conn, prepare=self._watch_paths)
            self._clock.clear()
            infos: dict[str, UnitInfo] = {}
            for info, serial in results:
                self._clock.fresh(info.name, _fields(info), serial)
                infos[info.name] = info
            for name, fields, serial in self._buffer:
                if name in infos:
                    fresh = self._clock.fresh(name, fields, serial)
                    infos[name] = dataclasses.replace(infos[name], **fresh)
        finally:
            self._buffer = None
        self.table.replace(self.manager, infos.values())
        await self._unwatch_paths_except(self.table.unit_names(self.manager))
        self.synced.set()

    async def _read_one(self, name: str) -> None:
        """Read a unit that appeared, or whose properties were invalidated."""
        if name in self._reading:
            return
        self._reading.add(name)
        try:
            await self._watch_paths([name])
            info, serial = await units.read_unit(self.conn, name)
        finally:
            self._reading.discard(name)
        known = self.table.unit(self.manager, name)
        if known is None:
            self._clock.fresh(name, _fields(info), serial)
            self.table.put(self.manager, info)
        else:
            fresh = self._clock.fresh(name, _fields(info), serial)
            self.table.update(self.manager, name, fresh)
        if info.is_socket:
            service = service_of(info)
            if self.table.unit(self.manager, service) is None and not service.endswith("@.service"):
                await self._read_one(service)

    async def _refresh_unit_files(self) -> None:
        """Enable/disable/mask happened somewhere: re-read enablement."""
        sockets = await units.list_socket_names(self.conn)
        if sockets != set(self.table.socket_names(self.manager)):
            self.request_resync()
            return
        names = self.table.unit_names(self.manager)
        states = await units.unit_file_states(self.conn, names)
        for name, state in states.items():
            if name in names:
                self.table.update(self.manager, name, {"unit_file_state": state})

    # -- match rules ---------------------------------------------------------

    async def _watch_paths(self, names: Iterable[str]) -> None:
        """Add a PropertiesChanged match for each unit before it is read."""
        new = []
        for name in names:
            path = unit_path(name)
            self._names_by_path[path] = name
            if path not in self._matched:
                self._matched.add(path)
                new.append(path)
        await asyncio.gather(*(self.conn.add_match(_props_rule(p)) for p in new))

    async def _unwatch_paths_except(self, keep: set[str]) -> None:
        keep_paths = {unit_path(n) for n in keep}
        gone = [p for p in self._matched if p not in keep_paths]
        for path in gone:
            self._matched.discard(path)
            self._names_by_path.pop(path, None)
        await asyncio.gather(*(self.conn.remove_match(_props_rule(p)) for p in gone))

    def _spawn(self, coro: Awaitable[None]) -> None:
        async def guarded() -> None:
            try:
                await coro
            except Exception:
                log.exception("background read on the %s manager failed", self.manager)

        task = asyncio.get_running_loop().create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

