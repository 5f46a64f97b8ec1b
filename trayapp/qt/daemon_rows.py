"""The Preferences window's table of daemons: one row of widgets per daemon key.

Each row holds the daemon's name and manager, and the three choices the user
can edit there: shown in the tray, notify, stop when idle.  The widgets are
the state; :meth:`DaemonRowsTable.rows` reads them back.

The table is one stop in the Tab order: arrow keys move between cells, Space
toggles a check box, and on "Stop when idle" + and - step the minutes, digits
or Enter put the cursor in the box (Enter or Esc go back to the table).  The
mouse wheel scrolls the list and never changes a setting it passes over.
"""

from __future__ import annotations

from typing import NamedTuple

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QPoint, QSize, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHeaderView,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from trayapp.core.keys import parse_key
from trayapp.core.model import Manager
from trayapp.core.settings import MAX_IDLE_MINUTES, DaemonSettings
from trayapp.core.watchlist import is_plumbing

from . import nowheel

translate = QCoreApplication.translate

COL_NAME, COL_MANAGER, COL_SHOW, COL_NOTIFY, COL_IDLE, COL_BATTERY = range(6)
KEY_ROLE = Qt.ItemDataRole.UserRole


def columns() -> list[str]:
    return [translate("Preferences", "Daemon"), translate("Preferences", "Manager"),
            translate("Preferences", "Show in menu"), translate("Preferences", "Notify"),
            translate("Preferences", "Stop when idle"), translate("Preferences", "On battery")]


class DaemonRow(NamedTuple):
    """The widgets of one daemon's row."""

    key: str
    show: QCheckBox
    notify: QCheckBox
    idle_minutes: QSpinBox
    battery_minutes: QSpinBox  # -1: half of idle_minutes; 0: never (issue 16)


class CellCheckBox(QCheckBox):
    """A check box that fills its cell and toggles wherever in it the click lands
    (a plain one reacts only on its small square at the cell's left)."""

    def hitButton(self, pos: QPoint) -> bool:
        return self.rect().contains(pos)


