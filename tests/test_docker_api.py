"""The busy check's Docker client against a hostile Docker API server.

The server (tests/hostile_docker.py) is a real process listening on a Unix
socket in a temporary directory, outside the testbed: while docker.service is
active its socket /run/docker.sock belongs to Docker and cannot be faked
there.  Whatever it answers, the check says "cannot tell" (a reason that
refuses the stop) within its one deadline, and its memory stays bounded;
only a reply shaped as the API documents counts.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from trayapp.adapters import busy, docker_api

REPO = Path(__file__).resolve().parent.parent
HANG = 20 * docker_api.DEADLINE  # a guard against a hang, not a speed check


@pytest.fixture
def hostile() -> Iterator[Callable[[str], str]]:
    procs: list[subprocess.Popen[str]] = []
    with tempfile.TemporaryDirectory(prefix="hd") as tmp:

        def start(mode: str) -> str:
            path = f"{tmp}/{mode}.sock"
            proc = subprocess.Popen([sys.executable, "-m", "tests.hostile_docker", mode, path],
                                    cwd=REPO, stdout=subprocess.PIPE, text=True)
            procs.append(proc)
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
            return path

        yield start
        for proc in procs:
            proc.kill()
            proc.wait()


def check(path: str) -> busy.BusyReport:
    return asyncio.run(asyncio.wait_for(busy.check("docker.service", [("Stream", path)]),
                                        HANG))


def test_a_documented_reply_is_believed(hostile: Callable[[str], str]) -> None:
    report = check(hostile("good"))
    assert report.reasons == ["1 running container(s): web"]
    assert report.warnings and "web (restart=always)" in report.warnings[0]
    report = check(hostile("empty"))
    assert not report.busy and not report.warnings


@pytest.mark.parametrize("mode", ["types", "detail-types", "object", "bad-id", "nesting",
                                  "values", "status", "short"])
def test_an_undocumented_reply_cannot_tell(hostile: Callable[[str], str], mode: str) -> None:
    report = check(hostile(mode))
    assert report.busy, f"{mode}: taken for 'no containers'"
    assert any("cannot tell whether containers run" in r for r in report.reasons), report


def test_a_trickling_reply_meets_one_deadline(hostile: Callable[[str], str]) -> None:
    """One byte every 2 s never times out a single read: the deadline is for the whole."""
    report = check(hostile("trickle"))
    # A per-read timeout would wait for the whole trickle and then believe its
    # "[]" (no containers): only a deadline for the whole question says this.
    assert report.busy and "cannot tell" in report.reasons[0]


def test_a_huge_reply_is_cut_and_memory_stays_bounded(hostile: Callable[[str], str]) -> None:
    """100 MB sent: the client stops at MAX_REPLY; its peak memory grows by little."""
    path = hostile("huge")
    probe = textwrap.dedent(f"""
        import asyncio, re
        from trayapp.adapters import busy
        def hwm():
            return int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read())[1])
        before = hwm()
        report = asyncio.run(busy.check("docker.service", [("Stream", {path!r})]))
        print(hwm() - before, report.reasons)
    """)
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True,
                         text=True, timeout=60, check=True).stdout
    grown_kib, reasons = out.split(" ", 1)
    assert "cannot tell" in reasons and "larger than" in reasons
    assert int(grown_kib) < 40 * 1024, f"peak memory grew by {grown_kib} KiB"
