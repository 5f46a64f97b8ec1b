"""The proxy's addresses: parsed, printed, read from the kernel's TCP table, compared.

An ``Address`` is a TCP address (an IP literal and a port) or a Unix socket's
path; only what ``parse_address`` understood and prints back goes into a
proxy's units (core/proxy.py).  ``listening`` reads what a user's sockets
listen on from /proc/net/tcp{,6}'s text; the rest says which addresses
reach which (a wildcard covers its family), which are loopback, and what the
proxy listens on by default.  Pure.
"""

from __future__ import annotations

import ipaddress
import posixpath
from dataclasses import dataclass

_UNIX_PATH_MAX = 107  # sun_path holds 108 bytes with the final NUL
_TCP_LISTEN = "0A"


class ProxyRefusal(ValueError):
    """The proxy cannot be set up; the message says why (nothing was changed)."""


@dataclass(frozen=True, order=True)
class Address:
    """A TCP address (an IP literal and a port) or a Unix socket's path."""

    host: str = ""  # compressed IP literal; "" for a Unix socket
    port: int = 0
    path: str = ""

    @property
    def is_unix(self) -> bool:
        return bool(self.path)

    def __str__(self) -> str:
        if self.path:
            return self.path
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_address(text: str) -> Address:
    """``127.0.0.1:5432``, ``[::1]:5432``, ``5432`` (loopback) or ``/run/x/y.sock``.

    Host names are refused (no name lookup happens anywhere in trayapp), and
    so is anything that does not read back exactly as it was understood.
    """
    if not isinstance(text, str) or not text or len(text) > 200 or not text.isprintable():
        raise ProxyRefusal(f"{text!r} is not an address")
    if text.startswith("/"):
        path = posixpath.normpath(text)
        if path != text or "//" in text or len(text.encode()) > _UNIX_PATH_MAX:
            raise ProxyRefusal(f"{text!r} is not a plain absolute socket path "
                               f"(no '..', '.', '//', at most {_UNIX_PATH_MAX} bytes)")
        if any(c.isspace() for c in text):
            raise ProxyRefusal(f"{text!r}: a socket path with spaces is not accepted")
        return Address(path=text)
    host, sep, port_text = text.rpartition(":")
    if not sep:
        host, port_text = "127.0.0.1", text
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ProxyRefusal(f"{text!r}: write an IPv6 address in brackets, as [::1]:5432")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ProxyRefusal(f"{text!r}: the port must be a number from 1 to 65535")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise ProxyRefusal(f"{text!r}: the host must be an IP address such as 127.0.0.1 "
                           "or [::1] (names are not looked up)") from None
    return Address(host=ip.compressed, port=int(port_text))


# -- what the kernel says ----------------------------------------------------------


def _hex_address(field: str) -> Address | None:
    """One ``local_address`` of /proc/net/tcp{,6}: hex host (in the kernel's word
    order), colon, hex port."""
    host_hex, _, port_hex = field.partition(":")
    try:
        port = int(port_hex, 16)
        raw = bytes.fromhex(host_hex)
    except ValueError:
        return None
    if len(raw) not in (4, 16) or not 0 < port < 65536:
        return None
    # Each 32-bit word is printed in host order (little-endian here).
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    ip = ipaddress.ip_address(words)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return Address(host=ip.compressed, port=port)


def listening(tcp_table: str, uid: int) -> list[Address]:
    """The TCP addresses sockets of ``uid`` listen on, from /proc/net/tcp{,6}'s text.

    The table holds numbers only (no names another user could shape), and
    reading it connects to nothing: it cannot wake a daemon.  Lines that do
    not parse are skipped.
    """
    found: set[Address] = set()
    for line in tcp_table.splitlines():
        parts = line.split()
        if len(parts) < 8 or parts[3] != _TCP_LISTEN or not parts[7].isdigit():
            continue
        if int(parts[7]) != uid:
            continue
        address = _hex_address(parts[1])
        if address is not None:
            found.add(address)
    return sorted(found)


def covers(addresses: list[Address], wanted: Address) -> bool:
    """A socket on one of ``addresses`` accepts connections to ``wanted``."""
    if wanted.is_unix:
        return wanted in addresses
    for a in addresses:
        if a.port != wanted.port or a.is_unix:
            continue
        if a.host == wanted.host or (a.host in ("0.0.0.0", "::") and \
                (a.host == "::" or ":" not in wanted.host)):
            return True
    return False


def default_backend(client: Address) -> Address:
    """What trayapp proposes when the user names no back end: the same host, the port
    10000 higher (5432 -> 15432; 6379 -> 16379), or lower near the top."""
    if client.is_unix:
        raise ProxyRefusal(f"the client address {client} is a Unix socket: name the back "
                           "end the daemon should listen on instead (--backend)")
    port = client.port + 10000 if client.port + 10000 < 65536 else client.port - 10000
    return Address(host=client.host if client.host not in ("0.0.0.0", "::") else "127.0.0.1",
                   port=port)

def is_loopback(a: Address) -> bool:
    return not a.is_unix and ipaddress.ip_address(a.host).is_loopback


def remote(listen: tuple[Address, ...] | list[Address]) -> list[Address]:
    """The client addresses other machines can reach (a wildcard, a LAN address)."""
    return [a for a in listen if not a.is_unix and not is_loopback(a)]


def loopback_only(learnt: list[Address]) -> list[Address]:
    """What the proxy listens on by default for a daemon seen on ``learnt``: its
    loopback addresses as they are, a wildcard as loopback (127.0.0.1 for 0.0.0.0, and
    ::1 too for ::), and no LAN address: remote clients stay remote (issue 22)."""
    out: list[Address] = []
    for a in learnt:
        if a.is_unix or is_loopback(a):
            hosts = [a.host] if not a.is_unix else []
        elif a.host == "::":
            hosts = ["127.0.0.1", "::1"]
        elif a.host == "0.0.0.0":
            hosts = ["127.0.0.1"]
        else:
            hosts = []
        for h in hosts:
            if Address(host=h, port=a.port) not in out:
                out.append(Address(host=h, port=a.port))
    return out


def both_loopbacks(listen: list[Address], ipv6: bool) -> list[Address]:
    """``listen`` with the other loopback family's address beside each loopback one
    (127.0.0.1:5432 brings [::1]:5432; 'localhost' clients try ::1 first, and a port
    there the proxy left free would be anyone's).  ``ipv6``: the machine has ::1 (when
    it has not, nobody can listen there either)."""
    out = list(listen)
    for a in listen:
        if not is_loopback(a):
            continue
        other = "::1" if ":" not in a.host else "127.0.0.1"
        if other == "::1" and not ipv6:
            continue
        pair = Address(host=other, port=a.port)
        if not covers(out, pair):
            out.append(pair)
    return out
