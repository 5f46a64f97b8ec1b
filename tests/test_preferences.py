"""The Preferences window on the offscreen platform: edits in, Settings out.

The user's clicks and key presses go through QTest (pytest-qt's qtbot); the
Settings that OK hands back are compared whole, and saved with the real
settings module to show that an untouched dialog leaves the file as it was.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QDialogButtonBox, QStyle, QStyleOptionButton

from trayapp.adapters import settings_file as st
from trayapp.core.settings import DaemonSettings, IconFollows, Settings
from trayapp.core.unitname import check_unit_name
from trayapp.qt.preferences import PreferencesDialog

# What the monitor found on this imaginary machine.
KNOWN = ["docker.service", "cups.service", "trayapp-testd.service", "user:gpg-agent.service"]

CURRENT = Settings(
    watched=("user:trayapp-testd.service",),  # not found now: still listed
    hidden=("cups.service",),
    daemons={"docker.service": DaemonSettings(notify=False, idle_stop_minutes=15)},
    start_at_login=False,
)


@pytest.fixture
def dialog(qtbot: Any) -> PreferencesDialog:
    d = PreferencesDialog(CURRENT, KNOWN, validate_unit=check_unit_name)
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    return d


def click(qtbot: Any, box: QCheckBox) -> None:
    """Click where a person would: on the box itself (a click elsewhere in a
    wide check box's rectangle does nothing)."""
    option = QStyleOptionButton()
    option.initFrom(box)
    where = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    before = box.isChecked()
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=where.center())
    assert box.isChecked() != before


def press_ok(qtbot: Any, dialog: PreferencesDialog) -> Settings:
    with qtbot.waitSignal(dialog.settings_chosen, timeout=2000) as blocker:
        ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    chosen = blocker.args[0]
    assert isinstance(chosen, Settings)
    return chosen


def test_rows_show_the_settings(dialog: PreferencesDialog) -> None:
    # System daemons first, then the user's; every key of the settings too.
    assert [r.key for r in dialog.rows()] == [
        "cups.service",
        "docker.service",
        "trayapp-testd.service",
        "user:gpg-agent.service",
        "user:trayapp-testd.service",
    ]
    shown = {r.key: r.show.isChecked() for r in dialog.rows()}
    assert shown == {
        "cups.service": False,  # well known, but hidden
        "docker.service": True,  # well known
        "trayapp-testd.service": False,  # found, but nobody asked for it
        "user:gpg-agent.service": False,
        "user:trayapp-testd.service": True,  # watched
    }
    docker = dialog.row("docker.service")
    assert not docker.notify.isChecked()
    assert docker.idle_minutes.value() == 15
    assert dialog.row("cups.service").notify.isChecked()  # the default
    assert dialog.row("cups.service").idle_minutes.text() == "never"
    assert not dialog.start_at_login.isChecked()


def test_ok_without_edits_gives_the_same_settings(qtbot: Any, dialog: PreferencesDialog) -> None:
    assert press_ok(qtbot, dialog) == CURRENT


def test_edits_become_settings(qtbot: Any, dialog: PreferencesDialog) -> None:
    click(qtbot, dialog.row("trayapp-testd.service").show)  # watch it
    click(qtbot, dialog.row("docker.service").show)  # hide a well-known one
    click(qtbot, dialog.row("cups.service").show)  # unhide
    click(qtbot, dialog.row("user:gpg-agent.service").notify)  # quiet
    idle = dialog.row("docker.service").idle_minutes
    idle.selectAll()
    qtbot.keyClicks(idle, "30")
    click(qtbot, dialog.start_at_login)

    assert press_ok(qtbot, dialog) == Settings(
        watched=("user:trayapp-testd.service", "trayapp-testd.service"),
        hidden=("docker.service",),
        daemons={
            "docker.service": DaemonSettings(notify=False, idle_stop_minutes=30),
            "user:gpg-agent.service": DaemonSettings(notify=False, idle_stop_minutes=0),
        },
        start_at_login=True,
    )


