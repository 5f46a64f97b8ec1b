"""Reading socket units and their services from systemd, as plain UnitInfo.

Start-up costs two calls (the manager's unit search path, read from disk
here, and the loaded socket units) plus one GetAll per socket unit and per
service.  GetAll on a unit's object path loads an unloaded unit (systemd's
bus_unit_find), so units that exist only as files cost no extra LoadUnit; a
name with no unit file is never read (has_unit_file).
Only manager and property calls are made: nothing here ever connects to a
daemon's socket, so looking never wakes a dormant daemon.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, NamedTuple

from dbus_fast import Variant

from trayapp.core.model import UnitInfo, service_of

from .bus import MANAGER_IFACE, MANAGER_PATH, PROPS_IFACE, Connection, SystemdError, unit_path

log = logging.getLogger(__name__)

_NO_VALUE = 2**64 - 1  # systemd's "not available" for uint64 counters
# The load state of a name looked up with no unit behind it (see has_unit_file).
STUB_STATES = frozenset({"not-found"})


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def _strs(v: Any) -> tuple[str, ...] | None:
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return tuple(v)
    return None


def _usec(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < _NO_VALUE else None



def _bool(v: Any) -> bool | None:
    return v if isinstance(v, bool) else None


def _job(v: Any) -> int | None:
    """The id of a ``(uo)`` job reference (0: no job)."""
    if isinstance(v, (list, tuple)) and len(v) == 2:
        return _usec(v[0])
    return None


def _listen(v: Any) -> tuple[tuple[str, str], ...] | None:
    if not isinstance(v, list):
        return None
    out = []
    for item in v:
        if not (isinstance(item, (list, tuple)) and len(item) == 2):
            return None
        kind, address = item
        if not (isinstance(kind, str) and isinstance(address, str)):
            return None
        out.append((kind, address))
    return tuple(out)


# D-Bus property -> (UnitInfo field, converter).  A value of an unexpected
# type is dropped (and logged) rather than trusted.
PROPERTIES = {
    "LoadState": ("load_state", _str),
    "ActiveState": ("active_state", _str),
    "SubState": ("sub_state", _str),
    "UnitFileState": ("unit_file_state", _str),
    "Triggers": ("triggers", _strs),
    "TriggeredBy": ("triggered_by", _strs),
    "BindsTo": ("binds_to", _strs),
    "WantedBy": ("wanted_by", _strs),
    "RequiredBy": ("required_by", _strs),
    "StateChangeTimestamp": ("state_change_usec", _usec),
    "MemoryCurrent": ("memory_bytes", _usec),
    "Accept": ("accept", _bool),
    "Listen": ("listen", _listen),
    "Job": ("job", _job),
    "Result": ("result", _str),  # org.freedesktop.systemd1.Service
}
# Fields whose absence or "not available" value means None, not "keep the old one".
_NULLABLE = frozenset({"memory_bytes"})


def fields_from_properties(props: Any) -> dict[str, Any]:
    """UnitInfo fields from an ``a{sv}`` dict of systemd properties."""
    if not isinstance(props, dict):
        return {}
    out: dict[str, Any] = {}
    for prop, value in props.items():
        spec = PROPERTIES.get(prop)
        if spec is None:
            continue
        field, convert = spec
        raw = value.value if isinstance(value, Variant) else value
        converted = convert(raw)
        if converted is None and field not in _NULLABLE:
            log.debug("ignoring %s=%r: unexpected type", prop, raw)
            continue
        out[field] = converted
    return out


class Stamp(NamedTuple):
    """Who sent a message, and its serial: serials order messages of one sender only."""

    sender: str
    serial: int


async def read_unit(conn: Connection, name: str) -> tuple[UnitInfo, Stamp]:
    """All properties of one unit, and the stamp of the reply that carried them.

    The stamp orders the reply against signals from the same sender (see
    serials.SerialClock).
    """
    # An empty interface asks sd-bus for the properties of every interface
    # of the object (Unit, Socket/Service), in one call.
    reply = await conn.call("GetAll", "s", [""], path=unit_path(name), interface=PROPS_IFACE)
    props = reply.body[0] if reply.body else {}
    return (UnitInfo(name=name, **fields_from_properties(props)),
            Stamp(reply.sender or "", reply.serial))


async def read_properties(conn: Connection, name: str | None = None) -> dict[str, Any]:
    """Every property of a unit (of the manager when ``name`` is None), unwrapped.

    For what systemd never signals and is read when needed: a service's
    CPUUsageNSec, MemoryCurrent, InvocationID and the timestamps of its run
    (the idle watcher and the history), the manager's SystemState.  A
    property read never wakes a daemon.
    """
    path, interface = (MANAGER_PATH, MANAGER_IFACE) if name is None else (unit_path(name), "")
    reply = await conn.call("GetAll", "s", [interface], path=path, interface=PROPS_IFACE)
    props = reply.body[0] if reply.body else {}
    if not isinstance(props, dict):
        return {}
    return {k: v.value if isinstance(v, Variant) else v for k, v in props.items()}


async def list_socket_names(conn: Connection) -> set[str]:
    """Every socket unit, loaded or only installed (templates excluded).

    Loaded units come from ListUnitsByPatterns.  Installed ones are found by
    reading the manager's own search path (its UnitPath property) from disk:
    ListUnitFilesByPatterns answers the same question but makes PID 1 stat
    every unit file of every kind, about 30 ms on a plain Debian system.
    """
    search, loaded = await asyncio.gather(
        search_path(conn), conn.call("ListUnitsByPatterns", "asas", [[], ["*.socket"]]))
    names: set[str] = set()
    for directory in search:
        names |= _socket_files(directory)
    for entry in loaded.body[0] if loaded.body else []:
        # A stub (a name someone looked up with no unit behind it) is no socket:
        # reading it would load it again (see has_unit_file).
        # Nor is an inactive instance of a template, which anyone can make PID 1
        # load by the thousand (an enabled instance listens, so it is active).
        if (isinstance(entry, (list, tuple)) and len(entry) > 3 and isinstance(entry[0], str)
                and entry[2] not in STUB_STATES
                and not ("@" in entry[0] and entry[3] == "inactive")):
            names.add(entry[0])
    # A template (foo@.socket) cannot be loaded; its instances are listed.
    return {n for n in names if n.endswith(".socket") and not n.endswith("@.socket")}


async def search_path(conn: Connection) -> list[str]:
    """The manager's unit search path (its UnitPath property), as read now."""
    reply = await conn.call("Get", "ss", [MANAGER_IFACE, "UnitPath"], interface=PROPS_IFACE)
    found = reply.body[0].value if reply.body and isinstance(reply.body[0], Variant) else []
    return [d for d in found if isinstance(d, str)] if isinstance(found, list) else []


