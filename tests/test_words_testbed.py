"""The CLI's words against the real testbed: "did you mean", plain outcomes, details."""

from __future__ import annotations

from typing import Any

from tests.support import TESTD_SOCK, on_demand_testd


def test_a_near_miss_name_gets_did_you_mean(testbed: Any) -> None:
    res = testbed.run(testbed.trayapp_argv("stop", "dokcer"), user="alice", check=False,
                      timeout=120)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "no unit named dokcer" in res.stderr and res.stderr.rstrip().endswith(
        "Did you mean docker?"), res.stderr
    # A name far from every daemon gets no guess.
    res = testbed.run(testbed.trayapp_argv("stop", "zzqqxx"), user="alice", check=False,
                      timeout=120)
    assert res.returncode == 2 and "Did you mean" not in res.stderr, res.stderr


def test_a_switch_says_plain_words_and_details_only_with_verbose(testbed: Any) -> None:
    tb = testbed
    on_demand_testd(tb)
    res = tb.run(tb.trayapp_argv("on-demand", "trayapp-testd"), user="alice", check=False,
                 timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.startswith("trayapp-testd was already on-demand. Nothing changed."), \
        res.stdout
    assert ".socket" not in res.stdout  # no systemd terms in a success
    res = tb.run(tb.trayapp_argv("-v", "always-on", "trayapp-testd"), user="alice",
                 check=False, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.startswith("trayapp-testd is now always-on. It runs now and starts at "
                                 "boot."), res.stdout
    assert "  trayapp-testd.service: enabled, active (running)" in res.stdout, res.stdout


CLOSED_PIPE = """
import os, subprocess, sys
read, write = os.pipe()
os.close(read)  # the reader is gone before the first write: no race
res = subprocess.run([sys.executable, "-m", "trayapp", *sys.argv[1:]], stdout=write,
                     stderr=subprocess.PIPE, text=True, timeout=60)
print(res.returncode)
print(res.stderr, end="")
"""


def test_status_into_a_closed_pipe_ends_quietly(testbed: Any) -> None:
    """`trayapp status --json | head` and `status --watch --json | head -1` with the
    real buses: no traceback, exit 141 (the watch ends at its first write too)."""
    for args in (["status", "--json"], ["status", "--watch", "--json"]):
        res = testbed.run([testbed.python, "-c", CLOSED_PIPE, *args], user="alice",
                          timeout=120)
        code, _, stderr = res.stdout.partition("\n")
        assert "Traceback" not in stderr and "BrokenPipe" not in stderr, (args, stderr)
        assert code == "141", (args, res.stdout)


READER_LEAVES = """
import json, os, socket, subprocess, sys
shown = len(json.loads(subprocess.run([sys.executable, "-m", "trayapp", "status", "--json"],
                                      capture_output=True, text=True).stdout))
read, write = os.pipe()
p = subprocess.Popen([sys.executable, "-m", "trayapp", "status", "--watch", "--json"],
                     stdout=write, stderr=subprocess.PIPE, text=True)
os.close(write)
reader = os.fdopen(read)
for _ in range(shown):  # every daemon as first seen: the start-up snapshot is out
    reader.readline()
reader.close()  # the reader goes away while the watch waits for systemd's signals
client = socket.socket(socket.AF_UNIX)
client.connect(sys.argv[1])  # a client wakes the test daemon: a change to print
client.close()
try:
    p.wait(timeout=60)
except subprocess.TimeoutExpired:
    p.kill()
    p.wait()
    print("hung")
print(p.returncode)
print(p.stderr.read(), end="")
"""


def test_a_watch_whose_reader_leaves_ends_at_the_next_change(testbed: Any) -> None:
    """The write fails in a signal's callback, not in the start-up snapshot: the
    watch still ends, quietly, instead of watching on for nobody."""
    on_demand_testd(testbed)
    res = testbed.run([testbed.python, "-c", READER_LEAVES, TESTD_SOCK], user="alice",
                      timeout=120)
    code, _, stderr = res.stdout.partition("\n")
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr
    assert code == "141", res.stdout
