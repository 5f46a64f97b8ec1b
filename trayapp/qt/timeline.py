"""The History window's timeline: one row per day, 24 hours across, a bar for each run
coloured by how it ended.  PySide6-Essentials has no charts module: painted with QPainter.
"""

from __future__ import annotations

import time
from datetime import datetime

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from trayapp.core.runs import DayRow, EndReason

DAY = 86400.0
COLOURS = {
    EndReason.IDLE: QColor("#3a9d5d"),
    EndReason.USER: QColor("#3b78c4"),
    EndReason.CRASH: QColor("#d0433b"),
    EndReason.SHUTDOWN: QColor("#7d7d7d"),
    EndReason.EXITED: QColor("#6fb7c9"),
    EndReason.ELSEWHERE: QColor("#e39b2d"),
    None: QColor("#8a5cc2"),  # running now, or not seen ending
}

class Timeline(QWidget):
    """Days as rows (oldest on top), 0-24 h across; runs as coloured bars."""

    LEFT, TOP, ROW, GAP = 78, 22, 22, 6

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[DayRow] = []
        self.now = time.time()
        self.recorded_since = 0.0
        self.setMinimumWidth(480)

    def show_rows(self, rows: list[DayRow], now: float, recorded_since: float) -> None:
        self.rows, self.now, self.recorded_since = rows, now, recorded_since
        self.setMinimumHeight(self.TOP + len(rows) * (self.ROW + self.GAP) + 4)
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(640, self.TOP + max(1, len(self.rows)) * (self.ROW + self.GAP) + 4)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        width = self.width() - self.LEFT - 10
        text = self.palette().windowText().color()
        grid = QColor(text)
        grid.setAlpha(50)
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.85))
        p.setFont(small)
        for hour in range(0, 25, 3):  # hour ticks across the top, grid lines down
            x = self.LEFT + width * hour / 24
            p.setPen(QPen(text))
            p.drawText(QRectF(x - 20, 0, 40, self.TOP - 4),
                       Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, f"{hour:02d}")
            p.setPen(QPen(grid, 1, Qt.PenStyle.DotLine))
            p.drawLine(int(x), self.TOP, int(x), self.height() - 2)
        for i, row in enumerate(self.rows):
            y = self.TOP + i * (self.ROW + self.GAP) + self.GAP / 2
            label = datetime.fromtimestamp(row.start).strftime("%a %d %b")
            p.setPen(QPen(text))
            p.drawText(QRectF(0, y, self.LEFT - 8, self.ROW),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)
            span = row.end - row.start

            def x_of(t: float, start: float = row.start, span: float = span) -> float:
                return self.LEFT + width * (t - start) / span

            # The day's band, over the time the history knows (from when
            # recording began until now): dormant time is the band showing through.
            band = QColor(text)
            band.setAlpha(22)
            known_start = max(row.start, self.recorded_since)
            known_end = min(row.end, self.now)
            if known_end > known_start:
                p.fillRect(QRectF(x_of(known_start), y, x_of(known_end) - x_of(known_start),
                                  self.ROW), band)
            for seg in row.segments:
                left = x_of(seg.start)
                w = max(2.0, x_of(seg.end) - left)  # a run of seconds stays visible
                p.fillRect(QRectF(left, y + 2, w, self.ROW - 4), COLOURS[seg.end_reason])
        p.end()
