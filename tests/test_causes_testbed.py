"""True causes in the real testbed (issue 11): what the applet would tell, and why.

tools/testbed/causes_probe.py runs the real composition root (Services: monitor,
event hub, causes) against the testbed's system bus as alice, with the real
notification policy (Announcer, no debouncing) printing each notice instead of
sending it.  The system test daemon is woken by alice's client, started by root,
exits on its own idle timeout (testd.py --idle-exit, through a drop-in), and is
killed with SIGSEGV; each must be told as what it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support import (
    TESTD,
    TESTD_DROPIN,
    TESTD_SOCK,
    Event,
    JsonLinesProc,
    on_demand_testd,
    staged,
    wait_active,
)

NAME = TESTD.removesuffix(".service")


class Probe(JsonLinesProc):
    def __init__(self, tb: Any) -> None:
        super().__init__(tb, [tb.python, staged("causes_probe.py"), TESTD])
        ready = self.wait_for(lambda e: bool(e.get("ready")), timeout=30)
        assert ready["state"] == "dormant", ready

    def notice(self, title: str, timeout: float = 15) -> dict[str, Any]:
        """The next notice whose title matches the regular expression ``title``."""
        found = self.wait_for(lambda e: "notice" in e and re.fullmatch(title, e["notice"]["title"])
                              is not None, timeout)
        notice: dict[str, Any] = found["notice"]
        return notice

    def notices(self) -> list[str]:
        return [e["notice"]["title"] for e in self.drain() if "notice" in e]

    def causes(self) -> list[str]:
        return [e["cause"] for e in self.drain() if "cause" in e]


@pytest.fixture
def probe(testbed: Any) -> Iterator[Probe]:
    on_demand_testd(testbed)
    p = Probe(testbed)
    try:
        yield p
    finally:
        p.stop()
        on_demand_testd(testbed)


def is_told(p: Probe, title: str) -> bool:
    return any(re.fullmatch(title, t) for t in p.notices())


def test_a_wake_by_alices_client_names_the_client(testbed: Any, probe: Probe) -> None:
    testbed.run(f"(echo hi; sleep 1) | socat - UNIX-CONNECT:{TESTD_SOCK}", user="alice")
    notice = probe.notice(rf"{NAME} woke up")
    assert re.fullmatch(r"Woken by socat \(PID \d+, alice\)\.", notice["body"]), notice
    assert notice["actions"] == ["stop", "always-on"]
    assert any(re.fullmatch(r"woken by socat \(PID \d+, alice\) at \d\d:\d\d", c)
               for c in probe.causes()), probe.events
    assert not is_told(probe, rf"{NAME} started")


def test_systemctl_start_by_root_says_started_and_its_stop_someone_else(
        testbed: Any, probe: Probe) -> None:
    testbed.run(f"systemctl start {TESTD}")
    notice = probe.notice(rf"{NAME} started")
    assert "No client was waiting" in notice["body"]
    testbed.run(f"systemctl stop {TESTD}")
    notice = probe.notice(rf"{NAME} was stopped")
    assert "socket still listens" in notice["body"]
    told = _titles(probe.drain())
    assert not any("woke" in t or "sleep" in t or "crashed" in t for t in told), told


@pytest.fixture
def idle_exit(testbed: Any, probe: Probe) -> Iterator[None]:
    """The test daemon exits 1 s after its last client (a drop-in, written once the
    probe's on_demand_testd has run; the next on_demand_testd drops it)."""
    testbed.run(f"mkdir -p {TESTD_DROPIN} && printf '%s\\n' '[Service]' 'ExecStart=' "
                f"'ExecStart=/usr/bin/python3 {staged('testd.py')} --idle-exit 1' "
                f"> {TESTD_DROPIN}/idle-exit.conf && systemctl daemon-reload && "
                "systemctl restart trayapp-testd.socket")
    yield


def test_an_exit_on_its_own_idle_timeout_went_back_to_sleep(
        testbed: Any, probe: Probe, idle_exit: None) -> None:
    testbed.run(f"echo hi | socat - UNIX-CONNECT:{TESTD_SOCK}", user="alice")
    probe.notice(rf"{NAME} (woke up|started)")
    notice = probe.notice(rf"{NAME} went back to sleep", timeout=20)
    assert "exited on its own" in notice["body"]
    assert notice["critical"] is False
    wait_active(testbed, TESTD, want=False)
    assert "idle, exiting" in testbed.journal(TESTD)
    assert not is_told(probe, rf"{NAME} (was stopped|crashed|failed)")


def test_a_segfault_crashed(testbed: Any, probe: Probe) -> None:
    testbed.run(f"systemctl start {TESTD}")
    probe.notice(rf"{NAME} started")
    testbed.run(f"kill -SEGV $(systemctl show -P MainPID {TESTD})")
    notice = probe.notice(rf"{NAME} crashed")
    assert re.match(r"It ended with (a signal|a core dump)\.\n", notice["body"]), notice
    assert notice["critical"] is True and notice["actions"] == ["start"]
    assert any(re.fullmatch(r"crashed \((signal|core-dump)\) at \d\d:\d\d", c)
               for c in probe.causes()), probe.events


def _titles(events: list[Event]) -> list[str]:
    return [e["notice"]["title"] for e in events if "notice" in e]
