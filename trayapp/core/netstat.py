"""Open client connections on a daemon's listening sockets, from the kernel's tables.

Parses the text of /proc/net/unix and /proc/net/tcp{,6}: reading them needs
no privilege and never connects to anything, so it cannot wake a daemon.
An accepted AF_UNIX connection carries the listener's path in
/proc/net/unix with state 03 (SS_CONNECTED); an accepted TCP connection has
the listener's local port with state 01 (ESTABLISHED).
"""

from __future__ import annotations

_SS_CONNECTED = "03"
_TCP_ESTABLISHED = "01"


def unix_connections(proc_net_unix: str, path: str) -> int:
    count = 0
    for line in proc_net_unix.splitlines()[1:]:
        parts = line.split(None, 7)
        if len(parts) == 8 and parts[7] == path and parts[5] == _SS_CONNECTED:
            count += 1
    return count


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