def test_which_daemons_the_icon_follows_is_chosen_here(qtbot: Any,
                                                      dialog: PreferencesDialog) -> None:
    combo = dialog.icon_follows
    assert combo.currentText().startswith("the on-demand daemons")  # CURRENT's default
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)  # the next choice, as a keyboard user picks it
    assert combo.currentText() == "every daemon shown in the menu"
    assert press_ok(qtbot, dialog) == replace(CURRENT, icon_follows=IconFollows.ALL)


def test_the_dialog_shows_the_icon_follows_in_use(qtbot: Any) -> None:
    d = PreferencesDialog(replace(CURRENT, icon_follows=IconFollows.ALL), KNOWN)
    qtbot.addWidget(d)
    assert d.icon_follows.currentText() == "every daemon shown in the menu"
    assert d.chosen_settings().icon_follows is IconFollows.ALL


def test_unwatching_a_daemon_not_well_known_keeps_it_known(qtbot: Any,
                                                        dialog: PreferencesDialog) -> None:
    """Unticked, a daemon added by hand is hidden, not forgotten: one with no socket unit
    is in the table only while followed (Settings.followed), and would vanish."""
    click(qtbot, dialog.row("user:trayapp-testd.service").show)
    chosen = press_ok(qtbot, dialog)
    assert chosen.watched == ()
    assert chosen.hidden == ("cups.service", "user:trayapp-testd.service")
    assert "user:trayapp-testd.service" in chosen.followed()


def test_idle_minutes_back_to_never(qtbot: Any, dialog: PreferencesDialog) -> None:
    idle = dialog.row("docker.service").idle_minutes
    idle.selectAll()
    qtbot.keyClicks(idle, "0")
    assert idle.value() == 0
    chosen = press_ok(qtbot, dialog)
    assert chosen.daemon("docker.service") == DaemonSettings(notify=False, idle_stop_minutes=0)


def test_cancel_gives_nothing(qtbot: Any, dialog: PreferencesDialog) -> None:
    click(qtbot, dialog.start_at_login)
    seen: list[object] = []
    dialog.settings_chosen.connect(seen.append)
    cancel = dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel)
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert seen == []


def test_add_a_user_daemon_by_short_name(qtbot: Any, dialog: PreferencesDialog) -> None:
    dialog.add_manager.setCurrentIndex(dialog.add_manager.findData("user"))
    qtbot.keyClicks(dialog.add_name, "syncthing")
    qtbot.keyClick(dialog.add_name, Qt.Key.Key_Return)  # adds; does not press OK
    assert dialog.isVisible()
    assert dialog.add_name.text() == ""
    assert dialog.add_error.isHidden()
    assert dialog.row("user:syncthing.service").show.isChecked()
    # podman is well known: shown without an entry of its own once present.
    assert dialog.add_daemon("user", "podman.service") == "user:podman.service"
    chosen = press_ok(qtbot, dialog)
    assert chosen.watched == ("user:trayapp-testd.service", "user:syncthing.service")


def test_adding_a_hidden_one_shows_it(qtbot: Any, dialog: PreferencesDialog) -> None:
    qtbot.keyClicks(dialog.add_name, "cups.service")
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    assert len(dialog.rows()) == 5  # found, not added twice
    assert dialog.row("cups.service").show.isChecked()
    assert press_ok(qtbot, dialog).hidden == ()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("docker.socket", "name the service that docker.socket starts"),
        ("two words", "not allowed in unit names"),
        ("backup.timer", "not a service or socket unit"),
        ("", "type the name of a service"),
    ],
)
def test_bad_names_are_refused_with_a_reason(
    qtbot: Any, dialog: PreferencesDialog, text: str, says: str
) -> None:
    qtbot.keyClicks(dialog.add_name, text)
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    assert dialog.add_error.isVisible()
    assert says in dialog.add_error.text()
    assert len(dialog.rows()) == 5
    assert dialog.add_name.text() == text  # left for the user to correct


