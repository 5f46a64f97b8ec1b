"""The activation history's file: where it is, opening it, its schema, damage.

``user_data_dir("trayapp")/history.sqlite`` is shared by several processes
at once (two applets in two sessions of one user, ``trayapp idle-watch``,
the CLI noting its stops), so:

* WAL journal: readers never block the writer, and a crash mid-write
  leaves the last committed state (synchronous=NORMAL: a power cut may
  lose the last transactions, never the file);
* every write is one ``BEGIN IMMEDIATE`` transaction (:func:`transaction`),
  waiting up to BUSY_TIMEOUT for another writer's lock instead of failing;
* the schema is versioned with ``PRAGMA user_version`` and migrated in
  order, inside the same lock, by whichever process opens it first;
* a file SQLite reports as corrupt (SQLITE_CORRUPT, SQLITE_NOTADB) is
  moved aside to ``history.sqlite.corrupt-<time>``, never deleted, and a
  new one is started, with a warning for the front end to show.

The queries are trayapp.adapters.history_db's Store.  Stdlib only (sqlite3).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from platformdirs import user_data_dir

from trayapp.adapters import private

log = logging.getLogger(__name__)

BUSY_TIMEOUT = 5.0  # seconds to wait for another writer's lock

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


def open_db(path: Path, clock: Callable[[], float]) -> tuple[sqlite3.Connection, str | None]:
    """The file opened and migrated to LATEST, and a warning if it had to be replaced.

    Raises HistoryError when the file cannot be used (and is left as it is),
    sqlite3.Error or OSError for other I/O trouble.  The file and its WAL and
    shared-memory files are readable by their owner only: SQLite gives the
    latter the database file's mode, which is 0600 from the start.
    """
    _private(path)
    try:
        return _open(path, clock), None
    except sqlite3.DatabaseError as exc:
        if not is_corrupt(exc):
            raise HistoryError(f"cannot open {path}: {exc}") from exc
        warning = _set_aside(path, clock, str(exc))
        log.warning("%s", warning)
        _private(path)
        return _open(path, clock), warning


def _private(path: Path) -> None:
    private.create_private(path)  # an empty file is an empty database to SQLite
    for suffix in ("", "-wal", "-shm"):  # an older version's files, made 0644
        private.restrict(path.with_name(path.name + suffix))


def _open(path: Path, clock: Callable[[], float]) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)
    try:
        db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
        # Reading the header is what finds a file that is not a database.
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > LATEST:
            raise HistoryError(
                f"{path} was written by a newer trayapp (schema {version}, "
                f"this one knows {LATEST}); history is not recorded until it is upgraded"
            )
        _use_wal(db)
        db.execute("PRAGMA synchronous = NORMAL")
        # The applet lives for weeks: a 256 KiB page cache (SQLite's
        # default is 2 MiB per connection) is plenty for appending runs.
        db.execute("PRAGMA cache_size = -256")
        if version < LATEST:
            _migrate(db, path, clock)
        # A cheap look at the pages: a damaged file fails here, at start,
        # rather than in the middle of recording.
        check = db.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise sqlite3.DatabaseError(f"database disk image is malformed: {check}")
    except BaseException:
        db.close()
        raise
    return db


def _migrate(db: sqlite3.Connection, path: Path, clock: Callable[[], float]) -> None:
    with transaction(db):
        # Read again under the write lock: another process may have
        # migrated while we waited for it.
        version = db.execute("PRAGMA user_version").fetchone()[0]
        for number in range(version, LATEST):
            for statement in MIGRATIONS[number]:
                db.execute(statement)
            log.info("history %s: schema %d -> %d", path, number, number + 1)
        db.execute("INSERT OR IGNORE INTO meta VALUES ('created_at', ?)", (clock(),))
        db.execute(f"PRAGMA user_version = {LATEST}")


def _set_aside(path: Path, clock: Callable[[], float], problem: str) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(clock()))
    backup = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while backup.exists():
        n += 1
        backup = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    try:
        path.rename(backup)
    except FileNotFoundError:
        # Another process moved it aside a moment ago; it made the warning.
        return f"{path} was damaged ({problem}); another trayapp moved it aside."
    except OSError as exc:
        raise HistoryError(
            f"{path} is damaged ({problem}) and could not be moved aside ({exc})"
        ) from exc
    # The write-ahead log holds committed pages not yet in the file: keep
    # it beside the copy (SQLite reads "<name>-wal" next to "<name>").
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        with contextlib.suppress(OSError):
            if suffix == "-wal":
                side.rename(backup.with_name(backup.name + suffix))
            else:
                side.unlink()
    return (f"The activation history {path} was damaged ({problem}). It was moved to "
            f"{backup} and a new history starts now.")


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
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    # IMMEDIATE takes the write lock at once (waiting up to busy_timeout), so
    # a read-then-write cannot fail half way with SQLITE_BUSY.
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
