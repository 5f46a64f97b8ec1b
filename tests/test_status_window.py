"""The status window: rows that act, keys, focus, nothing cut, the no-tray banner,
its place and size."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QPushButton

from tests.fakes import Intents
from tests.support import set_state, table_with, units
from tests.tray_rig import (
    KEY,
    S,
    held,
    run,
    snap_of,
    table,
)
from trayapp.core.model import DaemonMode, DaemonState
from trayapp.core.outcome import Status
from trayapp.core.plans import Action
from trayapp.core.summary import Snapshot, busy_label
from trayapp.core.table import DaemonTable
from trayapp.core.watchlist import Watchlist
from trayapp.qt.app import PREFERENCES, TrayApp
from trayapp.qt.window import StatusWindow


def test_window_rows_act_and_show_busy(tray_app: TrayApp, loop: Any, qtbot: Any) -> None:
    app = tray_app
    controller = held(app)
    app.show_window()
    win: StatusWindow = app.window
    qtbot.waitUntil(win.isActiveWindow)

    def find(kind: type[Any], name: str) -> Any:
        found = win.findChild(kind, name)
        assert isinstance(found, kind), name
        return found

    from PySide6.QtWidgets import QComboBox

    stop = find(QPushButton, "system:docker.service:stop")
    assert stop.text() == "Stop" and stop.isEnabled()
    assert find(QPushButton, "system:podman.service:start").isEnabled()
    docker_mode = find(QComboBox, "mode:system:docker.service")
    assert docker_mode.currentText() == "Always on"
    assert find(QComboBox, "mode:system:podman.service").currentText() == "On demand"
    assert "Quit" not in [b.text() for b in win.findChildren(QPushButton)]  # tray menu only
    stop.setFocus()
    assert app.qapp.focusWidget() is stop

    async def scenario() -> None:
        stop.click()
        await asyncio.sleep(0.05)
        assert not stop.isEnabled() and not docker_mode.isEnabled()
        texts = [lbl.text() for lbl in win.findChildren(type(win.banner))]
        assert any(busy_label(Action.STOP) in t for t in texts)
        set_state(table(app), S, "docker", DaemonState.DORMANT)
        controller.release[KEY].set_result(Status.DONE)
        await asyncio.sleep(0.05)

    run(loop, scenario())
    assert controller.requests == [(S, "docker.service", Action.STOP)]
    # Updated in place: the same button, now Start, and the keyboard focus is back on it.
    assert stop.text() == "Start" and stop.objectName() == "system:docker.service:start"
    assert stop.isEnabled() and app.qapp.focusWidget() is stop
    # Another daemon changes: the focus stays where it is.
    set_state(table(app), S, "podman", DaemonState.RUNNING)
    qtbot.waitUntil(lambda: find(QPushButton, "system:podman.service:stop").isEnabled())
    assert app.qapp.focusWidget() is stop
    # The mode is a choice: picking the other one asks for the switch.

    async def choose() -> None:
        docker_mode.activated.emit(docker_mode.findText("On demand"))
        assert controller.requests[-1] == (S, "docker.service", Action.ON_DEMAND)
        controller.release[KEY].set_result(Status.DONE)
        await asyncio.sleep(0.05)

    run(loop, choose())


def test_window_keys_close_and_reach_preferences(qapp: QApplication, qtbot: Any) -> None:
    from PySide6.QtCore import Qt

    table = table_with(("docker", DaemonState.RUNNING, DaemonMode.ALWAYS_ON))
    intents = Intents()
    win = StatusWindow(lambda: snap_of(table), intents)
    win.present()
    qtbot.waitUntil(win.isActiveWindow)
    assert win.close_button.isDefault()
    win.preferences_button.click()
    win.findChild(QPushButton, "history:system/docker.service").click()
    assert intents.calls == [("preferences",), ("history", S, "docker.service")]
    qtbot.keyClick(win, Qt.Key.Key_Escape)
    assert not win.isVisible()
    win.present()
    qtbot.waitUntil(win.isActiveWindow)
    qtbot.keyClick(win, Qt.Key.Key_Return)  # the default button: Close
    assert not win.isVisible()
    # Every control has a name a screen reader can say.
    win.present()
    for widget in win.findChildren(QPushButton):
        assert widget.text() or widget.accessibleName(), widget.objectName()
    assert win.findChild(QPushButton, "history:system/docker.service").accessibleName() == \
        "History of docker"
    win.close()


def test_a_control_that_waited_for_the_focus_may_go_with_its_row(qapp: QApplication) -> None:
    """The mode box of a daemon, disabled while its switch runs, waits to get the
    focus back; when its row goes meanwhile (the daemon left the list), the next
    refresh must not touch the deleted box (issue 23: "Internal C++ object
    (ChoiceBox) already deleted", twice, from _keep_focus)."""
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QComboBox

    table = table_with(("docker", DaemonState.RUNNING, DaemonMode.ALWAYS_ON),
                       ("cups", DaemonState.DORMANT, DaemonMode.ON_DEMAND))
    pending: dict[Any, Action] = {}
    win = StatusWindow(lambda: snap_of(table, pending=pending), Intents())
    win.present()
    mode = win.findChild(QComboBox, "mode:system:docker.service")
    assert mode is not None
    mode.setFocus()
    pending[(S, "docker.service")] = Action.ON_DEMAND  # a switch under way disables it
    win.refresh()
    assert not mode.isEnabled()
    table.remove(S, "docker.service")
    table.remove(S, "docker.socket")
    win.refresh()  # the row goes: its widgets are deleted later
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    win.refresh()  # raised RuntimeError before
    assert win.findChild(QComboBox, "mode:system:docker.service") is None
    win.close()


def test_rows_that_arrive_in_a_shown_window_are_not_cut(qapp: QApplication) -> None:
    """The window is shown before the daemons are read ("Reading the daemons…"); the
    rows that come later must fit at once.  Qt shows a widget added to a visible
    parent only later (a queued call), so rows measured before that were left out of
    the rows' width, and the scroll area cut the Start button (a CI run saw
    "CUT QPushButton 'Start': only 54 of 80 px shown")."""
    from PySide6.QtCore import QCoreApplication

    table = DaemonTable(clock=lambda: 1000.0)
    win = StatusWindow(lambda: snap_of(table), Intents())
    win.present()
    QCoreApplication.processEvents()
    table.replace(S, units("docker", DaemonState.DORMANT, DaemonMode.ON_DEMAND)
                  + units("cups", DaemonState.RUNNING, DaemonMode.ALWAYS_ON))
    win.refresh()  # one refresh, as the first state brings, and nothing after it
    QCoreApplication.processEvents()
    start = win.findChild(QPushButton, "system:docker.service:start")
    assert start is not None and start.isVisible()
    assert win.rows.area.minimumWidth() >= win.rows.box.sizeHint().width()
    shown = start.visibleRegion().boundingRect()
    assert shown.width() == start.width(), (shown, start.geometry())
    from PySide6.QtWidgets import QComboBox

    for box in win.findChildren(QComboBox):  # each choice whole, not elided
        assert box.width() >= box.sizeHint().width(), (box.objectName(), box.width())
    win.close()


def test_window_drops_its_banner_when_a_tray_appears(
        tray_app: TrayApp, caplog: pytest.LogCaptureFixture) -> None:
    """Started without a tray, the window is the applet's only face: it says so, and
    closing it quits.  When a tray embeds the icon, Qt shows its QSystemTrayIconSys
    window; that Show, seen on the application (qt/window.py TrayAppears), drops
    the banner, and closing the window only hides it."""
    from PySide6.QtWidgets import QWidget

    class QSystemTrayIconSys(QWidget):  # the class name Qt's X11 tray icon window has
        pass

    app = tray_app
    assert not app.has_tray  # offscreen: no tray
    caplog.set_level("INFO", logger="trayapp.qt.startup")
    app._show_window_at_start()  # as start() does without a tray
    win = app.window
    assert win.banner.isVisible() and win.quit_on_close
    other = QWidget()
    other.show()  # any other window's Show is no news
    assert win.banner.isVisible() and not app.has_tray
    icon = QSystemTrayIconSys()
    icon.show()
    assert app.has_tray
    assert not win.banner.isVisible() and not win.quit_on_close
    icon.hide()
    icon.show()  # heard once: the watch is gone
    assert [r.message for r in caplog.records].count("a system tray appeared") == 1
    win.close()
    assert not app.quit_requested.is_set()
    for widget in (icon, other):
        widget.close()


def test_no_tray_hint_in_window_and_closing_it_quits(qapp: QApplication) -> None:
    from trayapp.qt.window import no_tray_hint

    intents = Intents()
    win = StatusWindow(lambda: Snapshot(), intents)
    win.show_banner(no_tray_hint())
    win.present()
    assert win.banner.isVisible() and "AppIndicator" in win.banner.text()
    win.close()
    assert intents.calls == []  # with a tray to come back to, closing only hides
    win.quit_on_close = True  # started without a tray (offscreen has none)
    win.present()
    win.close()
    assert intents.calls == [("quit",)]


def test_cut_check_finds_cut_text_and_passes_the_status_window(qapp: QApplication,
                                                               qtbot: Any) -> None:
    from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

    from trayapp.qt import cutcheck

    table = table_with(("docker", DaemonState.RUNNING, DaemonMode.ALWAYS_ON),
                       ("libvirtd", DaemonState.DORMANT, DaemonMode.ON_DEMAND))
    win = StatusWindow(lambda: snap_of(table), Intents())
    win.present()
    qtbot.waitExposed(win)
    found, seen = cutcheck.problems(win)
    assert found == [] and seen > 10
    cramped = QWidget()
    QVBoxLayout(cramped).addWidget(QLabel("a label much wider than its room"))
    button = QPushButton("Switch to on-demand", cramped)
    cramped.show()
    cramped.findChild(QLabel).setFixedWidth(40)
    button.setFixedWidth(30)
    found, _ = cutcheck.problems(cramped)
    assert len(found) == 2 and "QPushButton 'Switch to on-demand'" in found[1], found
    win.close()
    cramped.close()


def test_windows_show_the_status_notes(tray_app: TrayApp, qtbot: Any) -> None:
    """Issue 16's notes (history, power, kept running) have their place in both windows."""
    from PySide6.QtWidgets import QLabel

    from trayapp.core.status_notes import NoteKind, StatusNote

    note = StatusNote(NoteKind.POWER, "Shorter idle times on battery are off: no UPower.",
                      "battery")
    assert tray_app.services is not None
    tray_app.services.status_notes = lambda: [note]  # type: ignore[method-assign]
    tray_app.show_window()
    assert "Shorter idle times on battery are off: no UPower." in \
        tray_app.window.notes.labels[0].text()
    tray_app.show_preferences()
    dialog = tray_app.windows.get(PREFERENCES)
    assert dialog is not None
    assert any("no UPower" in label.text() for label in dialog.findChildren(QLabel))
    dialog.close()


def test_status_window_opens_where_it_was_left(qapp: QApplication, tmp_path: Path,
                                               qtbot: Any) -> None:
    from trayapp.qt import geometry

    table = table_with(("docker", DaemonState.RUNNING, DaemonMode.ALWAYS_ON))
    geometry.use(tmp_path / "windows.ini")
    try:
        win = StatusWindow(lambda: snap_of(table), Intents())
        win.present()
        qtbot.waitExposed(win)
        win.resize(win.width() + 120, win.height() + 40)
        wanted = (win.width(), win.height())
        win.hide()  # as when the applet quits with it open
        again = StatusWindow(lambda: snap_of(table), Intents())
        again.present()
        assert (again.width(), again.height()) == wanted
        # A change of state does not snap it back to its natural size.
        set_state(table, S, "docker", DaemonState.DORMANT)
        again.refresh()
        assert (again.width(), again.height()) == wanted
        again.close()
    finally:
        geometry.use(None)


def test_many_daemons_scroll_inside_the_window_and_nothing_is_cut(qapp: QApplication,
                                                                 qtbot: Any) -> None:
    from trayapp.qt import cutcheck

    names = [f"daemon{i:02d}" for i in range(30)]
    table = table_with(*[(n, DaemonState.DORMANT, DaemonMode.ON_DEMAND) for n in names])
    shown = Watchlist(watched=tuple(f"{n}.service" for n in names))
    win = StatusWindow(lambda: snap_of(table, watchlist=shown), Intents())
    win.present()
    qtbot.waitExposed(win)
    screen = win.screen().availableGeometry()
    assert win.height() <= screen.height()  # the rows scroll, the window fits
    assert win.rows.area.verticalScrollBar().maximum() > 0
    found, seen = cutcheck.problems(win)
    assert found == [] and seen > 30
    # Tab brings a row out of sight into view.
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QComboBox

    qtbot.waitUntil(win.isActiveWindow)
    win.findChild(QPushButton, "history:system/daemon28.service").setFocus()
    last = win.findChild(QComboBox, "mode:system:daemon29.service")
    assert last.visibleRegion().isEmpty()
    qtbot.keyClick(qapp.focusWidget(), Qt.Key.Key_Tab)
    assert qapp.focusWidget() is last
    qtbot.waitUntil(lambda: not last.visibleRegion().isEmpty())
    win.close()


def test_durations_are_redrawn_when_they_read_differently(qapp: QApplication) -> None:
    """Issue 23 finding 7: 20 s after a wake the window still said "running for
    0 s".  While shown, it redraws when a duration's words change (each second
    under a minute, each minute after), and not while hidden."""
    from PySide6.QtWidgets import QLabel

    from tests.support import units as daemon_units

    table = DaemonTable(clock=lambda: 1000.0)
    table.replace(S, daemon_units("docker", DaemonState.RUNNING, DaemonMode.ALWAYS_ON,
                                  since_usec=int(1000.0 * 1e6)))
    now = [1005.25]
    win = StatusWindow(lambda: Snapshot(daemons=tuple(table.daemons()), now=now[0]), Intents())
    win.present()

    def shown() -> str:
        return "\n".join(label.text() for label in win.findChildren(QLabel))

    assert "running for 5 s" in shown(), shown()
    win.refresh()  # visible now: the clock is set for the next second's words
    assert win._clock.isActive()
    assert 700 <= win._clock.interval() <= 800, win._clock.interval()  # 0.75 s, and a margin
    now[0] = 1006.25
    win._clock.timeout.emit()  # what the timer does when it fires
    assert "running for 6 s" in shown(), shown()
    now[0] = 1090.0  # 1 min 30 s: next words at 2 min
    win.refresh()
    assert 30_000 <= win._clock.interval() <= 30_100, win._clock.interval()
    win.hide()
    assert not win._clock.isActive()
    win.close()


def test_the_mode_box_says_what_each_mode_means(qapp: QApplication) -> None:
    """Issue 23, finding 4: "On demand" had no tooltip; each choice has one, and the
    box the current mode's."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QComboBox

    table = table_with(("docker", DaemonState.DORMANT, DaemonMode.ON_DEMAND))
    win = StatusWindow(lambda: snap_of(table), Intents())
    win.present()
    box = win.findChild(QComboBox, "mode:system:docker.service")
    assert box is not None
    tips = [box.itemData(i, Qt.ItemDataRole.ToolTipRole) for i in range(box.count())]
    assert [box.itemText(i) for i in range(box.count())] == ["Always on", "On demand"]
    assert tips[0].startswith("Runs all the time") and tips[1].startswith("Sleeps, using no")
    assert box.toolTip() == tips[1]
    win.close()
