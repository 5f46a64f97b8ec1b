"""The proxy's units in systemd: made with StartTransientUnit, removed with StopUnit.

One call makes both: the socket unit (``Listen`` a(ss), the wire name of
ListenStream=) and, as its auxiliary unit, the proxy service of the same
name that the socket triggers.  Transient units live in /run/systemd/transient
and vanish at reboot (or once stopped and inactive): trayapp re-creates them
from the user's settings when it starts (usecases/proxy.py).  Every call here
mutates and goes through the executor (jobs.py: start_transient, run_step),
with ALLOW_INTERACTIVE_AUTHORIZATION.

Also here, what the running daemon listens on: its MainPID from systemd, the
owner of that process from /proc, that user's listening TCP sockets from the
kernel's table.  Nothing connects to anything.
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path

from dbus_fast import Variant

from trayapp.adapters.socktables import tcp_table
from trayapp.core import proxy as core
from trayapp.core import proxy_address as addr
from trayapp.core.model import UnitInfo
from trayapp.core.plans import Step, Verb
from trayapp.core.proxy_holder import AWK_PATHS

from .bus import Connection
from .jobs import JobFollower, StepFailed, reset_failed, run_step, start_transient
from .units import read_properties, read_unit


def find_proxyd() -> str | None:
    """The path of systemd-socket-proxyd on this machine, if it is installed."""
    for path in core.PROXYD_PATHS:
        if os.access(path, os.X_OK):
            return path
    return None


def find_awk() -> str | None:
    for path in AWK_PATHS:
        if os.access(path, os.X_OK):
            return path
    return None


async def holder_uid(conn: Connection, service: str, known: int = -1) -> int | None:
    """The uid that must hold the daemon's back end: its main process's while it runs,
    else ``known`` (seen when the proxy was made, kept in the settings), else its
    User=; None when it cannot be known: a daemon started as root that changes user
    itself (PostgreSQL's pg_ctlcluster) shows its user only while it runs, and a
    DynamicUser= daemon gets a new one at each start."""
    props = await read_properties(conn, service)
    pid = props.get("MainPID")
    if isinstance(pid, int) and pid > 0:
        uid = _uid_of(pid)
        if uid is not None:
            return uid
    if known >= 0:
        return known
    if props.get("DynamicUser") is True:
        return None
    user = props.get("User")
    if not isinstance(user, str) or not user:
        return None
    if user.isdigit():
        return int(user)
    try:
        return pwd.getpwnam(user).pw_uid
    except KeyError:
        return None


def _variants(props: list[core.Property]) -> list[tuple[str, Variant]]:
    return [(name, Variant(sig, value)) for name, sig, value in props]


async def create(conn: Connection, jobs: JobFollower, spec: core.ProxySpec, proxyd: str) -> int:
    """Make and start the proxy's socket (its service comes with it, started by the
    first client).  Returns the uid that must hold the back end (-1: a Unix one).
    Raises StepFailed when systemd or polkit refuses."""
    socket = core.socket_name(spec.service)
    step = Step(Verb.START, (socket,))
    holder = None
    if not spec.backend.is_unix:  # who may listen there: checked at each start (issue 22)
        uid, awk = await holder_uid(conn, spec.service, spec.holder_uid), find_awk()
        if uid is None:
            raise StepFailed(step, f"cannot tell which user {spec.service} runs as, so "
                                   "the proxy could not check that its back end is the "
                                   "daemon's: start it, then switch it to on-demand again")
        if awk is None:
            raise StepFailed(step, f"awk is missing (looked for {' and '.join(AWK_PATHS)}):"
                                   " the proxy checks its back end with it")
        holder = (awk, uid)
    aux = [(core.proxy_service_name(spec.service),
            _variants(core.service_properties(spec, proxyd, holder)))]
    result = await start_transient(conn, jobs, step, _variants(core.socket_properties(spec)),
                                   aux)
    if result != "done":
        # A socket that could not bind (the address is taken) fails: remove it.
        await remove(conn, jobs, spec.service)
        raise StepFailed(step, f"the proxy's socket {socket} did not start ('{result}'): is "
                               "another program listening on the client address?")
    return holder[1] if holder is not None else -1


async def remove(conn: Connection, jobs: JobFollower, service: str) -> bool:
    """Stop the proxy's socket and service; transient units then vanish.  Returns
    whether there was one; a refused stop raises StepFailed."""
    found = False
    for name in (core.socket_name(service), core.proxy_service_name(service)):
        info = await loaded(conn, name)
        if info is None:
            continue
        found = True
        if info.active_state != "inactive":
            await run_step(conn, jobs, Step(Verb.STOP, (name,)))
        info = await loaded(conn, name)
        if info is not None and info.active_state == "failed":
            # A failed unit stays loaded until reset; an inactive transient one goes.
            await reset_failed(conn, name)
    return found


async def loaded(conn: Connection, name: str) -> UnitInfo | None:
    """The unit if systemd has it loaded now.  Asked with ListUnitsByPatterns: a
    GetAll on a missing unit would make systemd load a ``not-found`` stub of it."""
    reply = await conn.call("ListUnitsByPatterns", "asas", [[], [name]])
    listed = reply.body[0] if reply.body and isinstance(reply.body[0], list) else []
    if not any(isinstance(e, (list, tuple)) and e and e[0] == name for e in listed):
        return None
    info, _ = await read_unit(conn, name)
    return info if info.load_state == "loaded" else None


async def exists(conn: Connection, service: str) -> bool:
    info = await loaded(conn, core.socket_name(service))
    return info is not None and info.active_state in ("active", "activating")


async def listening(conn: Connection, service: str) -> tuple[int | None, list[addr.Address]]:
    """The uid of the service's main process, and the TCP addresses that user listens
    on now ((None, []) when it does not run)."""
    props = await read_properties(conn, service)
    pid = props.get("MainPID")
    if not isinstance(pid, int) or pid <= 0:
        return None, []
    uid = _uid_of(pid)
    if uid is None:
        return None, []
    return uid, addr.listening(tcp_table(), uid)


def _uid_of(pid: int) -> int | None:
    """The real uid of a process, from /proc/PID/status (readable by anyone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_bytes().decode("ascii", "replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("Uid:"):
            fields = line.split()
            return int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else None
    return None
