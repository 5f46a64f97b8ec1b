"""Daemons as text and JSON-ready dicts, shared by the CLI and the tray."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .events import events_of
from .model import Daemon
from .runs import Totals
from .table import Change
from .words import WAKES, count, duration, memory, translate

__all__ = ["change_dict", "change_word", "daemon_dict", "duration", "iso_time", "memory",
           "memory_freed", "table_lines", "totals_line"]


def iso_time(seconds: float | None, *, micro: bool = False) -> str | None:
    if seconds is None:
        return None
    stamp = datetime.fromtimestamp(seconds, UTC).astimezone()
    return stamp.isoformat(timespec="microseconds" if micro else "seconds")


def daemon_dict(d: Daemon) -> dict[str, Any]:
    return {
        "service": d.service,
        "sockets": list(d.sockets),
        "manager": str(d.manager),
        "state": str(d.state),
        "mode": str(d.mode),
        "since": iso_time(d.since_usec / 1e6 if d.since_usec else None),
        "memory_bytes": d.memory_bytes,
        "warnings": list(d.warnings),
    }


#: A change in what a user sees that names no event (its sockets, warnings, since).
CHANGED = "changed"


def change_words(c: Change) -> list[str]:
    """The change's events in the core's words (core/events.py: appeared, woke, exited,
    ...), as the tray and the history hear them.  This process has no action on
    record, so a stop job is stopped-elsewhere."""
    return [str(e.kind) for e in events_of(c)]


def change_word(c: Change) -> str:
    """The change's last event; a change that names no event is ``changed``."""
    words = change_words(c)
    return words[-1] if words else CHANGED


def change_dict(c: Change) -> dict[str, Any]:
    out = daemon_dict(c.daemon)
    words = change_words(c)
    out["event"] = words[-1] if words else CHANGED
    out["events"] = words
    out["previous_state"] = str(c.old.state) if c.old else None
    out["previous_mode"] = str(c.old.mode) if c.old else None
    out["at"] = iso_time(c.at, micro=True)
    return out


def table_lines(daemons: list[Daemon], now: float) -> list[str]:
    """A plain-text table, one daemon a row, warnings beneath their row."""
    head = ("MANAGER", "DAEMON", "STATE", "MODE", "FOR", "MEMORY", "SOCKETS")
    rows = [head]
    notes: dict[int, tuple[str, ...]] = {}
    for d in daemons:
        since = duration(now - d.since_usec / 1e6) if d.since_usec else "-"
        rows.append(
            (str(d.manager), d.name, str(d.state), str(d.mode), since,
             memory(d.memory_bytes), ", ".join(d.sockets))
        )
        if d.warnings:
            notes[len(rows) - 1] = d.warnings
    widths = [max(len(r[i]) for r in rows) for i in range(len(head) - 1)]
    lines = []
    for i, row in enumerate(rows):
        cells = [c.ljust(w) for c, w in zip(row, widths, strict=False)] + [row[-1]]
        lines.append("  ".join(cells).rstrip())
        lines.extend(f"  ! {w}" for w in notes.get(i, ()))
    return lines


def memory_freed(t: Totals) -> str | None:
    """``120 MiB``: the memory not held on average against always-on (an estimate:
    the typical run's peak, for the share of the time it slept); None if unknown."""
    saved = t.memory_hours_saved
    if saved is None or t.observed <= 0:
        return None
    return memory(saved / (t.observed / 3600))


def totals_line(t: Totals) -> str:
    """``3 wakes in 2 days; asleep 97% of the time; wakes up in 0.42 s; frees about 120 MiB``."""
    parts = [translate("report", "{wakes} in {time}").format(
        wakes=count(WAKES, t.wakes), time=duration(t.observed))]
    if t.dormant_share is not None:
        parts.append(translate("report", "asleep {share} of the time").format(
            share=f"{t.dormant_share:.0%}"))
    if t.median_startup is not None:
        parts.append(translate("report", "wakes up in {seconds} s (median)").format(
            seconds=f"{t.median_startup:.2f}"))
    freed = memory_freed(t)
    if freed is not None:
        parts.append(translate("report", "frees about {memory} on average against always-on"
                               ).format(memory=freed))
    return "; ".join(parts)
