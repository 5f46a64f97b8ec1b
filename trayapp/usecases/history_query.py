"""What the activation history says about a period: the one query of both front ends.

``trayapp history`` and the tray's History window ask the same question
(which runs were going between ``since`` and ``now``, for one daemon or all,
and what they add up to) and get the answer as plain data.  The store is
opened for the question and closed again, so a front end holds no file
open; a history that does not exist yet or cannot be read is an answer too
(:attr:`HistoryReport.problem`), never an exception.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from trayapp.adapters import history_db
from trayapp.core.model import Manager
from trayapp.core.runs import Run, Totals, totals

NO_HISTORY = "no activation history yet (the tray or `trayapp idle-watch` records it)"


class Found(StrEnum):
    RUNS = "runs"  # the history was read (it may hold no runs in the period)
    NO_HISTORY = "no-history"  # nothing has been recorded yet: not an error
    BROKEN = "broken"  # the history cannot be read: problem says why


@dataclass(frozen=True)
class DaemonHistory:
    manager: str
    service: str
    runs: tuple[Run, ...]  # oldest first
    totals: Totals


@dataclass(frozen=True)
class HistoryReport:
    found: Found
    path: Path
    since: float
    until: float
    #: When recording began (time before it is unknown, not dormant); None
    #: when there is no history to read.
    recorded_since: float | None
    #: Each daemon that ran in the period, by manager then service.
    daemons: tuple[DaemonHistory, ...]
    #: A damaged file was moved aside and a new history began: say so.
    warning: str | None = None
    #: Why there is nothing to show (found is not RUNS), for the user.
    problem: str | None = None

    def daemon(self, manager: Manager | str, service: str) -> DaemonHistory:
        """One daemon's runs and totals, also when it did not run in the period."""
        for d in self.daemons:
            if (d.manager, d.service) == (str(manager), service):
                return d
        began = self.recorded_since if self.recorded_since is not None else self.until
        return DaemonHistory(str(manager), service, (),
                             totals([], self.since, self.until, began))


def query(manager: Manager | str | None, service: str | None, since: float, now: float,
          *, path: Path | None = None) -> HistoryReport:
    """The runs going at or after ``since`` (until ``now``), per daemon, with totals.

    ``manager`` and ``service`` narrow it to one manager's daemons, or to one
    daemon; ``path`` is the history file (the user's by default).
    """
    path = history_db.default_path() if path is None else Path(path)

    def nothing(found: Found, problem: str) -> HistoryReport:
        return HistoryReport(found, path, since, now, None, (), problem=problem)

    if not path.exists():
        return nothing(Found.NO_HISTORY, NO_HISTORY)
    try:
        store = history_db.Store(path)
    except (history_db.HistoryError, sqlite3.Error, OSError) as exc:
        return nothing(Found.BROKEN, str(exc))
    try:
        runs = store.runs(since=since, manager=None if manager is None else str(manager),
                          service=service)
        recorded = store.created_at
    except sqlite3.Error as exc:
        return nothing(Found.BROKEN, f"cannot read {path}: {exc}")
    finally:
        store.close()
    daemons = []
    for key in sorted({(r.manager, r.service) for r in runs}):
        mine = tuple(r for r in runs if (r.manager, r.service) == key)
        daemons.append(DaemonHistory(*key, mine, totals(mine, since, now, recorded)))
    return HistoryReport(Found.RUNS, path, since, now, recorded, tuple(daemons),
                         warning=store.warning)
