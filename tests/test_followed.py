"""Daemons without a socket unit, followed because the user added them (issue 23
finding 1), read through the adapter over the fake systemd (tests/fakes.py).

The testbed tier shows the same on real systemd: test_status_testbed.py's
``test_a_daemon_added_by_hand_is_shown_without_a_socket``."""

from __future__ import annotations

from pathlib import Path

from tests.fakes import FakeConnection, FakeUnit
from trayapp.adapters.dbus import units
from trayapp.adapters.dbus.watcher import Watcher
from trayapp.core.model import DaemonState, Manager
from trayapp.core.table import DaemonTable

S = Manager.SYSTEM


def machine(tmp_path: Path) -> list[FakeUnit]:
    """x.socket with x.service, and PostgreSQL's cluster, which has no socket unit."""
    (tmp_path / "postgresql@.service").write_text("[Service]\n")  # the template's file
    return [
        FakeUnit("x.service", triggered_by=("x.socket",)),
        FakeUnit("x.socket", active_state="active", unit_file_state="enabled",
                 triggers=("x.service",), listen=(("Stream", "/run/x.sock"),)),
        FakeUnit("postgresql@15-main.service", active_state="active",
                 unit_file_state="enabled-runtime"),
    ]


async def test_a_followed_service_is_read_and_a_name_without_a_file_is_not(
        tmp_path: Path) -> None:
    conn = await FakeConnection.open(machine(tmp_path))
    conn.unit_path = [str(tmp_path)]
    results = await units.read_all(conn, services={"postgresql@15-main.service",  # type: ignore[arg-type]
                                                   "nosuch.service"})
    read = {info.name for info, _ in results}
    assert read == {"x.socket", "x.service", "postgresql@15-main.service"}
    # No GetAll of the name with no unit file: it would make PID 1 load a stub of it.
    assert not [c for c in conn.log if c.target == "nosuch.service"]


async def test_the_watcher_shows_a_followed_service_as_a_daemon(tmp_path: Path) -> None:
    conn = await FakeConnection.open(machine(tmp_path))
    conn.unit_path = [str(tmp_path)]
    table = DaemonTable()
    table.follow(S, ["postgresql@15-main.service"])
    watcher = Watcher(conn, table)  # type: ignore[arg-type]
    await watcher.start()
    pg = table.daemon(S, "postgresql@15-main.service")
    assert pg is not None and pg.state is DaemonState.RUNNING and pg.sockets == ()
    assert table.daemon(S, "x.service") is not None
    watcher.close()


async def test_a_stats_read_is_the_memory_the_views_show(tmp_path: Path) -> None:
    """Issue 23 finding 7: after a wake the menu dropped Docker's memory figure, since
    systemd never signals MemoryCurrent.  The read made at the wake (and at each idle
    check) is also what the table shows."""
    from trayapp.usecases.monitor import Monitor
    from trayapp.usecases.stats import MonitorStats

    units_ = machine(tmp_path)
    conn = await FakeConnection.open(units_)
    conn.unit_path = [str(tmp_path)]
    monitor = Monitor([S])
    monitor.connections[S] = conn  # type: ignore[assignment]
    monitor.table.follow(S, ["postgresql@15-main.service"])
    monitor.table.replace(S, [info for info, _ in await units.read_all(
        conn, services={"postgresql@15-main.service"})])  # type: ignore[arg-type]
    pg = monitor.table.daemon(S, "postgresql@15-main.service")
    assert pg is not None and pg.memory_bytes is None  # not accounted when last read
    next(u for u in units_ if u.name == "postgresql@15-main.service").memory = 20 << 20
    stats = await MonitorStats(monitor).service(S, "postgresql@15-main.service")
    assert stats is not None and stats.memory_bytes == 20 << 20
    pg = monitor.table.daemon(S, "postgresql@15-main.service")
    assert pg is not None and pg.memory_bytes == 20 << 20


async def test_the_units_before_the_limit_get_their_rules(tmp_path: Path) -> None:
    """WatchedPaths.add at the limit of watched units: the names it recorded before the
    limit get their match rules (review: they counted as watched without one)."""
    from trayapp.adapters.dbus import paths

    conn = await FakeConnection.open([])
    added: list[str] = []

    async def add_match(rule: str) -> None:
        added.append(rule)

    conn.add_match = add_match  # type: ignore[method-assign]
    watched = paths.WatchedPaths(conn)  # type: ignore[arg-type]
    watched.names = {f"/p/{i}": f"u{i}.service" for i in range(paths.MAX_UNITS - 1)}
    assert await watched.add(["a.service", "b.service"]) is False  # b is one too many
    assert list(watched.names.values())[-1] == "a.service"
    assert len(added) == 1 and "path='/org/freedesktop/systemd1/unit/a_2eservice'" in added[0]
