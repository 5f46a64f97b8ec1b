"""The status window: the shown daemons as rows, for desktops without a tray and ``--window``.

GNOME shows no tray icons without the AppIndicator extension, and
``trayapp --window`` asks for this window anyway.  Per row: the state icon,
the name, the state, the mode as a choice (Always on / On demand), Stop or
Start, History; under it what it is doing and its last cause ("woken by
docker (PID 4242, alice) at 14:02"), and during an idle warning the
countdown with "Keep running".

The rows are made once per daemon and updated in place on each change, so
keyboard focus stays where the user left it; Qt layouts size everything, and
the size and position the user gives the window are kept.  Esc and Close
close it; Quit lives in the tray menu only (without a tray, closing quits).

One row's widgets are in window_line.py, the rows' grid and its scroll area
in window_rows.py; this module holds the window around them: the banner,
the notes, the buttons, showing, focus and closing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QHideEvent, QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from trayapp.core.daemon_words import redraw_in
from trayapp.core.keys import Key
from trayapp.core.model import Daemon
from trayapp.core.status_notes import StatusNote
from trayapp.core.words import QT_TRANSLATE_NOOP

from . import cutcheck, geometry
from .icons import app_icon
from .menus import clear, fill_watch_menu, problem_line
from .status_notes import StatusNotes
from .view import Intents, Source
from .window_rows import StatusRows
from .windows import place_once

GEOMETRY = "status"


def no_tray_hint(*, translated: bool = True) -> str:
    """Why trayapp runs in this window, in the user's language (or, for the log, not)."""
    text = QT_TRANSLATE_NOOP(
        "StatusWindow",
        "Your desktop shows no tray icons, so trayapp runs in this window. "
        "On GNOME, install and enable the AppIndicator extension "
        "(Debian/Ubuntu: gnome-shell-extension-appindicator), then start trayapp again.")
    return QCoreApplication.translate("StatusWindow", text) if translated else text


