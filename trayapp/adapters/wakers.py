"""Which of the user's own processes woke a daemon: best effort, without privilege.

Asked right when a dormant daemon's service starts, while the client that
woke it is usually still connected:

1. The clients' ends of the connections.  For AF_UNIX, the kernel's
   sock_diag netlink interface (what ``ss -x`` uses; open to any user)
   lists the listening socket with the peers of the connections still
   waiting in its queue (UNIX_DIAG_ICONS: right at activation the daemon
   has not accepted yet), and every accepted socket with its bound path
   and its peer's inode (the daemon's end carries the listening path).
   For TCP, /proc/net/tcp{,6} lists the clients' ends directly: remote
   port = the listening port.
2. The clients' inodes are looked up in /proc/PID/fd of the processes we
   may read (our own user's; all of them for root).

It reads kernel tables only and never connects to anything, so it cannot
wake a daemon.  The answer (core.causes.Wakers) counts the connections
seen, so that "no client was waiting" (a ``systemctl start``) is told apart
from "a client we cannot see" (another user's process: its fds are not ours
to read), and names the clients found: command, PID and user.
"""

from __future__ import annotations

import logging
import os
import pwd
from collections.abc import Iterable, Sequence
from pathlib import Path

from trayapp.adapters import socktables
from trayapp.core import netstat
from trayapp.core.causes import Client, Wakers

log = logging.getLogger(__name__)

def unix_peers(paths: Iterable[str]) -> set[int]:
    """Inodes of the client ends of connections to these socket paths, queued or accepted."""
    wanted = {p.encode(): socktables.file_id(p) for p in paths}
    if not wanted:
        return set()
    peers: set[int] = set()
    for sock in socktables.dump():
        if sock.name is not None and sock.name in wanted and socktables.bound_to(
                sock, sock.name, wanted[sock.name]):
            peers.update(sock.queued)
            if sock.peer:
                peers.add(sock.peer)
    return peers


def tcp_clients(proc_net_tcp: str, port: int) -> set[int]:
    """Inodes of local client sockets connected to ``port`` (remote port = it)."""
    found: set[int] = set()
    for line in proc_net_tcp.splitlines()[1:]:
        parts = line.split()
        if len(parts) < 10 or ":" not in parts[2] or parts[3] != "01":
            continue
        try:
            remote_port = int(parts[2].rsplit(":", 1)[1], 16)
            inode = int(parts[9])
        except ValueError:
            continue
        if remote_port == port and inode:
            found.add(inode)
    return found


def owners(inodes: set[int], proc: Path = Path("/proc")) -> list[Client]:
    """The processes we may read that hold one of ``inodes``, by PID."""
    if not inodes:
        return []
    targets = {f"socket:[{i}]" for i in inodes}
    me = os.getuid()
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            uid = entry.stat().st_uid
            if me != 0 and uid != me:
                continue  # others' fds are unreadable anyway: skip the failed reads
            fds = list((entry / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) in targets:
                    found.append(Client(int(entry.name), _process_name(entry), _user(uid)))
                    break
            except OSError:
                continue
    return sorted(found, key=lambda c: c.pid)


def _process_name(entry: Path) -> str:
    try:
        # Any user may name a process with bytes that are not UTF-8.
        return (entry / "comm").read_bytes().decode(errors="replace").strip() or "?"
    except OSError:
        return "?"


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def find(listen: Sequence[tuple[str, str]]) -> Wakers | None:
    """Who is connected to these ``Listen=`` addresses now; None: cannot tell
    (no stream socket to look at, or the kernel's table could not be read)."""
    paths = [a for k, a in listen if k == "Stream" and a.startswith("/")]
    ports = [p for k, a in listen if k == "Stream" and (p := netstat.tcp_port(a)) is not None]
    clients: set[int] = set()
    told = bool(paths or ports)
    try:
        clients |= unix_peers(paths)
    except OSError as exc:  # no netlink in a sandbox: the TCP part may still answer
        log.info("sock_diag unavailable: %s", exc)
        told = False
    if ports:
        tcp = socktables.tcp_table()
        for port in ports:
            clients |= tcp_clients(tcp, port)
    if not told and not clients:
        return None  # "nobody connected" would be a guess
    return Wakers(len(clients), tuple(owners(clients)))
