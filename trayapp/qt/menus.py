"""The tray menu: one submenu per shown daemon, then the list of all daemons and the app.

Each daemon's entry carries its state icon; inside, what it is doing, the mode
as a checked radio pair (Always on / On demand), Stop or Start, and History.
During an idle warning the entry says when it stops ("Stops in 1:30") and
offers "Keep running" first, where the keyboard lands.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtGui import QAction, QActionGroup, QIcon
from PySide6.QtWidgets import QMenu

from trayapp.core.daemon_words import (
    daemon_mode_hint,
    detail_line,
    display_name,
    mode_hint,
    mode_label,
    state_label,
)
from trayapp.core.keys import Key, key_of
from trayapp.core.model import AWAKE, Daemon, DaemonMode, DaemonState
from trayapp.core.plans import Action
from trayapp.core.settings import IconFollows
from trayapp.core.summary import Row, Snapshot, TrayStatus, tray_status
from trayapp.core.watchlist import is_plumbing

from .icons import status_icon
from .view import Intents

translate = QCoreApplication.translate

# QAction.data() of each action, so tests and the window can find them:
# "<manager>:<service>:<action>"; a daemon's History entry: "history:<manager>/<service>";
# its "Keep running": "keep:<manager>/<service>"; its countdown: "countdown:<manager>/<service>";
# the main menu's Preferences entry: "preferences"; the line naming the daemons the
# icon follows (it opens Preferences, where that is chosen): "icon-follows".


def action_id(row: Row, action: str) -> str:
    return f"{row.daemon.manager}:{row.daemon.service}:{action}"


def problem_line(manager: object, text: str) -> str:
    return "⚠ " + translate("Menu", "{manager} manager: {text}").format(manager=manager, text=text)


def countdown(seconds: float) -> str:
    left = max(0, int(seconds + 0.999))
    return translate("Menu", "Stops in {time}").format(time=f"{left // 60}:{left % 60:02d}")


def daemon_status_icon(d: Daemon, busy: bool) -> QIcon:
    """The state icon of one daemon, drawn with the tray's own icons."""
    status = tray_status([d], [d.key] if busy else [], follows=IconFollows.ALL)
    if status is TrayStatus.IDLE and d.state is DaemonState.OFF:
        status = TrayStatus.OFF  # nothing listens: not the moon of a sleeping daemon
    return status_icon(status)


def _info(menu: QMenu, text: str) -> QAction:
    item = menu.addAction(text)
    item.setEnabled(False)
    return item


def fill_daemon_menu(menu: QMenu, row: Row, intents: Intents, now: float = 0.0,
                     left: float | None = None) -> None:
    """One daemon's entries: what it is doing, the mode, Stop/Start, History."""
    d = row.daemon
    ref = f"{d.manager}/{d.service}"
    menu.setToolTipsVisible(True)
    if left is not None:
        # First, so that the keyboard lands on "Keep running" when the menu opens.
        _info(menu, countdown(left)).setData(f"countdown:{ref}")
        keep = menu.addAction(translate("Menu", "Keep running"))
        keep.setData(f"keep:{ref}")
        keep.triggered.connect(lambda _=False: intents.keep_running(d.manager, d.service))
        hold = menu.addAction(translate("Menu", "Keep running until I stop it"))
        hold.setData(f"hold:{ref}")
        hold.triggered.connect(
            lambda _=False: intents.keep_running(d.manager, d.service, until_stopped=True))
        menu.addSeparator()
    detail = _info(menu, detail_line(d, now) if now else row.detail)
    detail.setToolTip(", ".join(d.sockets))
    if row.busy:
        _info(menu, row.busy)
    for warning in d.warnings:
        _info(menu, f"⚠ {warning}")
    menu.addSeparator()
    items = {item.action: item for item in row.items}
    group = QActionGroup(menu)
    group.setExclusive(True)
    for mode, action in ((DaemonMode.ALWAYS_ON, Action.ALWAYS_ON),
                         (DaemonMode.ON_DEMAND, Action.ON_DEMAND)):
        current = d.mode is mode
        act = menu.addAction(mode_label(mode))
        act.setToolTip(daemon_mode_hint(d) if d.mode is mode else mode_hint(mode))
        act.setCheckable(True)
        act.setChecked(current)
        act.setActionGroup(group)
        act.setData(action_id(row, action))
        act.setEnabled(row.busy is None and (current or items[action].enabled))
        if not current:
            act.triggered.connect(
                lambda _=False, a=action: intents.request(d.manager, d.service, a))
    if d.mode not in (DaemonMode.ALWAYS_ON, DaemonMode.ON_DEMAND):
        other = menu.addAction(mode_label(d.mode))  # manual, masked, proxy: said, not offered
        other.setToolTip(mode_hint(d.mode))
        other.setCheckable(True)
        other.setChecked(True)
        other.setActionGroup(group)
        other.setData(f"mode:{ref}")
    # During an idle warning the keyboard lands on "Keep running", Qt's first enabled.
    _land_on(menu, group.checkedAction() if left is None else None)
    menu.addSeparator()
    one_off = Action.STOP if d.state in AWAKE else Action.START
    act = menu.addAction(translate("Menu", "Stop") if one_off is Action.STOP
                         else translate("Menu", "Start"))
    act.setData(action_id(row, one_off))
    act.setEnabled(items[one_off].enabled)
    act.triggered.connect(lambda _=False: intents.request(d.manager, d.service, one_off))
    menu.addSeparator()
    history = menu.addAction(translate("Menu", "History…"))
    history.setData(f"history:{ref}")
    history.triggered.connect(lambda _=False: intents.show_history(d.manager, d.service))


