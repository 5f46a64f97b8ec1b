"""The tray's menu and icon on the offscreen platform, and one repaint per burst."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QMenu

from tests.fakes import Intents
from tests.support import set_state, table_with
from tests.tray_rig import (
    KEY,
    S,
    buttons,
    daemon_menu,
    open_menu,
    snap_of,
)
from trayapp.adapters import resources
from trayapp.core.model import AWAKE, DaemonMode, DaemonState
from trayapp.core.plans import Action, allowed_actions
from trayapp.core.settings import IconFollows
from trayapp.core.summary import Snapshot, TrayStatus, tray_status
from trayapp.core.watchlist import Watchlist
from trayapp.qt import icons
from trayapp.qt.refresh import Coalescer
from trayapp.qt.tray import Tray


@pytest.mark.parametrize("mode", list(DaemonMode))
@pytest.mark.parametrize("state", list(DaemonState))
def test_menu_for_every_state_and_mode(qapp: QApplication, state: DaemonState,
                                       mode: DaemonMode) -> None:  # fmt: skip
    table = table_with(("docker", state, mode))
    intents = Intents()
    tray = Tray(lambda: snap_of(table), intents)
    open_menu(tray)
    [d] = table.daemons()
    sub = daemon_menu(tray.menu, "docker.service")
    assert sub.title() == f"docker: {state}"
    # The daemon's own state icon, the one the tray would show for it alone; off has
    # its own (issue 23: off wore the moon of a sleeping daemon).
    alone = tray_status([d], follows=IconFollows.ALL)
    if state is DaemonState.OFF:
        assert alone is TrayStatus.IDLE
        alone = TrayStatus.OFF
    assert sub.menuAction().icon().cacheKey() == icons.status_icon(alone).cacheKey()
    acts = buttons(sub)
    one_off = Action.STOP if d.state in AWAKE else Action.START
    assert set(acts) == {Action.ALWAYS_ON, Action.ON_DEMAND, one_off}
    # The mode as a checked radio pair: the current one checked (and enabled), never greyed
    # only to say which it is.
    radios = {a: acts[a] for a in (Action.ALWAYS_ON, Action.ON_DEMAND)}
    assert all(act.isCheckable() and act.actionGroup() is not None for act in radios.values())
    assert radios[Action.ALWAYS_ON].isChecked() == (mode is DaemonMode.ALWAYS_ON)
    assert radios[Action.ON_DEMAND].isChecked() == (mode is DaemonMode.ON_DEMAND)
    assert radios[Action.ALWAYS_ON].text() == "Always on"
    # Each mode says what it means (issue 23: "On demand" had no tooltip).
    assert radios[Action.ON_DEMAND].toolTip().startswith("Sleeps, using no memory, until")
    exited = mode is DaemonMode.ALWAYS_ON and state is DaemonState.DORMANT
    assert radios[Action.ALWAYS_ON].toolTip().startswith(
        "Starts when the computer starts; it does not run now" if exited
        else "Runs all the time")
    assert acts[one_off].text() == ("Stop" if one_off is Action.STOP else "Start")
    allowed = allowed_actions(d)
    assert {a for a, act in acts.items() if act.isEnabled()} == \
        allowed | {a for a, act in acts.items() if act.isChecked()}
    for act in acts.values():
        act.trigger()  # a disabled QAction ignores trigger(), as a click would
    # The checked mode asks for nothing; the others ask for what they say.
    assert intents.calls == [("request", S, "docker.service", a)
                             for a in acts if a in allowed]  # fmt: skip


def test_sockets_are_summed_up_and_listed_in_the_tooltip(qapp: QApplication) -> None:
    from trayapp.core.daemon_words import socket_summary

    assert socket_summary(["docker.socket"]) == "docker.socket"
    assert socket_summary([f"libvirtd{s}.socket" for s in ("", "-ro", "-admin", "-tcp")]) \
        == "4 sockets"
    table = table_with(("docker", DaemonState.RUNNING, DaemonMode.ALWAYS_ON))
    tray = Tray(lambda: snap_of(table), Intents())
    open_menu(tray)
    [detail] = [a for a in daemon_menu(tray.menu, "docker.service").actions() if a.toolTip()
                and not a.isEnabled()]
    assert detail.toolTip() == "docker.socket" and detail.text().endswith("docker.socket")


def test_idle_warning_shows_a_countdown_and_keep_running(qapp: QApplication) -> None:
    table = table_with(("docker", DaemonState.RUNNING, DaemonMode.ON_DEMAND))
    intents = Intents()
    left = {KEY: 90.0}
    tray = Tray(lambda: snap_of(table), intents, warnings=lambda: dict(left))
    open_menu(tray)
    entry = next(a for a in tray.menu.actions() if a.data() == "daemon:system:docker.service")
    assert entry.text() == "docker: running — Stops in 1:30"
    sub = daemon_menu(tray.menu, "docker.service")
    items = [a for a in sub.actions() if not a.isSeparator()]
    assert items[0].text() == "Stops in 1:30" and not items[0].isEnabled()
    # The first enabled entry: where the keyboard lands when the submenu opens.
    assert items[1].text() == "Keep running" and items[1].isEnabled()
    left[KEY] = 59.2
    tray._tick()  # what the one-second ticker does while the menu is open
    assert items[0].text() == "Stops in 1:00" and entry.text() == "docker: running — Stops in 1:00"
    assert items[2].text() == "Keep running until I stop it" and items[2].isEnabled()
    items[1].trigger()
    items[2].trigger()
    assert intents.calls == [("keep", S, "docker.service"), ("hold", S, "docker.service")]
    left.clear()
    open_menu(tray)
    assert [a.text() for a in daemon_menu(tray.menu, "docker.service").actions()
            if a.text().startswith(("Stops", "Keep"))] == []


@pytest.mark.parametrize("state", list(DaemonState))
def test_icon_and_tooltip_follow_the_state(qapp: QApplication, state: DaemonState) -> None:
    table = table_with(("docker", DaemonState.DORMANT, DaemonMode.ON_DEMAND))
    tray = Tray(lambda: snap_of(table), Intents())
    tray.refresh()
    assert tray.status is TrayStatus.IDLE
    set_state(table, S, "docker", state)
    tray.refresh()
    expected = snap_of(table).status
    assert tray.status is expected
    assert tray.icon.icon().cacheKey() == icons.status_icon(expected).cacheKey()
    assert tray.icon.toolTip().splitlines()[1].startswith(f"docker: {state}")


def test_disconnected_shows_in_icon_menu_and_tooltip(qapp: QApplication) -> None:
    table = table_with(("docker", DaemonState.RUNNING, DaemonMode.ALWAYS_ON))
    snap = snap_of(table, problems={S: "lost the connection"}, lost=True)
    tray = Tray(lambda: snap, Intents())
    tray.refresh()
    open_menu(tray)
    assert tray.status is TrayStatus.DISCONNECTED
    assert "system manager: lost the connection" in tray.icon.toolTip()
    assert "⚠ system manager: lost the connection" in [a.text() for a in tray.menu.actions()]


def test_every_status_has_a_drawn_icon_and_a_fallback(
    qapp: QApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    icons.status_icon.cache_clear()
    for status in TrayStatus:
        path = resources.icon_path(f"trayapp-{'dormant' if status is TrayStatus.IDLE else status}")
        assert path is not None and path.parent == Path(resources.__file__).parents[1] / "icons"
        assert not icons.status_icon(status).pixmap(22, 22).isNull()
    icons.status_icon.cache_clear()
    monkeypatch.setattr(resources, "icon_path", lambda stem: None)
    try:
        assert not icons.status_icon(TrayStatus.FAILED).pixmap(22, 22).isNull()
    finally:
        icons.status_icon.cache_clear()


def test_resources_found_through_the_environment(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "icons").mkdir()
    (tmp_path / "icons" / "trayapp-busy.svg").write_text("<svg/>")
    monkeypatch.setenv(resources.ENV, str(tmp_path))
    assert resources.icon_path("trayapp-busy") == tmp_path / "icons" / "trayapp-busy.svg"
    # Not in the override: the checkout's copy is used.
    assert resources.icon_path("trayapp-failed") == (
        Path(resources.__file__).parents[1] / "icons" / "trayapp-failed.svg")


def test_watch_menu_lists_every_daemon(qapp: QApplication) -> None:
    table = table_with(("docker", DaemonState.RUNNING, DaemonMode.ALWAYS_ON),
                       ("acme", DaemonState.DORMANT, DaemonMode.ON_DEMAND))  # fmt: skip
    intents = Intents()
    tray = Tray(lambda: snap_of(table, watchlist=Watchlist(hidden=("docker.service",))), intents)
    open_menu(tray)
    texts = [a.text() for a in tray.menu.actions()]
    assert "No daemons shown: pick some under Show in menu" in texts
    assert texts[-3:] == ["Status window", "", "Quit"]
    # Titled for what the ticks mean: shown in this menu (not "enabled").
    [all_menu] = [a.menu() for a in tray.menu.actions() if a.text() == "Show in menu"]
    items = {a.data(): a for a in all_menu.actions()}
    assert set(items) == {"watch:acme.service", "watch:docker.service"}
    assert not items["watch:docker.service"].isChecked()
    items["watch:docker.service"].trigger()
    items["watch:acme.service"].trigger()
    assert intents.calls == [("watch", "docker.service", True), ("watch", "acme.service", True)]


def test_the_watch_menu_keeps_plumbing_behind_preferences(qapp: QApplication) -> None:
    """Issue 23, finding 4: "Show in menu" began with systemd-journald and dbus.  The
    plumbing is one entry that opens Preferences (where "Show system plumbing" is),
    unless the user shows it."""
    table = table_with(("docker", DaemonState.RUNNING, DaemonMode.ALWAYS_ON),
                       ("dbus", DaemonState.RUNNING, DaemonMode.ON_DEMAND),
                       ("systemd-journald", DaemonState.RUNNING, DaemonMode.ON_DEMAND))
    intents = Intents()
    watchlist = Watchlist(watched=("systemd-journald.service",))
    tray = Tray(lambda: snap_of(table, watchlist=watchlist), intents)
    open_menu(tray)
    [all_menu] = [a.menu() for a in tray.menu.actions() if a.text() == "Show in menu"]
    items = {a.data(): a for a in all_menu.actions() if a.data()}
    assert set(items) == {"watch:docker.service", "watch:systemd-journald.service",
                          "watch:plumbing"}
    more = items["watch:plumbing"]
    assert more.text() == "System plumbing (1): Preferences…" and more.toolTip() == "dbus"
    more.trigger()
    assert intents.calls == [("preferences",)]


def test_menu_rebuilds_leave_no_submenus_behind(qapp: QApplication) -> None:
    table = table_with(("docker", DaemonState.RUNNING, DaemonMode.ALWAYS_ON))
    tray = Tray(lambda: snap_of(table), Intents())
    for _ in range(20):
        open_menu(tray)
    QApplication.sendPostedEvents(None, 0)  # deleteLater()
    from PySide6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    assert len(tray.menu.findChildren(QMenu)) == 2  # docker's and "All daemons"


@pytest.mark.parametrize("mode", [DaemonMode.ON_DEMAND, DaemonMode.ALWAYS_ON])
def test_the_keyboard_lands_on_the_current_mode(qapp: QApplication, qtbot: Any,
                                                mode: DaemonMode) -> None:
    """A daemon's submenu opened with the Right key highlights the mode it is in, not
    the other one, which Qt would pick as the first enabled item (one stray Enter
    switched the daemon: issue 23)."""
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    table = table_with(("docker", DaemonState.RUNNING, mode))
    tray = Tray(lambda: snap_of(table), Intents())
    tray.menu.popup(QPoint(100, 100))  # its aboutToShow builds the daemons' submenus
    qtbot.waitExposed(tray.menu)
    sub = daemon_menu(tray.menu, "docker.service")
    tray.menu.setActiveAction(sub.menuAction())
    QTest.keyClick(tray.menu, Qt.Key.Key_Right)
    qtbot.waitUntil(sub.isVisible)
    current = [a for a in sub.actions() if a.isCheckable() and a.isChecked()]
    assert len(current) == 1
    qtbot.waitUntil(lambda: sub.activeAction() is current[0])
    sub.hide()
    tray.menu.hide()


def test_click_opens_menu_or_window(qapp: QApplication, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QSystemTrayIcon

    intents = Intents()
    tray = Tray(lambda: Snapshot(), intents)
    popped: list[object] = []
    monkeypatch.setattr(tray, "popup_menu", lambda at=None: popped.append(at))
    tray.icon.activated.emit(QSystemTrayIcon.ActivationReason.Trigger)
    assert popped == [None] and intents.calls == []
    tray.click_opens_window = True
    tray.icon.activated.emit(QSystemTrayIcon.ActivationReason.Trigger)
    tray.icon.activated.emit(QSystemTrayIcon.ActivationReason.Context)  # Qt opens that one
    assert intents.calls == [("window",)] and popped == [None]


def test_many_table_changes_make_one_refresh(qapp: QApplication, qtbot: Any) -> None:
    table = table_with(("docker", DaemonState.DORMANT, DaemonMode.ON_DEMAND))
    refreshed: list[TrayStatus] = []
    tray = Tray(lambda: snap_of(table), Intents())
    coalescer = Coalescer(lambda: (tray.refresh(), refreshed.append(tray.status)))
    table.listen(coalescer.mark)
    for _ in range(25):  # a burst of wake/sleep churn inside one loop iteration
        set_state(table, S, "docker", DaemonState.STARTING)
        set_state(table, S, "docker", DaemonState.RUNNING)
        set_state(table, S, "docker", DaemonState.DORMANT)
    set_state(table, S, "docker", DaemonState.RUNNING)
    assert refreshed == [] and coalescer.scheduled
    qtbot.waitUntil(lambda: bool(refreshed))
    qtbot.wait(50)
    assert refreshed == [TrayStatus.SOME_RUNNING]  # one refresh, showing the final state
    assert not coalescer.scheduled  # nothing left scheduled: idle means idle
    set_state(table, S, "docker", DaemonState.DORMANT)
    qtbot.waitUntil(lambda: len(refreshed) == 2)
    assert refreshed[-1] is TrayStatus.IDLE
