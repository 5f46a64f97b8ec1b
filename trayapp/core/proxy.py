"""On demand through a proxy, for daemons that cannot take a socket from systemd.

PostgreSQL, Redis, MySQL and most daemons open their own listening sockets.
systemd's ``systemd-socket-proxyd`` fills the gap: a socket unit listens on
the address clients use (the *client* address), its first client starts a
proxy service that requires and follows the real service, forwards every
connection to the address the daemon now listens on (the *back end*), and
exits after ``--exit-idle-time`` without connections; ``PropagatesStopTo=``
then stops the real service too.

This module is pure: the names of the proxy's units, the refusals, and the
transient units' properties as plain data (the adapter wraps them in D-Bus
variants); the addresses are core/proxy_address.py's, the check that the
daemon alone holds the back end core/proxy_holder.py's.  Nothing here lets a
caller choose a program: the proxy's command line is fixed, and only
addresses core/proxy_address.py parsed and printed again go into it.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from .proxy_address import Address, ProxyRefusal, covers
from .proxy_holder import holder_check_argv
from .unit_properties import Property

#: Where Debian (and merged-/usr distributions) put it; the first that exists is used.
PROXYD_PATHS = ("/usr/lib/systemd/systemd-socket-proxyd", "/lib/systemd/systemd-socket-proxyd")
PREFIX = "trayapp-proxy-"
DEFAULT_IDLE_SECONDS = 15 * 60
MAX_IDLE_SECONDS = 7 * 24 * 3600
MAX_LISTEN = 8  # client addresses of one proxy
#: Unix client sockets only where PID 1 may create the directory and nobody else owns it.
UNIX_DIRS = ("/run/",)
#: ... and not where another user may create files: /run/lock is 1777, each
#: /run/user/UID belongs to its user (issue 22: another user could stand in
#: for the proxy's socket there, or hold its name before it is made).
SHARED_DIRS = ("/run/lock/", "/run/user/", "/run/shm/")


def parse_idle(value: object) -> int:
    """An idle time in whole seconds, 1 to 7 days' worth."""
    if isinstance(value, bool) or not isinstance(value, int) or \
            not 0 < value <= MAX_IDLE_SECONDS:
        raise ProxyRefusal(f"the proxy's idle time must be whole seconds from 1 to "
                           f"{MAX_IDLE_SECONDS}, not {value!r}")
    return value


# -- unit names -------------------------------------------------------------------


def unit_stem(service: str) -> str:
    """``trayapp-proxy-postgresql@15-main`` for postgresql@15-main.service."""
    return PREFIX + service.removesuffix(".service")


def socket_name(service: str) -> str:
    return unit_stem(service) + ".socket"


def proxy_service_name(service: str) -> str:
    return unit_stem(service) + ".service"


def proxied_service(unit: str) -> str | None:
    """The real service behind a proxy unit (its socket or service); None for other units."""
    for suffix in (".socket", ".service"):
        if unit.startswith(PREFIX) and unit.endswith(suffix):
            stem = unit[len(PREFIX):-len(suffix)]
            return f"{stem}.service" if stem else None
    return None


# -- what to tell the user --------------------------------------------------------


def config_hint(service: str, backend: Address) -> str:
    """Which setting in which file makes the daemon listen on ``backend``."""
    stem = service.removesuffix(".service")
    if stem.startswith("postgresql@") and "-" in stem:
        version, _, cluster = stem.removeprefix("postgresql@").partition("-")
        conf = f"/etc/postgresql/{version}/{cluster}/postgresql.conf"
        if backend.is_unix:
            return (f"set unix_socket_directories = '{posixpath.dirname(backend.path)}' "
                    f"(and the port its socket name carries) in {conf}")
        return (f"set port = {backend.port} in {conf} (and listen_addresses, which must "
                f"include {backend.host}; 'localhost' does for 127.0.0.1 and ::1)")
    if stem in ("redis-server", "redis") or stem.startswith("redis-server@"):
        conf = "/etc/redis/redis.conf" if "@" not in stem else \
            f"/etc/redis/redis-{stem.partition('@')[2]}.conf"
        if backend.is_unix:
            return f"set unixsocket {backend.path} in {conf}"
        return f"set port {backend.port} in {conf} (and bind, which must include {backend.host})"
    return f"change the address {service} listens on in its configuration to {backend}"


# -- checks and the plan ---------------------------------------------------------------


@dataclass(frozen=True)
class ProxySpec:
    """One proxy: the daemon, where clients connect, where it forwards, its idle time."""

    service: str
    listen: tuple[Address, ...]
    backend: Address
    idle_seconds: int = DEFAULT_IDLE_SECONDS
    # The uid that must hold the back end, as last seen running the daemon (-1: not
    # known); not part of what the user asked for, so not compared.
    holder_uid: int = field(default=-1, compare=False)


