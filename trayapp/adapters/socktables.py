"""The kernel's socket tables: AF_UNIX as structured records (sock_diag netlink), TCP.

What ``ss -x`` uses; open to any user, and it never connects to anything, so
it cannot wake a daemon.  Unlike the text of /proc/net/unix, where a socket's
name is printed raw (another user may bind an abstract name holding bytes
that are not UTF-8, or a newline followed by text shaped like a line of the
table), each socket here is one netlink message with its name as a
length-prefixed attribute: no name can add, hide or fake a record.

/proc/net/tcp{,6} holds no names, only numbers: its text is safe to split
(read as bytes, decoded so that no byte raises).

Every record that does not parse is skipped; a dump that does not answer in
``DEADLINE`` seconds, or that the kernel refuses, raises OSError.
"""

from __future__ import annotations

import os
import socket
import struct
import time
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

# linux/netlink.h, linux/sock_diag.h, linux/unix_diag.h
NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST = 0x1
NLM_F_DUMP = 0x300
NLMSG_ERROR = 2
NLMSG_DONE = 3
UDIAG_SHOW_NAME = 0x1
UDIAG_SHOW_VFS = 0x2
UDIAG_SHOW_PEER = 0x4
UDIAG_SHOW_ICONS = 0x8
UNIX_DIAG_NAME = 0
UNIX_DIAG_VFS = 1
UNIX_DIAG_PEER = 2
UNIX_DIAG_ICONS = 3
TCP_ESTABLISHED = 1
TCP_LISTEN = 10

DEADLINE = 2.0  # seconds for the whole dump
MAX_BYTES = 256 << 20  # a dump larger than this is not the kernel's table as we know it

_NLMSGHDR = struct.Struct("=IHHII")
_UNIX_DIAG_REQ = struct.Struct("=BBHIIIII")  # family, protocol, pad, states, ino, show, cookie
_UNIX_DIAG_MSG = struct.Struct("=BBBBIII")  # family, type, state, pad, ino, cookie
_RTATTR = struct.Struct("=HH")
_VFS = struct.Struct("=II")  # inode, device of the bound file


@dataclass(frozen=True)
class UnixSocket:
    inode: int
    type: int  # socket.SOCK_STREAM, ...
    state: int  # TCP_LISTEN, TCP_ESTABLISHED (connected), ...
    name: bytes | None  # a path, or b"\\0..." for an abstract name; None: unbound
    vfs: tuple[int, int] | None  # (inode, device) of the bound file, for a path
    peer: int = 0  # the inode of the other end, for a connected socket
    queued: tuple[int, ...] = ()  # a listener's not yet accepted clients (their inodes)


def _align(n: int) -> int:
    return (n + 3) & ~3


def dump(states: Iterable[int] = (TCP_ESTABLISHED, TCP_LISTEN)) -> Iterator[UnixSocket]:
    """Every AF_UNIX socket of this network namespace in one of ``states``."""
    mask = 0
    for s in states:
        mask |= 1 << s
    show = UDIAG_SHOW_NAME | UDIAG_SHOW_VFS | UDIAG_SHOW_PEER | UDIAG_SHOW_ICONS
    req = _UNIX_DIAG_REQ.pack(socket.AF_UNIX, 0, 0, mask, 0, show, 0xFFFFFFFF, 0xFFFFFFFF)
    header = _NLMSGHDR.pack(_NLMSGHDR.size + len(req), SOCK_DIAG_BY_FAMILY,
                            NLM_F_REQUEST | NLM_F_DUMP, 1, 0)
    deadline = time.monotonic() + DEADLINE
    received = 0
    with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_SOCK_DIAG) as nl:
        nl.settimeout(DEADLINE)
        nl.send(header + req)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise OSError("sock_diag: no complete answer in time")
            nl.settimeout(left)
            data, (sender, _groups) = nl.recvfrom(1 << 16)
            if sender != 0:
                continue  # only the kernel speaks for the table
            received += len(data)
            if received > MAX_BYTES:
                raise OSError("sock_diag: the dump is larger than any table we expect")
            done = yield from _messages(data)
            if done:
                return


def _messages(data: bytes) -> Generator[UnixSocket, None, bool]:
    """The sockets in one datagram; returns True at the dump's end."""
    offset = 0
    while offset + _NLMSGHDR.size <= len(data):
        length, kind, _flags, _seq, _pid = _NLMSGHDR.unpack_from(data, offset)
        if length < _NLMSGHDR.size or offset + length > len(data):
            raise OSError("sock_diag: a truncated message")
        if kind == NLMSG_DONE:
            return True
        if kind == NLMSG_ERROR:
            raise OSError("sock_diag refused the dump")
        record = parse(data[offset + _NLMSGHDR.size : offset + length])
        if record is not None:
            yield record
        offset += _align(length)
    return False


def parse(body: bytes) -> UnixSocket | None:
    """One unix_diag_msg with its attributes; None when it is not one."""
    if len(body) < _UNIX_DIAG_MSG.size:
        return None
    family, kind, state, _pad, inode, _c1, _c2 = _UNIX_DIAG_MSG.unpack_from(body)
    if family != socket.AF_UNIX:
        return None
    name: bytes | None = None
    vfs: tuple[int, int] | None = None
    peer = 0
    queued: tuple[int, ...] = ()
    offset = _UNIX_DIAG_MSG.size
    while offset + _RTATTR.size <= len(body):
        length, attr = _RTATTR.unpack_from(body, offset)
        if length < _RTATTR.size:
            break
        value = body[offset + _RTATTR.size : offset + length]
        if attr == UNIX_DIAG_NAME:
            # A path comes with its terminating NUL (an abstract name starts with NUL).
            name = value if value.startswith(b"\0") else value.split(b"\0", 1)[0]
        elif attr == UNIX_DIAG_VFS and len(value) >= _VFS.size:
            vfs = _VFS.unpack_from(value)
        elif attr == UNIX_DIAG_PEER and len(value) >= 4:
            peer = struct.unpack_from("=I", value)[0]
        elif attr == UNIX_DIAG_ICONS:
            queued = tuple(i for i in struct.unpack_from(f"={len(value) // 4}I", value) if i)
        offset += _align(length)
    return UnixSocket(inode, kind, state, name, vfs, peer, queued)


def file_id(path: str) -> tuple[int, int] | None:
    """(inode, device) of a socket file as sock_diag reports it; None: cannot stat it."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    # The kernel's own dev_t (major << 20 | minor), not stat's encoding of it.
    device = (os.major(st.st_dev) << 20) | os.minor(st.st_dev)
    return st.st_ino & 0xFFFFFFFF, device & 0xFFFFFFFF


def bound_to(sock: UnixSocket, path: bytes, file: tuple[int, int] | None) -> bool:
    """``sock`` is bound to the file at ``path``: its name, and its file when we know it
    (a socket of another mount namespace may carry the same name)."""
    if sock.name != path:
        return False
    return file is None or sock.vfs is None or sock.vfs == file


def tcp_table() -> str:
    """/proc/net/tcp and /proc/net/tcp6 as text ("" for one that cannot be read)."""
    text = ""
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            text += Path(path).read_bytes().decode("ascii", "replace")
        except OSError:
            continue
    return text


def has_ipv6_loopback(path: str = "/proc/net/if_inet6") -> bool:
    """Whether ::1 is configured (a line of /proc/net/if_inet6 for it); without it
    nobody can listen on [::1], so the proxy need not hold it."""
    try:
        text = Path(path).read_bytes().decode("ascii", "replace")
    except OSError:
        return False
    return any(line.split()[:1] == ["0" * 31 + "1"] for line in text.splitlines())
