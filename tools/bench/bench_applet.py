"""The tray applet's own figures, for tools/bench/bench.py: memory, idle CPU, start-up.

Inside the booted testbed, as alice, on a virtual desktop (Xvfb, trayer as
the XEmbed tray, dunst as the notification server; tools/desktop.py):

* resident memory after start, beside tools/testbed/mintray.py (one
  QSystemTrayIcon with a QMenu, the same Python, display and icon file);
* growth of resident memory over 10,000 state changes of a watched
  socket-activated daemon (tools/testbed/flipper.py);
* CPU time and wake-ups over 60 idle seconds, beside what polling peers pay
  in the same 60 s (ten ``systemctl is-active`` every 2 s, as alice);
* start-up to the first correct icon, beside ``trayapp status --json``.

``run(tb, row)`` reports through ``row(figure, value, yardstick, note)``.
Processes are read from the host, through /proc/<host pid>: nothing but the
yardsticks runs inside the testbed during the idle window.
"""

from __future__ import annotations

import contextlib
import os
import re
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools import desktop
from tools.desktop import DISPLAY, Lines, terminate
from tools.testbed.harness import STAGE, Testbed

Row = Callable[[str, str, str, str], None]

TESTD = "trayapp-testd.service"
FLIP = "trayapp-flip"
ICON = f"{STAGE}/trayapp/icons/trayapp-dormant.svg"
SETTINGS = f'watched = ["{FLIP}.service", "{TESTD}"]'
# Ten units loaded for the whole run: querying an unloaded one makes systemd
# load it and later collect it (UnitNew/UnitRemoved), which would wake every
# subscriber, the applet included, and blame it for the yardstick's noise.
POLLED = [
    "docker.service",
    "docker.socket",
    TESTD,
    "trayapp-testd.socket",
    "dbus.service",
    "dbus.socket",
    "systemd-journald.service",
    "systemd-journald.socket",
    "systemd-logind.service",
    "containerd.service",
]
IDLE_SECONDS = 60
FLIPS = (340, 3060)  # 3 changes each: ~1,000, then ~10,000 in all
TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")
MIB = 1024  # kB per MiB


# -- reading a process from the host ------------------------------------------------


def host_pid(p: subprocess.Popen[Any], timeout: float = 10) -> int:
    """The command's host PID: tb.popen starts nsenter, whose one child execs
    (setpriv, env, sh with exec) into the command itself."""
    children = Path(f"/proc/{p.pid}/task/{p.pid}/children")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            pids = children.read_text().split()
            if pids:
                return int(pids[0])
        time.sleep(0.01)
    raise RuntimeError(f"no child of nsenter {p.pid}")


def proc_status(pid: int) -> dict[str, str]:
    return _status_of(Path(f"/proc/{pid}"))


def kib(status: dict[str, str], key: str) -> int:
    return int(status.get(key, "0 kB").split()[0])


def pss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


class Cpu:
    """utime+stime (clock ticks, all threads, dead ones included), on-CPU ns
    (schedstat, live threads) and context switches (live threads)."""

    def __init__(self, pid: int) -> None:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        self.ticks = int(fields[11]) + int(fields[12])
        self.ns = 0
        self.voluntary = self.involuntary = 0
        self.threads: dict[str, tuple[int, int]] = {}  # "tid comm": (switches, ns)
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError, ValueError):
                ns = int((task / "schedstat").read_text().split()[0])
                st = _status_of(task)
                vol = int(st.get("voluntary_ctxt_switches", "0"))
                inv = int(st.get("nonvoluntary_ctxt_switches", "0"))
                self.ns += ns
                self.voluntary += vol
                self.involuntary += inv
                self.threads[f"{task.name} {st.get('Name', '?')}"] = (vol + inv, ns)

    def since(self, before: Cpu) -> tuple[int, float, int, int]:
        """ticks, ms on CPU, voluntary and involuntary switches since ``before``."""
        return (
            self.ticks - before.ticks,
            (self.ns - before.ns) / 1e6,
            self.voluntary - before.voluntary,
            self.involuntary - before.involuntary,
        )

    def woken(self, before: Cpu) -> list[str]:
        """The threads that switched since ``before``, with how often."""
        out = []
        for name, (sw, _ns) in self.threads.items():
            old = before.threads.get(name, (0, 0))[0]
            if sw != old:
                out.append(f"{name.split(' ', 1)[1]} {sw - old}")
        return out


def _status_of(task: Path) -> dict[str, str]:
    out = {}
    for line in (task / "status").read_text().splitlines():
        key, _, value = line.partition(":")
        out[key] = value.strip()
    return out


