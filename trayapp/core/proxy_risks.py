"""What another local user, or another machine, could do through a proxy: said, not hidden.

Who can bind what (issue 22): any local user can listen on a free TCP port
above 1023 of any loopback address; a Unix socket only where its directory
lets that user make files.  So while the daemon sleeps, its TCP back end is
free for anyone to take.  The proxy forwards nothing to a back end that the
daemon's own user does not hold alone (core/proxy_holder.py's HOLDER_CHECK, at
each start), and its socket never fails and frees the client address, so whoever
takes the back end gets no client; but he keeps the daemon from its clients
until he lets go.  A client address on a wildcard or a LAN address (only
with --allow-remote) brings other machines' clients to the daemon as the
proxy, from loopback.  Each of these is a warning with the setting's outcome,
in plain words (docs/proxy.md).
"""

from __future__ import annotations

from .proxy import ProxySpec
from .proxy_address import remote

PRIVILEGED_PORTS = 1024  # below this only root (or CAP_NET_BIND_SERVICE) can bind


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
    beyond = remote(spec.listen)
    if beyond:
        found.append(
            f"{', '.join(str(a) for a in beyond)} is reachable from other machines, whose "
            f"clients now reach {name} from the proxy on this machine: its rules for "
            "local clients (pg_hba.conf's 127.0.0.1 lines, Redis's protected mode) apply "
            "to them")
    return found
