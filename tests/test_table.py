"""The live table: snapshots and partial updates in, named changes out."""

from __future__ import annotations

from tests.support import daemon_units
from trayapp.core.events import events_of
from trayapp.core.model import DaemonMode, DaemonState, Manager, UnitInfo
from trayapp.core.report import change_word
from trayapp.core.table import Change, DaemonTable

S, U = Manager.SYSTEM, Manager.USER


def units(service_active: str = "inactive") -> list[UnitInfo]:
    """docker.socket, docker.service (on demand), and a service with no socket."""
    return [*daemon_units("docker", service_active=service_active),
            UnitInfo(name="lonely.service", active_state="active")]  # not a daemon


def make() -> tuple[DaemonTable, list[Change]]:
    seen: list[Change] = []
    table = DaemonTable(clock=lambda: 1000.0)
    table.listen(seen.extend)
    return table, seen


def test_snapshot_groups_and_reports_added() -> None:
    table, seen = make()
    table.replace(S, units())
    [d] = table.daemons()
    assert (d.service, d.state, d.mode) == ("docker.service", DaemonState.DORMANT,
                                            DaemonMode.ON_DEMAND)
    assert [change_word(c) for c in seen] == ["appeared"]
    assert seen[0].at == 1000.0


def test_update_reports_only_visible_changes() -> None:
    table, seen = make()
    table.replace(S, units())
    seen.clear()
    table.update(S, "docker.service", {"active_state": "inactive"})  # identical repeat
    table.update(S, "docker.service", {"sub_state": "dead"})  # invisible
    table.update(S, "docker.service", {"memory_bytes": 5})  # invisible while dormant
    assert seen == []
    table.update(S, "docker.service", {"active_state": "activating"})
    table.update(S, "docker.service", {"active_state": "active"})
    assert [(c.old.state, c.new.state) for c in seen if c.old and c.new] == [
        (DaemonState.DORMANT, DaemonState.STARTING),
        (DaemonState.STARTING, DaemonState.RUNNING),
    ]


def test_enablement_change_changes_mode() -> None:
    table, seen = make()
    table.replace(S, units())
    table.update(S, "docker.service", {"unit_file_state": "enabled"})
    assert seen[-1].new is not None and seen[-1].new.mode is DaemonMode.ALWAYS_ON


def test_unknown_fields_and_units_are_ignored() -> None:
    table, seen = make()
    table.replace(S, units())
    seen.clear()
    assert table.update(S, "docker.service", {"NoSuchField": 1}) == []
    assert table.update(S, "ghost.service", {"active_state": "active"}) == []
    assert seen == []


def test_socket_removed_removes_daemon() -> None:
    table, seen = make()
    table.replace(S, units())
    table.remove(S, "docker.socket")
    assert table.daemons() == []
    assert change_word(seen[-1]) == "vanished"


def test_resnapshot_without_a_socket_reports_removed() -> None:
    table, seen = make()
    table.replace(S, units())
    table.replace(S, units()[1:])
    assert change_word(seen[-1]) == "vanished" and table.daemons() == []


def test_new_socket_joins_existing_daemon() -> None:
    table, seen = make()
    table.replace(S, units())
    table.put(S, UnitInfo(name="docker-ro.socket", active_state="inactive",
                          triggers=("docker.service",)))
    [d] = table.daemons()
    assert d.sockets == ("docker-ro.socket", "docker.socket")
    # What is shown changed (its sockets), with no event to name: "changed".
    assert change_word(seen[-1]) == "changed" and events_of(seen[-1]) == []


def test_managers_are_separate() -> None:
    table, _ = make()
    table.replace(S, units())
    table.replace(U, units("active"))
    assert [(d.manager, d.state) for d in table.daemons()] == [
        (S, DaemonState.DORMANT), (U, DaemonState.RUNNING)]
    table.replace(U, [])
    assert [d.manager for d in table.daemons()] == [S]


