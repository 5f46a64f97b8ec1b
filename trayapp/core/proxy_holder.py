"""The proxy's holder check: the back end is the daemon's, and only the daemon's.

Before the proxy service forwards anything, an awk program (HOLDER_CHECK, run
as its ExecStartPre=) reads /proc/net/tcp and tcp6 and passes only when every
socket listening where the back end's connections go belongs to the daemon's
uid and one of them surely gets its IPv4 or IPv6 clients (issue 22).  This
module holds that program's fixed text, the kernel's keys it looks for, and
its command line.  Pure.
"""

from __future__ import annotations

import ipaddress

from .proxy_address import Address

AWK_PATHS = ("/usr/bin/awk", "/bin/awk")


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
    """awk's command line for the check that ``uid`` alone holds ``backend``."""
    return [awk, "-v", f"keys={' '.join(kernel_keys(backend))}",
            "-v", f"holds={' '.join(holding_keys(backend))}", "-v", f"uid={uid}",
            "-v", f"shown={backend}", "-v", f"t4={tables[0]}", "-v", f"t6={tables[1]}",
            HOLDER_CHECK]
