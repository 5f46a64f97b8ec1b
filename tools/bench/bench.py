"""The benchmark: boots the testbed and prints one table of figures, each beside its yardstick.

Run as root on the host: ``/opt/trayapp-venv/bin/python tools/bench/bench.py``.
Figures only, no assertions: the targets are printed beside them.

* ``trayapp status --json`` wall time (as the unprivileged user), beside ten
  ``systemctl is-active`` calls (what polling peers pay per refresh) and
  ``python3 -c "import dbus_fast"`` (the floor for any Python D-Bus client).
* D-Bus calls at start-up for 10 and for 200 socket units.
* Latency from systemd's PropertiesChanged signal (seen by an independent
  listener) to the ``status --watch --json`` line, over 200 changes.
* Calls to PID 1 and RSS change of the watcher under 10,000 forged signals
  and under a genuine 300-unit daemon-reload storm (bench_attacks.py).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tools.testbed.harness import STAGE, TRIXIE, Testbed  # noqa: E402
from tools.testbed.versions import describe  # noqa: E402

TESTD = "trayapp-testd.service"
STATE_OF_SIGNAL = {"activating": "starting", "active": "running", "deactivating": "stopping",
                   "inactive": "dormant"}
ROWS: list[tuple[str, str, str, str]] = []


def row(figure: str, value: str, yardstick: str, verdict: str = "") -> None:
    ROWS.append((figure, value, yardstick, verdict))
    print(f"  {figure}: {value}   [{yardstick}] {verdict}", flush=True)


def wall_ms(tb: Testbed, argv: list[str] | str, user: str | None = "alice", runs: int = 15
            ) -> float:
    """Median wall time of a command run inside, timed inside (no nsenter cost)."""
    cmd = argv if isinstance(argv, str) else " ".join(argv)
    script = (f"for i in $(seq {runs}); do s=$(date +%s%N); {cmd} >/dev/null 2>&1; "
              "e=$(date +%s%N); echo $(( (e - s) / 1000 )); done")
    out = tb.run(script, user=user, timeout=300).stdout.split()
    return statistics.median(int(x) for x in out) / 1000


def bench_status(tb: Testbed) -> None:
    py = str(tb.venv / "bin/python")
    tb.run(f"systemctl disable --now {TESTD}; systemctl enable --now trayapp-testd.socket")
    status = wall_ms(tb, f"PYTHONPATH={STAGE} {py} -m trayapp status --json")
    units = " ".join(["docker.service", TESTD, "cups.service", "dbus.service",
                      "systemd-journald.service", "docker.socket", "trayapp-testd.socket",
                      "dbus.socket", "systemd-journald.socket", "containerd.service"])
    polling = wall_ms(tb, f"for u in {units}; do systemctl is-active $u; done")
    bare = wall_ms(tb, f"{py} -c 'import dbus_fast'")
    row("status --json (system+user), median of 15", f"{status:.1f} ms",
        f"ten systemctl is-active {polling:.1f} ms; import dbus_fast {bare:.1f} ms",
        f"ratio to import {status / bare:.2f}x (target <= 2x)")


def bench_calls(tb: Testbed) -> None:
    py = str(tb.venv / "bin/python")
    stats_cmd = f"{py} -m trayapp status --system --json --stats"

    def count() -> tuple[int, int, str]:
        res = tb.run(stats_cmd, user="alice")
        sockets = {s for d in json.loads(res.stdout) for s in d["sockets"]}
        line = res.stderr.strip().splitlines()[-1]
        return len(sockets), int(line.split()[1]), line

    present, _, _ = count()
    for target in (10, 200):
        extra = max(0, target - present)
        tb.run("rm -f /run/systemd/system/bench-*; "
               f"for i in $(seq {extra}); do "
               "printf '[Socket]\\nListenStream=/run/bench-%s.sock\\n[Install]\\n"
               "WantedBy=sockets.target\\n' $i > /run/systemd/system/bench-$i.socket; "
               "printf '[Service]\\nExecStart=/bin/true\\n' > /run/systemd/system/bench-$i.service;"
               " done; systemctl daemon-reload")
        sockets, calls, line = count()
        services = len({d["service"] for d in json.loads(
            tb.run(stats_cmd, user="alice").stdout)})
        floor = 2 + sockets + services
        row(f"D-Bus calls at start-up, {sockets} sockets / {services} services", str(calls),
            f"2 list calls + 1 read per socket and per service = {floor}",
            "(" + line.split("(", 1)[1].split(")")[0] + ")")
    tb.run("rm -f /run/systemd/system/bench-*; systemctl daemon-reload")


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def bench_latency(tb: Testbed, changes: int = 200) -> None:
    py = str(tb.venv / "bin/python")
    tb.run(f"systemctl disable --now {TESTD}; systemctl enable --now trayapp-testd.socket")
    siglog = tb.popen([py, f"{STAGE}/testbed/siglog.py", "system", TESTD],
                      stdout=subprocess.PIPE)
    assert siglog.stdout is not None
    json.loads(siglog.stdout.readline())  # ready
    watch = tb.popen(tb.trayapp_argv("status", "--watch", "--json", "--system"), user="alice",
                     stdout=subprocess.PIPE)
    assert watch.stdout is not None
    while json.loads(watch.stdout.readline()).get("service") != TESTD:
        pass
    # A start is one change (Type=simple: dormant to running), a stop two (stopping, dormant).
    flips = -(-changes // 3)
    tb.run(f"for i in $(seq {flips}); do systemctl start {TESTD}; systemctl stop {TESTD}; done",
           timeout=300)
    time.sleep(1)
    watch.terminate()
    siglog.terminate()
    lines = [json.loads(x) for x in watch.stdout.read().splitlines() if x.strip()]
    signals = [json.loads(x) for x in siglog.stdout.read().splitlines() if x.strip()]
    seen = [e for e in lines
            if e["service"] == TESTD and e["event"] not in ("appeared", "vanished")]
    # systemd repeats ActiveState in every PropertiesChanged (SubState, Job...
    # change too): keep the signals where it actually changed.
    transitions, last = [], None
    for s in signals:
        if s.get("ActiveState") and s["ActiveState"] != last:
            transitions.append(s)
            last = s["ActiveState"]
    signals = transitions
    latencies: list[float] = []
    j = 0
    for e in seen:
        while j < len(signals) and STATE_OF_SIGNAL.get(signals[j].get("ActiveState", "")) \
                != e["state"]:
            j += 1
        if j == len(signals):
            break
        latencies.append((_epoch(e["at"]) - signals[j]["t"]) * 1000)
        j += 1
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    row(f"signal -> --watch line, {len(latencies)} changes", f"p50 {p50:.2f} ms, p99 {p99:.2f} ms",
        "polling peers: 1 000 to 5 000 ms (their poll interval)",
        f"(target p99 <= 10 ms; final state {seen[-1]['state'] if seen else '?'})")


def bench_actions(tb: Testbed, runs: int = 5) -> None:
    """Each action on the test daemon beside the classic systemctl recipe (as root)."""
    py = f"PYTHONPATH={STAGE} {tb.venv}/bin/python -m trayapp"
    sock = "trayapp-testd.socket"
    always_on = f"systemctl disable --now {sock}; systemctl enable --now {TESTD}"
    on_demand = f"systemctl disable --now {TESTD}; systemctl enable --now {sock}"
    cases = [
        ("on-demand", always_on,
         f"systemctl disable {TESTD}; systemctl stop {TESTD}; "
         f"systemctl enable {sock}; systemctl start {sock}"),
        ("always-on", on_demand, f"systemctl enable {TESTD}; systemctl start {TESTD}"),
        ("stop", f"{on_demand}; systemctl start {TESTD}", f"systemctl stop {TESTD}"),
        ("start", on_demand, f"systemctl start {TESTD}"),
    ]
    for action, setup, recipe in cases:
        times_ours, times_inside, times_recipe = [], [], []
        for _ in range(runs):
            tb.run(setup)
            times_ours.append(wall_ms(tb, f"{py} {action} trayapp-testd", "alice", runs=1))
            tb.run(setup)
            err = tb.run(f"{py} {action} trayapp-testd --stats", user="alice").stderr
            times_inside.append(float(err.rsplit(" in ", 1)[1].split()[0]))
            tb.run(setup)
            times_recipe.append(wall_ms(tb, recipe, None, runs=1))
        o, i = statistics.median(times_ours), statistics.median(times_inside)
        r = statistics.median(times_recipe)
        row(f"trayapp {action} (verified result), median of {runs}",
            f"{o:.0f} ms (in-process {i:.0f} ms)", f"systemctl recipe {r:.0f} ms",
            f"ratio {o / r:.2f}x, in-process {i / r:.2f}x (target <= 1x)")
    tb.run(on_demand)


def bench_storm(tb: Testbed, units: int = 8, seconds: float = 10) -> None:
    """Several daemons flipped at once: signals per second, loop lag, final model."""
    names = [f"trayapp-storm{i}" for i in range(units)]
    for n in names:
        tb.run(f"printf '[Socket]\\nListenStream=/run/{n}.sock\\n' "
               f"> /run/systemd/system/{n}.socket; "
               "printf '[Unit]\\nStartLimitIntervalSec=0\\n[Service]\\n"
               f"ExecStart=/bin/sleep infinity\\n' > /run/systemd/system/{n}.service")
    tb.run("systemctl daemon-reload; systemctl start " + " ".join(f"{n}.socket" for n in names))
    py = str(tb.venv / "bin/python")
    siglog = tb.popen([py, f"{STAGE}/testbed/siglog.py", "system",
                       *(f"{n}.service" for n in names)], stdout=subprocess.PIPE)
    assert siglog.stdout is not None
    json.loads(siglog.stdout.readline())
    watch = tb.popen(tb.trayapp_argv("status", "--watch", "--json", "--system"), user="alice",
                     env={"TRAYAPP_LAG_PROBE": "1"}, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE)
    assert watch.stdout is not None and watch.stderr is not None
    while json.loads(watch.stdout.readline()).get("service") != f"{names[-1]}.service":
        pass
    # Drain both pipes while the storm runs: a full pipe would block the
    # writer, and the benchmark would measure its own back-pressure.
    out_lines: list[str] = []
    sig_lines: list[str] = []
    readers = [threading.Thread(target=lambda f, acc: acc.extend(f), args=(stream, acc),
                                daemon=True)
               for stream, acc in ((watch.stdout, out_lines), (siglog.stdout, sig_lines))]
    for reader in readers:
        reader.start()
    flips = int(seconds * 110 / units)
    started = time.monotonic()
    tb.run(" & ".join(f"{py} {STAGE}/testbed/flipper.py {n}.service {flips}" for n in names)
           + "; wait", timeout=600)
    took = time.monotonic() - started
    time.sleep(1)
    watch.terminate()
    siglog.terminate()
    for reader in readers:
        reader.join(timeout=10)
    lines = [json.loads(x) for x in out_lines if x.strip()]
    lag = watch.stderr.read().strip().splitlines()[-1].removeprefix("trayapp: ")
    signals = [x for x in sig_lines if x.strip()]
    final = {e["service"]: e["state"] for e in lines if e["service"].startswith("trayapp-storm")}
    truth = {d["service"]: d["state"] for d in json.loads(
        tb.run(tb.trayapp_argv("status", "--json", "--system"), user="alice").stdout)
        if d["service"].startswith("trayapp-storm")}
    row(f"storm: {len(signals)} PropertiesChanged in {took:.1f} s "
        f"({len(signals) / took:.0f}/s), {units} daemons", lag,
        "target: the loop stays responsive (p99 lag of a few ms)",
        f"final model {'equals' if final == truth else 'DIFFERS from'} systemd's")
    tb.run("systemctl stop " + " ".join(f"{n}.socket {n}.service" for n in names)
           + "; rm -f /run/systemd/system/trayapp-storm*; systemctl daemon-reload")


def main() -> int:
    if os.geteuid() != 0:
        print("bench.py: run as root (it boots the systemd testbed)", file=sys.stderr)
        return 2
    venv = Path(os.environ.get("TRAYAPP_VENV", "/opt/trayapp-venv"))
    # Issue 14: the same rows on the host's Debian 12 (systemd 252, trayapp on the
    # venv) and on the Debian 13 root (systemd 257, trayapp on Debian's libraries;
    # tools/testbed/trixie.sh builds it). TRAYAPP_BENCH_ROOTS=host (or trixie): one.
    for name in os.environ.get("TRAYAPP_BENCH_ROOTS", "host trixie").split():
        bench_root(venv, None if name == "host" else TRIXIE if name == "trixie" else Path(name))
    return 0


def bench_root(venv: Path, lower: Path | None) -> None:
    """Every benchmark on one root, then its table under a header naming its systemd."""
    ROWS.clear()
    tb = Testbed(REPO, venv, lower)
    tb.boot()
    header = "?"
    try:
        header = describe(tb)
        print(f"machine: {os.cpu_count()} cores, {os.uname().release}; {header}", flush=True)
        bench_status(tb)
        bench_calls(tb)
        bench_latency(tb)
        from tools.bench import bench_applet  # the tray applet: memory, idle CPU, start-up

        bench_applet.run(tb, row)
        bench_storm(tb)
        from tools.bench import bench_attacks  # issue 12: forged signals, a reload storm

        bench_attacks.run(tb, row)
        bench_actions(tb)
        from tools.bench import bench_proxy  # issue 15: PostgreSQL through a proxy, on demand

        bench_proxy.run(tb, row)
    finally:
        tb.stop()
    width = [max(len(r[i]) for r in ROWS) for i in range(3)]
    print(f"\n{header}\n\n| figure | value | yardstick | note |\n|---|---|---|---|")
    for r in ROWS:
        print(f"| {r[0]:<{width[0]}} | {r[1]:<{width[1]}} | {r[2]:<{width[2]}} | {r[3]} |")


if __name__ == "__main__":
    sys.exit(main())
