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
import socket
import struct
from collections.abc import Iterable, Sequence
from pathlib import Path

from trayapp.core import netstat
from trayapp.core.causes import Client, Wakers

log = logging.getLogger(__name__)

# linux/netlink.h, linux/sock_diag.h, linux/unix_diag.h
NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST = 0x1
NLM_F_DUMP = 0x300
NLMSG_ERROR = 2
NLMSG_DONE = 3
UDIAG_SHOW_NAME = 0x1
UDIAG_SHOW_PEER = 0x4
UDIAG_SHOW_ICONS = 0x8
UNIX_DIAG_NAME = 0
UNIX_DIAG_PEER = 2
UNIX_DIAG_ICONS = 3
TCP_ESTABLISHED = 1
TCP_LISTEN = 10

_NLMSGHDR = struct.Struct("=IHHII")
_UNIX_DIAG_REQ = struct.Struct("=BBHIIIII")  # family, protocol, pad, states, ino, show, cookie
_UNIX_DIAG_MSG = struct.Struct("=BBBBIII")  # family, type, state, pad, ino, cookie
_RTATTR = struct.Struct("=HH")


def _align(n: int) -> int:
    return (n + 3) & ~3


def unix_peers(paths: Iterable[str]) -> set[int]:
    """Inodes of the client ends of connections to these socket paths, queued or accepted."""
    wanted = {p.encode() for p in paths}
    if not wanted:
        return set()
    states = (1 << TCP_ESTABLISHED) | (1 << TCP_LISTEN)
    show = UDIAG_SHOW_NAME | UDIAG_SHOW_PEER | UDIAG_SHOW_ICONS
    req = _UNIX_DIAG_REQ.pack(socket.AF_UNIX, 0, 0, states, 0, show, 0xFFFFFFFF, 0xFFFFFFFF)
    header = _NLMSGHDR.pack(_NLMSGHDR.size + len(req), SOCK_DIAG_BY_FAMILY,
                            NLM_F_REQUEST | NLM_F_DUMP, 1, 0)
    peers: set[int] = set()
    with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_SOCK_DIAG) as nl:
        nl.settimeout(2.0)
        nl.send(header + req)
        while True:
            data = nl.recv(65536)
            offset = 0
            while offset + _NLMSGHDR.size <= len(data):
                length, kind, _flags, _seq, _pid = _NLMSGHDR.unpack_from(data, offset)
                if length < _NLMSGHDR.size:
                    return peers
                if kind == NLMSG_DONE:
                    return peers
                if kind == NLMSG_ERROR:
                    raise OSError("sock_diag refused the dump")
                body = data[offset + _NLMSGHDR.size : offset + length]
                name, clients = _parse_unix_msg(body)
                if name in wanted:
                    peers |= clients
                offset += _align(length)


def _parse_unix_msg(body: bytes) -> tuple[bytes | None, set[int]]:
    """The socket's bound name, and the client inodes it shows (its peer, its queue)."""
    name: bytes | None = None
    clients: set[int] = set()
    offset = _UNIX_DIAG_MSG.size
    while offset + _RTATTR.size <= len(body):
        length, kind = _RTATTR.unpack_from(body, offset)
        if length < _RTATTR.size:
            break
        value = body[offset + _RTATTR.size : offset + length]
        if kind == UNIX_DIAG_NAME:
            # A path name comes with its terminating NUL (an abstract one starts with NUL).
            name = value if value.startswith(b"\0") else value.rstrip(b"\0")
        elif kind == UNIX_DIAG_PEER and len(value) >= 4:
            clients.add(struct.unpack_from("=I", value)[0])
        elif kind == UNIX_DIAG_ICONS:
            clients.update(struct.unpack_from(f"={len(value) // 4}I", value))
        offset += _align(length)
    clients.discard(0)
    return name, clients


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
        return (entry / "comm").read_text().strip() or "?"
    except OSError:
        return "?"


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


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
        tcp = _read("/proc/net/tcp") + _read("/proc/net/tcp6")
        for port in ports:
            clients |= tcp_clients(tcp, port)
    if not told and not clients:
        return None  # "nobody connected" would be a guess
    return Wakers(len(clients), tuple(owners(clients)))
