"""What the proxy's plans are made from, read from systemd and the kernel.

The proxy's units themselves are made and removed by the executor
(jobs.py: the CREATE and REMOVE steps core/proxy_plans.py plans).  Here:
whether they exist, the programs they run (systemd-socket-proxyd, awk),
the uid that must hold the daemon's back end, and what the running daemon
listens on: its MainPID from systemd, the owner of that process from /proc,
that user's listening TCP sockets from the kernel's table.  Nothing
connects to anything, and nothing here changes systemd.
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path

from trayapp.adapters.socktables import tcp_table
from trayapp.core import proxy as core
from trayapp.core import proxy_address as addr
from trayapp.core.proxy_holder import AWK_PATHS

from .bus import Connection
from .units import loaded, read_properties


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


async def holder(conn: Connection, spec: core.ProxySpec) -> tuple[str, int] | None:
    """(awk's path, the uid that must hold the back end) for the proxy's check at each
    start (issue 22); None for a Unix back end.  Raises ProxyRefusal when the uid or
    awk cannot be found."""
    if spec.backend.is_unix:
        return None
    uid, awk = await holder_uid(conn, spec.service, spec.holder_uid), find_awk()
    if uid is None:
        raise addr.ProxyRefusal(
            f"cannot tell which user {spec.service} runs as, so the proxy could not check "
            "that its back end is the daemon's: start it, then switch it to on-demand again")
    if awk is None:
        raise addr.ProxyRefusal(f"awk is missing (looked for {' and '.join(AWK_PATHS)}):"
                                " the proxy checks its back end with it")
    return awk, uid


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