def fill_watch_menu(menu: QMenu, snap: Snapshot, intents: Intents) -> None:
    """Every daemon in the table, checked when the tray menu shows it; the system's
    plumbing (dbus, journald) that is not shown only behind Preferences, as there
    (issue 23: the list began with systemd-journald and dbus)."""
    menu.setToolTipsVisible(True)
    if not snap.daemons:
        _info(menu, translate("Menu", "No socket-activated daemons found"))
    plumbing = [d for d in snap.daemons
                if is_plumbing(key_of(d)) and not snap.watchlist.shows(d)]
    hidden = {d.key for d in plumbing}
    for d in snap.daemons:
        if d.key in hidden:
            continue
        key = key_of(d)
        act = menu.addAction(display_name(d))
        act.setCheckable(True)
        act.setChecked(snap.watchlist.shows(d))
        act.setData(f"watch:{key}")
        act.setToolTip(f"{state_label(d.state)}, {mode_label(d.mode)}")
        act.toggled.connect(lambda on, k=key: intents.set_watched(k, on))
    if plumbing:
        menu.addSeparator()
        more = menu.addAction(translate("Menu", "System plumbing ({count}): Preferences…")
                              .format(count=len(plumbing)))
        more.setData("watch:plumbing")
        more.setToolTip(", ".join(display_name(d) for d in plumbing))
        more.triggered.connect(lambda _=False: intents.show_preferences())


def clear(menu: QMenu) -> None:
    """QMenu.clear() deletes the actions but keeps submenus alive as children."""
    for act in menu.actions():
        sub = act.menu()
        if sub is not None:
            sub.deleteLater()
    menu.clear()


def fill_tray_menu(menu: QMenu, snap: Snapshot, intents: Intents,
                   warnings: Mapping[Key, float] | None = None) -> dict[Key, QAction]:
    """The whole menu; returns the countdown entries by daemon, for ticking in place."""
    clear(menu)
    warnings = warnings or {}
    ticking: dict[Key, QAction] = {}
    for row in snap.rows():
        d = row.daemon
        left = warnings.get(d.key)
        title = f"{display_name(d)}: {state_label(d.state)}"
        if left is not None:
            title = f"{title} — {countdown(left)}"
        elif row.busy:
            title = f"{title} — {row.busy}"
        sub = menu.addMenu(daemon_status_icon(d, row.busy is not None), title)
        sub.menuAction().setData(f"daemon:{d.manager}:{d.service}")
        sub.setObjectName(f"menu:{d.manager}:{d.service}")
        sub.menuAction().setToolTip(row.title)
        fill_daemon_menu(sub, row, intents, snap.now, left)
        for act in sub.actions():
            if str(act.data()).startswith("countdown:"):
                ticking[d.key] = act
    if not snap.watched:
        _info(menu, translate("Menu", "No daemons shown: pick some under Show in menu"))
    for key in snap.missing:
        _info(menu, translate("Menu", "{key}: not found").format(key=key))
    for manager, text in snap.problems.items():
        _info(menu, problem_line(manager, text))
    if snap.follows_text:
        follows = menu.addAction(f"{snap.follows_text}…")
        follows.setData("icon-follows")
        follows.setToolTip(translate(
            "Menu", "The icon says running when one of these runs; change it in Preferences"))
        follows.triggered.connect(lambda _=False: intents.show_preferences())
    menu.addSeparator()
    shown = menu.addMenu(translate("Menu", "Show in menu"))
    shown.setObjectName("show-in-menu")
    shown.menuAction().setData("show-in-menu")
    fill_watch_menu(shown, snap, intents)
    preferences = menu.addAction(translate("Menu", "Preferences…"))
    preferences.setData("preferences")
    preferences.triggered.connect(lambda _=False: intents.show_preferences())
    window = menu.addAction(translate("Menu", "Status window"))
    window.setData("window")
    window.triggered.connect(lambda _=False: intents.show_window())
    menu.addSeparator()
    quit_ = menu.addAction(translate("Menu", "Quit"))
    quit_.setData("quit")
    quit_.triggered.connect(lambda _=False: intents.quit())
    return ticking


def _land_on(menu: QMenu, current: QAction | None) -> None:
    """Opened by the keyboard, Qt highlights the first enabled item, which is the
    mode the daemon is *not* in: one stray Enter would switch it.  Once Qt has
    picked (a zero timer, after the show), the current mode is highlighted."""
    if current is None:
        return
    menu.aboutToShow.connect(
        lambda: QTimer.singleShot(0, menu, lambda: menu.setActiveAction(current)))
