"""Is a running daemon busy?  Asked before stopping it or making it on-demand.

Checks that are safe for a dormant daemon because they are only made while
its service is active (the caller reads ActiveState first):

* every daemon: open client connections on its listening sockets, read from
  the kernel's socket tables (never a connect);
* what it carries, by kind (core/workloads.py), given a ``Context``:
  libvirt's running guests (machined and machine.slice, through ``Sources``),
  podman's containers (its manager's libpod scopes), Docker's containers and
  their restart policies (Docker's own API socket, from docker.socket's
  Listen=), CUPS's pending jobs (its spool directory), and for every other
  daemon the processes of its cgroup besides the main one and the helpers
  it forked as it started.

What cannot be learnt is a reason not to stop ("cannot tell ..."), never idle.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from trayapp.adapters import cgroups, cups_spool, docker_api, socktables
from trayapp.core import netstat, workloads
from trayapp.core.model import Manager
from trayapp.core.workloads import Kind

log = logging.getLogger(__name__)


UNSURE = "cannot tell"  # how every reason that is not knowing, not a finding, begins


@dataclass
class BusyReport:
    reasons: list[str] = field(default_factory=list)  # what blocks a stop
    warnings: list[str] = field(default_factory=list)  # what a user should know

    # It exits by itself when idle (podman's --time): nobody needs to stop it.
    exits_by_itself: str = ""

    @property
    def busy(self) -> bool:
        return bool(self.reasons)

    @property
    def unsure(self) -> bool:
        """Every reason is "cannot tell": nothing was seen to be busy, only not known
        (issue 23: a guess is not to be called busy)."""
        return bool(self.reasons) and all(r.startswith(UNSURE) for r in self.reasons)


class Sources(Protocol):
    """Where workloads are learnt (adapters/dbus/machines.BusSources); may raise."""

    async def machines(self) -> list[tuple[str, str, str]]: ...

    async def scopes(self, manager: Manager, patterns: Sequence[str]) -> list[str]: ...


@dataclass(frozen=True)
class Context:
    """What the workload checks need beyond the sockets: read fresh by the caller."""

    manager: Manager
    sources: Sources | None = None
    control_group: str = ""  # the service's ControlGroup
    main_pid: int = 0
    exec_argv: tuple[str, ...] = ()
    spool: str = cups_spool.SPOOL
    unified: bool | None = None  # cgroup v2 only (None: look at /sys/fs/cgroup)


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


async def check(service: str, listen: list[tuple[str, str]],
                context: Context | None = None) -> BusyReport:
    """Call only while ``service`` is active: the Docker check connects to its socket.

    Without ``context`` only connections and Docker are checked (a daemon of
    another kind is then "cannot tell", except the generic ones).

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
    kind = workloads.kind_of(service)
    if kind is Kind.DOCKER:
        api = next((a for k, a in listen if k == "Stream" and a.startswith("/")), None)
        if api:
            await _check_docker(api, report)
    elif context is not None:
        await _check_workload(kind, context, report)
    elif kind is not Kind.GENERIC:
        report.reasons.append(f"cannot tell what {service} carries (not looked up)")
    return report


async def _check_workload(kind: Kind, ctx: Context, report: BusyReport) -> None:
    try:
        if kind is Kind.LIBVIRT:
            await _check_libvirt(ctx, report)
        elif kind is Kind.PODMAN:
            await _check_podman(ctx, report)
        elif kind is Kind.CUPS:
            jobs = await asyncio.to_thread(cups_spool.pending_jobs, ctx.spool)
            if jobs:
                report.reasons.append(f"{len(jobs)} print job(s) pending: "
                                      f"{', '.join(map(str, jobs[:10]))}")
        else:
            await _check_processes(ctx, report)
    except Exception as exc:  # OSError, a bus error, anything a hostile reply provokes
        log.info("workload check (%s): %r", kind, exc)
        report.reasons.append(f"cannot tell what it carries ({kind}): {exc}")


async def _check_libvirt(ctx: Context, report: BusyReport) -> None:
    if ctx.manager is not Manager.SYSTEM:
        # A user's libvirt (qemu:///session) registers its guests nowhere systemd shows.
        report.reasons.append("cannot tell whether guests run: a user's own libvirt "
                              "registers them with nobody but itself")
        return
    if ctx.sources is None:
        raise OSError("no bus to ask machined")
    rows = await ctx.sources.machines()
    scopes = await ctx.sources.scopes(Manager.SYSTEM, workloads.GUEST_SCOPES)
    guests = workloads.libvirt_guests(rows, scopes)
    if guests:
        report.reasons.append(f"{len(guests)} running guest(s): {', '.join(guests[:10])}")


def unified_only(root: Path = Path("/sys/fs/cgroup")) -> bool:
    """A cgroup-v2-only system (not a v1 or hybrid one)."""
    return (root / "cgroup.controllers").is_file()


async def _check_podman(ctx: Context, report: BusyReport) -> None:
    if ctx.sources is None:
        raise OSError("no bus to list its containers' scopes")
    unified = ctx.unified if ctx.unified is not None else unified_only()
    if ctx.manager is Manager.USER and not unified:
        # Rootless podman makes systemd scopes only on cgroup v2; elsewhere its
        # containers are nowhere systemd shows.
        report.reasons.append("cannot tell whether containers run: rootless podman "
                              "registers none with systemd on a cgroup-v1 system")
        return
    found = workloads.podman_containers(
        await ctx.sources.scopes(ctx.manager, workloads.CONTAINER_SCOPES))
    if found:
        report.reasons.append(f"{len(found)} running container(s): {', '.join(found[:10])}")
        return
    seconds = workloads.podman_exit_time(ctx.exec_argv)
    if seconds is not None:
        report.exits_by_itself = (f"podman exits by itself after {seconds} s without "
                                  "clients (its --time)")


def start_times(pids: Sequence[int]) -> dict[int, float]:
    """Each process's start, in seconds after boot (/proc/PID/stat's starttime);
    a process that is gone or unreadable is left out."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for pid in pids[:cgroups.MAX_PIDS]:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                # After the command's closing parenthesis (the command may hold any byte):
                # state is field 3, starttime field 22.
                fields = f.read(4096).rsplit(b")", 1)[1].split()
            found[pid] = int(fields[19]) / tick
        except (OSError, IndexError, ValueError):
            continue
    return found


async def _check_processes(ctx: Context, report: BusyReport) -> None:
    pids = await asyncio.to_thread(cgroups.pids, ctx.control_group)
    started = await asyncio.to_thread(start_times, [*pids, ctx.main_pid])
    others = workloads.other_processes(pids, ctx.main_pid, started)
    if others:
        shown = ", ".join(map(str, others[:10]))
        report.reasons.append(f"{len(others)} process(es) besides its main one: PID {shown}")


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