def test_the_callers_unit_check_applies(qtbot: Any) -> None:
    def no_cups(unit: str) -> None:
        if unit.startswith("cups"):
            raise ValueError("cups is not allowed here")

    d = PreferencesDialog(Settings(), [], validate_unit=no_cups)
    qtbot.addWidget(d)
    with pytest.raises(ValueError, match="not allowed here"):
        d.add_daemon("system", "cups")
    assert d.add_daemon("system", "podman") == "podman.service"


def test_untouched_dialog_leaves_the_file_as_it_was(
    qtbot: Any, dialog: PreferencesDialog, tmp_path: Path
) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(
        "# mine\n"
        'watched = ["user:trayapp-testd.service"]\n'
        'hidden = ["cups.service"]  # never\n'
        "start_at_login = false\n\n"
        '[daemon."docker.service"]\nnotify = false\nidle_stop_minutes = 15\n'
    )
    before = path.read_text()
    assert st.load(path).settings == CURRENT
    st.save(press_ok(qtbot, dialog), path, check_unit_name)
    assert path.read_text() == before


def test_edited_settings_save_and_load_back(
    qtbot: Any, dialog: PreferencesDialog, tmp_path: Path
) -> None:
    click(qtbot, dialog.row("trayapp-testd.service").show)
    click(qtbot, dialog.row("user:gpg-agent.service").notify)
    chosen = press_ok(qtbot, dialog)
    path = tmp_path / "settings.toml"
    st.save(chosen, path, check_unit_name)
    assert st.load(path, check_unit_name) == (chosen, None)


# -- a real machine's many daemons: filter, plumbing, wheel, keyboard (issue 13) ---------------

MANY = [*KNOWN, "dbus.service", "systemd-journald.service", "systemd-udevd.service",
        "systemd-logind.service", "user:dbus.service", "avahi-daemon.service",
        "libvirtd.service", "virtlogd.service", "podman.service", "pcscd.service"]


@pytest.fixture
def many(qtbot: Any) -> PreferencesDialog:
    d = PreferencesDialog(CURRENT, MANY, validate_unit=check_unit_name)
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    qtbot.waitUntil(d.isActiveWindow)
    return d


def visible_keys(dialog: PreferencesDialog) -> list[str]:
    return [row.key for r, row in enumerate(dialog.rows()) if not dialog.table.isRowHidden(r)]


def test_plumbing_waits_behind_its_check_box(qtbot: Any, many: PreferencesDialog) -> None:
    shown = visible_keys(many)
    assert "dbus.service" not in shown and "systemd-journald.service" not in shown
    assert "user:gpg-agent.service" not in shown and "user:dbus.service" not in shown
    assert {"docker.service", "avahi-daemon.service", "libvirtd.service"} <= set(shown)
    many.plumbing.click()
    assert len(visible_keys(many)) == len(many.rows())
    # Hidden rows are kept as they were: OK without edits changes nothing.
    assert many.chosen_settings() == CURRENT


def test_filter_finds_by_name(qtbot: Any, many: PreferencesDialog) -> None:
    qtbot.keyClicks(many.filter, "virt")
    assert visible_keys(many) == ["libvirtd.service"]  # virtlogd is plumbing
    many.plumbing.click()
    assert visible_keys(many) == ["libvirtd.service", "virtlogd.service"]
    assert many.count.text() == f"2 of {len(many.rows())} daemons shown"


