"""The activation history's queries: one Store per open history file.

The file holds one row per run of each daemon (trayapp.core.runs.Run);
opening it, its schema and what happens to a damaged one are
trayapp.adapters.history_schema.  Several processes write it at once, so
rows are keyed by systemd's InvocationID and written as upserts: two
recorders watching the same run write one row, and the end reason that
knows more wins (core.runs.stronger).  Stops are announced before they
happen as *intents*, so every recorder, in any process, can tell our stops
from others'.

Stdlib only (sqlite3); nothing here talks to systemd.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from trayapp.adapters import private
from trayapp.core.runs import EndReason, Run, stronger

# Re-exported: callers and tests know them from here.
from .history_schema import (
    BUSY_TIMEOUT,
    LATEST,
    MIGRATIONS,
    HistoryError,
    default_path,
    is_corrupt,
    open_db,
    transaction,
)

__all__ = [
    "BUSY_TIMEOUT", "LATEST", "MIGRATIONS", "HistoryError", "Store", "default_path",
    "is_corrupt", "open_store",
]

log = logging.getLogger(__name__)

INTENT_TTL = 150.0  # a stop announced but never settled stops being "ours" after this
INTENT_SLACK = 1.0  # seconds between our clock and systemd's timestamps we forgive

_COLUMNS = ("manager, service, invocation, woke_at, active_at, startup, ended_at, "
            "end_reason, peak_memory, waker, last_seen")


class Store:
    """One open history file.  Methods raise sqlite3.Error only for I/O trouble."""

    def __init__(self, path: Path | None = None, *, clock: Callable[[], float] = time.time) -> None:
        self.path = default_path() if path is None else Path(path)
        self.clock = clock
        private.make_dirs(self.path.parent)
        # warning: set when a damaged file was moved aside
        self._db, self.warning = open_db(self.path, clock)

    def close(self) -> None:
        self._db.close()

    @property
    def version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    @property
    def created_at(self) -> float:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'created_at'").fetchone()
        return float(row[0]) if row else self.clock()

    # -- runs -------------------------------------------------------------------

    def begin_run(self, run: Run) -> None:
        """Record that a run began (or is still going); merges with what is known."""
        with transaction(self._db):
            self._db.execute(
                f"""INSERT INTO runs ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)
                ON CONFLICT (manager, service, invocation) DO UPDATE SET
                    woke_at = min(woke_at, excluded.woke_at),
                    active_at = coalesce(active_at, excluded.active_at),
                    startup = coalesce(startup, excluded.startup),
                    peak_memory = max(coalesce(peak_memory, 0),
                                      coalesce(excluded.peak_memory, 0)),
                    waker = coalesce(waker, excluded.waker),
                    last_seen = max(coalesce(last_seen, 0), coalesce(excluded.last_seen, 0))""",
                _row(run),
            )

    def saw(self, manager: str, service: str, invocation: str, *, memory: int | None,
            at: float | None = None) -> None:
        """It was seen running at ``at`` with ``memory`` bytes: keep the peak."""
        with transaction(self._db):
            self._db.execute(
                """UPDATE runs SET
                    peak_memory = max(coalesce(peak_memory, 0), coalesce(?, 0)),
                    last_seen = max(coalesce(last_seen, 0), ?)
                WHERE manager = ? AND service = ? AND invocation = ?""",
                (memory, at if at is not None else self.clock(), manager, service, invocation),
            )

    def end_run(self, manager: str, service: str, invocation: str, ended_at: float,
                reason: EndReason) -> None:
        """Record how a run ended; a reason that knows more than the stored one wins."""
        with transaction(self._db):
            row = self._db.execute(
                "SELECT end_reason FROM runs WHERE manager = ? AND service = ? AND invocation = ?",
                (manager, service, invocation),
            ).fetchone()
            if row is None:
                return
            old = EndReason(row[0]) if row[0] in EndReason.__members__.values() else None
            best = stronger(old, reason)
            self._db.execute(
                """UPDATE runs SET ended_at = coalesce(ended_at, ?), end_reason = ?
                WHERE manager = ? AND service = ? AND invocation = ?""",
                (ended_at, str(best), manager, service, invocation),
            )

    def runs(self, *, since: float | None = None, manager: str | None = None,
             service: str | None = None) -> list[Run]:
        """Runs that were going at or after ``since``, oldest first."""
        query = f"SELECT {_COLUMNS} FROM runs WHERE 1"
        args: list[object] = []
        if since is not None:
            query += " AND (ended_at IS NULL OR ended_at >= ?)"
            args.append(since)
        if manager is not None:
            query += " AND manager = ?"
            args.append(manager)
        if service is not None:
            query += " AND service = ?"
            args.append(service)
        rows = self._db.execute(query + " ORDER BY woke_at", args).fetchall()
        return [_run(r) for r in rows]

    def open_runs(self, manager: str, service: str) -> list[Run]:
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM runs WHERE manager = ? AND service = ? "
            "AND ended_at IS NULL ORDER BY woke_at",
            (manager, service),
        ).fetchall()
        return [_run(r) for r in rows]

    def services(self) -> list[tuple[str, str]]:
        rows = self._db.execute("SELECT DISTINCT manager, service FROM runs ORDER BY 1, 2")
        return [(str(m), str(s)) for m, s in rows]

    # -- intents: stops announced before they happen ------------------------------

    def note_intent(self, manager: str, name: str, reason: EndReason,
                    ttl: float = INTENT_TTL) -> None:
        """A stop of ``name`` (service or socket) by us is about to happen."""
        now = self.clock()
        with transaction(self._db):
            self._db.execute("DELETE FROM intents WHERE coalesce(settled_at, until) < ?",
                             (now - 3600,))
            self._db.execute("INSERT INTO intents VALUES (?, ?, ?, ?, ?, NULL)",
                             (manager, name, str(reason), now, now + ttl))

    def settle_intent(self, manager: str, name: str, reason: EndReason) -> None:
        """The stop is over: later stops are not covered by this intent."""
        with transaction(self._db):
            self._db.execute(
                "UPDATE intents SET settled_at = ? WHERE settled_at IS NULL AND manager = ? "
                "AND name = ? AND reason = ?",
                (self.clock(), manager, name, str(reason)),
            )

    def intent(self, manager: str, names: tuple[str, ...], at: float) -> EndReason | None:
        """The strongest intent for any of ``names`` (a service and its sockets) that
        covers a stop which ended at ``at`` (systemd's timestamp of the stop).

        Judged by when the stop happened, not when a recorder heard of it, so a
        recorder that lags behind still gets it right.
        """
        if not names:
            return None
        marks = ",".join("?" * len(names))
        rows = self._db.execute(
            f"SELECT reason FROM intents WHERE manager = ? AND name IN ({marks}) "
            "AND noted_at <= ? AND coalesce(settled_at, until) >= ?",
            (manager, *names, at + INTENT_SLACK, at - INTENT_SLACK),
        ).fetchall()
        found: EndReason | None = None
        for (reason,) in rows:
            if reason in EndReason.__members__.values():
                found = stronger(found, EndReason(reason))
        return found


def _row(run: Run) -> tuple[object, ...]:
    return (run.manager, run.service, run.invocation, run.woke_at, run.active_at, run.startup,
            run.ended_at, str(run.end) if run.end else None, run.peak_memory, run.waker,
            run.last_seen)


def _run(row: tuple[object, ...]) -> Run:
    (manager, service, invocation, woke_at, active_at, startup, ended_at, end, peak, waker,
     last_seen) = row
    return Run(
        manager=str(manager), service=str(service), invocation=str(invocation),
        woke_at=float(woke_at),  # type: ignore[arg-type]
        active_at=_float(active_at), startup=_float(startup), ended_at=_float(ended_at),
        end=EndReason(str(end)) if end in EndReason.__members__.values() else None,
        peak_memory=int(peak) if isinstance(peak, int) and peak > 0 else None,
        waker=str(waker) if waker else None, last_seen=_float(last_seen),
    )


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None


def open_store(path: Path | None = None) -> tuple[Store | None, str | None]:
    """The history store, or None and why not: for front ends that go on without it."""
    try:
        store = Store(path)
    except (HistoryError, sqlite3.Error, OSError) as exc:
        log.warning("activation history unavailable: %s", exc)
        return None, f"The activation history is not recorded: {exc}"
    return store, store.warning
