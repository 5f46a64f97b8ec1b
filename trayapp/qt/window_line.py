"""One daemon's row in the status window: its widgets, made once and updated in place.

Per row: the state icon, the name, the state (or an idle warning's
countdown), the mode as a choice (Always on / On demand), Stop or Start,
History; under it what the daemon is doing and its last cause, and during an
idle warning "Keep running".  The mode box opens its list on the arrow keys
rather than switching the mode at once (:class:`ChoiceBox`).

A choice made in the row (a mode, Stop or Start, History, Keep running) goes
straight to the window's intents.  The texts keep the translation context
``StatusWindow``, so the catalogue's entries for the window still apply.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QPushButton, QWidget

from trayapp.core.daemon_words import (
    daemon_mode_hint,
    detail_line,
    display_name,
    mode_hint,
    mode_label,
    state_label,
)
from trayapp.core.model import AWAKE, Daemon, DaemonMode
from trayapp.core.plans import Action
from trayapp.core.summary import Row

from . import nowheel
from .menus import action_id, countdown, daemon_status_icon
from .view import Intents

translate = QCoreApplication.translate

#: The mode choices of a row, in order, and the action that chooses each.
MODES = ((DaemonMode.ALWAYS_ON, Action.ALWAYS_ON), (DaemonMode.ON_DEMAND, Action.ON_DEMAND))


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

    def __init__(self, intents: Intents, d: Daemon) -> None:
        self.key = d.key
        self._intents = intents
        self.daemon = d
        self.icon = QLabel()
        self.name = QLabel()
        self.name.setTextFormat(Qt.TextFormat.RichText)
        self.state = QLabel()
        self.state.setObjectName(f"state:{d.manager}:{d.service}")
        self.mode = nowheel.guard(ChoiceBox())
        self.mode.setObjectName(f"mode:{d.manager}:{d.service}")
        self.mode.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.mode.activated.connect(lambda i: self._choose_mode(i))
        self.one_off = QPushButton()
        self.one_off.setAutoDefault(True)  # Return presses the focused button
        self.one_off.clicked.connect(lambda: self._one_off())
        self.history = QPushButton(translate("StatusWindow", "History…"))
        self.history.setObjectName(f"history:{d.manager}/{d.service}")
        self.history.setAutoDefault(True)
        self.history.clicked.connect(
            lambda: self._intents.show_history(self.daemon.manager, self.daemon.service))
        self.keep = QPushButton(translate("StatusWindow", "Keep running"))
        self.keep.setObjectName(f"keep:{d.manager}/{d.service}")
        self.keep.setAutoDefault(True)
        self.keep.clicked.connect(
            lambda: self._intents.keep_running(self.daemon.manager, self.daemon.service))
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

    def update(self, window: QWidget, row: Row, now: float, cause: str | None,
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

    def _update_mode(self, window: QWidget, row: Row) -> None:
        d = row.daemon
        modes = [m for m, _ in MODES]
        if d.mode not in modes:
            modes.append(d.mode)  # manual or masked: shown, not offered
        wanted = [mode_label(m) for m in modes]
        combo = self.mode
        combo.blockSignals(True)
        if [combo.itemText(i) for i in range(combo.count())] != wanted:
            combo.clear()
            for i, (m, label) in enumerate(zip(modes, wanted, strict=True)):
                combo.addItem(label, str(m))
                combo.setItemData(i, mode_hint(m), Qt.ItemDataRole.ToolTipRole)
        combo.setCurrentIndex(modes.index(d.mode))
        combo.setToolTip(daemon_mode_hint(d))
        allowed = {item.action: item.enabled for item in row.items}
        model = combo.model()
        for i, m in enumerate(modes):
            item = model.item(i) if hasattr(model, "item") else None
            if item is not None:
                offered = dict(MODES).get(m)
                item.setEnabled(m is d.mode or (offered is not None and allowed[offered]))
        combo.setEnabled(row.busy is None and d.mode is not DaemonMode.MASKED)
        combo.blockSignals(False)

    def _choose_mode(self, index: int) -> None:
        chosen = DaemonMode(self.mode.itemData(index))
        action = dict(MODES).get(chosen)
        if action is not None and chosen is not self.daemon.mode:
            self._intents.request(self.daemon.manager, self.daemon.service, action)

    def _one_off(self) -> None:
        self._intents.request(self.daemon.manager, self.daemon.service, self.one_off_action)
