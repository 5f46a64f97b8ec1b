"""The tray icon: its picture and tooltip say how the watched daemons are, its menu acts."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QPoint
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from trayapp.core.summary import TrayStatus

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

    def show(self) -> None:
        self.refresh()
        self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def refresh(self) -> None:
        snap = self._source()
        status = snap.status
        if status is not self.status:
            log.debug("tray status %s -> %s", self.status, status)
            self.status = status
            self.icon.setIcon(status_icon(status))
        self.icon.setToolTip(snap.tooltip)
        if self.menu.isVisible():
            # An open menu shows the new state at once (an action finished).
            fill_tray_menu(self.menu, snap, self._intents)

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
        fill_tray_menu(self.menu, self._source(), self._intents)

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        # A left click (Trigger) does what the user came for: the menu, or
        # the window in --window mode.  A right click opens the context menu
        # by itself.
        if reason is QSystemTrayIcon.ActivationReason.Trigger:
            if self.click_opens_window:
                self._intents.show_window()
            else:
                self.popup_menu()