class StatusWindow(QWidget):
    def __init__(self, source: Source, intents: Intents,
                 causes: Callable[[Daemon], str | None] = lambda d: None,
                 warnings: Callable[[], Mapping[Key, float]] = dict,
                 notes: Callable[[], Sequence[StatusNote]] = list) -> None:
        super().__init__()
        self._notes = notes  # history, power and kept-running notes (Services.status_notes)
        self._shown_notes: list[StatusNote] = []
        self._source = source
        self.intents = intents
        self._causes = causes  # a daemon's last cause, if any
        self._warnings = warnings  # seconds left of each idle warning out now
        self._lost_focus: QWidget | None = None  # disabled under the user's focus
        # During an idle warning the countdown ticks in place, only while shown.
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._tick)
        # Redraws when a shown duration reads differently ("running for 5 s" becomes
        # "6 s", then minutes), while the window is shown: the only other clock.
        self._clock = QTimer(self)
        self._clock.setSingleShot(True)
        self._clock.timeout.connect(self.refresh)
        #: Closing the window quits, unless a tray icon has appeared since
        #: (then it only hides, and the icon brings it back).
        self.quit_on_close = False
        self.setWindowTitle(self.tr("trayapp"))
        self.setObjectName("status-window")
        self.setWindowIcon(app_icon())
        outer = QVBoxLayout(self)
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setObjectName("banner")
        self.banner.hide()
        outer.addWidget(self.banner)
        self.rows = StatusRows(intents)
        outer.addWidget(self.rows.area)
        self.empty = QLabel(self.tr("No daemons shown: pick some under Show in menu."))
        self.empty.setWordWrap(True)
        outer.addWidget(self.empty)
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        outer.addWidget(self.problems)
        self.notes = StatusNotes()
        outer.addWidget(self.notes)
        outer.addStretch(1)
        outer.addLayout(self._buttons(intents))

    def _buttons(self, intents: Intents) -> QHBoxLayout:
        """The window's own buttons, under the rows: Show in menu, Preferences…, Close."""
        buttons = QHBoxLayout()
        self.watch_button = QPushButton(self.tr("Show in menu"))
        self.watch_button.setAutoDefault(True)
        self.watch_menu = QMenu(self.watch_button)
        self.watch_menu.aboutToShow.connect(self._fill_watch_menu)
        self.watch_button.setMenu(self.watch_menu)
        buttons.addWidget(self.watch_button)
        self.preferences_button = QPushButton(self.tr("Preferences…"))
        self.preferences_button.setAutoDefault(True)
        self.preferences_button.clicked.connect(lambda: intents.show_preferences())
        buttons.addWidget(self.preferences_button)
        buttons.addStretch(1)
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.setAutoDefault(True)
        self.close_button.setDefault(True)  # Enter anywhere else presses it
        self.close_button.clicked.connect(self.close)
        buttons.addWidget(self.close_button)
        self.watch_button.setObjectName("watch")
        self.preferences_button.setObjectName("preferences")
        self.close_button.setObjectName("close")
        for button in (self.watch_button, self.preferences_button, self.close_button):
            button.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        return buttons

    # -- the banner shown without a tray ------------------------------------------------

    def show_banner(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.show()

    def drop_banner(self) -> None:
        """A tray appeared: the window is no longer the applet's only face."""
        self.banner.hide()
        self.banner.clear()
        self.quit_on_close = False
        cutcheck.schedule(self)

    # -- showing --------------------------------------------------------------------------

    def present(self) -> None:
        self.refresh(force=True)
        self.show()
        self.raise_()
        self.activateWindow()

    def showEvent(self, event: QShowEvent) -> None:
        place_once(self, GEOMETRY, _sixty_characters_wide)
        super().showEvent(event)
        self._grow_to_fit()
        if self._warnings():
            self._ticker.start()
        self._clock.start(0)  # present() refreshed while hidden: the durations' clock now

    def refresh(self, force: bool = False) -> None:
        if not (force or self.isVisible()):
            return  # present() brings it up to date when it is shown again
        snap = self._source()
        focused = self.focusWidget()
        left = self._warnings()
        rows = snap.rows()
        self.rows.update(self, rows, snap.now, self._causes, left, tab_after=self.watch_button)
        if left and self.isVisible():
            self._ticker.start()
        else:
            self._ticker.stop()
        self.empty.setText(self.tr("Reading the daemons…") if snap.starting
                           else self.tr("No daemons shown: pick some under Show in menu."))
        self.empty.setVisible(not rows)
        notes = [self.tr("{key}: not found").format(key=key) for key in snap.missing]
        notes += [problem_line(manager, text) for manager, text in snap.problems.items()]
        self.problems.setText("\n".join(notes))
        self.problems.setVisible(bool(notes))
        status_notes = list(self._notes())
        if status_notes != self._shown_notes:
            self._shown_notes = status_notes
            self.notes.show_notes(status_notes)
        self._keep_focus(focused)
        self._redraw_later([row.daemon for row in rows], snap.now)
        self.rows.fit(self.screen())
        self._grow_to_fit()
        cutcheck.schedule(self)  # with TRAYAPP_CUT_CHECK=1: is anything cut after the change?

    def _redraw_later(self, daemons: list[Daemon], now: float) -> None:
        wait = redraw_in(daemons, now) if self.isVisible() else None
        if wait is None:
            self._clock.stop()
        else:  # a moment after the change, so the new text is the one computed
            self._clock.start(int(wait * 1000) + 50)

    def _tick(self) -> None:
        left = self._warnings()
        self.rows.tick(left)
        if not left:
            self._ticker.stop()

    def _grow_to_fit(self) -> None:
        """Taller when a wrapped line needs it (a longer cause, another language); never
        narrower or shorter than the user made it.  Qt does not do this by itself for
        word-wrapped labels in a window."""
        layout = self.layout()
        if layout is None or not self.isVisible():
            return
        layout.activate()
        need = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() else -1
        need = max(need, layout.totalMinimumSize().height())
        if need > self.height():
            self.resize(self.width(), need)

    def _keep_focus(self, focused: QWidget | None) -> None:
        """Focus stays on its control across changes; a control disabled for a moment
        (Stop while stopping) gets it back when it is enabled again."""
        if focused is not None and not focused.isEnabled():
            self._lost_focus = focused
        lost = self._lost_focus
        if lost is not None and not shiboken6.isValid(lost):
            # Its row went (deleteLater) while it waited: nothing to give it back to
            # (issue 23: "Internal C++ object (ChoiceBox) already deleted").
            self._lost_focus = lost = None
        if lost is not None and lost.isEnabled() and lost.isVisible():
            self._lost_focus = None
            lost.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- the user's choices (a row's own go to its DaemonLine) ---------------------------

    def _fill_watch_menu(self) -> None:
        clear(self.watch_menu)
        fill_watch_menu(self.watch_menu, self._source(), self.intents)

    # -- keys and closing ---------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.close()
        elif event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.close_button.click()  # the default button
        else:
            super().keyPressEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        self._ticker.stop()
        self._clock.stop()
        geometry.save(self, GEOMETRY)  # closed, or the applet quits with it open
        super().hideEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.quit_on_close and not QSystemTrayIcon.isSystemTrayAvailable():
            self.intents.quit()
        super().closeEvent(event)


class TrayAppears(QObject):
    """Calls ``then`` once a system tray embeds our icon after we started without one.

    On X11 Qt makes and shows its QSystemTrayIconSys window when a tray
    appears; that Show is the news (Qt has no public signal for it).  Installed
    on the application only while there is no tray, and removed when seen.
    """

    def __init__(self, then: Callable[[], None]) -> None:
        super().__init__()
        self._then = then

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.Show
                and watched.metaObject().className() == "QSystemTrayIconSys"):
            self._then()
        return False


def _sixty_characters_wide(window: QWidget) -> None:
    """Wrapped lines read best at some 60 characters, not at Qt's guess."""
    window.adjustSize()
    window.resize(max(window.width(), window.fontMetrics().averageCharWidth() * 60),
                  window.height())