def check_spec(spec: ProxySpec, *, masked: tuple[str, ...] = (), proxyd: str | None) -> None:
    """Raise ProxyRefusal with the reason when the proxy cannot work as asked."""
    if masked:
        raise ProxyRefusal(f"{', '.join(masked)} is masked; unmask it first (systemctl unmask)")
    if proxyd is None:
        raise ProxyRefusal("systemd-socket-proxyd is missing (looked for "
                           f"{' and '.join(PROXYD_PATHS)}); it comes with systemd 246 and later")
    if not spec.listen:
        raise ProxyRefusal("no client address to listen on")
    if len(spec.listen) > MAX_LISTEN:
        raise ProxyRefusal(f"at most {MAX_LISTEN} client addresses")
    if covers(list(spec.listen), spec.backend) or spec.backend in spec.listen:
        raise ProxyRefusal(f"the back-end address {spec.backend} is a client address: the "
                           "daemon must listen somewhere else than where its clients connect")
    for a in spec.listen:
        if a.is_unix and not a.path.startswith(UNIX_DIRS):
            raise ProxyRefusal(
                f"the client address {a} is a Unix socket in {posixpath.dirname(a.path)}, "
                f"a directory the proxy cannot create: use one below {' or '.join(UNIX_DIRS)}")
        if a.is_unix and a.path.startswith(SHARED_DIRS):
            raise ProxyRefusal(
                f"the client address {a} is a Unix socket in {posixpath.dirname(a.path)}, "
                "where other users can make files too, so one could stand in for the proxy: "
                "use a directory of its own below /run, such as /run/NAME/")
    parse_idle(spec.idle_seconds)




def socket_properties(spec: ProxySpec) -> list[Property]:
    listen = [("Stream", str(a)) for a in spec.listen]
    return [
        ("Description", "s", f"trayapp proxy for {spec.service}: clients"),
        ("Listen", "a(ss)", listen),
        # Nobody may take the client address from the daemon's clients (issue 22): a
        # start that fails (another user holds the back end, the daemon cannot bind)
        # would leave a connection pending, trigger the socket again at once and hit
        # its trigger limit, and a failed socket frees the address for anyone.  So
        # pending connections are refused when a start ends, and there is no limit
        # to hit: each trigger is one client's connection.
        ("FlushPending", "b", True),
        ("TriggerLimitIntervalUSec", "t", 0),
    ]


def service_properties(spec: ProxySpec, proxyd: str,
                       holder: tuple[str, int] | None = None) -> list[Property]:
    """The proxy service: a fixed program, parsed addresses, no privilege of its own.

    ``holder``: (awk's path, the daemon's uid): for a TCP back end, a check before
    the proxy starts that the daemon, and only it, listens there (HOLDER_CHECK)."""
    argv = [proxyd, f"--exit-idle-time={spec.idle_seconds}s", str(spec.backend)]
    check = []
    if holder is not None and not spec.backend.is_unix:
        awk, uid = holder
        check = [("ExecStartPre", "a(sasb)",
                  [(awk, holder_check_argv(spec.backend, uid, awk), False)])]
    return [
        ("Description", "s", f"trayapp proxy for {spec.service}: forwards to {spec.backend}"),
        *check,
        ("ExecStart", "a(sasb)", [(proxyd, argv, False)]),
        # The daemon is up (Type=notify/forking readiness) before the first byte
        # is forwarded, so a client that arrives while it starts is not refused;
        # BindsTo=: the proxy ends with the daemon however it ends (a crash too),
        # so it does not go on forwarding to a back end the daemon let go of (until
        # systemd has stopped it: a moment after the daemon ends).
        ("BindsTo", "as", [spec.service]),
        ("After", "as", [spec.service]),
        # A failed check or start is the socket's trigger again, never a start limit
        # that would fail the socket and free the client address.
        ("StartLimitIntervalUSec", "t", 0),
        # When the proxy exits idle, the daemon stops with it (systemd 249+).
        ("PropagatesStopTo", "as", [spec.service]),
        ("DynamicUser", "b", True),
        ("NoNewPrivileges", "b", True),
        ("PrivateDevices", "b", True),
        ("ProtectHome", "s", "yes"),
        ("CapabilityBoundingSet", "t", 0),
    ]


def describe(spec: ProxySpec) -> str:
    listen = ", ".join(str(a) for a in spec.listen)
    return (f"clients connect to {listen}; {spec.service} listens on {spec.backend}; "
            f"idle after {spec.idle_seconds} s")
