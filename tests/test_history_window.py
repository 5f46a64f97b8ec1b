"""The History window (trayapp/qt/history_window.py), rendered offscreen.

A week of runs with a frozen clock goes into a real store; the window is
grabbed to artifacts/history-window.png (look at it), and the timeline's
pixels are checked where runs must be drawn and where the daemon slept.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtWidgets import QApplication

from trayapp.adapters.history_db import Store
from trayapp.core.model import Manager
from trayapp.core.runs import EndReason, Run
from trayapp.qt.history_window import COLOURS, HistoryWindow, Timeline

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
MiB = 2**20
# Frozen "now": a Tuesday afternoon, local time.
NOW = datetime(2026, 11, 24, 17, 30).timestamp()
MIDNIGHT = datetime(2026, 11, 24).timestamp()


def at(days_ago: int, hour: float) -> float:
    day = datetime(2026, 11, 24) - timedelta(days=days_ago)
    return day.timestamp() + hour * 3600


WEEK = [  # (days ago, from hour, to hour or None, end, startup s, peak MiB, waker)
    (6, 9.0, 9.4, EndReason.IDLE, 0.41, 182, "docker (pid 2211)"),
    (6, 14.0, 17.5, EndReason.IDLE, 0.38, 240, "docker (pid 2310)"),
    (5, 10.0, 10.2, EndReason.USER, 0.52, 150, "code (pid 4120)"),
    (4, 8.5, 12.0, EndReason.IDLE, 0.44, 260, "docker-compose (pid 5001)"),
    (4, 20.0, 20.1, EndReason.CRASH, 0.47, 90, None),
    (3, 11.0, 11.3, EndReason.ELSEWHERE, 0.40, 170, "docker (pid 6100)"),
    (2, 23.0, 25.0, EndReason.SHUTDOWN, 0.43, 210, "docker (pid 7007)"),  # over midnight
    (0, 9.0, 10.0, EndReason.IDLE, 0.39, 200, "docker (pid 8000)"),
    (0, 16.0, None, None, 0.45, 230, "docker (pid 8123)"),  # running now
]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "history.sqlite", clock=lambda: at(8, 0))  # created 8 days ago
    for days_ago, start, end, reason, startup, peak, waker in WEEK:
        woke = at(days_ago, start)
        s.begin_run(Run("system", "docker.service", f"r{days_ago}-{start}", woke,
                        active_at=woke + startup, startup=startup, peak_memory=peak * MiB,
                        waker=waker))
        if end is not None and reason is not None:
            s.end_run("system", "docker.service", f"r{days_ago}-{start}", at(days_ago, end),
                      reason)
    s.close()
    return s


def test_history_window_renders_a_week(qapp: QApplication, store: Store) -> None:
    window = HistoryWindow(store.path, Manager.SYSTEM, "docker.service", clock=lambda: NOW)
    window.resize(760, 640)
    window.show()
    qapp.processEvents()
    assert window.tiles["wakes"].text() == "9"  # the run over midnight counts once
    assert window.tiles["wakeup"].text() == "0.43 s"
    assert window.tiles["dormant"].text().endswith("%")
    assert window.tiles["saved"].text().endswith("GiB\u00b7h")
    assert window.runs.topLevelItemCount() == len(WEEK)
    assert window.runs.topLevelItem(0).text(4) == "running / not seen ending"
    assert window.runs.topLevelItem(0).text(5) == "docker (pid 8123)"
    assert window.heading.text() == "docker: the last 7 days"

    ARTIFACTS.mkdir(exist_ok=True)
    assert window.grab().save(str(ARTIFACTS / "history-window.png"))

    timeline = window.timeline
    image = timeline.grab().toImage()
    width = timeline.width() - Timeline.LEFT - 10

    def pixel(row: int, hour: float) -> str:
        x = int(Timeline.LEFT + width * hour / 24)
        y = int(Timeline.TOP + row * (Timeline.ROW + Timeline.GAP) + Timeline.GAP / 2
                + Timeline.ROW / 2)
        return image.pixelColor(x, y).name()

    # Rows are oldest first: row 0 is six days ago.
    assert pixel(0, 15.5) == COLOURS[EndReason.IDLE].name()
    assert pixel(2, 16.0) not in {c.name() for c in COLOURS.values()}  # asleep all afternoon
    assert pixel(4, 23.5) == COLOURS[EndReason.SHUTDOWN].name()
    assert pixel(5, 0.5) == COLOURS[EndReason.SHUTDOWN].name()  # the same run after midnight
    assert pixel(6, 17.0) == COLOURS[None].name()  # running now
    window.close()


def test_history_window_reads_the_trays_store(qapp: QApplication, store: Store) -> None:
    # The tray passes the file of the store it records to.
    window = HistoryWindow(store.path, Manager.SYSTEM, "docker.service")
    window.show()
    qapp.processEvents()
    assert window.isVisible() and "docker" in window.windowTitle()
    assert window.path == store.path
    window.close()


def test_an_empty_history_renders(qapp: QApplication, tmp_path: Path) -> None:
    Store(tmp_path / "h.sqlite").close()
    window = HistoryWindow(tmp_path / "h.sqlite", Manager.USER, "podman.service")
    window.show()
    qapp.processEvents()
    assert window.tiles["wakes"].text() == "0"
    assert "user manager" in window.windowTitle()
    assert not window.grab().isNull()
    window.close()


def test_no_history_yet_says_so(qapp: QApplication, tmp_path: Path) -> None:
    window = HistoryWindow(tmp_path / "none.sqlite", Manager.SYSTEM, "docker.service")
    assert window.tiles["wakes"].text() == "0"
    assert "no activation history yet" in window.heading.text()
    assert not (tmp_path / "none.sqlite").exists()  # looking creates nothing
    window.close()


def test_keys_close_it_and_its_size_is_remembered(qapp: QApplication, store: Store,
                                                  tmp_path: Path, qtbot: object) -> None:
    from PySide6.QtCore import Qt

    from trayapp.qt import geometry

    geometry.use(tmp_path / "windows.ini")
    try:
        window = HistoryWindow(store.path, Manager.SYSTEM, "docker.service", clock=lambda: NOW)
        window.show()
        qtbot.waitUntil(window.isActiveWindow)  # type: ignore[attr-defined]
        assert window.close_button.isDefault()
        window.resize(window.width() + 40, window.height() + 30)
        wanted = (window.width(), window.height())
        qtbot.keyClick(window, Qt.Key.Key_Escape)  # type: ignore[attr-defined]
        assert not window.isVisible()
        again = HistoryWindow(store.path, Manager.SYSTEM, "docker.service", clock=lambda: NOW)
        again.show()
        assert (again.width(), again.height()) == wanted
        qtbot.waitUntil(again.isActiveWindow)  # type: ignore[attr-defined]
        qtbot.keyClick(again, Qt.Key.Key_Return)  # type: ignore[attr-defined]
        assert not again.isVisible()
    finally:
        geometry.use(None)
