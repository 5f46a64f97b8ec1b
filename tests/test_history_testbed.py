"""How runs end, as the history records them, against the real testbed (issue 5).

alice runs ``trayapp idle-watch`` without an idle window (it only records);
the test daemon is stopped in each of the ways the history tells apart, and
``trayapp history`` must say which.  Each test records the runs it needs
itself; the last one reboots the testbed.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt's qapp exists

from tests.support import (
    TESTD,
    IdleWatchProc,
    history,
    on_demand_testd,
    recorded_run,
    run_of,
    show,
    until,
    wait_active,
    wake_testd,
)

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
ALICE_DB = "/home/alice/.local/share/trayapp/history.sqlite"


def test_user_crash_and_elsewhere_stops_are_told_apart(testbed: Any) -> None:
    tb = testbed
    on_demand_testd(tb)
    watch = IdleWatchProc(tb, "--system")  # no NAMEs, no settings: it only records
    try:
        by_user = wake_testd(tb)
        res = tb.run(tb.trayapp_argv("stop", "trayapp-testd"), user="alice")  # the CLI
        assert "trayapp-testd stopped" in res.stdout and res.returncode == 0
        wait_active(tb, TESTD, want=False)

        crashed = wake_testd(tb)
        tb.run(f"systemctl kill -s KILL {TESTD}")
        tb.run(f"for i in $(seq 50); do systemctl is-failed -q {TESTD} && exit 0; sleep 0.1; "
               "done; exit 1")
        tb.run(f"systemctl reset-failed {TESTD}")

        elsewhere = wake_testd(tb)
        tb.run(f"systemctl stop {TESTD}")  # root's systemctl: not an action of alice's

        assert run_of(tb, by_user)["end"] == "user"
        assert run_of(tb, crashed)["end"] == "crash"
        assert run_of(tb, elsewhere)["end"] == "elsewhere"
    finally:
        watch.stop()
    data = history(tb, "trayapp-testd", "--system")
    [daemon] = data["daemons"]
    assert daemon["service"] == TESTD and daemon["totals"]["wakes"] >= 3
    assert {"user", "crash", "elsewhere"} <= set(daemon["totals"]["ends"])
    text = tb.run(tb.trayapp_argv("history", "trayapp-testd"), user="alice").stdout
    assert "system trayapp-testd:" in text and "stopped by you" in text and "crashed" in text
    assert "woken by socat" in text


def test_the_history_window_renders_what_the_testbed_recorded(testbed: Any, qapp: Any,
                                                              tmp_path: Path) -> None:
    from trayapp.adapters.history_db import Store
    from trayapp.core.model import Manager
    from trayapp.qt.history_window import HistoryWindow

    # A run of its own, recorded to its end (not whatever earlier tests left).
    tb = testbed
    on_demand_testd(tb)
    watch = IdleWatchProc(tb, "--system")
    try:
        invocation = wake_testd(tb)
        tb.run(f"systemctl stop {TESTD}")
        run_of(tb, invocation)
    finally:
        watch.stop()
    # A copy read on the host: the file (and its WAL) as alice's recorder left it.
    ARTIFACTS.mkdir(exist_ok=True)
    copy = tmp_path / "history.sqlite"
    for suffix in ("", "-wal"):
        src = testbed.host_path(ALICE_DB + suffix)
        if src.exists():
            shutil.copyfile(src, str(copy) + suffix)
    store = Store(copy)
    runs = store.runs(service=TESTD, manager="system")
    assert invocation in [r.invocation for r in runs], runs
    window = HistoryWindow(copy, Manager.SYSTEM, TESTD, days=2)
    window.resize(760, 560)
    window.show()
    qapp.processEvents()
    assert int(window.tiles["wakes"].text()) == len([r for r in runs
                                                       if r.woke_at > time.time() - 2 * 86400])
    assert window.grab().save(str(ARTIFACTS / "history-window-testbed.png"))
    window.close()
    store.close()


def test_a_run_cut_by_a_reboot_is_recorded_as_shutdown(testbed: Any) -> None:
    tb = testbed
    on_demand_testd(tb)
    watch = IdleWatchProc(tb, "--system")
    invocation = wake_testd(tb)
    # The run's beginning is on disk (fails if it never gets there).
    until(f"run {invocation} in the history", lambda: recorded_run(tb, invocation), 10, 0.2)
    tb.reboot()  # power cut: the daemon and the recorder die with the machine
    watch.proc.wait(timeout=30)
    watch = IdleWatchProc(tb, "--system")  # the next recorder settles what was left open
    try:
        run = run_of(tb, invocation)
    finally:
        watch.stop()
    assert run["end"] == "shutdown"
    assert show(tb, TESTD, "InvocationID") != invocation
