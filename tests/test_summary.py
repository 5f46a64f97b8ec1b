"""What the tray shows, from the table: icon status, tooltip, rows and their actions."""

from __future__ import annotations

import time

import pytest

from tests.support import set_state, table_with, units
from trayapp.core.model import DaemonMode, DaemonState, Manager
from trayapp.core.plans import Action, allowed_actions
from trayapp.core.settings import IconFollows
from trayapp.core.summary import (
    ACTION_ORDER,
    Snapshot,
    TrayStatus,
    awake_line,
    busy_label,
    follows_text,
    row,
    tooltip_text,
    tray_status,
)
from trayapp.core.table import DaemonTable
from trayapp.core.watchlist import Watchlist

S, U = Manager.SYSTEM, Manager.USER
STATES = list(DaemonState)
MODES = list(DaemonMode)

ICON_FOR_STATE = {
    DaemonState.DORMANT: TrayStatus.IDLE,
    DaemonState.OFF: TrayStatus.IDLE,
    DaemonState.RUNNING: TrayStatus.SOME_RUNNING,
    DaemonState.STARTING: TrayStatus.BUSY,
    DaemonState.STOPPING: TrayStatus.BUSY,
    DaemonState.FAILED: TrayStatus.FAILED,
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("state", STATES)
def test_status_of_one_daemon_in_every_state_and_mode(state: DaemonState,
                                                      mode: DaemonMode) -> None:
    [d] = table_with(("docker", state, mode)).daemons()
    assert (d.state, d.mode) == (state, mode)  # the fixture means what it says
    assert tray_status([d]) is ICON_FOR_STATE[state]


def test_status_priorities() -> None:
    t = table_with(("a", DaemonState.DORMANT, DaemonMode.ON_DEMAND),
                   ("b", DaemonState.RUNNING, DaemonMode.ALWAYS_ON))  # fmt: skip
    # b runs always-on beside an on-demand a: the normal state, not news...
    assert tray_status(t.daemons()) is TrayStatus.IDLE
    # ...unless the icon follows every daemon.
    assert tray_status(t.daemons(), follows=IconFollows.ALL) is TrayStatus.SOME_RUNNING
    # An action of ours under way makes it busy even before systemd reacts.
    assert tray_status(t.daemons(), pending=[(S, "a.service")]) is TrayStatus.BUSY
    t2 = table_with(("a", DaemonState.STARTING, DaemonMode.ON_DEMAND),
                    ("b", DaemonState.FAILED, DaemonMode.ALWAYS_ON))  # fmt: skip
    assert tray_status(t2.daemons()) is TrayStatus.FAILED  # failure outranks busy
    assert tray_status(t2.daemons(), lost=True) is TrayStatus.DISCONNECTED
    assert tray_status([]) is TrayStatus.IDLE


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("state", STATES)
def test_row_enables_exactly_the_allowed_actions(state: DaemonState, mode: DaemonMode) -> None:
    [d] = table_with(("docker", state, mode)).daemons()
    r = row(d, now=2000.0)
    assert [i.action for i in r.items] == list(ACTION_ORDER)
    assert {i.action for i in r.items if i.enabled} == allowed_actions(d)
    assert r.busy is None


def test_row_spot_checks() -> None:
    [d] = table_with(("docker", DaemonState.DORMANT, DaemonMode.ON_DEMAND)).daemons()
    enabled = {i.label for i in row(d, 0).items if i.enabled}
    assert enabled == {"Switch to always-on", "Start now"}
    [m] = table_with(("docker", DaemonState.RUNNING, DaemonMode.MASKED)).daemons()
    assert not any(i.enabled for i in row(m, 0).items)
    [r] = table_with(("docker", DaemonState.RUNNING, DaemonMode.ALWAYS_ON)).daemons()
    assert {i.label for i in row(r, 0).items if i.enabled} == {"Switch to on-demand", "Stop now"}


def test_pending_action_disables_everything_and_says_what_it_does() -> None:
    [d] = table_with(("docker", DaemonState.RUNNING, DaemonMode.ALWAYS_ON)).daemons()
    r = row(d, 0, pending={(S, "docker.service"): Action.ON_DEMAND})
    assert not any(i.enabled for i in r.items)
    assert r.busy == busy_label(Action.ON_DEMAND)
    assert r.busy == "Switching to on-demand…"


def test_tooltip_lists_each_daemon_with_state_and_duration() -> None:
    # Noon, local time: "since" stays on the same day a minute later (at 23:59 the
    # clock's own time made it "since Dec 07 23:54" once, a failure of the test).
    now = time.mktime((2026, 6, 15, 12, 0, 0, 0, 0, -1))
    since = int((now - 300) * 1e6)  # five minutes ago
    table = DaemonTable()
    table.replace(S, units("docker", DaemonState.DORMANT, DaemonMode.ON_DEMAND, since))
    table.replace(U, units("podman", DaemonState.RUNNING, DaemonMode.ALWAYS_ON, since))
    text = tooltip_text(table.daemons(), now,
                        pending={(U, "podman.service"): Action.STOP},
                        problems={S: "boom"})  # fmt: skip
    lines = text.splitlines()
    hhmm = time.strftime("%H:%M", time.localtime(since / 1e6))
    assert lines[0] == "Awake: podman (user) · asleep: docker"
    assert lines[1] == f"docker: dormant for 5 min (since {hhmm}), on-demand"
    assert lines[2].startswith("podman (user): running for 5 min")
    assert lines[2].endswith("always-on — Stopping…")
    assert lines[3] == "system manager: boom"
    # Computed for the moment asked: a minute later it says six minutes.
    later = tooltip_text(table.daemons(), now + 60).splitlines()
    assert later[1] == f"docker: dormant for 6 min (since {hhmm}), on-demand"


def test_tooltip_without_daemons_or_timestamps() -> None:
    assert tooltip_text([], 0) == "No daemons shown"
    [d] = table_with(("cups", DaemonState.OFF, DaemonMode.MANUAL)).daemons()
    assert tooltip_text([d], 0) == "Awake: none · off: cups\ncups: off, manual"


def test_snapshot_shows_only_watched_daemons() -> None:
    table = table_with(("docker", DaemonState.RUNNING, DaemonMode.ALWAYS_ON),
                       ("gpg-agent", DaemonState.FAILED, DaemonMode.ON_DEMAND))  # fmt: skip
    snap = Snapshot(daemons=tuple(table.daemons()), now=0)
    # gpg-agent is not a well-known daemon: its failure does not colour the icon.
    assert [d.name for d in snap.watched] == ["docker"]
    assert snap.status is TrayStatus.SOME_RUNNING
    snap = Snapshot(daemons=tuple(table.daemons()), watchlist=Watchlist(("gpg-agent.service",)))
    assert snap.status is TrayStatus.FAILED
    assert [r.daemon.name for r in snap.rows()] == ["docker", "gpg-agent"]


# -- which daemons the icon follows --------------------------------------------------

# The icon with docker dormant and on-demand beside cups, always-on, in each state:
# cups running is the normal state; its failure or a transition is still shown.
BESIDE_DORMANT_DOCKER = {
    DaemonState.RUNNING: TrayStatus.IDLE,
    DaemonState.DORMANT: TrayStatus.IDLE,
    DaemonState.OFF: TrayStatus.IDLE,
    DaemonState.STARTING: TrayStatus.BUSY,
    DaemonState.STOPPING: TrayStatus.BUSY,
    DaemonState.FAILED: TrayStatus.FAILED,
}


@pytest.mark.parametrize("cups", STATES)
def test_an_always_on_daemon_beside_dormant_docker(cups: DaemonState) -> None:
    t = table_with(("docker", DaemonState.DORMANT, DaemonMode.ON_DEMAND),
                   ("cups", cups, DaemonMode.ALWAYS_ON))  # fmt: skip
    assert tray_status(t.daemons()) is BESIDE_DORMANT_DOCKER[cups]
    assert tray_status(t.daemons(), follows=IconFollows.ALL) is ICON_FOR_STATE[cups]
    set_state(t, S, "docker", DaemonState.RUNNING)  # docker wakes
    expected = BESIDE_DORMANT_DOCKER[cups]
    assert tray_status(t.daemons()) is (
        TrayStatus.SOME_RUNNING if expected is TrayStatus.IDLE else expected)


def test_without_on_demand_daemons_the_icon_follows_all() -> None:
    t = table_with(("cups", DaemonState.RUNNING, DaemonMode.ALWAYS_ON),
                   ("libvirtd", DaemonState.OFF, DaemonMode.MANUAL))  # fmt: skip
    assert tray_status(t.daemons()) is TrayStatus.SOME_RUNNING
    assert follows_text(t.daemons(), IconFollows.ON_DEMAND) == (
        "Icon follows all (none is on-demand): cups, libvirtd")
    set_state(t, S, "cups", DaemonState.OFF)
    assert tray_status(t.daemons()) is TrayStatus.IDLE


def test_follows_text_names_the_followed_daemons() -> None:
    t = table_with(("docker", DaemonState.DORMANT, DaemonMode.ON_DEMAND),
                   ("cups", DaemonState.RUNNING, DaemonMode.ALWAYS_ON))  # fmt: skip
    assert follows_text(t.daemons(), IconFollows.ON_DEMAND) == "Icon follows on-demand: docker"
    assert follows_text(t.daemons(), IconFollows.ALL) == "Icon follows all: cups, docker"
    assert follows_text([], IconFollows.ALL) is None


def test_awake_line_groups_every_state() -> None:
    t = table_with(*[(f"d-{state}", state, DaemonMode.ON_DEMAND) for state in STATES])
    assert awake_line(t.daemons()) == (
        "Awake: d-running, d-starting, d-stopping · asleep: d-dormant · failed: d-failed"
        " · off: d-off")


def test_snapshot_follows_the_setting() -> None:
    t = table_with(("docker", DaemonState.DORMANT, DaemonMode.ON_DEMAND),
                   ("cups", DaemonState.RUNNING, DaemonMode.ALWAYS_ON))  # fmt: skip
    shown = Watchlist(("cups.service",))
    snap = Snapshot(daemons=tuple(t.daemons()), watchlist=shown)
    assert snap.status is TrayStatus.IDLE and [d.name for d in snap.followed] == ["docker"]
    snap = Snapshot(daemons=tuple(t.daemons()), watchlist=shown, icon_follows=IconFollows.ALL)
    assert snap.status is TrayStatus.SOME_RUNNING
    assert snap.follows_text == "Icon follows all: cups, docker"


def test_many_sockets_are_summed_up_short() -> None:
    """libvirtd has five sockets: the menu row names the first and counts the rest."""
    from trayapp.core.daemon_words import sockets_text

    assert sockets_text(("docker.socket",)) == "docker.socket"
    assert sockets_text(("a.socket", "b.socket")) == "a.socket, b.socket"
    five = ("libvirtd.socket", "libvirtd-ro.socket", "libvirtd-admin.socket",
            "libvirtd-tcp.socket", "libvirtd-tls.socket")
    assert sockets_text(five) == "libvirtd.socket and 4 more"


def test_states_and_modes_have_words_for_every_value() -> None:
    from trayapp.core.daemon_words import MODE_WORDS, STATE_WORDS
    from trayapp.core.summary import STATUS_WORDS

    assert [STATE_WORDS[s] for s in DaemonState] == [str(s) for s in DaemonState]
    assert [MODE_WORDS[m] for m in DaemonMode] == [str(m) for m in DaemonMode]
    assert len({STATUS_WORDS[s] for s in TrayStatus}) == len(TrayStatus)


def test_a_proxied_daemon_counts_as_on_demand_for_the_icon() -> None:
    """Issue 15: on demand through trayapp's proxy is on demand; the icon follows it."""
    t = table_with(("postgresql", DaemonState.DORMANT, DaemonMode.ON_DEMAND_PROXY),
                   ("cups", DaemonState.RUNNING, DaemonMode.ALWAYS_ON))  # fmt: skip
    assert tray_status(t.daemons()) is TrayStatus.IDLE
    assert follows_text(t.daemons(), IconFollows.ON_DEMAND) == (
        "Icon follows on-demand: postgresql")


def test_a_daemon_that_starts_at_boot_and_exits_by_itself_says_both_at_once() -> None:
    """Issue 23, finding 5: "podman: dormant · Always on" and "libvirtd: dormant ·
    Always on" read as a contradiction once they exit by themselves."""
    from trayapp.core.daemon_words import daemon_mode_hint, mode_words
    from trayapp.core.summary import row

    table = table_with(("libvirtd", DaemonState.DORMANT, DaemonMode.ALWAYS_ON),
                       ("docker", DaemonState.RUNNING, DaemonMode.ALWAYS_ON))
    libvirtd, docker = (table.daemon(S, f"{n}.service") for n in ("libvirtd", "docker"))
    assert libvirtd is not None and docker is not None
    assert row(libvirtd, 0).title == "libvirtd: dormant, starts at boot, asleep now"
    assert mode_words(docker) == "always-on"
    assert "its socket wakes it again" in daemon_mode_hint(libvirtd)
    assert daemon_mode_hint(docker).startswith("Runs all the time")
