"""Idle auto-stop and the activation history against the real testbed (issue 5).

``trayapp idle-watch`` runs as alice (whom a polkit rule lets stop the test
daemon and Docker) with windows of a few seconds, printing its decisions as
JSON lines; the tests wake daemons with real clients, keep them busy in the
three ways that count (an open connection, CPU use in the service's cgroup,
a running container), answer its warnings on stdin, and read the history
back with ``trayapp history --json``.
"""

from __future__ import annotations

import subprocess
import time
from typing import Any

from tests.support import (
    TESTD,
    TESTD_DROPIN,
    TESTD_SOCK,
    TESTD_SOCKET,
    USER_TESTD_SOCK,
    IdleWatchProc,
    of,
    on_demand_testd,
    run_container,
    run_of,
    show,
    wait_active,
    wake_testd,
)

FAST = ("--after", "3", "--grace", "2", "--cpu-threshold", "0.05")


def test_idle_daemon_is_warned_then_stopped_and_dormant_ones_never_wake(testbed: Any) -> None:
    tb = testbed
    on_demand_testd(tb)
    tb.run("systemctl disable --now docker.service; systemctl enable --now docker.socket")
    tb.run(f"systemctl --user stop {TESTD}; systemctl --user start {TESTD_SOCKET}", user="alice")
    # The dormant ones: Docker, and alice's own test daemon (same name, so it is
    # watched with the same short window), for the whole test.
    before = {
        "docker": show(tb, "docker.service", "ActiveEnterTimestampMonotonic"),
        "user testd": show(tb, TESTD, "ActiveEnterTimestampMonotonic", user="alice"),
        "user socket accepted": show(tb, TESTD_SOCKET, "NAccepted", user="alice"),
    }
    watch = IdleWatchProc(tb, "trayapp-testd", "docker", *FAST)
    try:
        watching = {(e["manager"], e["service"]) for e in watch.drain()
                    if e["event"] == "watching"}
        assert {("system", TESTD), ("user", TESTD), ("system", "docker.service")} <= watching
        invocation = wake_testd(tb, hold=1.0)
        warning = watch.wait_for(of(TESTD, "warning"), timeout=20)
        stopped = watch.wait_for(of(TESTD, "stopped"), timeout=20)
        assert warning["seconds"] == 2.0
        assert stopped["at"] - warning["at"] >= 1.9  # the grace period was given
        assert watch.wait_for(lambda e: e["event"] == "announce")["text"].startswith(
            "Stopped trayapp-testd")
        assert show(tb, TESTD, "ActiveState") == "inactive"
        assert show(tb, TESTD_SOCKET, "ActiveState") == "active"  # it sleeps, not off
        time.sleep(2)  # more windows' worth of time for the dormant ones
    finally:
        printed = watch.stop()
    after = {
        "docker": show(tb, "docker.service", "ActiveEnterTimestampMonotonic"),
        "user testd": show(tb, TESTD, "ActiveEnterTimestampMonotonic", user="alice"),
        "user socket accepted": show(tb, TESTD_SOCKET, "NAccepted", user="alice"),
    }
    assert after == before
    assert show(tb, "docker.service", "ActiveState") == "inactive"
    events = [e["event"] for e in printed if e.get("service") == TESTD
              and e.get("manager") == "system"]
    assert events.index("warning") < events.index("stopped")
    # The dormant ones were never checked, warned about or stopped.
    assert not [e for e in printed if e["event"] in ("busy", "warning", "stopped")
                and (e.get("manager"), e.get("service")) != ("system", TESTD)]
    run = run_of(tb, invocation)
    assert run["end"] == "idle" and run["end_label"] == "idle stop"
    assert run["waker"] and "socat" in run["waker"]
    assert run["startup_seconds"] is not None and run["peak_memory_bytes"] > 0
    assert run["ran_seconds"] >= 4.5  # window + grace


def test_an_open_connection_keeps_it_running_until_it_closes(testbed: Any) -> None:
    tb = testbed
    on_demand_testd(tb)
    watch = IdleWatchProc(tb, "trayapp-testd", "--system", *FAST)
    client = tb.popen(f"socat - UNIX-CONNECT:{TESTD_SOCK}", user="alice", stdin=subprocess.PIPE,
                      stdout=subprocess.DEVNULL)
    try:
        wait_active(tb, TESTD)
        for _ in range(2):  # re-armed after each busy check
            busy = watch.wait_for(of(TESTD, "busy"), timeout=15)
            assert any("connection" in r for r in busy["reasons"]), busy
        # Every line printed so far, not only those a wait_for consumed.
        assert not [e for e in watch.drain() if e["event"] == "warning"]
        assert show(tb, TESTD, "ActiveState") == "active"
        client.kill()
        client.wait(timeout=10)
        watch.wait_for(of(TESTD, "warning"), timeout=15)
        watch.wait_for(of(TESTD, "stopped"), timeout=15)
    finally:
        client.kill()
        watch.stop()
    assert show(tb, TESTD, "ActiveState") == "inactive"


