"""Which addresses a proxy takes (issue 15, issue 22), and whether the daemon is seen there.

``choose`` picks the client and back-end addresses: the request, else the
saved proxy, else the one a refusal proposed, else learnt from where the
running daemon listens; remote clients stay remote unless asked for, and
the other loopback family is held too.  ``check_backend_seen`` refuses
unless the running daemon listens on the back end and off the client
addresses.
"""

from __future__ import annotations

from trayapp.adapters.dbus import proxy as units
from trayapp.adapters.dbus.bus import Connection
from trayapp.adapters.socktables import has_ipv6_loopback
from trayapp.core import proxy as core
from trayapp.core import proxy_address as addr
from trayapp.core.model import UnitInfo
from trayapp.core.proxy_address import ProxyRefusal
from trayapp.core.settings import DaemonSettings
from trayapp.usecases.proxy_book import ProxyBook, ProxyRequest, saved_spec


async def choose(conn: Connection, service: UnitInfo, request: ProxyRequest,
                  saved: DaemonSettings, proposed: core.ProxySpec | None,
                  ) -> tuple[core.ProxySpec, list[addr.Address], list[str]]:
    """The proxy asked for: the request, else the saved one, else the one a refusal
    proposed, else learnt from the kernel; and what the user should know about the
    addresses chosen for them.  Only the request or the saved settings put a client
    address beyond loopback (issue 22: remote clients stay remote)."""
    running = service.active_state in ("active", "reloading")
    uid, learnt = await units.listening(conn, service.name) if running else (None, [])
    listen = [addr.parse_address(a) for a in request.listen or saved.proxy_listen]
    backend_text = request.backend or (saved.proxy_backend if not request.listen else "")
    backend = addr.parse_address(backend_text) if backend_text else None
    notes: list[str] = []
    if request.listen and addr.remote(listen) and not request.allow_remote:
        beyond = ", ".join(map(str, addr.remote(listen)))
        raise ProxyRefusal(
            f"{beyond} is reachable from other machines, and through the proxy their "
            f"clients would reach {service.name} as local ones, so its rules for local "
            "clients (pg_hba.conf's 127.0.0.1 lines, Redis's protected mode) would apply "
            "to them: listen on loopback (127.0.0.1, [::1]), or add --allow-remote if "
            "that is what you want")
    if not listen and backend is None and proposed is not None:
        listen, backend = list(proposed.listen), proposed.backend
    ipv6 = has_ipv6_loopback()
    if not listen:
        listen = _learnt_listen(service, running, uid, learnt, backend)
        if not request.allow_remote:
            dropped = addr.remote(listen)
            listen = addr.both_loopbacks(addr.loopback_only(listen), ipv6)
            if dropped:
                notes.append(
                    f"{service.name} listened on {', '.join(map(str, dropped))}; the proxy "
                    f"listens on {', '.join(map(str, listen))} only, so other machines' "
                    "clients no longer reach it (--allow-remote with --listen lets them "
                    "in, seen as local clients)")
    if request.listen or not saved.proxy_listen:  # saved addresses are kept as they are
        paired = [a for a in addr.both_loopbacks(listen, ipv6)  # never the back end itself
                  if a in listen or backend is None or not addr.covers([a], backend)]
        if paired != listen:
            notes.append(f"the proxy holds {', '.join(map(str, paired[len(listen):]))} too: "
                         "'localhost' clients try both loopback addresses, and a free one "
                         "would be anyone's")
            listen = paired
    if backend is None:
        backend = addr.default_backend(listen[0])
    idle = request.idle_seconds if request.idle_seconds is not None else saved.proxy_idle_seconds
    # The daemon's uid seen when the saved proxy was made: the one that must hold the
    # same back end while the daemon sleeps and shows no user (pg_ctlcluster's).
    uid = saved.proxy_backend_uid if saved.proxy_backend == str(backend) else -1
    return (core.ProxySpec(service.name, tuple(listen), backend, core.parse_idle(idle),
                           holder_uid=uid), learnt, notes)


def _learnt_listen(service: UnitInfo, running: bool, uid: int | None,
                   learnt: list[addr.Address], backend: addr.Address | None,
                   ) -> list[addr.Address]:
    """The client addresses taken from where the running daemon listens now."""
    if not running:
        raise ProxyRefusal(
            f"{service.name} has no socket unit and is not running, so no address can "
            "be learnt from it: start it, or name the address clients use (--listen)")
    if uid == 0:
        raise ProxyRefusal(
            f"{service.name} has no socket unit and runs as root: the kernel's table "
            "cannot tell its listening sockets from other root processes', so name "
            "the address its clients use (--listen) and the one it should listen on "
            "instead (--backend)")
    seen = [a for a in learnt if backend is None or not addr.covers([a], backend)]
    if not seen:
        raise ProxyRefusal(f"{service.name} listens on no TCP address trayapp can "
                           "see: name the address clients use (--listen)")
    return [a for a in seen if a.port == seen[0].port]


def check_backend_seen(name: str, service: UnitInfo, spec: core.ProxySpec,
                        learnt: list[addr.Address], running: bool,
                        saved: DaemonSettings, book: ProxyBook, key: str) -> None:
    """Refuse unless the running daemon is seen on the back end and off the client
    addresses (or, asleep, the proxy asked for is the one saved)."""
    if running:
        again = (f"trayapp on-demand {name} "
                 + " ".join(f"--listen {a}" for a in spec.listen) + f" --backend {spec.backend}")
        if not addr.covers(learnt, spec.backend):
            book.propose(key, spec)
            now = ", ".join(map(str, learnt)) or "no TCP address trayapp can see"
            raise ProxyRefusal(
                f"{name} listens on {now}, not on the back end {spec.backend}. "
                f"{core.config_hint(service.name, spec.backend)}; restart it "
                f"(trayapp does not edit it); then run: {again}")
        taken = [a for a in spec.listen if addr.covers(learnt, a)]
        if taken:
            raise ProxyRefusal(
                f"{name} itself still listens on the client address {taken[0]}: "
                f"{core.config_hint(service.name, spec.backend)}; restart it; then run: {again}")
    elif saved_spec(service.name, saved) != spec:
        raise ProxyRefusal(
            f"{name} is not running, so trayapp cannot see that it listens on the back end "
            f"{spec.backend}: start it (trayapp start {name}) and run this again")
