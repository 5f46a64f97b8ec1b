"""Faults, storms and load against the real testbed (issue 7).

Tests that restart the system bus or a user manager boot a testbed of their
own (about a second), so the shared one stays healthy for everything else.
"""

from __future__ import annotations

import json
import time
from typing import Any

from tests.support import (
    TESTD,
    WatchProc,
    fresh_model,
    model_from,
    on_demand_testd,
    staged,
    until,
    where,
)
from tools.testbed.harness import USERS, Testbed

FLIPPER = staged("flipper.py")


def settle(watch: WatchProc, seconds: float = 1.0) -> list[dict[str, Any]]:
    time.sleep(seconds)
    return watch.drain()


def test_daemon_reexec_is_followed(testbed: Testbed) -> None:
    tb = testbed
    on_demand_testd(tb)
    watch = WatchProc(tb, "--system")
    try:
        watch.wait_for(where(TESTD, state="dormant"))
        tb.run("systemctl daemon-reexec", timeout=60)
        tb.run(f"systemctl start {TESTD}")
        watch.wait_for(where(TESTD, state="running"), timeout=20)
        tb.run(f"systemctl stop {TESTD}")
        watch.wait_for(where(TESTD, state="dormant"), timeout=20)
        events = settle(watch)
    finally:
        watch.stop()
    assert model_from(events) == fresh_model(tb, "--system")


def test_system_bus_restart_reconnects_and_resyncs(own_testbed: Testbed) -> None:
    tb = own_testbed
    watch = WatchProc(tb, "--system")
    try:
        watch.wait_for(where(TESTD, state="dormant"))
        # The bus goes away; while it is away the daemon changes.
        tb.run("systemctl restart dbus.service", timeout=60)
        tb.run(f"systemctl start {TESTD}")
        watch.wait_for(where(TESTD, state="running"), timeout=40)
        tb.run(f"systemctl stop {TESTD}")
        watch.wait_for(where(TESTD, state="dormant"), timeout=20)
        events = settle(watch)
    finally:
        watch.stop()
        err = watch.stderr_text()
    assert "lost the connection to the system bus" in err, err
    assert model_from(events) == fresh_model(tb, "--system")


def test_user_manager_restart_reconnects(own_testbed: Testbed) -> None:
    tb = own_testbed
    watch = WatchProc(tb, "--user")
    try:
        watch.wait_for(where(TESTD, "user", state="dormant"))
        tb.run(f"systemctl restart user@{USERS['alice']}.service", timeout=60)
        bus = tb.host_path(f"/run/user/{USERS['alice']}/bus")
        until("alice's session bus again", bus.is_socket, 10)
        tb.run(f"systemctl --user start {TESTD}", user="alice")
        watch.wait_for(where(TESTD, "user", state="running"), timeout=40)
        events = settle(watch)
    finally:
        watch.stop()
    assert model_from(events) == fresh_model(tb, "--user")


def test_reload_storm_with_hundreds_of_units_ends_equal(testbed: Testbed) -> None:
    tb = testbed
    watch = WatchProc(tb, "--system")
    try:
        watch.wait_for(where(TESTD))
        tb.run("for i in $(seq 300); do "
               "printf '[Socket]\\nListenStream=/run/storm-%s.sock\\n' $i "
               "> /run/systemd/system/storm-$i.socket; "
               "printf '[Service]\\nExecStart=/bin/true\\n' > /run/systemd/system/storm-$i.service;"
               " done; systemctl daemon-reload; "
               "systemctl start $(seq -f 'storm-%g.socket' 100 199)", timeout=120)
        watch.wait_for(where("storm-199.service", state="dormant"), timeout=30)
        for _ in range(3):
            tb.run("systemctl daemon-reload", timeout=60)
        tb.run("systemctl stop 'storm-*.socket'; rm /run/systemd/system/storm-*; "
               "systemctl daemon-reload", timeout=120)
        watch.wait_for(where("storm-199.service", event="vanished"), timeout=30)
        events = settle(watch, 2)
    finally:
        watch.stop()
        tb.run("rm -f /run/systemd/system/storm-*; systemctl daemon-reload", timeout=120)
    assert watch.proc.returncode in (0, -15)
    assert model_from(events) == fresh_model(tb, "--system")


FLIP = "trayapp-flip"


def test_ten_thousand_flips_lose_no_final_state(testbed: Testbed) -> None:
    """A socket-activated daemon whose service is /bin/sleep, flipped 10,000 times."""
    tb = testbed
    tb.run(f"printf '[Socket]\\nListenStream=/run/{FLIP}.sock\\n' "
           f"> /run/systemd/system/{FLIP}.socket; "
           "printf '[Unit]\\nStartLimitIntervalSec=0\\n[Service]\\n"
           f"ExecStart=/bin/sleep infinity\\n' > /run/systemd/system/{FLIP}.service; "
           f"systemctl daemon-reload; systemctl start {FLIP}.socket")
    watch = WatchProc(tb, "--system")
    try:
        watch.wait_for(where(f"{FLIP}.service", state="dormant"))
        rss_before = _rss_kib(tb)
        out = tb.run([str(tb.venv / "bin/python"), FLIPPER, f"{FLIP}.service", "10000"],
                     timeout=900)
        time.sleep(2)
        events = watch.drain()
        rss_after = _rss_kib(tb)
    finally:
        watch.stop()
        tb.run(f"systemctl stop {FLIP}.socket {FLIP}.service; "
               f"rm /run/systemd/system/{FLIP}.*; systemctl daemon-reload")
    changes = [e for e in events if e["service"] == f"{FLIP}.service"]
    print(f"flipper: {out.stdout.strip()}; {len(changes)} changes seen; "
          f"RSS {rss_before} -> {rss_after} KiB")
    assert len(changes) >= 20_000, "fewer changes seen than flips made"
    assert changes[-1]["state"] == "dormant"
    assert rss_after - rss_before < 8 * 1024, "the watcher grew by more than 8 MiB"


def _rss_kib(tb: Testbed) -> int:
    # The watcher runs inside the testbed's pid namespace; find it by its command line.
    out = tb.run("ps -o rss= -C python -C python3 --sort=-rss -o args= | "
                 "grep 'status --watch' | head -1")
    return int(out.stdout.split()[0])


def test_polkitd_hanging_ends_with_a_clear_error_and_no_change(testbed: Testbed) -> None:
    tb = testbed
    on_demand_testd(tb)
    tb.run("systemctl start polkit.service")
    before = tb.run(f"systemctl is-enabled {TESTD}; systemctl is-active {TESTD}",
                    check=False).stdout
    tb.run("kill -STOP $(systemctl show -P MainPID polkit.service)")
    try:
        res = tb.run(tb.trayapp_argv("always-on", "trayapp-testd", "--json"), user="alice",
                     check=False, timeout=200)
    finally:
        tb.run("kill -CONT $(systemctl show -P MainPID polkit.service)")
    out = json.loads(res.stdout)
    assert res.returncode in (1, 3), res.stdout + res.stderr
    assert "Nothing" in out["message"] or "nothing" in out["message"], out["message"]
    after = tb.run(f"systemctl is-enabled {TESTD}; systemctl is-active {TESTD}",
                   check=False).stdout
    assert after == before
