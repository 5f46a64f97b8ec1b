"""The one busy check before trayapp stops a daemon (issue 16, issue 21).

Every stop and every switch that stops a running daemon asks here first:
the tray's and the CLI's (usecases/actions.py), the idle watcher's and the
one before sleep (usecases/idlestop.py, through the controller), and the
proxy's (usecases/proxy.py).  ``check_busy`` runs adapters/busy.py's check
with the service's cgroup, main PID and command line (read fresh unless
the caller just read them), with what the daemon carries learnt over the
managers' connections (adapters/dbus/machines.py), and for libvirt's
daemons adds the libvirt-guests rule: while ``libvirt-guests.service`` is
active and a stop of the daemon would reach it (Requires=/BindsTo=/PartOf=),
the stop would shut every guest down, so it is a reason not to stop
(``--force`` overrides, as for any busy reason).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from trayapp.adapters import busy
from trayapp.adapters.dbus.bus import BusUnavailable, Connection, SystemdError
from trayapp.adapters.dbus.machines import BusSources
from trayapp.adapters.dbus.units import read_properties
from trayapp.core import workloads
from trayapp.core.idle import ServiceStats, stats_from_properties
from trayapp.core.model import Daemon, Manager
from trayapp.core.workloads import GUESTS_REASON, GUESTS_SERVICE, Kind


async def check_busy(manager: Manager, service: str, listen: list[tuple[str, str]],
                     connections: Mapping[Manager, Connection],
                     stats: ServiceStats | None = None) -> busy.BusyReport:
    """Whether ``service`` of ``manager`` is busy now, and why; ``listen`` is its
    sockets' Listen= (or the proxy's back end).  Over ``connections`` (the daemon's
    manager's among them).  Never raises for a read that fails: the reason says
    what could not be told."""
    conn = connections.get(manager)
    props: dict[str, object] | None = None
    if stats is None:
        if conn is None:
            stats = ServiceStats()
        else:
            props = await read_properties(conn, service)
            stats = stats_from_properties(props)
    context = busy.Context(manager, BusSources(connections), stats.control_group,
                           stats.main_pid, stats.exec_argv)
    report = await busy.check(service, listen, context)
    if workloads.kind_of(service) is Kind.LIBVIRT:
        guard = await _guests_guard(conn, service, props)
        if guard:
            report.reasons.append(guard)
    return report


async def _guests_guard(conn: Connection | None, service: str,
                        props: dict[str, object] | None) -> str | None:
    """The libvirt-guests reason, or None."""
    if conn is None:
        return "cannot tell whether libvirt-guests depends on it: not connected"
    try:
        if props is None:
            props = await read_properties(conn, service)
        if not workloads.stop_reaches(props, GUESTS_SERVICE):
            return None
        guests = await read_properties(conn, GUESTS_SERVICE)
    except (SystemdError, BusUnavailable) as exc:
        return f"cannot tell whether libvirt-guests depends on it: {exc}"
    return GUESTS_REASON if guests.get("ActiveState") in ("active", "activating",
                                                          "reloading") else None


def daemon_check(connections: Mapping[Manager, Connection]) -> Callable[
        [Daemon, list[tuple[str, str]], ServiceStats], Awaitable[busy.BusyReport]]:
    """check_busy as the idle watcher asks it: of a daemon, with the properties it
    has just read (usecases/idlestop.py BusyCheck)."""
    async def check(d: Daemon, listen: list[tuple[str, str]],
                    stats: ServiceStats) -> busy.BusyReport:
        return await check_busy(d.manager, d.service, listen, connections, stats)
    return check