def has_unit_file(directories: Iterable[str], name: str, instances: bool = False) -> bool:
    """Whether a file (or link) named ``name`` is in one of the unit directories.

    Every real unit has one: on disk, generated (/run/systemd/generator*) or
    transient (/run/systemd/transient), all in the manager's search path.  A
    name without one is at most a ``not-found`` stub: reading it (GetAll,
    LoadUnit) would make PID 1 load it again, collect it again and announce it
    again (UnitNew), for ever, and any local user can start that with one
    LoadUnit.  Looking costs no call to PID 1.

    With ``instances``, an instance (``postgresql@15-main.service``) also counts
    when its template's file is there.  The watcher does not ask for that: any
    user can make PID 1 load any number of instances of a template, which would
    fill the units it watches; an instance started later is seen at the next
    resync.
    """
    if not name or "/" in name or name in (".", ".."):
        return False
    names = [name]
    stem, at, rest = name.partition("@")
    if instances and at and rest.partition(".")[0]:
        names.append(f"{stem}@.{rest.rpartition('.')[2]}")
    for directory in directories:
        for candidate in names:
            try:
                os.lstat(os.path.join(directory, candidate))
            except OSError:
                continue
            return True
    return False


def _socket_files(directory: str) -> set[str]:
    try:
        with os.scandir(directory) as entries:
            return {e.name for e in entries if e.name.endswith(".socket")}
    except OSError:  # missing or unreadable directories are normal in UnitPath
        return set()


async def unit_file_states(conn: Connection, names: Iterable[str]) -> dict[str, str]:
    """UnitFileState of many units in one call (enablement is never signalled)."""
    patterns = sorted(set(names))
    reply = await conn.call("ListUnitFilesByPatterns", "asas", [[], patterns])
    states: dict[str, str] = {}
    for entry in reply.body[0] if reply.body else []:
        if isinstance(entry, (list, tuple)) and len(entry) == 2:
            path, state = entry
            if isinstance(path, str) and isinstance(state, str):
                states[path.rsplit("/", 1)[-1]] = state
    return states


async def read_all(
    conn: Connection, prepare: Callable[[Iterable[str]], Awaitable[object]] | None = None,
    services: Iterable[str] = (),
) -> list[tuple[UnitInfo, Stamp]]:
    """Every socket unit, every service one triggers and those of ``services`` (followed
    without a socket) that have a unit file, with reply serials.

    ``prepare`` is awaited with each batch of names before they are read: the
    watcher adds its match rules there, so no change between the read and the
    rule is lost.
    """
    sockets = await list_socket_names(conn)
    if prepare:
        await prepare(sockets)
    socket_infos = await _read_many(conn, sockets)
    followed = set(services)
    if followed:  # a name with no unit file is not read: that would load a stub of it
        where = await search_path(conn)
        followed = {s for s in followed if has_unit_file(where, s, instances=True)}
    names = {service_of(info) for info, _ in socket_infos} | followed
    # A template service (Accept=yes sockets) has no object of its own.
    names = {s for s in names if not s.endswith("@.service")}
    if prepare:
        await prepare(names)
    return socket_infos + await _read_many(conn, names)


async def _read_many(conn: Connection, names: Iterable[str]) -> list[tuple[UnitInfo, Stamp]]:
    results = await asyncio.gather(
        *(read_unit(conn, n) for n in sorted(names)), return_exceptions=True
    )
    out: list[tuple[UnitInfo, Stamp]] = []
    for name, result in zip(sorted(names), results, strict=True):
        if isinstance(result, SystemdError):
            log.info("cannot read %s: %s", name, result)
        elif isinstance(result, BaseException):
            raise result
        else:
            out.append(result)
    return out


async def loaded(conn: Connection, name: str) -> UnitInfo | None:
    """The unit if systemd has it loaded now.  Asked with ListUnitsByPatterns: a
    GetAll on a missing unit would make systemd load a ``not-found`` stub of it."""
    reply = await conn.call("ListUnitsByPatterns", "asas", [[], [name]])
    listed = reply.body[0] if reply.body and isinstance(reply.body[0], list) else []
    if not any(isinstance(e, (list, tuple)) and e and e[0] == name for e in listed):
        return None
    info, _ = await read_unit(conn, name)
    return info if info.load_state == "loaded" else None
