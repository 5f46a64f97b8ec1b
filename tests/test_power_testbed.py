"""Battery and sleep against the real testbed (issue 16).

* UPower: Debian's own upowerd, run as root inside over a power supply that
  umockdev emulates (tools/testbed/battery.py: a mains adapter and a
  battery, switched by uevents).  ``trayapp idle-watch`` as alice follows
  its OnBattery through PropertiesChanged and re-arms the running test
  daemon's timer with the battery window (half, by default).
* logind: this machine cannot sleep, and logind refuses to start a suspend
  here (CanSuspend is "na": the testbed's /sys is read-only, and this virtual
  machine's kernel lists no sleep state in /sys/power/state).  The test gives
  logind what it checks: a writable file with "freeze mem" bound over
  /sys/power/state (inside the testbed only) and systemd-suspend.service's
  ExecStart replaced by /bin/true, so nothing anywhere tries to sleep.  The
  rest is real: ``systemctl suspend``, logind's PrepareForSleep(true) to
  trayapp's delay lock, its wait for the lock, sleep.target, PrepareForSleep(false).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support import (
    TESTD,
    TESTD_SOCKET,
    IdleWatchProc,
    of,
    on_demand_testd,
    show,
    staged,
    until,
    wake_testd,
)


def _kind(kind: str) -> Any:
    return lambda e: e["event"] == kind


@pytest.fixture
def battery(module_testbed: Any) -> Iterator[subprocess.Popen[str]]:
    """upowerd over the emulated supply; lines "battery"/"ac" switch it."""
    tb = module_testbed
    proc = tb.popen(f"exec umockdev-wrapper /usr/bin/python3 {staged('battery.py')}",
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line == "ready", (line, proc.stderr.read() if proc.poll() is not None else "")
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=10)


def _switch(proc: subprocess.Popen[str], to: str) -> None:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(f"{to}\n")
    proc.stdin.flush()
    assert proc.stdout.readline().strip() == f"switched {to}"


def test_on_battery_the_running_daemon_gets_the_battery_window(
        module_testbed: Any, battery: subprocess.Popen[str]) -> None:
    tb = module_testbed
    on_demand_testd(tb)
    watch = IdleWatchProc(tb, "trayapp-testd", "--system", "--after", "40", "--grace", "2")
    try:
        features = {e["feature"]: e for e in watch.drain() if e["event"] == "power-feature"}
        assert features["battery"]["available"], features
        assert features["battery"]["text"].startswith("On mains power: "), features
        wake_testd(tb, hold=0.2)
        assert watch.wait_for(of(TESTD, "armed"), timeout=15)["window"] == 40.0
        for to, window, words in (("battery", 20.0, "on battery"),
                                  ("ac", 40.0, "on mains power")):
            before = len(watch.drain())
            _switch(battery, to)
            changed = watch.wait_for(_kind("power"), timeout=15)
            assert words in changed["text"], changed
            armed = watch.wait_for(of(TESTD, "armed"), timeout=15)
            assert armed["window"] == window, armed
            # One signal, one change: the re-arm follows the first "power" line.
            since = watch.drain()[before:]
            assert [e["event"] for e in since if e["event"] == "power"] == ["power"], since
    finally:
        watch.stop()


def _fake_sleep(tb: Any) -> None:
    tb.run("echo 'freeze mem' > /run/fake-power-state && "
           "(mountpoint -q /sys/power/state || mount --bind /run/fake-power-state "
           "/sys/power/state) && mkdir -p /run/systemd/system/systemd-suspend.service.d && "
           "printf '[Service]\\nExecStart=\\nExecStart=/bin/true\\n' > "
           "/run/systemd/system/systemd-suspend.service.d/no-sleep.conf && "
           "systemctl daemon-reload && systemctl restart systemd-logind")
    # logind's own mount namespace was made at its start: restarted, it sees the file.
    can = tb.run("busctl call org.freedesktop.login1 /org/freedesktop/login1 "
                 "org.freedesktop.login1.Manager CanSuspend").stdout.strip()
    assert can == 's "yes"', can


def _journal_stamp(tb: Any, text: str, since: float) -> float:
    """The realtime (Unix seconds) of the first journal line containing ``text`` since
    ``since`` (journald may take a moment to have it)."""

    def line() -> str:
        return str(tb.run(f"journalctl --no-pager -o short-unix --since=@{int(since)} "
                          f"| grep -F -- {text!r} | head -1", check=False).stdout.strip())

    return float(until(f"a journal line with {text!r}", line, timeout=10, interval=0.2)
                 .split()[0])


def test_suspend_stops_the_idle_daemon_before_the_lock_is_released(module_testbed: Any
                                                                    ) -> None:
    tb = module_testbed
    _fake_sleep(tb)
    on_demand_testd(tb)
    watch = IdleWatchProc(tb, "trayapp-testd", "--system", "--after", "600", "--grace", "2",
                          "--cpu-threshold", "0.05")
    try:
        features = {e["feature"]: e for e in watch.drain() if e["event"] == "power-feature"}
        assert features["sleep"]["available"], features
        wake_testd(tb, hold=0.2)
        watch.wait_for(of(TESTD, "armed"), timeout=15)
        # Its CPU is judged from the arm to the suspend: a quiet stretch after serving
        # the wake's client, as before any real suspend (not a timing bound).
        time.sleep(2)
        since = float(tb.run("date +%s.%N").stdout)
        tb.run("systemctl suspend")
        sleep = watch.wait_for(_kind("sleep"), timeout=15)
        stopped = watch.wait_for(of(TESTD, "stopped"), timeout=15)
        released = watch.wait_for(_kind("released"), timeout=15)
        watch.wait_for(_kind("resumed"), timeout=30)  # PrepareForSleep(false)
        watch.wait_for(_kind("locked"), timeout=15)  # and a new lock for the next time
    finally:
        watch.stop()
    assert sleep["at"] <= stopped["at"] <= released["at"]
    assert "before sleep" in stopped["text"]
    assert show(tb, TESTD, "ActiveState") == "inactive"
    assert show(tb, TESTD_SOCKET, "ActiveState") == "active"
    # logind went on only once our lock was gone, and never had to give up on it.
    assert _journal_stamp(tb, "Reached target sleep.target", since) >= released["at"]
    journal = tb.journal("systemd-logind", lines=50)
    assert "inhibitor timeout is reached" not in journal, journal
    assert "The system will suspend now!" in journal
