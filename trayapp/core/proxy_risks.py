"""What another local user, or another machine, could do through a proxy: said, not hidden.

Who can bind what (issue 22): any local user can listen on a free TCP port
above 1023 of any loopback address; a Unix socket only where its directory
lets that user make files.  So while the daemon sleeps, its TCP back end is
free for anyone to take.  The proxy forwards nothing to a back end that the
daemon's own user does not hold alone (core/proxy.py's HOLDER_CHECK, at each
start), and its socket never fails and frees the client address, so whoever
takes the back end gets no client; but he keeps the daemon from its clients
until he lets go.  A client address on a wildcard or a LAN address brings
other machines' clients to the daemon as the proxy, from loopback.  Each of
these is a warning with the setting's outcome, in plain words (docs/proxy.md).
"""

from __future__ import annotations

import ipaddress

from .proxy import Address, ProxySpec

PRIVILEGED_PORTS = 1024  # below this only root (or CAP_NET_BIND_SERVICE) can bind


def _loopback(a: Address) -> bool:
    return not a.is_unix and ipaddress.ip_address(a.host).is_loopback


def risks(spec: ProxySpec) -> list[str]:
    """One sentence per way someone else could stand in for the daemon or its clients."""
    name = spec.service.removesuffix(".service")
    found = []
    b = spec.backend
    if not b.is_unix and b.port >= PRIVILEGED_PORTS:
        found.append(
            f"while {name} sleeps, any local user can listen on its back end {b}: the "
            f"proxy then forwards nothing (it checks that {name}'s own user holds it), "
            f"so no client reaches that user, but {name} stays out of reach until the "
            "port is free again; a Unix socket in the daemon's own directory, or a port "
            "below 1024, cannot be taken")
    remote = [a for a in spec.listen if not a.is_unix and not _loopback(a)]
    if remote:
        found.append(
            f"{', '.join(str(a) for a in remote)} is reachable from other machines, whose "
            f"clients now reach {name} from the proxy on this machine: its rules for "
            "local clients (pg_hba.conf's 127.0.0.1 lines, Redis's protected mode) apply "
            "to them")
    tcp_loopback = [a for a in spec.listen if _loopback(a)]
    families = {ipaddress.ip_address(a.host).version for a in tcp_loopback}
    ports = {a.port for a in tcp_loopback}
    if tcp_loopback and len(families) == 1 and ports and min(ports) >= PRIVILEGED_PORTS:
        other = "[::1]" if 4 in families else "127.0.0.1"
        found.append(
            f"'localhost' clients may try {other}:{min(ports)} too, which the proxy does "
            f"not hold, and where any local user can listen: add --listen {other}:"
            f"{min(ports)}")
    return found
