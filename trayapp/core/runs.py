"""Activation history as plain data: runs, how they ended, and their totals.

A *run* is one activation of a daemon's service, from the moment systemd
began to start it (InactiveExitTimestamp) to the moment it stopped.  The
store (trayapp/adapters/history_db.py) keeps runs; the recorder (trayapp/usecases/recorder.py)
writes them from table changes; this module decides how a run ended and
sums runs up for the CLI and the History window.  Pure: no I/O, time is
passed in.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum

from .events import EventKind
from .model import DaemonState
from .words import QT_TRANSLATE_NOOP, Labels


class EndReason(StrEnum):
    IDLE = "idle"  # our idle auto-stop
    USER = "user"  # an action of ours: the tray's menu or the CLI
    CRASH = "crash"  # the service failed
    SHUTDOWN = "shutdown"  # its manager shut down (or restarted) while it ran
    EXITED = "exited"  # it exited on its own, cleanly: no stop job (went back to sleep)
    ELSEWHERE = "elsewhere"  # stopped by something else (systemctl, another unit), or unknown


#: What a run's last event says of its end, before intents and shutdowns
#: (``end_reason``'s ``seen``); beside core/notices.py's NEWS and
#: core/causes.py's CAUSE_WORDS, the other tables keyed by the event's kind.
EVENT_ENDS = {EventKind.EXITED: EndReason.EXITED, EventKind.CRASHED: EndReason.CRASH}

END_LABELS: Labels[EndReason] = Labels("runs", {  # translated when looked up (core/words.py)
    EndReason.IDLE: QT_TRANSLATE_NOOP("runs", "idle stop"),
    EndReason.USER: QT_TRANSLATE_NOOP("runs", "stopped by you"),
    EndReason.CRASH: QT_TRANSLATE_NOOP("runs", "crashed"),
    EndReason.SHUTDOWN: QT_TRANSLATE_NOOP("runs", "shutdown"),
    EndReason.EXITED: QT_TRANSLATE_NOOP("runs", "went back to sleep"),
    EndReason.ELSEWHERE: QT_TRANSLATE_NOOP("runs", "stopped elsewhere or unknown"),
})

# When two writers (two applets, the CLI) disagree on how one run ended, the
# one that knows more wins: an idle stop is only known to the process that
# did it, "elsewhere" is what everyone else guesses.
_PRECEDENCE = {
    EndReason.ELSEWHERE: 0,
    EndReason.EXITED: 1,
    EndReason.SHUTDOWN: 2,
    EndReason.CRASH: 3,
    EndReason.USER: 4,
    EndReason.IDLE: 5,
}


def stronger(a: EndReason | None, b: EndReason | None) -> EndReason | None:
    """The reason that knows more (see _PRECEDENCE)."""
    if a is None or b is None:
        return a or b
    return a if _PRECEDENCE[a] >= _PRECEDENCE[b] else b


def end_reason(
    new_state: DaemonState | None,
    intent: EndReason | None,
    manager_stopping: bool,
    seen: EndReason | None = None,
) -> EndReason:
    """How a run ended, from what was seen when its service stopped.

    ``intent`` is a stop somebody announced before doing it (our idle stop,
    an action of the tray or the CLI); ``manager_stopping`` is the manager's
    SystemState being "stopping" (shutdown, or the user logging out);
    ``seen`` is what the stop's own signals showed (core/events.py): CRASH
    for a failure Result, EXITED for a clean end without any stop job.
    """
    if new_state is DaemonState.FAILED or seen is EndReason.CRASH:
        return EndReason.CRASH
    if intent is not None:
        return intent
    if manager_stopping:
        return EndReason.SHUTDOWN
    return seen or EndReason.ELSEWHERE


@dataclass(frozen=True)
class Run:
    manager: str
    service: str
    invocation: str  # systemd's InvocationID: one per run
    woke_at: float  # Unix seconds: when systemd began to start it
    active_at: float | None = None  # when it became active
    startup: float | None = None  # seconds from waking to active (monotonic clock)
    ended_at: float | None = None
    end: EndReason | None = None
    peak_memory: int | None = None  # largest MemoryCurrent seen (MemoryPeak where systemd has it)
    waker: str | None = None  # which process woke it, where that could be learnt
    last_seen: float | None = None  # the last time a recorder saw it running

    @property
    def name(self) -> str:
        return self.service.removesuffix(".service")

    def end_or(self, now: float) -> float:
        """When it ended; ``now`` for a run still going (or not seen ending)."""
        return self.ended_at if self.ended_at is not None else now

    def ran_for(self, now: float) -> float:
        return max(0.0, self.end_or(now) - self.woke_at)


def overlap(start: float, end: float, lo: float, hi: float) -> float:
    return max(0.0, min(end, hi) - max(start, lo))


@dataclass(frozen=True)
class Totals:
    since: float
    until: float
    observed: float  # seconds of [since, until] the history covers
    running: float  # of those, seconds the service ran
    wakes: int  # runs that began in the period
    median_startup: float | None  # seconds
    typical_memory: int | None  # median of the runs' peak memory, bytes
    ends: dict[str, int] = field(default_factory=dict)  # EndReason value -> runs

    @property
    def dormant_share(self) -> float | None:
        """Share of the observed time it did not run (it slept, or was off)."""
        if self.observed <= 0:
            return None
        return max(0.0, 1.0 - self.running / self.observed)

    @property
    def memory_hours_saved(self) -> float | None:
        """Byte-hours not spent against always-on: time not running x typical memory.

        An estimate: an always-on daemon would have held about what this one
        holds when it runs (the median of its runs' peaks) for the whole time.
        """
        if self.typical_memory is None or self.observed <= 0:
            return None
        return (self.observed - self.running) / 3600 * self.typical_memory


def totals(runs: Iterable[Run], since: float, until: float, recorded_since: float) -> Totals:
    """Sum up one daemon's runs over [since, until].

    ``recorded_since`` is when the history began: time before it is unknown,
    not dormant.
    """
    start = max(since, recorded_since)
    chosen = [r for r in runs if r.end_or(until) > start and r.woke_at < until]
    running = sum(overlap(r.woke_at, r.end_or(until), start, until) for r in chosen)
    started = [r for r in chosen if r.woke_at >= start]
    startups = [r.startup for r in started if r.startup is not None]
    peaks = [r.peak_memory for r in chosen if r.peak_memory]
    ends = Counter(str(r.end) for r in chosen if r.end is not None)
    return Totals(
        since=since,
        until=until,
        observed=max(0.0, until - start),
        running=running,
        wakes=len(started),
        median_startup=statistics.median(startups) if startups else None,
        typical_memory=int(statistics.median(peaks)) if peaks else None,
        ends=dict(ends),
    )


@dataclass(frozen=True)
class Segment:
    start: float  # Unix seconds, within its day
    end: float
    end_reason: EndReason | None  # None: still running, or not seen ending


@dataclass(frozen=True)
class DayRow:
    start: float  # local midnight, Unix seconds
    end: float  # the next local midnight
    segments: tuple[Segment, ...]


def day_rows(runs: Sequence[Run], days: int, now: float, tz: tzinfo | None = None) -> list[DayRow]:
    """The last ``days`` local days, oldest first, each with the runs clipped to it.

    Midnights come from the calendar (so a day with a DST change is 23 or
    25 hours long); ``tz`` None means the local time zone.
    """
    today = datetime.fromtimestamp(now, tz).astimezone(tz).date()
    rows = []
    for back in range(days - 1, -1, -1):
        day = today - timedelta(days=back)
        lo = datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(tz).timestamp()
        nxt = day + timedelta(days=1)
        hi = datetime(nxt.year, nxt.month, nxt.day, tzinfo=tz).astimezone(tz).timestamp()
        segments = tuple(
            Segment(max(r.woke_at, lo), min(r.end_or(now), hi), r.end)
            for r in runs
            if overlap(r.woke_at, r.end_or(now), lo, hi) > 0
        )
        rows.append(DayRow(lo, hi, segments))
    return rows
