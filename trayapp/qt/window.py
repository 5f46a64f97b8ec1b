"""The status window: the tray menu's rows as a small window, for desktops without a tray.

GNOME shows no tray icons without the AppIndicator extension, and
``trayapp --window`` asks for this window anyway.  Same rows, same actions,
same enabled/disabled rules as the menu (both come from core.summary.Row).
Under each daemon, its last cause ("woken by docker (PID 4242, alice) at
14:02"), as the composition root's causes tell it.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from trayapp.core.model import Daemon
from trayapp.core.summary import display_name

from .icons import app_icon
from .menus import action_id, clear, fill_watch_menu
from .view import Intents, Source

NO_TRAY_HINT = (
    "Your desktop shows no tray icons, so trayapp runs in this window. "
    "On GNOME, install and enable the AppIndicator extension "
    "(Debian/Ubuntu: gnome-shell-extension-appindicator), then start trayapp again."
)


class StatusWindow(QWidget):
    def __init__(self, source: Source, intents: Intents,
                 causes: Callable[[Daemon], str | None] = lambda d: None) -> None:
        super().__init__()
        self._source = source
        self._intents = intents
        self._causes = causes  # a daemon's last cause, if any
        #: Closing the window quits, unless a tray icon has appeared since
        #: (then it only hides, and the icon brings it back).
        self.quit_on_close = False
        self.setWindowTitle("trayapp")
        self.setMinimumWidth(560)
        self.setWindowIcon(app_icon())
        outer = QVBoxLayout(self)
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.hide()
        outer.addWidget(self.banner)
        self._rows_box = QWidget()
        outer.addWidget(self._rows_box)
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        outer.addWidget(self.problems)
        buttons = QHBoxLayout()
        self.watch_button = QPushButton("All daemons")
        self.watch_menu = QMenu(self.watch_button)
        self.watch_menu.aboutToShow.connect(self._fill_watch_menu)
        self.watch_button.setMenu(self.watch_menu)
        buttons.addWidget(self.watch_button)
        buttons.addStretch(1)
        quit_button = QPushButton("Quit")
        quit_button.clicked.connect(lambda: intents.quit())
        buttons.addWidget(quit_button)
        outer.addLayout(buttons)

    def show_banner(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.show()

    def present(self) -> None:
        self.show()
        self.refresh()
        self.raise_()
        self.activateWindow()

    def refresh(self) -> None:
        if not self.isVisible():
            return  # present() rebuilds it when it is shown again
        snap = self._source()
        box = QWidget()
        grid = QGridLayout(box)
        grid.setColumnStretch(1, 1)
        for r, row in enumerate(snap.rows()):
            name = QLabel(f"<b>{escape(display_name(row.daemon))}</b>")
            grid.addWidget(name, r, 0)
            text = f"{row.daemon.state}, {row.daemon.mode}<br><small>{escape(row.detail)}</small>"
            cause = self._causes(row.daemon)
            if cause:
                text += f"<br><small>{escape(cause)}</small>"
            if row.busy:
                text += f"<br><i>{escape(row.busy)}</i>"
            for warning in row.daemon.warnings:
                text += f"<br><small>⚠ {escape(warning)}</small>"
            detail = QLabel(text)
            detail.setTextFormat(Qt.TextFormat.RichText)
            grid.addWidget(detail, r, 1)
            for c, item in enumerate(row.items, start=2):
                button = QPushButton(item.label)
                button.setObjectName(action_id(row, item.action))
                button.setEnabled(item.enabled)
                d = row.daemon
                button.clicked.connect(
                    lambda _=False, a=item.action, d=d: self._intents.request(
                        d.manager, d.service, a
                    )
                )
                grid.addWidget(button, r, c)
        if not snap.watched:
            grid.addWidget(QLabel("No daemons watched: pick some under All daemons."), 0, 0)
        notes = [f"{key}: not found (no socket unit)" for key in snap.missing]
        notes += [f"⚠ {manager} manager: {text}" for manager, text in snap.problems.items()]
        self.problems.setText("\n".join(notes))
        self.problems.setVisible(bool(notes))
        self._replace_rows(box)
        # Word-wrapped labels get their height only once the width is known.
        self.adjustSize()

    def _replace_rows(self, box: QWidget) -> None:
        layout = self.layout()
        assert layout is not None
        old = self._rows_box
        layout.replaceWidget(old, box)
        old.deleteLater()
        self._rows_box = box

    def _fill_watch_menu(self) -> None:
        clear(self.watch_menu)
        fill_watch_menu(self.watch_menu, self._source(), self._intents)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.quit_on_close and not QSystemTrayIcon.isSystemTrayAvailable():
            self._intents.quit()
        super().closeEvent(event)