class DaemonRowsTable(QTableWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(columns()), parent)
        self.setHorizontalHeaderLabels(columns())
        self.setAccessibleName(translate("Preferences", "Daemons"))
        self.verticalHeader().hide()
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setTabKeyNavigation(False)  # Tab leaves the table: one stop, arrows inside
        header = self.horizontalHeader()
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)
        for col in range(1, len(columns())):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)

    def sizeHint(self) -> QSize:
        """Room for a dozen rows (the dialog is then fitted to the screen)."""
        hint = super().sizeHint()
        rows = min(max(self.rowCount(), 6), 12)
        height = (self.horizontalHeader().sizeHint().height()
                  + rows * self.verticalHeader().defaultSectionSize() + 2 * self.frameWidth())
        width = self.horizontalHeader().length() + self.verticalScrollBar().sizeHint().width() \
            + 2 * self.frameWidth()
        return QSize(max(hint.width(), width), height)

    def rows(self) -> list[DaemonRow]:
        found = []
        for r in range(self.rowCount()):
            item = self.item(r, COL_NAME)
            assert item is not None
            show = self.cellWidget(r, COL_SHOW)
            notify = self.cellWidget(r, COL_NOTIFY)
            idle = self.cellWidget(r, COL_IDLE)
            battery = self.cellWidget(r, COL_BATTERY)
            assert isinstance(show, QCheckBox) and isinstance(notify, QCheckBox)
            assert isinstance(idle, QSpinBox) and isinstance(battery, QSpinBox)
            found.append(DaemonRow(item.data(KEY_ROLE), show, notify, idle, battery))
        return found

    def add_row(self, key: str, shown: bool, daemon: DaemonSettings, known: bool) -> None:
        """A row for ``key`` at the bottom; ``known``: found on this machine now."""
        manager, unit = parse_key(key)
        name_text = unit.removesuffix(".service")
        r = self.rowCount()
        self.insertRow(r)
        name = QTableWidgetItem(name_text)
        name.setData(KEY_ROLE, key)
        name.setToolTip(key if known else translate(
            "Preferences", "{key}: not found on this machine now").format(key=key))
        self.setItem(r, COL_NAME, name)
        self.setItem(r, COL_MANAGER, QTableWidgetItem(
            translate("Preferences", "yours") if manager is Manager.USER
            else translate("Preferences", "system")))
        show = nowheel.guard(CellCheckBox(), Qt.FocusPolicy.NoFocus)  # the table has the keys
        show.setChecked(shown)
        show.setObjectName(f"show:{key}")
        show.setAccessibleName(translate("Preferences", "Show {name} in the menu")
                               .format(name=name_text))
        self.setCellWidget(r, COL_SHOW, show)
        notify = nowheel.guard(CellCheckBox(), Qt.FocusPolicy.NoFocus)
        notify.setChecked(daemon.notify)
        notify.setObjectName(f"notify:{key}")
        notify.setAccessibleName(translate("Preferences", "Notify about {name}")
                                 .format(name=name_text))
        notify.setToolTip(translate("Preferences", "Notify when it wakes up, stops or fails"))
        self.setCellWidget(r, COL_NOTIFY, notify)
        idle = self._minutes_box(
            0, translate("Preferences", "never"), daemon.idle_stop_minutes, f"idle:{key}",
            translate("Preferences", "Stop {name} after this many idle minutes")
            .format(name=name_text),
            translate("Preferences", "Stop it after this many minutes without clients; "
                      "its socket stays"))
        self.setCellWidget(r, COL_IDLE, idle)
        # On battery (UPower's OnBattery, issue 16): -1 half the idle time, 0 never.
        battery = self._minutes_box(
            -1, translate("Preferences", "half"), daemon.battery_idle_minutes,
            f"battery:{key}",
            translate("Preferences", "Stop {name} after this many idle minutes on battery")
            .format(name=name_text),
            translate("Preferences", "On battery: half of the idle time, or these minutes; "
                      "0 never stops it on battery"))
        self.setCellWidget(r, COL_BATTERY, battery)

    def _minutes_box(self, lowest: int, special: str, value: int, name: str,
                     accessible: str, tip: str) -> QSpinBox:
        """A minutes box that the wheel never changes; ``special`` is shown for ``lowest``."""
        box = nowheel.guard(QSpinBox(), Qt.FocusPolicy.ClickFocus)
        box.setRange(lowest, MAX_IDLE_MINUTES)
        box.setSpecialValueText(special)
        box.setSuffix(translate("Preferences", " min"))
        box.setValue(value)
        box.setObjectName(name)
        box.setAccessibleName(accessible)
        box.setToolTip(tip)
        box.installEventFilter(self)
        return box

    def row_index(self, key: str) -> int:
        for r in range(self.rowCount()):
            item = self.item(r, COL_NAME)
            if item is not None and item.data(KEY_ROLE) == key:
                return r
        raise KeyError(key)

    def filter(self, text: str, plumbing: bool) -> int:
        """Show the rows whose name holds ``text``, plumbing only with ``plumbing``
        (or when shown in the menu); returns how many are shown."""
        text = text.strip().lower()
        shown = 0
        for r, row in enumerate(self.rows()):
            item = self.item(r, COL_NAME)
            name = item.text().lower() if item is not None else ""
            hide = (bool(text) and text not in name) or (
                not plumbing and is_plumbing(row.key) and not row.show.isChecked())
            self.setRowHidden(r, hide)
            shown += not hide
        return shown

    # -- the keyboard inside the table --------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        r, c = self.currentRow(), self.currentColumn()
        widget = self.cellWidget(r, c) if r >= 0 else None
        key = event.key()
        if isinstance(widget, QCheckBox) and key == Qt.Key.Key_Space:
            widget.toggle()
        elif isinstance(widget, QSpinBox) and key in (Qt.Key.Key_Plus, Qt.Key.Key_Minus):
            widget.stepBy(1 if key == Qt.Key.Key_Plus else -1)
        elif isinstance(widget, QSpinBox) and key in (
                Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_F2, Qt.Key.Key_Space):
            widget.setFocus(Qt.FocusReason.OtherFocusReason)
            widget.selectAll()
        elif isinstance(widget, QSpinBox) and event.text().isdigit():
            widget.setFocus(Qt.FocusReason.OtherFocusReason)
            widget.selectAll()
            QCoreApplication.sendEvent(widget, event)
        else:
            super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """In a spin box: Enter or Esc go back to the table (not to the dialog's OK)."""
        if (isinstance(watched, QSpinBox) and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent) and event.key() in (
                    Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape)):
            watched.interpretText()
            self.setFocus(Qt.FocusReason.OtherFocusReason)
            return True
        return super().eventFilter(watched, event)
