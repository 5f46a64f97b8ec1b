"""Which daemons the tray watches: well-known ones found, plus added, minus hidden."""

from __future__ import annotations

from tests.support import units
from trayapp.core.keys import key_of
from trayapp.core.model import DaemonMode, DaemonState, Manager
from trayapp.core.table import DaemonTable
from trayapp.core.watchlist import Watchlist

S, U = Manager.SYSTEM, Manager.USER
DORMANT, ON_DEMAND = DaemonState.DORMANT, DaemonMode.ON_DEMAND


def table() -> DaemonTable:
    t = DaemonTable()
    t.replace(S, units("docker", DORMANT, ON_DEMAND) + units("cups", DORMANT, ON_DEMAND)
              + units("acme", DORMANT, ON_DEMAND))  # fmt: skip
    t.replace(U, units("gpg-agent", DORMANT, ON_DEMAND) + units("podman", DORMANT, ON_DEMAND))
    return t


def keys(w: Watchlist, t: DaemonTable) -> list[str]:
    return [key_of(d) for d in w.select(t.daemons())]


def test_well_known_daemons_show_by_default() -> None:
    assert keys(Watchlist(), table()) == ["cups.service", "docker.service", "user:podman.service"]


def test_added_and_hidden() -> None:
    w = Watchlist(watched=("user:gpg-agent.service", "acme.service"), hidden=("cups.service",))
    assert keys(w, table()) == ["acme.service", "docker.service", "user:gpg-agent.service",
                                "user:podman.service"]  # fmt: skip


def test_watch_and_unwatch_round_trip() -> None:
    t = table()
    w = Watchlist().unwatch("docker.service")
    assert w.hidden == ("docker.service",) and w.watched == ()
    assert "docker.service" not in keys(w, t)
    w = w.watch("docker.service")
    assert w == Watchlist()  # a well-known daemon needs no entry once unhidden
    w = w.watch("user:gpg-agent.service")
    assert w.watched == ("user:gpg-agent.service",)
    assert "user:gpg-agent.service" in keys(w, t)
    w = w.unwatch("user:gpg-agent.service")
    # Unticked, but still known: one with no socket unit stays in the table (followed).
    assert w == Watchlist(hidden=("user:gpg-agent.service",))
    assert w.watch("user:gpg-agent.service").watched == ("user:gpg-agent.service",)


def test_missing_lists_added_keys_not_in_the_table() -> None:
    w = Watchlist(watched=("user:gpg-agent.service", "nope.service"))
    assert w.missing(table().daemons()) == ["nope.service"]


def test_plumbing_is_told_apart_from_daemons_people_switch() -> None:
    from trayapp.core.watchlist import KNOWN_SERVICES, is_plumbing

    plumbing = ["dbus.service", "user:dbus.service", "systemd-journald.service",
                "systemd-udevd.service", "systemd-logind.service", "systemd-networkd.service",
                "systemd-resolved.service", "systemd-timesyncd.service",
                "systemd-initctl.service", "user:gpg-agent.service", "virtlogd.service"]
    switched = ["docker.service", "user:podman.service", "cups.service", "libvirtd.service",
                "avahi-daemon.service", "acme.service", "user:syncthing.service"]
    assert [k for k in plumbing if not is_plumbing(k)] == []
    assert [k for k in switched if is_plumbing(k)] == []
    assert not any(is_plumbing(k) for k in KNOWN_SERVICES)
