"""The Preferences window's table of daemons: one row of widgets per daemon key.

Each row holds the daemon's name and manager, and the three choices the user
can edit there: shown in the tray, notify, stop when idle.  The widgets are
the state; :meth:`DaemonRowsTable.rows` reads them back.
"""

from __future__ import annotations

from typing import NamedTuple

from PySide6.QtCore import Qt
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

COLUMNS = ("Daemon", "Manager", "Show in tray", "Notify", "Stop when idle")
COL_NAME, COL_MANAGER, COL_SHOW, COL_NOTIFY, COL_IDLE = range(len(COLUMNS))
KEY_ROLE = Qt.ItemDataRole.UserRole


class DaemonRow(NamedTuple):
    """The widgets of one daemon's row."""

    key: str
    show: QCheckBox
    notify: QCheckBox
    idle_minutes: QSpinBox


class DaemonRowsTable(QTableWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(COLUMNS)
        self.verticalHeader().hide()
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.horizontalHeader()
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)
        for col in range(1, len(COLUMNS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)

    def rows(self) -> list[DaemonRow]:
        found = []
        for r in range(self.rowCount()):
            item = self.item(r, COL_NAME)
            assert item is not None
            show = self.cellWidget(r, COL_SHOW)
            notify = self.cellWidget(r, COL_NOTIFY)
            idle = self.cellWidget(r, COL_IDLE)
            assert isinstance(show, QCheckBox) and isinstance(notify, QCheckBox)
            assert isinstance(idle, QSpinBox)
            found.append(DaemonRow(item.data(KEY_ROLE), show, notify, idle))
        return found

    def add_row(self, key: str, shown: bool, daemon: DaemonSettings, known: bool) -> None:
        """A row for ``key`` at the bottom; ``known``: found on this machine now."""
        manager, unit = parse_key(key)
        r = self.rowCount()
        self.insertRow(r)
        name = QTableWidgetItem(unit.removesuffix(".service"))
        name.setData(KEY_ROLE, key)
        name.setToolTip(key if known else f"{key}: not found on this machine now")
        self.setItem(r, COL_NAME, name)
        self.setItem(r, COL_MANAGER,
                     QTableWidgetItem("yours" if manager is Manager.USER else str(manager)))
        show = QCheckBox()
        show.setChecked(shown)
        show.setAccessibleName(f"Show {unit} in the tray")
        self.setCellWidget(r, COL_SHOW, show)
        notify = QCheckBox()
        notify.setChecked(daemon.notify)
        notify.setAccessibleName(f"Notify about {unit}")
        notify.setToolTip("Notify when it wakes up, stops or fails")
        self.setCellWidget(r, COL_NOTIFY, notify)
        idle = QSpinBox()
        idle.setRange(0, MAX_IDLE_MINUTES)
        idle.setSpecialValueText("never")  # shown for 0
        idle.setSuffix(" min")
        idle.setValue(daemon.idle_stop_minutes)
        idle.setAccessibleName(f"Stop {unit} after this many idle minutes")
        idle.setToolTip("Stop it after this many minutes without clients; its socket stays")
        self.setCellWidget(r, COL_IDLE, idle)

    def row_index(self, key: str) -> int:
        for r in range(self.rowCount()):
            item = self.item(r, COL_NAME)
            if item is not None and item.data(KEY_ROLE) == key:
                return r
        raise KeyError(key)
