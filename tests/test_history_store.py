"""The SQLite history store (trayapp/adapters/history_db.py): merging, intents, WAL and
concurrent writers in separate processes, migrations, damaged files."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from trayapp.adapters.history_db import LATEST, MIGRATIONS, HistoryError, Store
from trayapp.core.runs import EndReason, Run

REPO = Path(__file__).resolve().parent.parent


def run(inv: str = "a", woke: float = 1000.0, **kw: object) -> Run:
    return Run("system", "docker.service", inv, woke_at=woke, **kw)  # type: ignore[arg-type]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "history.sqlite"


def test_a_run_from_wake_to_end(path: Path) -> None:
    store = Store(path)
    store.begin_run(run(active_at=None, waker="socat (pid 7)", peak_memory=10, last_seen=1000))
    # The same run seen again when active (a second recorder, or the next change).
    store.begin_run(run(woke=1000.5, active_at=1001.0, startup=1.0, peak_memory=30))
    store.saw("system", "docker.service", "a", memory=20, at=1500)
    store.end_run("system", "docker.service", "a", 2000.0, EndReason.ELSEWHERE)
    store.end_run("system", "docker.service", "a", 2001.0, EndReason.IDLE)  # knows more
    store.end_run("system", "docker.service", "a", 2002.0, EndReason.ELSEWHERE)  # knows less
    [r] = store.runs()
    assert (r.woke_at, r.active_at, r.startup) == (1000.0, 1001.0, 1.0)
    assert r.peak_memory == 30 and r.waker == "socat (pid 7)" and r.last_seen == 1500
    assert (r.ended_at, r.end) == (2000.0, EndReason.IDLE)
    assert store.open_runs("system", "docker.service") == []
    store.close()


def test_queries(path: Path) -> None:
    store = Store(path)
    store.begin_run(run("old", 100, ended_at=200, end=EndReason.USER))
    store.begin_run(run("new", 1000))
    store.begin_run(Run("user", "podman.service", "p", woke_at=500))
    assert [r.invocation for r in store.runs(since=300)] == ["p", "new"]
    assert [r.invocation for r in store.runs(manager="system")] == ["old", "new"]
    assert [r.invocation for r in store.runs(service="podman.service")] == ["p"]
    assert store.services() == [("system", "docker.service"), ("user", "podman.service")]


def test_an_intent_covers_the_stops_between_noting_and_settling_it(path: Path) -> None:
    now = [1000.0]
    store = Store(path, clock=lambda: now[0])
    names = ("docker.service", "docker.socket")
    store.note_intent("system", "docker.socket", EndReason.IDLE)  # noted at 1000
    assert store.intent("system", names, at=999.5) is EndReason.IDLE  # clocks differ a bit
    assert store.intent("system", names, at=990) is None  # a stop before it
    assert store.intent("user", names, at=1001) is None
    now[0] = 1004.0
    store.settle_intent("system", "docker.socket", EndReason.IDLE)
    assert store.intent("system", names, at=1003) is EndReason.IDLE  # a lagging recorder
    assert store.intent("system", names, at=1030) is None  # a later stop is not ours


def test_an_intent_never_settled_lapses(path: Path) -> None:
    now = [1000.0]
    store = Store(path, clock=lambda: now[0])
    store.note_intent("system", "docker.service", EndReason.USER, ttl=60)
    store.note_intent("system", "docker.service", EndReason.IDLE, ttl=30)
    assert store.intent("system", ("docker.service",), at=1010) is EndReason.IDLE
    assert store.intent("system", ("docker.service",), at=1045) is EndReason.USER
    assert store.intent("system", ("docker.service",), at=1100) is None


def test_wal_and_schema_version(path: Path) -> None:
    store = Store(path)
    assert store.version == LATEST
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.created_at > 0


WRITER = """
import sys
from trayapp.adapters.history_db import Store
from trayapp.core.runs import Run, EndReason
store = Store(sys.argv[1])
who = sys.argv[2]
for i in range(int(sys.argv[3])):
    store.begin_run(Run("system", "x.service", f"{who}-{i}", woke_at=float(i)))
    # Both processes also write the same run, as two applets watching one daemon do.
    store.begin_run(Run("system", "x.service", f"shared-{i}", woke_at=float(i),
                        peak_memory=i if who == "a" else 2 * i))
    store.end_run("system", "x.service", f"shared-{i}", float(i + 1),
                  EndReason.IDLE if who == "a" else EndReason.ELSEWHERE)
print("ok")
"""


def _writers(path: Path, n: int, names: str = "ab") -> list[subprocess.Popen[str]]:
    return [subprocess.Popen([sys.executable, "-c", WRITER, str(path), who, str(n)],
                             cwd=REPO, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for who in names]


def test_two_processes_writing_at_once_lose_nothing(path: Path) -> None:
    n = 150
    procs = _writers(path, n)  # they also race to create and migrate the file
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0 and out.strip() == "ok", err
    store = Store(path)
    runs = store.runs()
    assert len(runs) == 3 * n
    shared = {r.invocation: r for r in runs if r.invocation.startswith("shared-")}
    assert all(r.end is EndReason.IDLE for r in shared.values())  # the stronger reason
    assert all(r.peak_memory == (2 * i or None) for i, r in
               ((int(k.split("-")[1]), r) for k, r in shared.items()))
    assert store.version == LATEST


def test_migration_from_schema_1_keeps_the_runs(path: Path) -> None:
    path.parent.mkdir(parents=True)
    db = sqlite3.connect(path)
    for statement in MIGRATIONS[0]:
        db.execute(statement)
    db.execute("INSERT INTO runs (manager, service, invocation, woke_at, ended_at, end_reason) "
               "VALUES ('system', 'cups.service', 'old', 10.0, 20.0, 'user')")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    store = Store(path)
    assert store.version == LATEST == 2
    [r] = store.runs()
    assert (r.service, r.end, r.waker) == ("cups.service", EndReason.USER, None)
    store.begin_run(run("new", waker="bash (pid 1)"))  # the new column works
    assert store.runs(service="docker.service")[0].waker == "bash (pid 1)"
    assert store.warning is None


def test_a_newer_schema_is_left_alone(path: Path) -> None:
    path.parent.mkdir(parents=True)
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE future (x)")
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(HistoryError, match="newer trayapp"):
        Store(path)
    assert path.read_bytes() == before


def test_a_file_that_is_not_a_database_is_moved_aside_with_a_warning(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not SQLite at all\n" * 100)
    store = Store(path)
    assert store.warning and "moved to" in store.warning
    [aside] = path.parent.glob("history.sqlite.corrupt-*")
    assert aside.read_bytes().startswith(b"this is not SQLite")  # kept, never dropped
    assert str(aside) in store.warning
    store.begin_run(run())
    assert len(store.runs()) == 1


def test_damaged_pages_are_found_at_open_and_moved_aside(path: Path) -> None:
    store = Store(path)
    for i in range(300):
        store.begin_run(run(f"run-{i}", waker="x" * 200))
    store.close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 6 * page
    for at in range(3 * page, 5 * page):  # two pages of the table, overwritten
        data[at] = 0x5A
    path.write_bytes(bytes(data))
    store = Store(path)
    assert store.warning and "damaged" in store.warning
    assert list(path.parent.glob("history.sqlite.corrupt-*"))
    assert store.runs() == []


def test_an_unwritable_place_is_a_history_error_not_a_crash(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises((HistoryError, OSError)):
        Store(blocker / "history.sqlite")