def test_unit_names_cover_sockets_and_their_services() -> None:
    table, _ = make()
    table.replace(S, units())
    assert table.unit_names(S) == {"docker.socket", "docker.service"}


def test_since_only_moves_when_the_state_a_user_sees_changes() -> None:
    table, seen = make()
    table.replace(S, units())
    table.update(S, "docker.service", {"active_state": "active", "state_change_usec": 10})
    seen.clear()
    table.update(S, "docker.socket", {"sub_state": "running", "state_change_usec": 20})
    table.update(S, "docker.service", {"sub_state": "running", "state_change_usec": 30})
    assert seen == []
    d = table.daemon(S, "docker.service")
    assert d is not None and d.since_usec == 10
    table.update(S, "docker.service", {"active_state": "inactive", "state_change_usec": 40})
    assert seen[-1].new is not None and seen[-1].new.since_usec == 40


def test_socket_without_a_unit_file_is_no_daemon() -> None:
    table, _ = make()
    table.replace(S, [*units(), UnitInfo(name="ghost.socket", load_state="not-found")])
    assert [d.service for d in table.daemons()] == ["docker.service"]


def test_a_followed_service_without_a_socket_is_a_daemon() -> None:
    """Issue 23 finding 1: a daemon the user added (PostgreSQL, no socket unit) is
    shown while systemd has it loaded, never "not found"; once a name is followed
    no more, it leaves the table."""
    table, seen = make()
    table.replace(S, [*units()[:-1], UnitInfo(name="lonely.service", active_state="active",
                                              load_state="loaded")])
    assert [d.service for d in table.daemons()] == ["docker.service"]  # not followed yet
    seen.clear()
    table.follow(S, ["lonely.service"])
    assert [change_word(c) for c in seen] == ["appeared"]
    lonely = table.daemon(S, "lonely.service")
    assert lonely is not None and lonely.sockets == ()
    assert (lonely.state, lonely.mode) == (DaemonState.RUNNING, DaemonMode.MANUAL)
    assert "lonely.service" in table.unit_names(S)
    table.update(S, "lonely.service", {"unit_file_state": "enabled"})
    assert table.daemon(S, "lonely.service").mode is DaemonMode.ALWAYS_ON  # type: ignore[union-attr]
    table.replace(S, [*units()[:-1], UnitInfo(name="lonely.service", active_state="active",
                                              load_state="loaded")])  # a resync keeps it
    assert table.daemon(S, "lonely.service") is not None
    seen.clear()
    table.follow(S, [])
    assert [change_word(c) for c in seen] == ["vanished"]
    assert table.daemon(S, "lonely.service") is None
    assert "lonely.service" not in table.unit_names(S)


def test_a_followed_name_systemd_does_not_know_is_not_a_daemon() -> None:
    table, _ = make()
    table.follow(S, ["gone.service", "tmpl@.service", "x.socket"])
    assert table.followed(S) == frozenset({"gone.service"})
    table.replace(S, [UnitInfo(name="gone.service", load_state="not-found")])
    assert table.daemons() == []  # the views call it not found


def test_a_proxied_daemon_keeps_its_row_when_the_proxy_goes() -> None:
    """'Always on' of a daemon behind trayapp's proxy removes the proxy's socket: the
    daemon stays, now always on, instead of turning "not found" (issue 23)."""
    table, _ = make()
    service = UnitInfo(name="postgresql@15-main.service", active_state="active",
                       load_state="loaded", unit_file_state="enabled-runtime")
    proxy = UnitInfo(name="trayapp-proxy-postgresql@15-main.socket", active_state="active",
                     load_state="loaded", unit_file_state="transient")
    table.follow(S, ["postgresql@15-main.service"])
    table.replace(S, [service, proxy])
    d = table.daemon(S, "postgresql@15-main.service")
    assert d is not None and d.mode is DaemonMode.ON_DEMAND_PROXY
    table.remove(S, proxy.name)
    d = table.daemon(S, "postgresql@15-main.service")
    assert d is not None and d.sockets == () and d.state is DaemonState.RUNNING