def test_cpu_use_in_the_service_cgroup_keeps_it_running(testbed: Any) -> None:
    tb = testbed
    on_demand_testd(tb)
    # A second process in the service, burning a CPU: started by ExecStartPost,
    # it lives in the service's cgroup until the service stops.
    tb.run(f"mkdir -p {TESTD_DROPIN} && printf '[Service]\\nExecStartPost=/bin/sh -c "
           "\"sh -c \\\\\"while :; do :; done\\\\\" >/dev/null 2>&1 &\"\\n' "
           f"> {TESTD_DROPIN}/burn.conf && systemctl daemon-reload")
    watch = IdleWatchProc(tb, "trayapp-testd", "--system", *FAST)
    try:
        invocation = wake_testd(tb, hold=0.2)
        for _ in range(2):
            busy = watch.wait_for(of(TESTD, "busy"), timeout=15)
            assert any("of a CPU" in r for r in busy["reasons"]), busy
        # Every line printed so far, not only those a wait_for consumed.
        assert not [e for e in watch.drain() if e["event"] == "warning"]
        assert show(tb, TESTD, "ActiveState") == "active"
        tb.run(f"systemctl stop {TESTD}")  # as root: not ours, so "elsewhere"
        assert run_of(tb, invocation)["end"] == "elsewhere"
    finally:
        watch.stop()
        on_demand_testd(tb)


def test_keep_running_cancels_that_stop(testbed: Any) -> None:
    tb = testbed
    on_demand_testd(tb)
    watch = IdleWatchProc(tb, "trayapp-testd", "--system", *FAST)
    try:
        invocation = wake_testd(tb, hold=0.2)
        watch.wait_for(of(TESTD, "warning"), timeout=20)
        watch.answer("keep")
        watch.wait_for(of(TESTD, "kept"), timeout=5)
        note = watch.wait_for(lambda e: e["event"] == "announce", timeout=5)
        assert "keeps running" in note["text"], note
        time.sleep(2.5)  # past the grace period of that warning
        # Every line printed so far, not only those a wait_for consumed.
        assert not [e for e in watch.drain() if e["event"] == "stopped"], watch.events
        assert show(tb, TESTD, "ActiveState") == "active"
        assert show(tb, TESTD, "InvocationID") == invocation  # not even restarted
        # A new window: asked again, and this time nobody answers.
        watch.wait_for(of(TESTD, "warning"), timeout=20)
        watch.wait_for(of(TESTD, "stopped"), timeout=20)
    finally:
        watch.stop()
    assert run_of(tb, invocation)["end"] == "idle"


def test_users_own_daemon_is_stopped_without_polkit(testbed: Any) -> None:
    tb = testbed
    tb.run(f"systemctl --user stop {TESTD}; systemctl --user start {TESTD_SOCKET}", user="alice")
    watch = IdleWatchProc(tb, "trayapp-testd", "--user", *FAST)
    try:
        tb.run(f"(echo hi; sleep 0.2) | socat - UNIX-CONNECT:{USER_TESTD_SOCK}",
               user="alice")
        wait_active(tb, TESTD, user="alice")
        invocation = show(tb, TESTD, "InvocationID", user="alice")
        watch.wait_for(of(TESTD, "warning", manager="user"), timeout=20)
        watch.wait_for(of(TESTD, "stopped", manager="user"), timeout=20)
    finally:
        watch.stop()
    assert show(tb, TESTD, "ActiveState", user="alice") == "inactive"
    assert show(tb, TESTD_SOCKET, "ActiveState", user="alice") == "active"
    run = run_of(tb, invocation)
    assert (run["manager"], run["end"]) == ("user", "idle")


def test_a_running_container_keeps_docker_running(testbed: Any) -> None:
    tb = testbed
    tb.run("usermod -aG docker alice; systemctl disable docker.service; "
           "systemctl enable --now docker.socket; systemctl start docker.service")
    run_container(tb)
    watch = IdleWatchProc(tb, "docker", "--system", "--after", "4", "--grace", "2",
                          "--cpu-threshold", "0.2")
    try:
        busy = watch.wait_for(of("docker.service", "busy"), timeout=20)
        assert any("running container" in r and "sleeper" in r for r in busy["reasons"]), busy
        assert show(tb, "docker.service", "ActiveState") == "active"
        tb.run("/usr/bin/docker rm -f sleeper", timeout=60)
        watch.wait_for(of("docker.service", "warning"), timeout=40)
        watch.wait_for(of("docker.service", "stopped"), timeout=60)
    finally:
        watch.stop()
    assert show(tb, "docker.service", "ActiveState") == "inactive"
    assert show(tb, "docker.socket", "ActiveState") == "active"