def settle(pid: int, quiet: float = 1.5, least: float = 1.5, timeout: float = 30) -> float:
    """Wait until the process has used no CPU for ``quiet`` seconds; returns
    how long that took (``timeout`` if it never went quiet)."""
    start = time.monotonic()
    last, since = Cpu(pid).ns, time.monotonic()
    while time.monotonic() - start < timeout:
        time.sleep(0.1)
        now = Cpu(pid).ns
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet and time.monotonic() - start >= least:
            return time.monotonic() - start
    return timeout


@dataclass
class Mem:
    """kB: resident, of it anonymous and file-backed, proportional (None if
    unreadable); shared objects mapped, of them Qt's and PySide's."""

    rss: int
    anon: int
    file: int
    pss: int | None
    libs: int
    qt_libs: int


def memory(pid: int) -> Mem:
    st = proc_status(pid)
    libs = set()
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
            path = line.split(maxsplit=5)[5:] or [""]
            if ".so" in path[0]:
                libs.add(path[0])
    return Mem(
        kib(st, "VmRSS"),
        kib(st, "RssAnon"),
        kib(st, "RssFile"),
        pss_kib(pid),
        len(libs),
        sum("Qt6" in lib or "/PySide6/" in lib for lib in libs),
    )


def mib(k: int | None) -> str:
    return "?" if k is None else f"{k / MIB:.1f} MiB"


# -- the desktop (tools/desktop.py's, plus what the benchmark needs) ---------------------


def first(lines: Lines, pattern: str, timeout: float) -> tuple[float, str] | None:
    """The first line matching ``pattern`` with its arrival time, or None."""
    try:
        return lines.wait_for(pattern, timeout)
    except AssertionError:
        return None


class Desktop(desktop.Desktop):
    def up(self) -> None:
        """Xvfb, trayer and dunst, without the applet (started per measurement)."""
        self.start(f"exec Xvfb {DISPLAY} -screen 0 640x240x24 -nolisten tcp "
                   "2>/home/alice/bench-xvfb.log")  # fmt: skip
        self.wait("Xvfb", lambda: "640 240" in self.sh("xdotool getdisplaygeometry", False))
        self.start("exec trayer --edge top --align right --widthtype request --height 32 "
                   "--transparent false 2>/home/alice/bench-trayer.log")  # fmt: skip
        self.start("exec dunst 2>/home/alice/bench-dunst.log")

    def icons_in_tray(self) -> int:
        """How many icons trayer holds (its width over its 32-pixel height)."""
        out = self.sh("xdotool search --class trayer getwindowgeometry %@", check=False)
        widths = [int(w) for w, h in re.findall(r"Geometry: (\d+)x(\d+)", out) if int(h) >= 24]
        return max(widths, default=0) // 24

    def wait_icons(self, n: int, timeout: float = 10) -> bool:
        try:
            self.wait(f"{n} icons in the tray", lambda: self.icons_in_tray() >= n, timeout)
        except AssertionError:
            return False
        return True

    def end(self, p: subprocess.Popen[Any]) -> None:
        """Stop one of the desktop's processes (SIGTERM, then SIGKILL)."""
        terminate(p)
        self.procs.remove(p)


# -- the figures -------------------------------------------------------------------------


