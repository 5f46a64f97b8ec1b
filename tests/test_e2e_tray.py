"""The real applet on a real virtual desktop inside the testbed (issue 4).

As alice, inside the booted testbed: Xvfb, trayer (an XEmbed tray), dunst (a
notification server with actions) on her session bus, and ``trayapp``
watching the system's trayapp-testd.service.  xdotool clicks the icon and
walks the menu with the keyboard; systemctl says whether the switch
happened; dbus-monitor on her session bus shows what was notified.
Screenshots land in artifacts/ (repo root, gitignored).

Keyboard walk: Down selects the first row (the only watched daemon), Right
opens its submenu with the first *enabled* action selected, Return runs it.
For a dormant on-demand daemon that is "Switch to always-on"; for a running
always-on one, "Switch to on-demand".  systemd's state afterwards proves
which one ran; the screenshots show the menus.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "artifacts"
TESTD = "trayapp-testd.service"
TESTD_SOCKET = "trayapp-testd.socket"
DISPLAY = ":5"
SIGLOG = "/var/lib/trayapp-testbed/stage/testbed/siglog.py"
X = {"DISPLAY": DISPLAY}

pytestmark = [pytest.mark.testbed, pytest.mark.desktop]


class Lines:
    """Collects a process's output lines with their arrival time (Unix time)."""

    def __init__(self, stream: Any) -> None:
        self.lines: list[tuple[float, str]] = []
        self._cond = threading.Condition()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: Any) -> None:
        for line in stream:
            with self._cond:
                self.lines.append((time.time(), line.rstrip("\n")))
                self._cond.notify_all()

    def text(self) -> str:
        with self._cond:
            return "\n".join(line for _, line in self.lines)

    def wait_for(self, pattern: str, timeout: float = 20, after: int = 0) -> tuple[float, str]:
        """The first line from index ``after`` on matching ``pattern``."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        with self._cond:
            while True:
                for at, line in self.lines[after:]:
                    if rx.search(line):
                        return at, line
                left = deadline - time.monotonic()
                if left <= 0:
                    tail = "\n".join(x for _, x in self.lines[-40:])
                    raise AssertionError(f"no line matching {pattern!r} in {timeout}s:\n{tail}")
                self._cond.wait(left)


class Desktop:
    def __init__(self, tb: Any) -> None:
        self.tb = tb
        self.procs: list[subprocess.Popen[str]] = []
        self.app: subprocess.Popen[str] | None = None
        self.log: Lines | None = None
        self.notes: Lines | None = None
        self.timings: list[str] = []

    def start(self, argv: list[str] | str, **kw: Any) -> subprocess.Popen[str]:
        p = self.tb.popen(argv, user="alice", env=X, **kw)
        self.procs.append(p)
        return p

    def sh(self, cmd: str, check: bool = True, timeout: float = 30) -> str:
        res = self.tb.run(cmd, user="alice", env=X, check=check, timeout=timeout)
        return str(res.stdout)

    def wait(self, what: str, probe: Callable[[], bool], timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not probe():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.1)

    def screenshot(self, name: str, crop: str | None = None) -> Path:
        inside = f"/home/alice/{name}.png"
        self.sh(f"import -window root {inside}")
        out = ARTIFACTS / f"{name}.png"
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copyfile(self.tb.host_path(inside), out)
        if crop:  # a magnified copy of a small region, to look at the icon
            subprocess.run(["convert", str(out), "-crop", crop, "+repage", "-scale", "800%",
                            str(ARTIFACTS / f"{name}-zoom.png")], check=True)  # fmt: skip
        return out

    def tray_geometry(self) -> tuple[int, int, int, int] | None:
        """x, y, width, height of trayer's panel, once an icon widened it."""
        out = self.sh("xdotool search --class trayer getwindowgeometry %@", check=False)
        found = re.findall(r"Position: (\d+),(\d+).*?\n\s*Geometry: (\d+)x(\d+)", out)
        for x, y, w, h in found:
            if int(h) >= 24 and int(w) >= 16:
                return int(x), int(y), int(w), int(h)
        return None

    def click_icon(self) -> None:
        geo = self.tray_geometry()
        assert geo is not None, "no icon in the tray"
        x, y, w, h = geo
        self.sh(f"xdotool mousemove {x + w // 2} {y + h // 2} click 1")
        time.sleep(0.6)

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.sh(f"xdotool key {key}")
            time.sleep(0.3)

    def stop(self) -> None:
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()


