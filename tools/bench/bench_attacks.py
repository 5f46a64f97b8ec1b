"""Benchmark rows for issue 12: what signals cost the watcher, forged or genuine.

For each load, ``trayapp status --watch --json --stats`` runs as alice; its
stats lines (at start and at exit) give the calls made to PID 1, and ``ps``
its RSS before and after:

* 10,000 forged manager and bus-driver signals sent by bob (tools/testbed/forge.py);
* a genuine 300-unit ``daemon-reload`` storm (300 sockets and services made,
  three reloads, then removed and reloaded again);
* issue 22: 300 ``LoadUnit`` calls by bob of names with no unit (PID 1 announces
  each stub), with PID 1's own CPU time meanwhile; and 1,600 signals from bob
  carrying two descriptors each, against the connection that takes
  descriptors (the sleep lock's, here in ``trayapp idle-watch``, which holds
  the same connection as the applet): its open files before and after.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable

from tools.testbed.harness import STAGE, Testbed

Row = Callable[..., None]
_STATS = re.compile(r"; (\d+) to PID 1, (\d+) signals dropped")


def _cost(tb: Testbed, load: Callable[[int], None]) -> tuple[int, int, int, float]:
    """(PID 1 calls caused, signals dropped, RSS change in KiB, seconds) of ``load(pid)``."""
    watch = tb.popen(tb.trayapp_argv("status", "--watch", "--json", "--stats", "--system"),
                     user="alice", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        pid = 0
        for _ in range(100):
            found = tb.run("pgrep -n -u alice -f 'status --watch'", check=False).stdout.split()
            if found:
                pid = int(found[0])
                break
            time.sleep(0.1)
        time.sleep(3)  # synced: its first read is done well within this
        rss = int(tb.run(f"ps -o rss= -p {pid}").stdout.split()[0])
        started = time.monotonic()
        load(pid)
        took = time.monotonic() - started
        time.sleep(3)
        rss_after = int(tb.run(f"ps -o rss= -p {pid}").stdout.split()[0])
    finally:
        watch.terminate()
        err = watch.communicate(timeout=30)[1]
    (calls0, _), (calls1, dropped) = [tuple(map(int, m)) for m in _STATS.findall(err)][-2:]
    return calls1 - calls0, dropped, rss_after - rss, took


def _forged(tb: Testbed) -> Callable[[int], None]:
    def load(pid: int) -> None:
        tb.run([str(tb.venv / "bin/python"), f"{STAGE}/testbed/forge.py", "--pid", str(pid),
                "flood", "10000"], user="bob", timeout=600)
    return load


def _reload_storm(tb: Testbed) -> None:
    tb.run("for i in $(seq 300); do "
           "printf '[Socket]\\nListenStream=/run/storm-%s.sock\\n' $i "
           "> /run/systemd/system/storm-$i.socket; "
           "printf '[Service]\\nExecStart=/bin/true\\n' > /run/systemd/system/storm-$i.service;"
           " done; systemctl daemon-reload; systemctl start $(seq -f 'storm-%g.socket' 1 300)",
           timeout=300)
    for _ in range(3):
        tb.run("systemctl daemon-reload", timeout=120)
    tb.run("systemctl stop 'storm-*.socket'; rm /run/systemd/system/storm-*; "
           "systemctl daemon-reload", timeout=300)


LOAD_UNIT = ("busctl call org.freedesktop.systemd1 /org/freedesktop/systemd1 "
             "org.freedesktop.systemd1.Manager LoadUnit s")


def _pid1_ticks(tb: Testbed) -> int:
    fields = tb.run("cat /proc/1/stat").stdout.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def _stubs(tb: Testbed, ticks: list[int]) -> Callable[[int], None]:
    def load(pid: int) -> None:
        before = _pid1_ticks(tb)
        tb.run(f"for i in $(seq 300); do {LOAD_UNIT} bench-stub-$i.socket >/dev/null; done",
               user="bob", timeout=300)
        time.sleep(3)
        ticks.append(_pid1_ticks(tb) - before)
    return load


def _open_files_under_descriptors(tb: Testbed) -> tuple[int, int]:
    watch = tb.popen(tb.trayapp_argv("idle-watch", "trayapp-testd", "--system", "--after",
                                     "600", "--json"),
                     user="alice", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=subprocess.DEVNULL, text=True)
    try:
        assert watch.stdout is not None
        for line in watch.stdout:  # its power features are up once it says ready
            if '"ready"' in line:
                break
        pid = int(tb.run("pgrep -n -u alice -f idle-watch").stdout.split()[0])
        before = len(tb.run(f"ls /proc/{pid}/fd").stdout.split())
        tb.run([str(tb.venv / "bin/python"), f"{STAGE}/testbed/forge.py", "--pid", str(pid),
                "fds", "1600", "2"], user="bob", timeout=600)
        time.sleep(2)
        after = len(tb.run(f"ls /proc/{pid}/fd").stdout.split())
    finally:
        watch.terminate()
        watch.communicate(timeout=30)
    return before, after


def run(tb: Testbed, row: Row) -> None:
    calls, dropped, rss, took = _cost(tb, _forged(tb))
    row(f"10,000 forged signals from bob ({took:.1f} s; {dropped} dropped)",
        f"{calls} calls to PID 1, RSS {rss:+d} KiB",
        "target: no call, no growth (before issue 12: about 1,000 calls per 1,500)")
    calls, _, rss, took = _cost(tb, lambda pid: _reload_storm(tb))
    row(f"genuine storm: 300 units made, 3 daemon-reloads, removed ({took:.1f} s)",
        f"{calls} calls to PID 1, RSS {rss:+d} KiB",
        "floor: one full read per coalesced resync (about 600 reads each)")
    ticks: list[int] = []
    calls, _, rss, took = _cost(tb, _stubs(tb, ticks))
    row(f"300 LoadUnit calls by bob of names with no unit ({took:.1f} s)",
        f"{calls} calls to PID 1, PID 1 {ticks[0] * 10} ms CPU, RSS {rss:+d} KiB",
        "target: a handful (before issue 22: 5,046 calls in 10 s after one, for ever)")
    before, after = _open_files_under_descriptors(tb)
    row("1,600 signals from bob carrying 2 descriptors each",
        f"open files {before} -> {after}",
        "target: flat (before issue 22: 21 -> 1,301 after 100 x 16)")
