"""The activation history on disk: one SQLite file per user.

``user_data_dir("trayapp")/history.sqlite`` holds one row per run of each
daemon (trayapp.core.history.Run).  Several processes write it at once (two
applets in two sessions of one user, ``trayapp idle-watch``, the CLI noting
its stops), so:

* WAL journal: readers never block the writer, and a crash mid-write
  leaves the last committed state (synchronous=NORMAL: a power cut may
  lose the last transactions, never the file);
* every write is one ``BEGIN IMMEDIATE`` transaction, waiting up to
  BUSY_TIMEOUT for another writer's lock instead of failing;
* rows are keyed by systemd's InvocationID and written as upserts, so two
  recorders watching the same run write one row, and the end reason that
  knows more wins (core.history.stronger);
* the schema is versioned with ``PRAGMA user_version`` and migrated in
  order, inside the same lock, by whichever process opens it first;
* a file SQLite reports as corrupt (SQLITE_CORRUPT, SQLITE_NOTADB) is
  moved aside to ``history.sqlite.corrupt-<time>``, never deleted, and a
  new one is started; ``Store.warning`` says so, for the front end to show.

Stdlib only (sqlite3); nothing here talks to systemd.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from platformdirs import user_data_dir

from trayapp.core.runs import EndReason, Run, stronger

log = logging.getLogger(__name__)

BUSY_TIMEOUT = 5.0  # seconds to wait for another writer's lock
INTENT_TTL = 150.0  # a stop announced but never settled stops being "ours" after this
INTENT_SLACK = 1.0  # seconds between our clock and systemd's timestamps we forgive

# Each entry upgrades the schema by one version; never edit one that shipped,
# append a new one.  user_version is the number of entries applied.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: runs, and when recording began (time before that is unknown, not dormant).
    (
        """CREATE TABLE runs (
            manager TEXT NOT NULL,
            service TEXT NOT NULL,
            invocation TEXT NOT NULL,
            woke_at REAL NOT NULL,
            active_at REAL,
            startup REAL,
            ended_at REAL,
            end_reason TEXT,
            peak_memory INTEGER,
            last_seen REAL,
            PRIMARY KEY (manager, service, invocation))""",
        "CREATE INDEX runs_by_time ON runs (woke_at)",
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value)",
    ),
    # 2: who woke it; stops announced before they happen (so every recorder,
    # in any process, can tell our stops from others').
    (
        "ALTER TABLE runs ADD COLUMN waker TEXT",
        # An intent covers the stops that end between noted_at and settled_at
        # (or until, for one whose process died before it could settle it).
        """CREATE TABLE intents (
            manager TEXT NOT NULL,
            name TEXT NOT NULL,
            reason TEXT NOT NULL,
            noted_at REAL NOT NULL,
            until REAL NOT NULL,
            settled_at REAL)""",
    ),
)
LATEST = len(MIGRATIONS)

_CORRUPT = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})
_COLUMNS = ("manager, service, invocation, woke_at, active_at, startup, ended_at, "
            "end_reason, peak_memory, waker, last_seen")


class HistoryError(Exception):
    """The history file cannot be used (a newer schema, no permission...)."""


def default_path() -> Path:
    return Path(user_data_dir("trayapp")) / "history.sqlite"


def is_corrupt(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.DatabaseError) and (
        getattr(exc, "sqlite_errorcode", None) in _CORRUPT
        # Python builds without error codes on the exception: the messages.
        or "malformed" in str(exc)
        or "not a database" in str(exc)
    )


class Store:
    """One open history file.  Methods raise sqlite3.Error only for I/O trouble."""

    def __init__(self, path: Path | None = None, *, clock: Callable[[], float] = time.time) -> None:
        self.path = default_path() if path is None else Path(path)
        self.clock = clock
        self.warning: str | None = None  # set when a damaged file was moved aside
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = self._open()
        except sqlite3.DatabaseError as exc:
            if not is_corrupt(exc):
                raise HistoryError(f"cannot open {self.path}: {exc}") from exc
            self.warning = self._set_aside(str(exc))
            log.warning("%s", self.warning)
            self._db = self._open()

    # -- opening, migrating, corruption ---------------------------------------

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
        try:
            db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
            # Reading the header is what finds a file that is not a database.
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > LATEST:
                raise HistoryError(
                    f"{self.path} was written by a newer trayapp (schema {version}, "
                    f"this one knows {LATEST}); history is not recorded until it is upgraded"
                )
            _use_wal(db)
            db.execute("PRAGMA synchronous = NORMAL")
            # The applet lives for weeks: a 256 KiB page cache (SQLite's
            # default is 2 MiB per connection) is plenty for appending runs.
            db.execute("PRAGMA cache_size = -256")
            if version < LATEST:
                self._migrate(db)
            # A cheap look at the pages: a damaged file fails here, at start,
            # rather than in the middle of recording.
            check = db.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise sqlite3.DatabaseError(f"database disk image is malformed: {check}")
        except BaseException:
            db.close()
            raise
        return db

    def _migrate(self, db: sqlite3.Connection) -> None:
        with _transaction(db):
            # Read again under the write lock: another process may have
            # migrated while we waited for it.
            version = db.execute("PRAGMA user_version").fetchone()[0]
            for number in range(version, LATEST):
                for statement in MIGRATIONS[number]:
                    db.execute(statement)
                log.info("history %s: schema %d -> %d", self.path, number, number + 1)
            db.execute("INSERT OR IGNORE INTO meta VALUES ('created_at', ?)", (self.clock(),))
            db.execute(f"PRAGMA user_version = {LATEST}")

    def _set_aside(self, problem: str) -> str:
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(self.clock()))
        backup = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while backup.exists():
            n += 1
            backup = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
        try:
            self.path.rename(backup)
        except FileNotFoundError:
            # Another process moved it aside a moment ago; it made the warning.
            return f"{self.path} was damaged ({problem}); another trayapp moved it aside."
        except OSError as exc:
            raise HistoryError(
                f"{self.path} is damaged ({problem}) and could not be moved aside ({exc})"
            ) from exc
        # The write-ahead log holds committed pages not yet in the file: keep
        # it beside the copy (SQLite reads "<name>-wal" next to "<name>").
        for suffix in ("-wal", "-shm"):
            side = self.path.with_name(self.path.name + suffix)
            with contextlib.suppress(OSError):
                if suffix == "-wal":
                    side.rename(backup.with_name(backup.name + suffix))
                else:
                    side.unlink()
        return (f"The activation history {self.path} was damaged ({problem}). It was moved to "
                f"{backup} and a new history starts now.")

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
        with _transaction(self._db):
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
        with _transaction(self._db):
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
        with _transaction(self._db):
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
        with _transaction(self._db):
            self._db.execute("DELETE FROM intents WHERE coalesce(settled_at, until) < ?",
                             (now - 3600,))
            self._db.execute("INSERT INTO intents VALUES (?, ?, ?, ?, ?, NULL)",
                             (manager, name, str(reason), now, now + ttl))

    def settle_intent(self, manager: str, name: str, reason: EndReason) -> None:
        """The stop is over: later stops are not covered by this intent."""
        with _transaction(self._db):
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


def _use_wal(db: sqlite3.Connection) -> None:
    """Switch the file to WAL (once: the mode is stored in the file).

    The switch needs the file to itself and SQLite does not wait for that
    with busy_timeout: a second process opening a new file at the same
    moment gets "database is locked" at once.  So retry, for as long.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    # IMMEDIATE takes the write lock at once (waiting up to busy_timeout), so
    # a read-then-write cannot fail half way with SQLITE_BUSY.
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


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


@contextlib.contextmanager
def user_stop(manager: str, name: str) -> Iterator[None]:
    """Around a stop the user asked for (the CLI): every recorder then calls it "user".

    Best effort: the action matters more than its history, so nothing here raises.
    """
    try:
        store = Store()
        store.note_intent(manager, name, EndReason.USER)
    except Exception as exc:
        log.info("cannot note the stop in the history: %s", exc)
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(sqlite3.Error):
            store.settle_intent(manager, name, EndReason.USER)
        store.close()

