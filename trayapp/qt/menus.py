"""Menus built from a Snapshot: the tray's menu and the "All daemons" watch list.

Rebuilt from scratch each time they open (Vorta does the same): nothing in
them can go stale, and there is no bookkeeping to get wrong.
"""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from trayapp.core.keys import key_of
from trayapp.core.summary import Row, Snapshot, display_name

from .view import Intents

# QAction.data() of each action button, so tests and the window can find them:
# "<manager>:<service>:<action>"; a daemon's History entry: "history:<manager>/<service>";
# the main menu's Preferences entry: "preferences"; the line naming the daemons the
# icon follows (it opens Preferences, where that is chosen): "icon-follows".


def action_id(row: Row, action: str) -> str:
    return f"{row.daemon.manager}:{row.daemon.service}:{action}"


def _info(menu: QMenu, text: str) -> QAction:
    item = menu.addAction(text)
    item.setEnabled(False)
    return item


def fill_daemon_menu(menu: QMenu, row: Row, intents: Intents) -> None:
    """One daemon's entries: what it is doing, then the actions allowed now."""
    _info(menu, row.detail)
    if row.busy:
        _info(menu, row.busy)
    for warning in row.daemon.warnings:
        _info(menu, f"⚠ {warning}")
    menu.addSeparator()
    d = row.daemon
    for item in row.items:
        act = menu.addAction(item.label)
        act.setData(action_id(row, item.action))
        act.setEnabled(item.enabled)
        act.triggered.connect(
            lambda _=False, a=item.action: intents.request(d.manager, d.service, a)
        )
    # Last, so that the first enabled entry stays the first action (keyboard users).
    menu.addSeparator()
    history = menu.addAction("History…")
    history.setData(f"history:{d.manager}/{d.service}")
    history.triggered.connect(lambda _=False: intents.show_history(d.manager, d.service))


def fill_watch_menu(menu: QMenu, snap: Snapshot, intents: Intents) -> None:
    """Every daemon in the table, checked when the tray shows it."""
    if not snap.daemons:
        _info(menu, "No socket-activated daemons found")
    for d in snap.daemons:
        key = key_of(d)
        act = menu.addAction(f"{display_name(d)} ({d.state}, {d.mode})")
        act.setCheckable(True)
        act.setChecked(snap.watchlist.shows(d))
        act.setData(f"watch:{key}")
        act.setToolTip("Show it in the tray menu" if not act.isChecked() else "Stop showing it")
        act.toggled.connect(lambda on, k=key: intents.set_watched(k, on))


def clear(menu: QMenu) -> None:
    """QMenu.clear() deletes the actions but keeps submenus alive as children."""
    for act in menu.actions():
        sub = act.menu()
        if sub is not None:
            sub.deleteLater()
    menu.clear()


def fill_tray_menu(menu: QMenu, snap: Snapshot, intents: Intents) -> None:
    clear(menu)
    for row in snap.rows():
        title = f"{row.title} — {row.busy}" if row.busy else row.title
        sub = menu.addMenu(title)
        sub.menuAction().setData(f"daemon:{row.daemon.manager}:{row.daemon.service}")
        fill_daemon_menu(sub, row, intents)
    if not snap.watched:
        _info(menu, "No daemons watched: pick some under All daemons")
    for key in snap.missing:
        _info(menu, f"{key}: not found (no socket unit)")
    for manager, text in snap.problems.items():
        _info(menu, f"⚠ {manager} manager: {text}")
    if snap.follows_text:
        follows = menu.addAction(f"{snap.follows_text}…")
        follows.setData("icon-follows")
        follows.setToolTip("The icon says running when one of these runs; change it in Preferences")
        follows.triggered.connect(lambda _=False: intents.show_preferences())
    menu.addSeparator()
    fill_watch_menu(menu.addMenu("All daemons"), snap, intents)
    preferences = menu.addAction("Preferences…")
    preferences.setData("preferences")
    preferences.triggered.connect(lambda _=False: intents.show_preferences())
    menu.addAction("Status window").triggered.connect(lambda _=False: intents.show_window())
    menu.addSeparator()
    menu.addAction("Quit").triggered.connect(lambda _=False: intents.quit())