def test_the_wheel_scrolls_and_never_changes_a_setting(qtbot: Any, many: PreferencesDialog) -> None:
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    many.plumbing.click()
    many.resize(many.width(), 260)  # a list that scrolls
    qtbot.waitUntil(lambda: many.table.verticalScrollBar().maximum() > 0)
    idle = many.row("docker.service").idle_minutes
    before = [(r.show.isChecked(), r.notify.isChecked(), r.idle_minutes.value())
              for r in many.rows()]
    for widget in (idle, many.row("docker.service").show):
        centre = QPointF(widget.rect().center())
        wheel = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(),
                            QPoint(0, -120), Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(widget, wheel)
    after = [(r.show.isChecked(), r.notify.isChecked(), r.idle_minutes.value())
             for r in many.rows()]
    # (That the list scrolls instead needs a real wheel: Qt passes only the window
    # system's wheel events on to the parent; the desktop test rolls one over it.)
    assert after == before


def test_keyboard_reaches_every_choice_and_ok_in_a_few_tabs(qtbot: Any,
                                                            many: PreferencesDialog) -> None:
    from PySide6.QtWidgets import QApplication

    many.filter.setFocus()
    chain = []
    for _ in range(20):
        chain.append(QApplication.focusWidget())
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        if QApplication.focusWidget() is many.filter:
            break
    ok = many.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert ok in chain and chain.index(ok) < 12  # not 165 Tab presses
    assert chain.count(many.table) == 1  # the whole list is one stop
    unnamed = [w for w in chain if not (w.accessibleName() or getattr(w, "text", str)())]
    assert unnamed == []
    # Inside the list: arrows move, Space ticks, + and - step the minutes.
    many.table.setFocus()
    r = many.table.row_index("docker.service")
    many.table.setCurrentCell(r, 0)
    for key in (Qt.Key.Key_Right, Qt.Key.Key_Right, Qt.Key.Key_Right):
        qtbot.keyClick(many.table, key)
    assert many.table.currentColumn() == 3  # Notify
    qtbot.keyClick(many.table, Qt.Key.Key_Space)
    qtbot.keyClick(many.table, Qt.Key.Key_Right)
    qtbot.keyClick(many.table, Qt.Key.Key_Plus)
    qtbot.keyClick(many.table, Qt.Key.Key_Return)  # into the box
    idle = many.row("docker.service").idle_minutes
    assert QApplication.focusWidget() is idle
    qtbot.keyClick(idle, Qt.Key.Key_Up)
    qtbot.keyClick(idle, Qt.Key.Key_Return)  # back to the list, not OK
    assert QApplication.focusWidget() is many.table and many.isVisible()
    docker = many.chosen_settings().daemon("docker.service")
    assert docker.notify is True and docker.idle_stop_minutes == 17


def test_a_click_anywhere_in_a_check_box_cell_toggles_it(qtbot: Any,
                                                         dialog: PreferencesDialog) -> None:
    box = dialog.row("docker.service").notify
    before = box.isChecked()
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=box.rect().center())
    assert box.isChecked() != before


def test_the_battery_idle_time_is_chosen_beside_the_idle_time(
        qtbot: Any, dialog: PreferencesDialog) -> None:
    """Issue 16: "half" (the default, -1), a number of minutes, or 0 = never on battery."""
    from PySide6.QtWidgets import QApplication

    row = dialog.row("docker.service")
    assert row.battery_minutes.value() == -1 and row.battery_minutes.text() == "half"
    assert row.battery_minutes.accessibleName()
    # By keyboard: the list's last column, then + steps it from "half" to never (0).
    dialog.table.setFocus()
    dialog.table.setCurrentCell(dialog.table.row_index("docker.service"), 5)
    qtbot.keyClick(dialog.table, Qt.Key.Key_Plus)
    assert row.battery_minutes.value() == 0
    qtbot.keyClick(dialog.table, Qt.Key.Key_Return)  # into the box
    assert QApplication.focusWidget() is row.battery_minutes
    row.battery_minutes.selectAll()
    qtbot.keyClicks(row.battery_minutes, "7")
    qtbot.keyClick(row.battery_minutes, Qt.Key.Key_Return)
    assert press_ok(qtbot, dialog).daemon("docker.service").battery_idle_minutes == 7
