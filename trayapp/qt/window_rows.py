"""The status window's rows together: one line per shown daemon in a grid that scrolls.

The lines are kept per daemon key and placed again only when daemons come or
go (or change order), so the widgets, and the keyboard focus on them, stay.
The area is as wide as the rows need and as tall, up to 60 % of the screen;
beyond that it scrolls up and down.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import Qt
from PySide6.QtGui import QScreen
from PySide6.QtWidgets import QFrame, QGridLayout, QScrollArea, QWidget

from trayapp.core.keys import Key
from trayapp.core.model import Daemon
from trayapp.core.summary import Row

from .menus import countdown
from .view import Intents
from .window_line import DaemonLine


class StatusRows:
    """The grid of :class:`DaemonLine` (``box``) inside its scroll area (``area``).

    It keeps no reference to its window (a cycle would leave the window's end
    to Python's garbage collector, at any later moment): the window passes
    itself to :meth:`update`.
    """

    def __init__(self, intents: Intents) -> None:
        self._intents = intents
        self.lines: dict[Key, DaemonLine] = {}
        self.order: list[Key] = []
        # The rows scroll up and down when there are more than the screen holds.
        self.box = QWidget()
        self.grid = QGridLayout(self.box)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setColumnStretch(2, 1)
        self.area = QScrollArea()
        self.area.setWidget(self.box)
        self.area.setWidgetResizable(True)
        self.area.setFrameShape(QFrame.Shape.NoFrame)
        self.area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # its controls are the stops

    def update(self, window: QWidget, rows: list[Row], now: float,
               causes: Callable[[Daemon], str | None], left: Mapping[Key, float],
               tab_after: QWidget) -> None:
        """Each line up to date with its row; ``tab_after`` comes next in the Tab order."""
        keys = [row.daemon.key for row in rows]
        if keys != self.order:
            self._relayout(rows, tab_after)
        for row in rows:
            self.lines[row.daemon.key].update(window, row, now, causes(row.daemon),
                                              left.get(row.daemon.key))

    def tick(self, left: Mapping[Key, float]) -> None:
        """The countdowns of the idle warnings out now, one second on."""
        for key, seconds in left.items():
            line = self.lines.get(key)
            if line is not None:
                line.state.setText(countdown(seconds))

    def fit(self, screen: QScreen | None) -> None:
        """The rows' area as wide as they need and as tall, up to 60 % of the screen."""
        box = self.box
        box.layout().activate()  # type: ignore[union-attr]
        # Their preferred width, not the least: below it a mode box elides its choice
        # ("On demand" in 79 of 100 px when the rows came after the window was shown).
        width = max(box.minimumSizeHint().width(), box.sizeHint().width())
        inner = max(self.area.viewport().width(), width)
        need = box.heightForWidth(inner) if box.hasHeightForWidth() else -1
        need = max(need, box.minimumSizeHint().height())
        cap = int(screen.availableGeometry().height() * 0.6) if screen is not None else need
        bar = self.area.verticalScrollBar().sizeHint().width() if need > cap else 0
        self.area.setMinimumWidth(width + bar)
        self.area.setMinimumHeight(min(need, cap))

    def _relayout(self, rows: list[Row], tab_after: QWidget) -> None:
        """Rows came or went: keep the lines of daemons still shown, place all again."""
        wanted = {row.daemon.key for row in rows}
        for key in list(self.lines):
            if key not in wanted:
                for widget in self.lines.pop(key).widgets():
                    widget.deleteLater()
        for i in reversed(range(self.grid.count())):
            self.grid.takeAt(i)
        previous: QWidget | None = None
        for r, row in enumerate(rows):
            line = self.lines.get(row.daemon.key)
            new = line is None
            if line is None:
                line = self.lines[row.daemon.key] = DaemonLine(self._intents, row.daemon)
            line.place(self.grid, r)
            if new:
                # Qt shows a widget added to a shown window only later (a queued
                # call): shown now, the rows are measured with it (fit), and
                # update() hides what must not show.
                for widget in line.widgets():
                    widget.show()
            for widget in (line.mode, line.one_off, line.history, line.keep):
                if previous is not None:
                    QWidget.setTabOrder(previous, widget)
                previous = widget
        if previous is not None:
            QWidget.setTabOrder(previous, tab_after)
        self.order = [row.daemon.key for row in rows]
