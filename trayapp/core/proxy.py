"""On demand through a proxy, for daemons that cannot take a socket from systemd.

PostgreSQL, Redis, MySQL and most daemons open their own listening sockets.
systemd's ``systemd-socket-proxyd`` fills the gap: a socket unit listens on
the address clients use (the *client* address), its first client starts a
proxy service that requires and follows the real service, forwards every
connection to the address the daemon now listens on (the *back end*), and
exits after ``--exit-idle-time`` without connections; ``PropagatesStopTo=``
then stops the real service too.

This module is pure: addresses and their parsing, what the kernel's TCP
table says a user's sockets listen on, the names of the proxy's units, the
refusals, and the transient units' properties as plain data (the adapter
wraps them in D-Bus variants).  Nothing here lets a caller choose a program:
the proxy's command line is fixed, and only addresses this module parsed and
printed again go into it.
"""

from __future__ import annotations

import ipaddress
import posixpath
from dataclasses import dataclass, field

#: Where Debian (and merged-/usr distributions) put it; the first that exists is used.
PROXYD_PATHS = ("/usr/lib/systemd/systemd-socket-proxyd", "/lib/systemd/systemd-socket-proxyd")
AWK_PATHS = ("/usr/bin/awk", "/bin/awk")
PREFIX = "trayapp-proxy-"
DEFAULT_IDLE_SECONDS = 15 * 60
MAX_IDLE_SECONDS = 7 * 24 * 3600
MAX_LISTEN = 8  # client addresses of one proxy
_UNIX_PATH_MAX = 107  # sun_path holds 108 bytes with the final NUL
#: Unix client sockets only where PID 1 may create the directory and nobody else owns it.
UNIX_DIRS = ("/run/",)
#: ... and not where another user may create files: /run/lock is 1777, each
#: /run/user/UID belongs to its user (issue 22: another user could stand in
#: for the proxy's socket there, or hold its name before it is made).
SHARED_DIRS = ("/run/lock/", "/run/user/", "/run/shm/")
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


Property = tuple[str, str, object]  # name, D-Bus signature, value


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


def kernel_keys(backend: Address) -> list[str]:
    """The ``local_address`` fields of /proc/net/tcp{,6} of every listening socket
    that would take (or keep from the daemon) a connection to the TCP ``backend``:
    the address itself, its family's wildcard, and for IPv4 the IPv6 wildcard, the
    IPv4-mapped address and the IPv4-mapped wildcard (each reaches IPv4 clients when
    its socket is not IPv6-only).  The first of them are ``holding_keys``."""
    ip = ipaddress.ip_address(backend.host)
    if isinstance(ip, ipaddress.IPv4Address):
        ips: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [
            ip, ipaddress.IPv4Address(0), _mapped(ip), _mapped(ipaddress.IPv4Address(0)),
            ipaddress.IPv6Address(0)]
    else:
        ips = [ip, ipaddress.IPv6Address(0)]
    port = f"{backend.port:04X}"
    return [f"{_kernel_hex(a)}:{port}" for a in ips]


def holding_keys(backend: Address) -> list[str]:
    """The keys where the daemon's own listener counts as holding the back end: all
    but, for IPv4, the IPv6 wildcard, whose socket may be IPv6-only (PostgreSQL sets
    IPV6_V6ONLY) and then gets no IPv4 client; the table cannot say which."""
    keys = kernel_keys(backend)
    return keys[:-1] if ":" not in backend.host else keys


def _mapped(ip: ipaddress.IPv4Address) -> ipaddress.IPv6Address:
    return ipaddress.IPv6Address(b"\0" * 10 + b"\xff\xff" + ip.packed)


def _kernel_hex(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """The kernel's hex of an address: each 32-bit word in host (little-endian) order."""
    raw = ip.packed
    return b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4)).hex().upper()


#: The proxy service's check before it forwards anything (awk, over /proc/net/tcp
#: and tcp6, which anyone may read): every socket listening where the back end's
#: connections go (``keys``) belongs to ``uid``, the daemon's, and one of them is
#: where a listener surely gets the back end's clients (``holds``).  Another user
#: who took the back end while the daemon slept (a free port above 1023 is anyone's)
#: fails it, and the proxy forwards nothing to him.  Fixed text; only hex keys, a
#: number and the two table paths reach it, as awk variables.
#:
#: Written without ``$``, ``;``, ``%``, backslashes, quotes of one kind or newlines:
#: systemd writes a transient unit's command lines to /run/systemd/transient and
#: reads them back at every daemon-reload, and systemd 252 writes ``$`` as ``\$``,
#: which it then cannot read (the program arrived mangled and awk refused it).  So
#: one statement per BEGIN block, ``getline`` instead of fields, and a tally
#: indexed by "is it the daemon's uid" instead of if/else.
HOLDER_CHECK = " ".join([
    'BEGIN { n = split(keys, k, " ") }',
    "BEGIN { for (i in k) want[k[i]] = 1 }",
    'BEGIN { n = split(holds, h, " ") }',
    "BEGIN { for (i in h) hold[h[i]] = 1 }",
    # held[0]: someone else's listener; [1]: the daemon's where it may not get them;
    # [2]: the daemon's where it does.
    'BEGIN { while ((getline row < t4) > 0) if (split(row, f, " ") > 7 && f[4] == "0A" '
    "&& (f[2] in want)) held[(f[8] == uid) + (f[8] == uid && (f[2] in hold))] ++ }",
    'BEGIN { while ((getline row < t6) > 0) if (split(row, f, " ") > 7 && f[4] == "0A" '
    "&& (f[2] in want)) held[(f[8] == uid) + (f[8] == uid && (f[2] in hold))] ++ }",
    "BEGIN { if (held[2] > 0 && held[0] == 0) exit 0 }",
    'BEGIN { print "trayapp: the back end " shown " is not held by uid " uid " alone: '
    'nothing is forwarded" > "/dev/stderr" }',
    "BEGIN { exit 1 }",
])
TABLES = ("/proc/net/tcp", "/proc/net/tcp6")


def holder_check_argv(backend: Address, uid: int, awk: str,
                      tables: tuple[str, str] = TABLES) -> list[str]:
    return [awk, "-v", f"keys={' '.join(kernel_keys(backend))}",
            "-v", f"holds={' '.join(holding_keys(backend))}", "-v", f"uid={uid}",
            "-v", f"shown={backend}", "-v", f"t4={tables[0]}", "-v", f"t6={tables[1]}",
            HOLDER_CHECK]


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
