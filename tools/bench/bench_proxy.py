"""Benchmark rows for issue 15: PostgreSQL on demand through systemd-socket-proxyd.

* the first query through a dormant proxy (the proxy and PostgreSQL start,
  then ``select 1`` is answered), beside the same query to an always-on
  PostgreSQL, and a query through the proxy once it is awake;
* the memory PostgreSQL's cgroup holds while it runs (what on demand saves
  while it sleeps), and the proxy's own.

``run(tb, row)`` is called by tools/bench/bench.py; it leaves PostgreSQL as it
found it (its port, stopped or running).
"""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable

from tools.testbed.harness import Testbed

Row = Callable[..., None]
PW = "PGPASSWORD=benchpw"
QUERY = f"{PW} psql -h 127.0.0.1 -p {{port}} -U postgres -tAc 'select 1'"


def _ms(tb: Testbed, cmd: str) -> float:
    """Wall time of one command, timed inside the testbed (no nsenter cost)."""
    out = tb.run(f"s=$(date +%s%N); {cmd} >/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000 ))",
                 user="alice", timeout=120).stdout.split()
    return int(out[-1]) / 1000


def _wait(tb: Testbed, unit: str, state: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while tb.run(f"systemctl is-active {unit}", check=False).stdout.strip() != state:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{unit} not {state} after {timeout} s")
        time.sleep(0.1)


def _cgroup_bytes(tb: Testbed, unit: str) -> int | None:
    """The unit's memory: systemd's MemoryCurrent, else its processes' RSS summed."""
    value = tb.run(f"systemctl show -P MemoryCurrent {unit}").stdout.strip()
    if value.isdigit() and int(value) < 2**63:
        return int(value)
    rss = tb.run(f"ps -o rss= -p $(systemctl show -P ControlGroup {unit} | xargs -I{{}} "
                 "cat /sys/fs/cgroup/systemd{}/cgroup.procs | paste -sd,) 2>/dev/null",
                 check=False).stdout.split()
    return sum(int(x) for x in rss if x.isdigit()) * 1024 or None


def run(tb: Testbed, row: Row, rounds: int = 5) -> None:
    version, name = tb.run("pg_lsclusters -h | head -1").stdout.split()[:2]
    pg = f"postgresql@{version}-{name}"
    conf = f"/etc/postgresql/{version}/{name}/postgresql.conf"
    was_active = tb.run(f"systemctl is-active {pg}", check=False).stdout.strip() == "active"
    tb.run(f"sed -i 's/^port = 5432/port = 15432/' {conf} && systemctl restart {pg} && "
           "runuser -u postgres -- psql -p 15432 -qc \"ALTER USER postgres PASSWORD 'benchpw'\"",
           timeout=120)
    try:
        _measure(tb, row, pg, rounds)
    finally:
        tb.run(tb.trayapp_argv("always-on", pg), user="alice", check=False, timeout=120)
        tb.run(f"sed -i 's/^port = 15432/port = 5432/' {conf} && systemctl restart {pg}",
               check=False, timeout=120)
        if not was_active:
            tb.run(f"systemctl stop {pg}", check=False, timeout=120)


def _measure(tb: Testbed, row: Row, pg: str, rounds: int) -> None:
    direct = statistics.median(_ms(tb, QUERY.format(port=15432)) for _ in range(rounds * 3))
    memory = _cgroup_bytes(tb, pg)
    res = tb.run(tb.trayapp_argv("on-demand", pg, "--listen", "127.0.0.1:5432", "--backend",
                                 "127.0.0.1:15432", "--proxy-idle", "1"),
                 user="alice", check=False, timeout=120)
    if res.returncode != 0:
        raise RuntimeError(f"on-demand through a proxy failed: {res.stdout}{res.stderr}")
    cold: list[float] = []
    warm: list[float] = []
    proxy_kib: list[int] = []
    for _ in range(rounds):
        _wait(tb, f"{pg}.service", "inactive")
        cold.append(_ms(tb, QUERY.format(port=5432)))
        # Awake: hold one connection open (keeps the proxy from its idle exit) and query.
        hold = tb.popen(f"{PW} psql -h 127.0.0.1 -p 5432 -U postgres -c 'select pg_sleep(3)'",
                        user="alice", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(0.5)
        warm.append(statistics.median(_ms(tb, QUERY.format(port=5432)) for _ in range(3)))
        # The proxy's command name, cut to 15 characters by the kernel.
        kib = tb.run("ps -o rss= -C systemd-socket-", check=False).stdout.split()
        proxy_kib += [int(k) for k in kib if k.isdigit()]
        _, err = hold.communicate(timeout=30)
        if hold.returncode != 0:
            raise RuntimeError(f"a connection held through the proxy failed: {err}")
    first = statistics.median(cold)
    row("first query through a dormant proxy (PostgreSQL started on the way)",
        f"{first:.0f} ms (median of {rounds}; {min(cold):.0f}-{max(cold):.0f})",
        f"always-on PostgreSQL: {direct:.1f} ms per query",
        f"{first / direct:.0f}x, paid once per wake")
    row("query through the awake proxy", f"{statistics.median(warm):.1f} ms",
        f"direct {direct:.1f} ms", "the proxy's own cost per query (a new connection)")
    row(f"{pg} cgroup memory while running",
        f"{memory / 2**20:.1f} MiB" if memory else "not accounted here",
        "0 while dormant (the proxy's socket is held by PID 1)",
        f"proxy process while forwarding: {max(proxy_kib) / 1024:.1f} MiB RSS"
        if proxy_kib else "")
