"""The history query both front ends use (trayapp/usecases/history_query.py), on real stores."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from trayapp.adapters.history_db import Store
from trayapp.core.model import Manager
from trayapp.core.runs import EndReason, Run, totals
from trayapp.usecases.history_query import NO_HISTORY, Found, query

DAY = 86400.0
NOW = 1_700_000_000.0


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "history.sqlite"


def fill(path: Path) -> None:
    store = Store(path, clock=lambda: NOW - 2 * DAY)
    for n, (manager, service, woke) in enumerate([
        ("system", "docker.service", NOW - 10 * DAY),  # ended before the period
        ("system", "docker.service", NOW - 3600),
        ("system", "cups.service", NOW - 7200),
        ("user", "podman.service", NOW - 600),
    ]):
        store.begin_run(Run(manager, service, f"r{n}", woke, startup=0.5))
        store.end_run(manager, service, f"r{n}", woke + 60, EndReason.IDLE)
    store.close()


def test_runs_per_daemon_with_totals(path: Path) -> None:
    fill(path)
    report = query(None, None, NOW - 7 * DAY, NOW, path=path)
    assert report.found is Found.RUNS and report.problem is None and report.warning is None
    assert report.recorded_since == NOW - 2 * DAY
    assert [(d.manager, d.service) for d in report.daemons] == [
        ("system", "cups.service"), ("system", "docker.service"), ("user", "podman.service")]
    docker = report.daemon(Manager.SYSTEM, "docker.service")
    assert [r.invocation for r in docker.runs] == ["r1"]
    assert docker.totals == totals(docker.runs, NOW - 7 * DAY, NOW, NOW - 2 * DAY)
    assert docker.totals.wakes == 1


def test_narrowed_to_a_manager_or_a_daemon(path: Path) -> None:
    fill(path)
    user = query(Manager.USER, None, NOW - 7 * DAY, NOW, path=path)
    assert [d.service for d in user.daemons] == ["podman.service"]
    one = query("system", "cups.service", NOW - 7 * DAY, NOW, path=path)
    assert [d.service for d in one.daemons] == ["cups.service"]


def test_a_daemon_that_did_not_run_has_empty_totals(path: Path) -> None:
    fill(path)
    report = query(Manager.SYSTEM, "acme.service", NOW - DAY, NOW, path=path)
    assert report.found is Found.RUNS and report.daemons == ()
    acme = report.daemon(Manager.SYSTEM, "acme.service")
    assert acme.runs == () and acme.totals.wakes == 0 and acme.totals.dormant_share == 1.0


def test_no_history_yet_is_an_answer_and_creates_no_file(path: Path) -> None:
    report = query(None, None, NOW - DAY, NOW, path=path)
    assert report.found is Found.NO_HISTORY and report.problem == NO_HISTORY
    assert report.daemons == () and report.recorded_since is None
    assert report.daemon(Manager.SYSTEM, "docker.service").totals.wakes == 0
    assert not path.exists()


def test_an_unusable_history_is_an_answer(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    report = query(None, None, NOW - DAY, NOW, path=path)
    assert report.found is Found.BROKEN
    assert report.problem is not None and "newer trayapp" in report.problem


def test_a_damaged_file_is_replaced_with_a_warning(path: Path) -> None:
    path.write_bytes(b"not SQLite\n" * 500)
    report = query(None, None, NOW - DAY, NOW, path=path)
    assert report.found is Found.RUNS and report.daemons == ()
    assert report.warning is not None and "moved to" in report.warning
