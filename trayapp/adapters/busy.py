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
import json
import logging
import socket
from dataclasses import dataclass, field
from pathlib import Path

from trayapp.core import netstat

log = logging.getLogger(__name__)

DOCKER_TIMEOUT = 5.0


@dataclass
class BusyReport:
    reasons: list[str] = field(default_factory=list)  # what blocks a stop
    warnings: list[str] = field(default_factory=list)  # what a user should know

    @property
    def busy(self) -> bool:
        return bool(self.reasons)


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def open_connections(listen: list[tuple[str, str]]) -> int:
    unix = _read("/proc/net/unix")
    tcp = _read("/proc/net/tcp") + _read("/proc/net/tcp6")
    total = 0
    for kind, address in listen:
        if kind != "Stream":
            continue
        if address.startswith("/"):
            total += netstat.unix_connections(unix, address)
        elif (port := netstat.tcp_port(address)) is not None:
            total += netstat.tcp_connections(tcp, port)
    return total


def _docker_get(path: str, url: str) -> object:
    # http.client (and the email package it pulls in) costs a resident 2.5 MiB:
    # imported only when Docker runs and is asked.
    import http.client

    class UnixHTTPConnection(http.client.HTTPConnection):
        def connect(self) -> None:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(DOCKER_TIMEOUT)
            self.sock.connect(path)

    conn = UnixHTTPConnection("localhost", timeout=DOCKER_TIMEOUT)
    try:
        conn.request("GET", url)
        reply = conn.getresponse()
        if reply.status != 200:
            raise OSError(f"Docker API {url}: HTTP {reply.status}")
        return json.loads(reply.read())
    except http.client.HTTPException as exc:  # a garbled answer: no verdict
        raise OSError(f"Docker API {url}: {exc!r}") from exc
    finally:
        conn.close()


def docker_containers(api_socket: str) -> tuple[list[str], list[str]]:
    """(running container names, names restarted by policy 'always'/'unless-stopped')."""
    containers = _docker_get(api_socket, "/containers/json?all=1")
    running: list[str] = []
    restarting: list[str] = []
    for c in containers if isinstance(containers, list) else []:
        if not isinstance(c, dict):
            continue
        names = c.get("Names") or [str(c.get("Id", "?"))[:12]]
        name = str(names[0]).lstrip("/")
        if c.get("State") == "running":
            running.append(name)
        detail = _docker_get(api_socket, f"/containers/{c.get('Id')}/json")
        policy = ""
        if isinstance(detail, dict):
            policy = ((detail.get("HostConfig") or {}).get("RestartPolicy") or {}).get("Name", "")
        if policy in ("always", "unless-stopped"):
            restarting.append(f"{name} (restart={policy})")
    return running, restarting


async def check(service: str, listen: list[tuple[str, str]]) -> BusyReport:
    """Call only while ``service`` is active: the Docker check connects to its socket."""
    report = BusyReport()
    connections = open_connections(listen)
    if connections:
        report.reasons.append(f"{connections} client connection(s) open on its sockets")
    if service == "docker.service":
        api = next((a for k, a in listen if k == "Stream" and a.startswith("/")), None)
        if api:
            try:
                running, restarting = await asyncio.to_thread(docker_containers, api)
            except PermissionError:
                # Unknown is not idle: refuse a stop that could kill containers.
                report.reasons.append(
                    f"cannot tell whether containers run: no permission on {api} "
                    "(are you in the docker group?)"
                )
            except (OSError, ValueError) as exc:
                report.reasons.append(f"cannot tell whether containers run: {exc}")
            else:
                if running:
                    report.reasons.append(
                        f"{len(running)} running container(s): {', '.join(running)}"
                    )
                if restarting:
                    report.warnings.append(
                        "containers that Docker restarts at its start will not come back at "
                        f"boot until something wakes Docker: {', '.join(restarting)}"
                    )
    return report
