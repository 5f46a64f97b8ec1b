"""Open TCP client connections on a daemon's listening ports, from the kernel's table.

Parses the text of /proc/net/tcp{,6}: reading it needs no privilege and
never connects to anything, so it cannot wake a daemon.  An accepted TCP
connection has the listener's local port with state 01 (ESTABLISHED).  The
table holds numbers only, so no other user can write text into it.  (AF_UNIX
connections are counted from structured records, never from the text of
/proc/net/unix, where a socket's name is printed raw: see
trayapp/adapters/socktables.py.)
"""

from __future__ import annotations

_TCP_ESTABLISHED = "01"


def tcp_connections(proc_net_tcp: str, port: int) -> int:
    count = 0
    for line in proc_net_tcp.splitlines()[1:]:
        parts = line.split()
        if len(parts) < 4 or ":" not in parts[1]:
            continue
        try:
            local_port = int(parts[1].rsplit(":", 1)[1], 16)
        except ValueError:
            continue
        if local_port == port and parts[3] == _TCP_ESTABLISHED:
            count += 1
    return count


def tcp_port(address: str) -> int | None:
    """The port of a ListenStream= address: ``2375``, ``127.0.0.1:2375``, ``[::]:2375``."""
    tail = address.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() and 0 < int(tail) < 65536 else None