def start_mintray(d: Desktop, icon: str | None) -> tuple[subprocess.Popen[Any], int]:
    argv = [str(d.tb.venv / "bin/python"), f"{STAGE}/testbed/mintray.py"]
    p = d.start(argv + ([icon] if icon else []), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = Lines(p.stdout)
    pid = host_pid(p)
    if first(out, "^ready$", 30) is None:
        d.end(p)
        raise RuntimeError(f"mintray did not start:\n{out.text()}")
    return p, pid


def measure_mintray(d: Desktop, icon: str | None) -> tuple[Mem, bool]:
    p, pid = start_mintray(d, icon)
    try:
        embedded = d.wait_icons(1)
        settle(pid)
        return memory(pid), embedded
    finally:
        d.end(p)


def start_applet(d: Desktop, verbose: bool) -> tuple[subprocess.Popen[Any], Lines, int]:
    """The applet, its output (with a first line: the launch time, ns) and host PID."""
    argv = " ".join(d.tb.trayapp_argv(*(["-v"] if verbose else [])))
    p = d.start(f"date +%s%N; exec {argv} 2>&1", stdout=subprocess.PIPE)
    return p, Lines(p.stdout), host_pid(p)


def bench_startup(d: Desktop, row: Row, runs: int = 5) -> None:
    """Launch to the first correct icon, ``trayapp -v``, ``runs`` times.

    The tray shows a placeholder "idle" before anything is read (``tray
    status None -> idle``) and logs ``tray status idle -> X`` when a refresh
    from systemd's state first changes it; a watched daemon is kept running
    so that happens.  A line ``first state shown: X`` (proposed for app.py,
    after the first refresh that follows ``monitor.watch()``) is taken
    instead when present: it also marks a first state that equals the
    placeholder.
    """
    tb = d.tb
    tb.run(f"systemctl start {TESTD}")
    took: list[float] = []
    placeholder: list[float] = []
    reached: set[str] = set()
    markers: set[str] = set()
    for _ in range(runs):
        p, out, _pid = start_applet(d, verbose=True)
        try:
            launched = first(out, r"^\d{19}$", 10)
            marker = first(out, r"tray status idle -> \S+$", 30)
            proposed = first(out, r"first state shown", 0.3)
            shown = first(out, r"tray status None -> ", 0.5)
            if proposed is not None:
                marker = proposed
            if launched is None or marker is None:
                raise RuntimeError(f"no start-up marker in the applet's log:\n{out.text()}")
            t0 = int(launched[1]) / 1e9
            took.append((marker[0] - t0) * 1000)
            if shown is not None:
                placeholder.append((shown[0] - t0) * 1000)
            reached.add(marker[1].rsplit(" ", 1)[-1])
            markers.add("first state shown" if proposed else "tray status idle -> X")
        finally:
            d.end(p)
    status = _wall_ms(tb, " ".join(tb.trayapp_argv("status", "--json")), runs)
    median = statistics.median(took)
    ph = (
        f"; placeholder 'idle' icon at {statistics.median(placeholder):.0f} ms"
        if placeholder
        else ""
    )
    row(
        f"applet start-up to first correct icon, median of {runs}",
        f"{median:.0f} ms (runs {'/'.join(f'{x:.0f}' for x in took)})",
        f"trayapp status --json {status:.0f} ms (median of {runs})",
        f"ratio {median / status:.1f}x; marker: log line '{' and '.join(sorted(markers))}' "
        f"(icon reached {'/'.join(sorted(reached))}; trayapp -v){ph}",
    )
    tb.run(f"systemctl stop {TESTD}")


def _wall_ms(tb: Testbed, cmd: str, runs: int) -> float:
    script = (
        f"for i in $(seq {runs}); do s=$(date +%s%N); {cmd} >/dev/null 2>&1; "
        "e=$(date +%s%N); echo $(( (e - s) / 1000 )); done"
    )
    return (
        statistics.median(int(x) for x in tb.run(script, user="alice", timeout=120).stdout.split())
        / 1000
    )


def bench_memory_cpu(d: Desktop, row: Row) -> None:
    tb = d.tb
    py = str(tb.venv / "bin/python")
    yard, yard_embedded = measure_mintray(d, ICON)
    plain, _ = measure_mintray(d, None)

    p, out, pid = start_applet(d, verbose=False)
    try:
        embedded = d.wait_icons(1)
        took = settle(pid, quiet=2)
        mem = memory(pid)
        ratio = mem.rss / yard.rss
        row(
            "applet RSS after start",
            f"{mib(mem.rss)} (PSS {mib(mem.pss)})",
            f"minimal tray {mib(yard.rss)} (PSS {mib(yard.pss)}); "
            f"without SVG icon {mib(plain.rss)}",
            f"ratio {ratio:.2f}x (target <= 1.25x and < 65 MiB); "
            f"anon {mib(mem.anon)} vs {mib(yard.anon)}, file {mib(mem.file)} vs "
            f"{mib(yard.file)}; .so mapped {mem.libs} vs {yard.libs} "
            f"(Qt/PySide {mem.qt_libs} vs {yard.qt_libs})"
            + ("" if embedded and yard_embedded else "; ICON NOT SEEN IN THE TRAY")
            + (f"; settled after {took:.1f} s" if took < 30 else "; NEVER WENT QUIET"),
        )

        # 60 idle seconds, with the polling peers' loop in the same window,
        # and the minimal tray beside it (what Qt alone wakes for).
        control, control_pid = start_mintray(d, ICON)
        settle(control_pid)
        settle(pid)  # trayer moved the applet's icon over for the new one
        units = " ".join(POLLED)
        loop = (
            f"for r in $(seq {IDLE_SECONDS // 2}); do sleep 2 & "
            f"for u in {units}; do systemctl is-active $u >/dev/null; done; wait; done; "
            "times"
        )
        assert tb.pid is not None
        init = Cpu(tb.pid)
        bus_pid = _host_pid_of(tb, "systemctl show -P MainPID dbus.service")
        bus0 = Cpu(bus_pid)
        before, t0, control0 = Cpu(pid), time.monotonic(), Cpu(control_pid)
        res = tb.run(["bash", "-c", loop], user="alice", timeout=IDLE_SECONDS + 60)
        after, window, control1 = Cpu(pid), time.monotonic() - t0, Cpu(control_pid)
        d.end(control)
        _, c_ms, c_vol, c_inv = control1.since(control0)
        init1, bus1 = Cpu(tb.pid), Cpu(bus_pid)
        ticks, ms, vol, inv = after.since(before)
        peer_ms = _times_ms(res.stdout)
        served = init1.since(init)[1] + bus1.since(bus0)[1]
        woken = after.woken(before)
        row(
            f"applet CPU over {window:.0f} idle s",
            f"{ticks} ticks ({ticks * TICK_MS:.0f} ms), {ms:.1f} ms on CPU, {vol + inv} wake-ups",
            f"10 systemctl is-active every 2 s: {peer_ms:.0f} ms CPU (user+sys, children); "
            f"systemd+dbus-daemon serving them {served:.0f} ms",
            "target: 0 CPU and 0 wake-ups while nothing changes"
            + (f"; woken threads: {', '.join(woken)}" if woken else "")
            + f"; minimal tray in the same window: {c_ms:.1f} ms, {c_vol + c_inv} wake-ups",
        )

        # 10,000 changes of a watched daemon.
        rss = [memory(pid).rss]
        cpu0 = Cpu(pid)
        done = 0
        for n in FLIPS:
            tb.run([py, f"{STAGE}/testbed/flipper.py", f"{FLIP}.service", str(n)], timeout=300)
            done += n
            settle(pid)
            rss.append(memory(pid).rss)
        cpu1 = Cpu(pid)
        grew = rss[-1] - rss[0]
        ticks = cpu1.since(cpu0)[0]
        alive = p.poll() is None
        trouble = "Traceback" in out.text()
        row(
            f"applet RSS growth over ~{done * 3:,} changes ({done} flips)",
            f"{grew / MIB:+.2f} MiB ({mib(rss[0])} -> {mib(rss[-1])})",
            "target < 2 MiB",
            f"after the first {FLIPS[0] * 3:,}: {mib(rss[1])}; "
            f"CPU {ticks * TICK_MS:.0f} ms ({ticks * TICK_MS * 1000 / (done * 3):.0f} us per "
            f"change)"
            + ("" if alive else "; APPLET DIED")
            + ("; TRACEBACK IN ITS LOG" if trouble else ""),
        )
    finally:
        d.end(p)


def _host_pid_of(tb: Testbed, inside_cmd: str) -> int:
    """Host PID of a process known inside by ``inside_cmd``'s output (a PID)."""
    inner = tb.run(inside_cmd).stdout.strip()
    pidns = os.readlink(f"/proc/{tb.pid}/ns/pid")
    for st in Path("/proc").glob("[0-9]*/status"):
        with contextlib.suppress(OSError):
            ns = re.search(r"^NSpid:\s*(.*)$", st.read_text(), re.M)
            if (
                ns
                and ns.group(1).split()[-1] == inner
                and os.readlink(st.parent / "ns/pid") == pidns
            ):
                return int(st.parent.name)
    raise RuntimeError(f"no host PID for {inner}")


def _times_ms(out: str) -> float:
    """The children's user+sys from bash's ``times`` (its second line)."""
    lines = [x for x in out.splitlines() if "m" in x and "s" in x]
    total = 0.0
    for part in lines[-1].split():
        m, s = part.rstrip("s").split("m")
        total += int(m) * 60 + float(s)
    return total * 1000


# -- set-up and the entry point ----------------------------------------------------------


def run(tb: Testbed, row: Row) -> None:
    tb.run(
        f"printf '[Socket]\\nListenStream=/run/{FLIP}.sock\\n' "
        f"> /run/systemd/system/{FLIP}.socket; "
        "printf '[Unit]\\nStartLimitIntervalSec=0\\n[Service]\\n"
        f"ExecStart=/bin/sleep infinity\\n' > /run/systemd/system/{FLIP}.service; "
        f"systemctl daemon-reload; systemctl start {FLIP}.socket; "
        f"systemctl disable --now {TESTD}; systemctl enable --now trayapp-testd.socket"
    )
    tb.run(
        f"mkdir -p ~/.config/trayapp && echo '{SETTINGS}' > ~/.config/trayapp/settings.toml",
        user="alice",
    )
    d = Desktop(tb)
    try:
        d.up()
        bench_memory_cpu(d, row)
        bench_startup(d, row)
    finally:
        d.stop()
        tb.run(
            f"systemctl stop {FLIP}.socket {FLIP}.service {TESTD}; "
            f"rm -f /run/systemd/system/{FLIP}.*; systemctl daemon-reload",
            check=False,
        )
        tb.run("rm -f ~/.config/trayapp/settings.toml", user="alice", check=False)
