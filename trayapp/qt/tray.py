"""The tray icon: its picture and tooltip say how the watched daemons are, its menu acts.

The tooltip and the menu are built from a fresh snapshot when they are about
to be shown (the icon's QEvent.ToolTip on X11, the menu's aboutToShow, a
click), so their durations are those of that moment; nothing polls.  Where the
panel reads the tooltip itself (StatusNotifierItem), it is the one of the
last change, and its "since 14:05" stays true.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from PySide6.QtCore import QEvent, QObject, QPoint, QTimer
from PySide6.QtGui import QAction, QCursor
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from trayapp.core.keys import Key
from trayapp.core.summary import Snapshot, TrayStatus

from .icons import status_icon
from .menus import countdown, fill_tray_menu
from .view import Intents, Source

log = logging.getLogger(__name__)


class Tray(QObject):
    def __init__(
        self, source: Source, intents: Intents, *, click_opens_window: bool = False,
        warnings: Callable[[], Mapping[Key, float]] = dict,
    ) -> None:
        super().__init__()
        self._source = source
        self._intents = intents
        self._warnings = warnings  # seconds left of each idle warning out now
        # While the menu is open during an idle warning, its countdown ticks in
        # place (a rebuild would lose the keyboard's place); no timer otherwise.
        self._ticking: dict[Key, QAction] = {}
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._tick)
        self.click_opens_window = click_opens_window
        self.status: TrayStatus | None = None  # what the icon shows now
        self.menu = QMenu()
        self.menu.setObjectName("tray-menu")
        self.menu.aboutToShow.connect(self._rebuild_menu)
        self.menu.aboutToHide.connect(self._ticker.stop)
        self.icon = QSystemTrayIcon(self)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        # On X11 the icon's window hands its QEvent.ToolTip to the icon before
        # showing the tooltip: the moment to write it afresh.
        self.icon.installEventFilter(self)

    def show(self) -> None:
        self.refresh()
        self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def refresh(self) -> None:
        # An open menu shows the new state at once (an action finished).
        self._render(self._source(), menu=self.menu.isVisible())

    def _render(self, snap: Snapshot, *, menu: bool) -> None:
        status = snap.status
        if status is not self.status:
            log.debug("tray status %s -> %s", self.status, status)
            self.status = status
            self.icon.setIcon(status_icon(status))
        self.icon.setToolTip(snap.tooltip)
        if menu:
            self._ticking = fill_tray_menu(self.menu, snap, self._intents, self._warnings())
            if self._ticking:
                self._ticker.start()
            else:
                self._ticker.stop()

    def _tick(self) -> None:
        left = self._warnings()
        for key, act in self._ticking.items():
            if key in left:
                act.setText(countdown(left[key]))
        for act in self.menu.actions():
            for key, seconds in left.items():
                if act.data() == f"daemon:{key[0]}:{key[1]}":
                    act.setText(f"{act.text().split(' — ')[0]} — {countdown(seconds)}")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.icon and event.type() == QEvent.Type.ToolTip:
            log.debug("tooltip about to show")
            self._render(self._source(), menu=False)
        return False  # Qt goes on to show it

    def popup_menu(self, at: QPoint | None = None) -> None:
        self.menu.popup(at if at is not None else QCursor.pos())

    def message(self, title: str, body: str, critical: bool = False) -> bool:
        """showMessage, if this tray can show one; False when it cannot."""
        if not (
            self.icon.isVisible()
            and QSystemTrayIcon.isSystemTrayAvailable()
            and QSystemTrayIcon.supportsMessages()
        ):
            return False
        kind = QSystemTrayIcon.MessageIcon
        self.icon.showMessage(title, body, kind.Critical if critical else kind.Information)
        return True

    def _rebuild_menu(self) -> None:
        log.debug("menu opened")
        self._render(self._source(), menu=True)

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        # A left click (Trigger) does what the user came for: the menu, or
        # the window in --window mode.  A right click opens the context menu
        # by itself.  Either way the tooltip is written afresh for the next hover.
        self._render(self._source(), menu=False)
        if reason is QSystemTrayIcon.ActivationReason.Trigger:
            if self.click_opens_window:
                self._intents.show_window()
            else:
                self.popup_menu()
