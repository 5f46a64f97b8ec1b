"""Is a running daemon busy?  Asked before stopping it or making it on-demand.

Two checks, both safe for a dormant daemon because they are only made while
its service is active (the caller reads ActiveState first):

* generic: open client connections on its listening sockets, read from the
  kernel's socket tables (never a connect);
* Docker: running containers and their restart policies, asked over Docker's
  own API socket (the address comes from docker.socket's Listen=).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from dataclasses import dataclass, field

from trayapp.adapters import docker_api, socktables
from trayapp.core import netstat

log = logging.getLogger(__name__)


@dataclass
class BusyReport:
    reasons: list[str] = field(default_factory=list)  # what blocks a stop
    warnings: list[str] = field(default_factory=list)  # what a user should know

    @property
    def busy(self) -> bool:
        return bool(self.reasons)


def unix_connections(paths: list[str]) -> int:
    """Client connections to these socket paths: accepted ones, and those queued
    on the listener.  From sock_diag's records (socktables.py), never from the
    text of /proc/net/unix.  Raises OSError when the table cannot be read."""
    wanted = {p.encode(): socktables.file_id(p) for p in paths}
    if not wanted:
        return 0
    count = 0
    for sock in socktables.dump():
        if sock.name is None or sock.name not in wanted or sock.type != socket.SOCK_STREAM:
            continue
        if not socktables.bound_to(sock, sock.name, wanted[sock.name]):
            continue
        if sock.state == socktables.TCP_LISTEN:
            count += len(sock.queued)
        elif sock.state == socktables.TCP_ESTABLISHED:
            count += 1  # the daemon's end of an accepted connection carries the path
    return count


def open_connections(listen: list[tuple[str, str]]) -> int:
    """Client connections open on these ``Listen=`` addresses (stream sockets only).
    Raises OSError when the kernel's table of Unix sockets cannot be read."""
    streams = [address for kind, address in listen if kind == "Stream"]
    total = unix_connections([a for a in streams if a.startswith("/")])
    ports = [p for a in streams if (p := netstat.tcp_port(a)) is not None]
    if ports:
        tcp = socktables.tcp_table()
        total += sum(netstat.tcp_connections(tcp, port) for port in ports)
    return total


def docker_containers(api_socket: str) -> tuple[list[str], list[str]]:
    """(running container names, names restarted by policy 'always'/'unless-stopped');
    raises docker_api.DockerUnknown when Docker's answer cannot be had or trusted."""
    found = docker_api.containers(api_socket)
    return found.running, found.restarting


async def check(service: str, listen: list[tuple[str, str]]) -> BusyReport:
    """Call only while ``service`` is active: the Docker check connects to its socket.

    Never raises for what the kernel or Docker answer: what cannot be told is
    a reason not to stop ("cannot tell ..."), never "idle".
    """
    report = BusyReport()
    # Connections are counted on path and TCP stream sockets; for abstract names
    # and sequential-packet sockets they are not, and not counted is not idle.
    blind = [a for k, a in listen
             if k == "SequentialPacket" or (k == "Stream" and a.startswith("@"))]
    if blind:
        report.reasons.append("cannot tell whether clients are connected to "
                              f"{', '.join(blind)} (abstract or sequential-packet sockets)")
    try:
        connections = await asyncio.to_thread(open_connections, listen)
    except OSError as exc:
        report.reasons.append(f"cannot tell whether clients are connected: {exc}")
    else:
        if connections:
            report.reasons.append(f"{connections} client connection(s) open on its sockets")
    if service == "docker.service":
        api = next((a for k, a in listen if k == "Stream" and a.startswith("/")), None)
        if api:
            await _check_docker(api, report)
    return report


async def _check_docker(api: str, report: BusyReport) -> None:
    try:
        running, restarting = await asyncio.to_thread(docker_containers, api)
    except PermissionError:
        # Unknown is not idle: refuse a stop that could kill containers.
        report.reasons.append(
            f"cannot tell whether containers run: no permission on {api} "
            "(are you in the docker group?)"
        )
    except Exception as exc:  # DockerUnknown, or anything a hostile reply provokes
        log.info("Docker's API at %s: %r", api, exc)
        report.reasons.append(f"cannot tell whether containers run: {exc}")
    else:
        if running:
            report.reasons.append(f"{len(running)} running container(s): {', '.join(running)}")
        if restarting:
            report.warnings.append(
                "containers that Docker restarts at its start will not come back at "
                f"boot until something wakes Docker: {', '.join(restarting)}"
            )
