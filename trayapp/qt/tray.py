"""The tray icon: its picture and tooltip say how the watched daemons are, its menu acts.

The tooltip and the menu are built from a fresh snapshot when they are about
to be shown (the icon's QEvent.ToolTip on X11, the menu's aboutToShow, a
click), so their durations are those of that moment; nothing polls.  Where the
panel reads the tooltip itself (StatusNotifierItem), it is the one of the
last change, and its "since 14:05" stays true.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QObject, QPoint
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from trayapp.core.summary import Snapshot, TrayStatus

from .icons import status_icon
from .menus import fill_tray_menu
from .view import Intents, Source

log = logging.getLogger(__name__)


class Tray(QObject):
    def __init__(
        self, source: Source, intents: Intents, *, click_opens_window: bool = False
    ) -> None:
        super().__init__()
        self._source = source
        self._intents = intents
        self.click_opens_window = click_opens_window
        self.status: TrayStatus | None = None  # what the icon shows now
        self.menu = QMenu()
        self.menu.aboutToShow.connect(self._rebuild_menu)
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
            fill_tray_menu(self.menu, snap, self._intents)

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
