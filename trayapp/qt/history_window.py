"""The History window of one daemon: a timeline of the last days, totals, recent runs.

PySide6-Essentials has no charts module, so the timeline is painted with
QPainter: one row per day, 24 hours across, a bar for each run coloured by
how it ended.  The window keeps no state of its own: ``reload()`` asks
trayapp.usecases.history_query again and repaints (the tray may call it on
a table change).

    show_history(path, Manager.SYSTEM, "docker.service", parent=None)

``path`` is the history file (None: the user's); an open Store of the
caller's is also accepted, for its path.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QCloseEvent,
    QFont,
    QKeyEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from trayapp.core.model import Manager
from trayapp.core.report import duration, memory
from trayapp.core.runs import END_LABELS, Run, day_rows
from trayapp.core.words import QT_TRANSLATE_NOOP
from trayapp.usecases.history_query import Found, query

from . import geometry
from .icons import app_icon
from .timeline import COLOURS, DAY, Timeline
from .windows import place_once

GEOMETRY = "history"

# Marked for pyside6-lupdate (it reads no self.tr() of a name); translated where shown.
RUNNING_LABEL = QT_TRANSLATE_NOOP("HistoryWindow", "running / not seen ending")
MEMORY_NOTE = QT_TRANSLATE_NOOP(
    "HistoryWindow",
    "Peak memory is the most trayapp saw the daemon use while it ran. Memory saved is "
    "what it would have held had it run all the time, over the hours it slept.")


class HistoryWindow(QWidget):
    def __init__(self, path: Path | None, manager: Manager, service: str, *, days: int = 7,
                 clock: Callable[[], float] = time.time, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.path = path
        self.manager = manager
        self.service = service
        self.days = days
        self.clock = clock
        name = service.removesuffix(".service")
        title = (self.tr("History of {name} - trayapp") if manager is Manager.SYSTEM
                 else self.tr("History of {name} (your user manager) - trayapp"))
        self.setWindowTitle(title.format(name=name))
        self.setObjectName("history-window")
        self.setWindowIcon(app_icon())
        window = QVBoxLayout(self)
        # Everything but the buttons scrolls: at 2x on a laptop the window may be
        # shorter than the week, the totals and the runs together.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        content = QWidget()
        outer = QVBoxLayout(content)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll.setWidget(content)
        window.addWidget(scroll, 1)
        self.heading = QLabel()
        heading_font = QFont(self.font())
        heading_font.setPointSizeF(heading_font.pointSizeF() * 1.3)
        heading_font.setBold(True)
        self.heading.setFont(heading_font)
        self.heading.setWordWrap(True)
        outer.addWidget(self.heading)
        self.tiles: dict[str, QLabel] = {}
        outer.addLayout(self._tiles())
        self.timeline = Timeline()
        outer.addWidget(self.timeline)
        outer.addLayout(self._legend())
        self.runs = self._runs_list()
        outer.addWidget(self.runs, 1)
        self.note = QLabel(self.tr(MEMORY_NOTE))
        self.note.setWordWrap(True)
        outer.addWidget(self.note)
        window.addLayout(self._buttons())
        # Up and down only: the content is never narrower than it needs.
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(content.minimumSizeHint().width()
                               + scroll.verticalScrollBar().sizeHint().width())
        self.reload()

    def _tiles(self) -> QGridLayout:
        """The totals, big figures over their captions (filled into ``self.tiles``)."""
        tiles = QGridLayout()
        for column, key in enumerate(("dormant", "wakes", "wakeup", "saved")):
            value, caption = QLabel("-"), QLabel()
            big = QFont(self.font())
            big.setPointSizeF(big.pointSizeF() * 1.6)
            big.setBold(True)
            value.setFont(big)
            tiles.addWidget(value, 0, column)
            tiles.addWidget(caption, 1, column)
            self.tiles[key] = value
            self.tiles[key + ":caption"] = caption
        return tiles

    def _runs_list(self) -> QTreeWidget:
        runs = QTreeWidget()
        runs.setRootIsDecorated(False)
        runs.setHeaderLabels([self.tr("Woke"), self.tr("Wake-up"), self.tr("Ran"),
                              self.tr("Peak memory"), self.tr("Ended"), self.tr("Woken by")])
        runs.setAccessibleName(self.tr("Recent runs"))
        runs.setMinimumHeight(self.fontMetrics().height() * 8)  # a few runs at least
        return runs

    def _buttons(self) -> QHBoxLayout:
        """Refresh and Close (the default button: Enter presses it)."""
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        refresh = QPushButton(self.tr("Refresh"))
        refresh.setAutoDefault(True)
        refresh.clicked.connect(self.reload)
        close = self.close_button = QPushButton(self.tr("Close"))
        close.setAutoDefault(True)
        close.setDefault(True)  # Enter presses it
        close.setObjectName("history-close")
        refresh.setObjectName("refresh")
        close.clicked.connect(self.close)
        buttons.addWidget(refresh)
        buttons.addWidget(close)
        return buttons

    def showEvent(self, event: QShowEvent) -> None:
        place_once(self, GEOMETRY)
        super().showEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.close()
        elif event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.close_button.click()
        else:
            super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        geometry.save(self, GEOMETRY)
        super().closeEvent(event)

    def _legend(self) -> QGridLayout:
        """The colours, four to a line: narrow enough for a laptop at 2x."""
        grid = QGridLayout()
        for i, (reason, colour) in enumerate(COLOURS.items()):
            swatch = QLabel()
            swatch.setFixedSize(12, 12)
            swatch.setStyleSheet(f"background: {colour.name()}; border-radius: 2px;")
            r, c = divmod(i, 4)
            grid.addWidget(swatch, r, 2 * c)
            grid.addWidget(QLabel(END_LABELS[reason] if reason else self.tr(RUNNING_LABEL)),
                           r, 2 * c + 1)
        grid.setColumnStretch(7, 1)
        return grid

    def reload(self) -> None:
        now = self.clock()
        since = now - self.days * DAY
        report = query(self.manager, self.service, since, now, path=self.path)
        mine = report.daemon(self.manager, self.service)
        runs, t = list(mine.runs), mine.totals
        recorded = report.recorded_since if report.recorded_since is not None else now
        name = self.service.removesuffix(".service")
        heading = self.tr("{name}: the last %n days", "", self.days).format(name=name)
        if report.found is not Found.RUNS:
            heading += f" ({report.problem})"
        elif recorded > since:  # say where the knowledge starts
            began = time.strftime("%a %d %b %H:%M", time.localtime(recorded))
            heading += " " + self.tr("(recorded since {time})").format(time=began)
        self.heading.setText(heading)
        share = f"{t.dormant_share:.0%}" if t.dormant_share is not None else "-"
        self._tile("dormant", share, self.tr("of the time not running"))
        self._tile("wakes", str(t.wakes), self.tr("wake") if t.wakes == 1 else self.tr("wakes"))
        wakeup = f"{t.median_startup:.2f} s" if t.median_startup is not None else "-"
        self._tile("wakeup", wakeup, self.tr("median wake-up time"))
        saved = t.memory_hours_saved
        self._tile("saved", f"{memory(int(saved))}\u00b7h" if saved is not None else "-",
                   self.tr("memory saved against always-on"))
        self.timeline.show_rows(day_rows(runs, self.days, now), now, recorded)
        self._fill_runs(runs, now)

    def _tile(self, key: str, value: str, caption: str) -> None:
        self.tiles[key].setText(value)
        self.tiles[key + ":caption"].setText(caption)

    def _fill_runs(self, runs: list[Run], now: float) -> None:
        self.runs.clear()
        for r in reversed(runs[-200:]):
            woke = time.strftime("%a %d %b %H:%M:%S", time.localtime(r.woke_at))
            QTreeWidgetItem(self.runs, [
                woke,
                f"{r.startup:.2f} s" if r.startup is not None else "-",
                duration(r.ran_for(now)),
                memory(r.peak_memory),
                END_LABELS[r.end] if r.end else self.tr(RUNNING_LABEL),
                r.waker or "unknown",
            ])
        for column in range(self.runs.columnCount()):
            self.runs.resizeColumnToContents(column)
