"""The busy check before a stop, with what the daemon carries (issue 16).

``check_before_stop`` reads the service's properties fresh (its cgroup,
main PID, command line, reverse dependencies) and runs adapters/busy.py's
check with them; for libvirt's daemons it adds the libvirt-guests rule:
while ``libvirt-guests.service`` is active and a stop of the daemon would
reach it (Requires=/BindsTo=/PartOf=), the stop would shut every guest
down, so it is a reason not to stop (``--force`` overrides, as for any
busy reason).
"""

from __future__ import annotations

from trayapp.adapters import busy
from trayapp.adapters.dbus.bus import Connection
from trayapp.adapters.dbus.machines import BusSources
from trayapp.adapters.dbus.units import read_properties
from trayapp.core import workloads
from trayapp.core.idle import stats_from_properties
from trayapp.core.workloads import GUESTS_REASON, GUESTS_SERVICE, Kind


async def guests_guard(conn: Connection, service: str, props: dict[str, object]) -> str | None:
    """The libvirt-guests reason, or None."""
    if workloads.kind_of(service) is not Kind.LIBVIRT:
        return None
    if not workloads.stop_reaches(props, GUESTS_SERVICE):
        return None
    guests = await read_properties(conn, GUESTS_SERVICE)
    return GUESTS_REASON if guests.get("ActiveState") in ("active", "activating",
                                                          "reloading") else None


async def check_before_stop(conn: Connection, service: str,
                            listen: list[tuple[str, str]]) -> busy.BusyReport:
    """busy.check with the daemon's workloads, over ``conn`` (its manager's bus)."""
    props = await read_properties(conn, service)
    stats = stats_from_properties(props)
    context = busy.Context(conn.manager, BusSources({conn.manager: conn}),
                           stats.control_group, stats.main_pid, stats.exec_argv)
    report = await busy.check(service, listen, context)
    guard = await guests_guard(conn, service, props)
    if guard:
        report.reasons.append(guard)
    return report
