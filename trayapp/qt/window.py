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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QHideEvent, QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from trayapp.core.daemon_words import detail_line, display_name, mode_label, state_label
from trayapp.core.keys import Key
from trayapp.core.model import AWAKE, Daemon, DaemonMode
from trayapp.core.plans import Action
from trayapp.core.status_notes import StatusNote
from trayapp.core.summary import Row

from . import cutcheck, geometry, nowheel
from .icons import app_icon
from .menus import (
    action_id,
    clear,
    countdown,
    daemon_status_icon,
    fill_watch_menu,
    problem_line,
)
from .status_notes import StatusNotes
from .view import Intents, Source

GEOMETRY = "status"
translate = QCoreApplication.translate

#: The mode choices of a row, in order, and the action that chooses each.
MODES = ((DaemonMode.ALWAYS_ON, Action.ALWAYS_ON), (DaemonMode.ON_DEMAND, Action.ON_DEMAND))


NO_TRAY_HINT = (
    "Your desktop shows no tray icons, so trayapp runs in this window. "
    "On GNOME, install and enable the AppIndicator extension "
    "(Debian/Ubuntu: gnome-shell-extension-appindicator), then start trayapp again."
)


def no_tray_hint() -> str:
    """NO_TRAY_HINT in the user's language."""
    return QCoreApplication.translate(
        "StatusWindow",
        "Your desktop shows no tray icons, so trayapp runs in this window. "
        "On GNOME, install and enable the AppIndicator extension "
        "(Debian/Ubuntu: gnome-shell-extension-appindicator), then start trayapp again.")


class ChoiceBox(QComboBox):
    """A combo box that changes only by a choice made in its open list.

    A closed QComboBox takes Up/Down as a choice at once; here that would
    switch a daemon's mode (a privileged call) on a stray arrow key, so the
    arrows open the list instead, and Return or a click chooses.
    """

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp,
                           Qt.Key.Key_PageDown, Qt.Key.Key_Home, Qt.Key.Key_End):
            self.showPopup()
        else:
            super().keyPressEvent(event)