def on_demand_testd(tb: Any) -> None:
    tb.run(f"systemctl reset-failed {TESTD} {TESTD_SOCKET} 2>/dev/null; "
           f"systemctl disable --now {TESTD}; systemctl enable --now {TESTD_SOCKET}")  # fmt: skip


def unit_state(tb: Any, unit: str) -> tuple[str, str]:
    enabled = tb.run(f"systemctl is-enabled {unit}", check=False).stdout.strip()
    active = tb.run(f"systemctl is-active {unit}", check=False).stdout.strip()
    return enabled, active


def wait_units(d: Desktop, wanted: dict[str, tuple[str, str]], timeout: float = 30) -> None:
    d.wait(f"units {wanted}",
           lambda: all(unit_state(d.tb, u) == s for u, s in wanted.items()), timeout)  # fmt: skip


@pytest.fixture(scope="module")
def desktop(testbed: Any) -> Iterator[Desktop]:
    tb = testbed
    on_demand_testd(tb)
    # The harness stages trayapp/ but not resources/; the stage is a bind
    # mount of a host directory, so a copy made now shows inside.
    stage_resources = tb.state / "stage" / "resources"
    if not stage_resources.exists():
        shutil.copytree(REPO / "resources", stage_resources)
        for path in [stage_resources, *stage_resources.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
    tb.run("mkdir -p ~/.config/trayapp && printf '%s\\n' 'watched = [\"trayapp-testd.service\"]' "
           "'hidden = [\"docker.service\"]' > ~/.config/trayapp/settings.toml",
           user="alice")  # fmt: skip
    d = Desktop(tb)
    try:
        d.start(f"exec Xvfb {DISPLAY} -screen 0 640x240x24 -nolisten tcp 2>/home/alice/xvfb.log")
        d.wait("Xvfb", lambda: "640 240" in d.sh("xdotool getdisplaygeometry", check=False))
        d.start("exec trayer --edge top --align right --widthtype request --height 32 "
                "--transparent false 2>/home/alice/trayer.log")  # fmt: skip
        d.start("exec dunst 2>/home/alice/dunst.log")
        monitor = d.start(
            ["dbus-monitor", "--session",
             "interface='org.freedesktop.Notifications',member='Notify'"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        d.notes = Lines(monitor.stdout)
        d.notes.wait_for("NameAcquired")  # monitoring before the app says anything
        d.app = d.start(tb.trayapp_argv("-v"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        d.log = Lines(d.app.stdout)
        d.log.wait_for(r"tray status None -> ")
        d.wait("the icon in the tray", lambda: d.tray_geometry() is not None)
        yield d
    finally:
        d.stop()
        (ARTIFACTS / "e2e-tray.log").parent.mkdir(exist_ok=True)
        (ARTIFACTS / "e2e-tray.log").write_text(
            (d.log.text() if d.log else "") + "\n--- notifications:\n"
            + (d.notes.text() if d.notes else "") + "\n--- timings:\n" + "\n".join(d.timings)
        )  # fmt: skip
        on_demand_testd(tb)


def test_icon_shows_in_the_tray(desktop: Desktop) -> None:
    d = desktop
    assert d.log is not None
    d.log.wait_for(r"tray status \S+ -> idle")  # dormant and on-demand: the idle icon
    x, y, w, h = d.tray_geometry() or (0, 0, 0, 0)
    shot = d.screenshot("e2e-tray-panel", crop=f"{w}x{h}+{x}+{y}")
    colours = subprocess.run(
        ["convert", str(shot), "-crop", f"{w}x{h}+{x}+{y}", "-format", "%k", "info:"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert int(colours) > 8, "the tray slot is blank: no icon drawn"
    assert "Traceback" not in d.log.text()


def test_switch_to_always_on_and_back_from_the_menu(desktop: Desktop) -> None:
    d = desktop
    assert d.log is not None and d.notes is not None
    d.click_icon()
    d.screenshot("e2e-menu")
    d.keys("Down", "Right")
    d.screenshot("e2e-submenu-dormant")
    d.keys("Return")  # "Switch to always-on": the first enabled action when dormant
    wait_units(d, {TESTD: ("enabled", "active"), TESTD_SOCKET: ("enabled", "active")})
    d.notes.wait_for(r'string "trayapp-testd is now always-on"')
    d.log.wait_for(r"tray status \S+ -> running")
    d.screenshot("e2e-always-on")

    d.click_icon()
    d.keys("Down", "Right")
    d.screenshot("e2e-submenu-running")
    seen = len(d.log.lines)
    d.keys("Return")  # "Switch to on-demand": the first enabled action when running always-on
    wait_units(d, {TESTD: ("disabled", "inactive"), TESTD_SOCKET: ("enabled", "active")})
    d.notes.wait_for(r'string "trayapp-testd is now on-demand"')
    d.log.wait_for(r"tray status \S+ -> idle", after=seen)


def test_wake_is_notified_with_buttons(desktop: Desktop) -> None:
    d = desktop
    assert d.log is not None and d.notes is not None
    tb = d.tb
    # Our own switch ended moments ago; its after-effects are muted for
    # Notices.grace (5 s): wait that out so the wake is the user's news.
    time.sleep(6)
    siglog = tb.popen([str(tb.venv / "bin/python"), SIGLOG, "system", TESTD],
                      stdout=subprocess.PIPE)  # fmt: skip
    try:
        signals = Lines(siglog.stdout)
        signals.wait_for(r'"ready"')
        seen_log, seen_notes = len(d.log.lines), len(d.notes.lines)
        woke_at = time.time()
        tb.run("echo hi | socat - UNIX-CONNECT:/run/trayapp-testd.sock")
        signal_at, _ = signals.wait_for(r'"ActiveState": "(activating|active)"')
        icon_at, line = d.log.wait_for(r"tray status idle -> (busy|running)", after=seen_log)
        d.notes.wait_for(r'string "trayapp-testd woke up"', after=seen_notes)
    finally:
        siglog.terminate()
    after = "\n".join(x for _, x in d.notes.lines[seen_notes:])
    assert re.search(r'string "stop"\s+string "Stop now"\s+string "always-on"\s+'
                     r'string "Keep always on"', after), after  # fmt: skip
    timing = (f"wake: systemd signal -> icon change {(icon_at - signal_at) * 1000:.1f} ms, "
              f"client connect -> icon change {(icon_at - woke_at) * 1000:.1f} ms ({line})")
    d.timings.append(timing)
    print(timing)  # logged, not asserted: a loaded CI machine is slow
    time.sleep(0.5)
    d.screenshot("e2e-woken")


def test_second_instance_hands_over_and_quit_from_the_menu(desktop: Desktop) -> None:
    d = desktop
    assert d.log is not None and d.app is not None
    seen = len(d.log.lines)
    second = d.tb.run(d.tb.trayapp_argv(), user="alice", env=X, check=False, timeout=20)
    assert second.returncode == 0, second.stderr
    d.log.wait_for("another trayapp asked: show", after=seen)
    time.sleep(0.5)
    d.screenshot("e2e-handoff-menu")
    d.keys("Up", "Return")  # the last item: Quit
    assert d.app.wait(timeout=15) == 0
    assert "Fatal Python error" not in d.log.text()
