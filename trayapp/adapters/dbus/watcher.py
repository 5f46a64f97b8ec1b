"""Keeps a DaemonTable equal to one systemd manager's state, from signals only.

Signals used (org.freedesktop.systemd1(5)):

* ``Subscribe()`` first: without it PID 1 emits no unit signals at all.
* ``PropertiesChanged`` on each watched unit's object path (one match rule
  per path, so other units' chatter never reaches us; paths.WatchedPaths).
* ``UnitNew`` for socket units that appear while we watch, read only when a
  unit file of that name is in the manager's search path (transient and
  generated units have one too): anyone can make PID 1 load a name, and
  reading a ``not-found`` stub loads it again, which PID 1 announces again (a
  loop, issue 22).
* ``UnitFilesChanged`` (carries nothing): enablement is never signalled as a
  property, so re-list the unit files and re-read their states.
* ``Reloading(false)`` after a daemon-reload: resync everything, since units
  may have been added, removed or changed on disk.
* ``UnitRemoved`` is ignored: systemd sends it when it garbage-collects an
  inactive unit from memory, which says nothing about the unit file; reading
  the unit again would load it and start a load/collect loop.  Except for a
  transient socket (trayapp's proxy, issue 15): it has no file, so once
  collected it is gone, and it leaves the table without a read.

Signals come only through ``Connection.on_signal``: from the current owner
of org.freedesktop.systemd1, anything else is dropped (trust.SignalGate).
Replies and signals from systemd are ordered by their sender serials, but a
reply is handed to us a loop iteration later than a signal that came after
it; SerialClock keeps a stale reply from overwriting a newer signal, and
compares serials only within the current owner.

Work is bounded whatever arrives: full resyncs (Reloading(false), a new
owner), enablement re-reads (UnitFilesChanged) and unit reads (UnitNew,
invalidated properties) each run at most once in flight and once queued
(coalesce.Coalescer); at most paths.MAX_UNITS units are watched.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any

from dbus_fast import Message

from trayapp.core.model import UnitInfo, service_of
from trayapp.core.table import DaemonTable

from . import units
from .bus import MANAGER_IFACE, MANAGER_PATH, PROPS_IFACE, SYSTEMD, Connection
from .coalesce import Coalescer
from .paths import MAX_UNITS, WatchedPaths
from .serials import SerialClock
from .units import Stamp

log = logging.getLogger(__name__)

# Units waiting to be read one by one; more than this at once is cheaper as a resync.
MAX_PENDING = 256

_MANAGER_RULE = (
    f"type='signal',sender='{SYSTEMD}',path='{MANAGER_PATH}',interface='{MANAGER_IFACE}'"
)


def _fields(info: UnitInfo) -> dict[str, Any]:
    return {f.name: getattr(info, f.name) for f in dataclasses.fields(info) if f.name != "name"}


class Watcher:
    """Follows one manager's socket units and their services into ``table``."""

    def __init__(self, conn: Connection, table: DaemonTable) -> None:
        self.conn = conn
        self.table = table
        self.manager = conn.manager
        self._clock = SerialClock(conn.owner(SYSTEMD))
        self._paths = WatchedPaths(conn)
        # During a resync: the newest value per (unit, field) that signals brought.
        self._buffer: dict[tuple[str, str], tuple[Any, Stamp]] | None = None
        self._reloading = False
        self._resubscribe = False
        self._pending: set[str] = set()
        # One resync at a time: start() reads directly while signals may ask for
        # another through the coalescer, and both share the signal buffer.
        self._resync_lock = asyncio.Lock()
        self._resyncs = Coalescer(self._resync, f"resync of the {self.manager} manager")
        self._files = Coalescer(self._refresh_unit_files, f"{self.manager} unit files re-read")
        self._reads = Coalescer(self._read_pending, f"{self.manager} unit reads")
        self.synced = asyncio.Event()
        self.stubs_ignored = 0  # names announced without a unit file: not read
        self._search_path: list[str] | None = None  # the manager's UnitPath, read once

    async def start(self) -> None:
        """Subscribe, read everything, and follow changes from then on."""
        self.conn.on_signal(SYSTEMD, self._on_signal)
        self.conn.on_owner(SYSTEMD, self._owner_changed)
        await self.conn.add_match(_MANAGER_RULE)
        await self.conn.call("Subscribe")
        await self._resync()

    def work(self) -> dict[str, int]:
        """How many re-reads ran (for tests and the benchmark)."""
        return {"resyncs": self._resyncs.runs, "unit_files": self._files.runs,
                "reads": self._reads.runs, "stubs_ignored": self.stubs_ignored}

    # -- signals (from systemd's current owner only) --------------------------

    def _on_signal(self, msg: Message) -> None:
        if msg.member == "PropertiesChanged" and msg.interface == PROPS_IFACE:
            self._on_properties(msg)
        elif msg.path == MANAGER_PATH and msg.interface == MANAGER_IFACE:
            self._on_manager_signal(msg)

    def _owner_changed(self, owner: str | None) -> None:
        self._clock.reset(owner)
        self._search_path = None  # a new manager may have another
        if owner is not None:
            log.info("%s manager has a new bus owner: resubscribing", self.manager)
            self._resubscribe = True
            self._resyncs.request()

    def _on_properties(self, msg: Message) -> None:
        name = self._paths.name_at(msg.path or "")
        if name is None or len(msg.body) < 2:
            return
        fields = units.fields_from_properties(msg.body[1])
        invalidated = msg.body[2] if len(msg.body) > 2 else []
        if isinstance(invalidated, list) and any(
            p in units.PROPERTIES for p in invalidated if isinstance(p, str)
        ):
            self._read_later(name)
        if not fields:
            return
        stamp = Stamp(msg.sender or "", msg.serial)
        if self._buffer is not None:
            self._buffer.update({(name, k): (v, stamp) for k, v in fields.items()})
            return
        fresh = self._clock.fresh(name, fields, stamp)
        if fresh:
            self.table.update(self.manager, name, fresh)

    def _on_manager_signal(self, msg: Message) -> None:
        member = msg.member
        if member == "Reloading" and msg.body:
            self._reloading = bool(msg.body[0])
            if not self._reloading:
                self._resyncs.request()
        elif member == "UnitFilesChanged":
            self._files.request()
        elif member == "UnitRemoved" and msg.body and isinstance(msg.body[0], str):
            unit = self.table.unit(self.manager, msg.body[0])
            if unit is not None and unit.is_socket and unit.unit_file_state == "transient":
                self.table.remove(self.manager, unit.name)
        elif member == "UnitNew" and not self._reloading and msg.body:
            name = msg.body[0]
            if (
                isinstance(name, str)
                and name.endswith(".socket")
                and not name.endswith("@.socket")
                and self._unknown(name)
            ):
                self._read_later(name)

    def _unknown(self, name: str) -> bool:
        """Not in the table, or only as a stub: a name looked up before the unit existed
        (GetAll of a missing unit) comes back ``not-found``; once it exists for real
        (a transient proxy socket, issue 15), systemd announces it with UnitNew again."""
        unit = self.table.unit(self.manager, name)
        return unit is None or unit.load_state == "not-found"

    # -- reading -------------------------------------------------------------

    def request_resync(self) -> None:
        """Read everything again, once, after any resync already running."""
        self._resyncs.request()

    async def _resync(self) -> None:
        async with self._resync_lock:
            await self._resync_once()

    async def _resync_once(self) -> None:
        if self._resubscribe:
            self._resubscribe = False
            await self.conn.call("Subscribe")
        self._buffer = {}
        try:
            results = await units.read_all(self.conn, prepare=self._paths.add,
                                           services=self.table.followed(self.manager))
            self._clock.reset(self.conn.owner(SYSTEMD))
            infos: dict[str, UnitInfo] = {}
            for info, stamp in results[:MAX_UNITS]:
                self._clock.fresh(info.name, _fields(info), stamp)
                infos[info.name] = info
            for (name, key), (value, stamp) in self._buffer.items():
                if name in infos:
                    fresh = self._clock.fresh(name, {key: value}, stamp)
                    infos[name] = dataclasses.replace(infos[name], **fresh)
        finally:
            self._buffer = None
        self.table.replace(self.manager, infos.values())
        keep = self.table.unit_names(self.manager)
        self._clock.forget(keep)
        await self._paths.keep_only(keep)
        self.synced.set()

    def _read_later(self, name: str) -> None:
        """Read ``name`` soon, with others asked for meanwhile (bounded)."""
        if len(self._pending) >= MAX_PENDING:
            self._pending.clear()
            self._resyncs.request()  # one full read instead of a queue without end
            return
        self._pending.add(name)
        self._reads.request()

    async def _read_pending(self) -> None:
        asked, self._pending = self._pending, set()
        # Only names with a unit file (units.has_unit_file): a stub's UnitNew, which
        # any local user can cause with one LoadUnit, is not read, so PID 1 does
        # not load it again and announce it again, for ever.
        if self._search_path is None:
            self._search_path = await units.search_path(self.conn)
        names = sorted(n for n in asked if units.has_unit_file(self._search_path, n))
        self.stubs_ignored += len(asked) - len(names)
        results = await asyncio.gather(*(self._read_one(n) for n in names),
                                       return_exceptions=True)
        for name, result in zip(names, results, strict=True):
            if isinstance(result, Exception):
                log.info("cannot read %s on the %s manager: %s", name, self.manager, result)

    async def _read_one(self, name: str) -> None:
        """Read a unit that appeared, or whose properties were invalidated."""
        if not await self._paths.add([name]):
            return
        info, stamp = await units.read_unit(self.conn, name)
        fresh = self._clock.fresh(name, _fields(info), stamp)
        if self.table.unit(self.manager, name) is None:
            if fresh:
                self.table.put(self.manager, info)
        elif fresh:
            self.table.update(self.manager, name, fresh)
        if info.is_socket:
            service = service_of(info)
            if self.table.unit(self.manager, service) is None and not service.endswith("@.service"):
                await self._read_one(service)

    async def _refresh_unit_files(self) -> None:
        """Enable/disable/mask happened somewhere: re-read enablement."""
        sockets = await units.list_socket_names(self.conn)
        if sockets != set(self.table.socket_names(self.manager)):
            self._resyncs.request()
            return
        names = self.table.unit_names(self.manager)
        states = await units.unit_file_states(self.conn, names)
        for name, state in states.items():
            if name in names:
                self.table.update(self.manager, name, {"unit_file_state": state})

    def close(self) -> None:
        for work in (self._resyncs, self._files, self._reads):
            work.cancel()