class DaemonLine:
    """The widgets of one daemon's row, made once and updated in place."""

    def __init__(self, window: StatusWindow, d: Daemon) -> None:
        self.key = d.key
        self.daemon = d
        self.icon = QLabel()
        self.name = QLabel()
        self.name.setTextFormat(Qt.TextFormat.RichText)
        self.state = QLabel()
        self.state.setObjectName(f"state:{d.manager}:{d.service}")
        self.mode = nowheel.guard(ChoiceBox())
        self.mode.setObjectName(f"mode:{d.manager}:{d.service}")
        self.mode.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.mode.activated.connect(lambda i: window.choose_mode(self, i))
        self.one_off = QPushButton()
        self.one_off.setAutoDefault(True)  # Return presses the focused button
        self.one_off.clicked.connect(lambda: window.one_off(self))
        self.history = QPushButton(translate("StatusWindow", "History…"))
        self.history.setObjectName(f"history:{d.manager}/{d.service}")
        self.history.setAutoDefault(True)
        self.history.clicked.connect(
            lambda: window.intents.show_history(self.daemon.manager, self.daemon.service))
        self.keep = QPushButton(translate("StatusWindow", "Keep running"))
        self.keep.setObjectName(f"keep:{d.manager}/{d.service}")
        self.keep.setAutoDefault(True)
        self.keep.clicked.connect(
            lambda: window.intents.keep_running(self.daemon.manager, self.daemon.service))
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        self.one_off_action = Action.START

    def widgets(self) -> list[QWidget]:
        return [self.icon, self.name, self.state, self.mode, self.one_off, self.history,
                self.keep, self.detail]

    def place(self, grid: QGridLayout, r: int) -> None:
        top = 2 * r
        grid.addWidget(self.icon, top, 0)
        grid.addWidget(self.name, top, 1)
        grid.addWidget(self.state, top, 2)
        grid.addWidget(self.mode, top, 3)
        grid.addWidget(self.one_off, top, 4)
        grid.addWidget(self.history, top, 5)
        grid.addWidget(self.keep, top + 1, 4, 1, 2)
        grid.addWidget(self.detail, top + 1, 1, 1, 3)

    def update(self, window: StatusWindow, row: Row, now: float, cause: str | None,
               left: float | None) -> None:
        d = self.daemon = row.daemon
        name = display_name(d)
        size = window.style().pixelMetric(window.style().PixelMetric.PM_SmallIconSize)
        self.icon.setPixmap(daemon_status_icon(d, row.busy is not None).pixmap(size, size))
        self.icon.setAccessibleName(state_label(d.state))
        self.name.setText(f"<b>{escape(name)}</b>")
        self.state.setText(countdown(left) if left is not None else state_label(d.state))
        lines = [escape(detail_line(d, now))]
        if cause:
            lines.append(escape(cause))
        if row.busy:
            lines.append(f"<i>{escape(row.busy)}</i>")
        lines += [f"⚠ {escape(w)}" for w in d.warnings]
        self.detail.setText("<br>".join(f"<small>{line}</small>" for line in lines))
        self.detail.setToolTip(", ".join(d.sockets))
        self.keep.setVisible(left is not None)
        self._update_mode(window, row)
        enabled = {item.action: item.enabled for item in row.items}
        self.one_off_action = Action.STOP if d.state in AWAKE else Action.START
        self.one_off.setText(translate("StatusWindow", "Stop") if self.one_off_action is Action.STOP
                             else translate("StatusWindow", "Start"))
        self.one_off.setObjectName(action_id(row, self.one_off_action))
        self.one_off.setEnabled(enabled[self.one_off_action])
        # Names for screen readers: the button's word alone says not whose it is.
        self.one_off.setAccessibleName(
            (translate("StatusWindow", "Stop {name}") if self.one_off_action is Action.STOP
             else translate("StatusWindow", "Start {name}")).format(name=name))
        self.history.setAccessibleName(
            translate("StatusWindow", "History of {name}").format(name=name))
        self.keep.setAccessibleName(
            translate("StatusWindow", "Keep {name} running").format(name=name))
        self.mode.setAccessibleName(translate("StatusWindow", "Mode of {name}").format(name=name))

    def _update_mode(self, window: StatusWindow, row: Row) -> None:
        d = row.daemon
        modes = [m for m, _ in MODES]
        if d.mode not in modes:
            modes.append(d.mode)  # manual or masked: shown, not offered
        wanted = [mode_label(m) for m in modes]
        combo = self.mode
        combo.blockSignals(True)
        if [combo.itemText(i) for i in range(combo.count())] != wanted:
            combo.clear()
            for m, label in zip(modes, wanted, strict=True):
                combo.addItem(label, str(m))
        combo.setCurrentIndex(modes.index(d.mode))
        allowed = {item.action: item.enabled for item in row.items}
        model = combo.model()
        for i, m in enumerate(modes):
            item = model.item(i) if hasattr(model, "item") else None
            if item is not None:
                offered = dict(MODES).get(m)
                item.setEnabled(m is d.mode or (offered is not None and allowed[offered]))
        combo.setEnabled(row.busy is None and d.mode is not DaemonMode.MASKED)
        combo.blockSignals(False)


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
        self._lines: dict[Key, DaemonLine] = {}
        self._order: list[Key] = []
        self._lost_focus: QWidget | None = None  # disabled under the user's focus
        # During an idle warning the countdown ticks in place, only while shown.
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._tick)
        self._placed = False
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
        # The rows scroll up and down when there are more than the screen holds.
        self.rows_box = QWidget()
        self.grid = QGridLayout(self.rows_box)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setColumnStretch(2, 1)
        self.rows_area = QScrollArea()
        self.rows_area.setWidget(self.rows_box)
        self.rows_area.setWidgetResizable(True)
        self.rows_area.setFrameShape(QFrame.Shape.NoFrame)
        self.rows_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.rows_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # its controls are the stops
        outer.addWidget(self.rows_area)
        self.empty = QLabel(self.tr("No daemons shown: pick some under Show in menu."))
        self.empty.setWordWrap(True)
        outer.addWidget(self.empty)
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        outer.addWidget(self.problems)
        self.notes = StatusNotes()
        outer.addWidget(self.notes)
        outer.addStretch(1)
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
        outer.addLayout(buttons)
        self.watch_button.setObjectName("watch")
        self.preferences_button.setObjectName("preferences")
        self.close_button.setObjectName("close")
        for button in (self.watch_button, self.preferences_button, self.close_button):
            button.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)

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
        if not self._placed:
            self._placed = True
            if not geometry.restore(self, GEOMETRY):
                self.adjustSize()
                # Wrapped lines read best at some 60 characters, not at Qt's guess.
                self.resize(max(self.width(), self.fontMetrics().averageCharWidth() * 60),
                            self.height())
        super().showEvent(event)
        self._grow_to_fit()
        if self._warnings():
            self._ticker.start()

    def refresh(self, force: bool = False) -> None:
        if not (force or self.isVisible()):
            return  # present() brings it up to date when it is shown again
        snap = self._source()
        focused = self.focusWidget()
        left = self._warnings()
        rows = snap.rows()
        keys = [row.daemon.key for row in rows]
        if keys != self._order:
            self._relayout(rows)
        for row in rows:
            self._lines[row.daemon.key].update(self, row, snap.now, self._causes(row.daemon),
                                               left.get(row.daemon.key))
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
        self._fit_rows()
        self._grow_to_fit()
        cutcheck.schedule(self)  # with TRAYAPP_CUT_CHECK=1: is anything cut after the change?

    def _tick(self) -> None:
        left = self._warnings()
        for key, seconds in left.items():
            line = self._lines.get(key)
            if line is not None:
                line.state.setText(countdown(seconds))
        if not left:
            self._ticker.stop()

    def _fit_rows(self) -> None:
        """The rows' area as wide as they need and as tall, up to 60 % of the screen."""
        box = self.rows_box
        box.layout().activate()  # type: ignore[union-attr]
        # Their preferred width, not the least: below it a mode box elides its choice
        # ("On demand" in 79 of 100 px when the rows came after the window was shown).
        width = max(box.minimumSizeHint().width(), box.sizeHint().width())
        inner = max(self.rows_area.viewport().width(), width)
        need = box.heightForWidth(inner) if box.hasHeightForWidth() else -1
        need = max(need, box.minimumSizeHint().height())
        screen = self.screen()
        cap = int(screen.availableGeometry().height() * 0.6) if screen is not None else need
        bar = self.rows_area.verticalScrollBar().sizeHint().width() if need > cap else 0
        self.rows_area.setMinimumWidth(width + bar)
        self.rows_area.setMinimumHeight(min(need, cap))

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

    def _relayout(self, rows: list[Row]) -> None:
        """Rows came or went: keep the lines of daemons still shown, place all again."""
        wanted = {row.daemon.key for row in rows}
        for key in list(self._lines):
            if key not in wanted:
                for widget in self._lines.pop(key).widgets():
                    widget.deleteLater()
        for i in reversed(range(self.grid.count())):
            self.grid.takeAt(i)
        previous: QWidget | None = None
        for r, row in enumerate(rows):
            line = self._lines.get(row.daemon.key)
            new = line is None
            if line is None:
                line = self._lines[row.daemon.key] = DaemonLine(self, row.daemon)
            line.place(self.grid, r)
            if new:
                # Qt shows a widget added to a shown window only later (a queued
                # call): shown now, the rows are measured with it (_fit_rows), and
                # update() hides what must not show.
                for widget in line.widgets():
                    widget.show()
            for widget in (line.mode, line.one_off, line.history, line.keep):
                if previous is not None:
                    QWidget.setTabOrder(previous, widget)
                previous = widget
        if previous is not None:
            QWidget.setTabOrder(previous, self.watch_button)
        self._order = [row.daemon.key for row in rows]

    # -- the user's choices ---------------------------------------------------------------

    def choose_mode(self, line: DaemonLine, index: int) -> None:
        chosen = DaemonMode(line.mode.itemData(index))
        action = dict(MODES).get(chosen)
        if action is not None and chosen is not line.daemon.mode:
            self.intents.request(line.daemon.manager, line.daemon.service, action)

    def one_off(self, line: DaemonLine) -> None:
        self.intents.request(line.daemon.manager, line.daemon.service, line.one_off_action)

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
