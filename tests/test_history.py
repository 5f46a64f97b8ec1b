"""The pure history core (core/history.py): end reasons, totals, timeline rows.

Times are fixed numbers (a frozen clock): 2024-03-30 00:00 UTC is T0.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from trayapp.core.model import DaemonState
from trayapp.core.runs import (
    EndReason,
    Run,
    day_rows,
    end_reason,
    stronger,
    totals,
)

T0 = datetime(2024, 3, 30, tzinfo=UTC).timestamp()
H = 3600.0
MiB = 2**20


def run(start: float, end: float | None, reason: EndReason | None = EndReason.IDLE,
        startup: float | None = 0.5, peak: int | None = 100 * MiB) -> Run:
    return Run("system", "docker.service", f"inv{start}", woke_at=start, active_at=start + 1,
               startup=startup, ended_at=end, end=reason if end is not None else None,
               peak_memory=peak)


# -- how a run ended -------------------------------------------------------------------


def test_failed_is_a_crash_whatever_was_intended() -> None:
    assert end_reason(DaemonState.FAILED, EndReason.IDLE, False) is EndReason.CRASH


def test_an_announced_stop_is_ours() -> None:
    assert end_reason(DaemonState.DORMANT, EndReason.IDLE, False) is EndReason.IDLE
    assert end_reason(DaemonState.DORMANT, EndReason.USER, True) is EndReason.USER


def test_a_stopping_manager_is_a_shutdown_else_elsewhere() -> None:
    assert end_reason(DaemonState.OFF, None, True) is EndReason.SHUTDOWN
    assert end_reason(DaemonState.DORMANT, None, False) is EndReason.ELSEWHERE
    assert end_reason(None, None, False) is EndReason.ELSEWHERE  # the unit vanished


def test_what_the_stop_showed_names_it_unless_someone_knows_more() -> None:
    # A clean end without a stop job: it went back to sleep on its own.
    assert end_reason(DaemonState.DORMANT, None, False, EndReason.EXITED) is EndReason.EXITED
    assert end_reason(DaemonState.DORMANT, EndReason.IDLE, False, EndReason.EXITED) \
        is EndReason.IDLE
    assert end_reason(DaemonState.OFF, None, True, EndReason.EXITED) is EndReason.SHUTDOWN
    # A failure Result is a crash even when the unit ended inactive (Restart=).
    assert end_reason(DaemonState.DORMANT, EndReason.USER, False, EndReason.CRASH) \
        is EndReason.CRASH
    assert stronger(EndReason.ELSEWHERE, EndReason.EXITED) is EndReason.EXITED


def test_the_reason_that_knows_more_wins() -> None:
    assert stronger(EndReason.ELSEWHERE, EndReason.IDLE) is EndReason.IDLE
    assert stronger(EndReason.USER, EndReason.ELSEWHERE) is EndReason.USER
    assert stronger(None, EndReason.CRASH) is EndReason.CRASH


# -- totals ------------------------------------------------------------------------------


def test_totals_over_a_day() -> None:
    runs = [run(T0 + 1 * H, T0 + 2 * H, startup=0.2, peak=100 * MiB),
            run(T0 + 5 * H, T0 + 8 * H, EndReason.USER, startup=0.4, peak=300 * MiB),
            run(T0 + 20 * H, None, startup=0.9, peak=200 * MiB)]
    t = totals(runs, since=T0, until=T0 + 24 * H, recorded_since=T0 - 10 * H)
    assert t.observed == 24 * H
    assert t.running == 1 * H + 3 * H + 4 * H
    assert t.wakes == 3
    assert t.median_startup == 0.4
    assert t.typical_memory == 200 * MiB
    assert t.dormant_share == pytest.approx(16 / 24)
    assert t.memory_hours_saved == pytest.approx(16 * 200 * MiB)
    assert t.ends == {"idle": 1, "user": 1}


def test_time_before_the_history_began_is_unknown_not_dormant() -> None:
    runs = [run(T0 + 10 * H, T0 + 11 * H)]
    t = totals(runs, since=T0, until=T0 + 24 * H, recorded_since=T0 + 8 * H)
    assert t.observed == 16 * H
    assert t.dormant_share == pytest.approx(15 / 16)


def test_runs_crossing_the_period_edge_count_only_inside() -> None:
    runs = [run(T0 - 2 * H, T0 + 1 * H)]  # woke before the period
    t = totals(runs, since=T0, until=T0 + 4 * H, recorded_since=0)
    assert t.running == 1 * H
    assert t.wakes == 0  # it did not wake in the period
    assert t.median_startup is None


def test_no_runs() -> None:
    t = totals([], since=T0, until=T0 + H, recorded_since=0)
    assert t.dormant_share == 1.0 and t.wakes == 0
    assert t.typical_memory is None and t.memory_hours_saved is None


# -- timeline rows ------------------------------------------------------------------------


def test_day_rows_clip_runs_at_midnight() -> None:
    runs = [run(T0 - 1 * H, T0 + 2 * H), run(T0 + 30 * H, None)]
    rows = day_rows(runs, days=3, now=T0 + 36 * H, tz=UTC)
    assert [r.start for r in rows] == [T0 - 24 * H, T0, T0 + 24 * H]
    assert [(s.start, s.end) for s in rows[0].segments] == [(T0 - H, T0)]
    assert [(s.start, s.end) for s in rows[1].segments] == [(T0, T0 + 2 * H)]
    # A run still going is drawn up to now, and marked as not ended.
    assert [(s.start, s.end, s.end_reason) for s in rows[2].segments] == [
        (T0 + 30 * H, T0 + 36 * H, None)]


def test_day_rows_follow_the_calendar_across_dst() -> None:
    berlin = ZoneInfo("Europe/Berlin")  # 2024-03-31: clocks go forward, a 23-hour day
    rows = day_rows([], days=3, now=T0 + 48 * H, tz=berlin)
    lengths = [(r.end - r.start) / H for r in rows]
    assert lengths == [24, 23, 24]
