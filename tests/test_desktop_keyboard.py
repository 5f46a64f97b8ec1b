"""Every window and the menu on a real virtual desktop, by keyboard and by mouse (issue 13).

As alice inside the booted testbed: Xvfb, trayer and dunst (tools/desktop.py),
and the applet with ``TRAYAPP_CUT_CHECK=1``: each window and menu it shows is
measured against its texts (trayapp/qt/cutcheck.py: every label, button,
check box, combo box and menu item against QFontMetrics.horizontalAdvance of
its text, wrapped labels against their height, the whole against the screen)
and logged with where the keyboard focus is and where each named control
sits, in the screen's pixels.  xdotool presses the keys and clicks there;
systemd says whether a switch happened; the settings file says what
Preferences saved.

Run at 1x and 2x (QT_SCALE_FACTOR=2 on a 1600x900 screen: 800x450 points, a
small laptop at 2x), in English, and in German once trayapp ships a German
.qm (the language case is made from the files found, so it starts running
the day the translation lands).

There is no window manager on this desktop: where a real one would give the
keyboard focus back to the status window after another window closes, the
test does that with ``xdotool windowfocus`` (said at each place).
Screenshots land in artifacts/desk-*.png.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import TESTD, TESTD_SOCK, TESTD_SOCKET, on_demand_testd, unit_states, until
from tests.test_e2e_tray import write_settings
from tools.desktop import ARTIFACTS, REPO, Desktop, start_desktop
from tools.testbed.harness import STAGE

SIZE = "1600x900"


GERMAN_TS = REPO / "trayapp" / "i18n" / "trayapp_de.ts"
RESOURCES = "/home/alice/trayapp-resources"  # the German .qm, compiled inside for the test


def german() -> bool:
    """Whether trayapp has a German translation (its source; the .qm is made at package
    time, and here by the fixture from the staged copy, as packaging/i18n.py would)."""
    return GERMAN_TS.is_file()


CASES = [(lang, scale) for lang in ("en", *(("de",) if german() else ())) for scale in (1, 2)]


@pytest.fixture(params=CASES, ids=[f"{lang}-{scale}x" for lang, scale in CASES])
def desk(testbed: Any, request: pytest.FixtureRequest) -> Iterator[Desktop]:
    tb = testbed
    lang, scale = request.param
    on_demand_testd(tb)
    write_settings(tb)
    tb.run("rm -f ~/.local/state/trayapp/windows.ini", user="alice")  # natural sizes
    env = {"QT_SCALE_FACTOR": str(scale), "TRAYAPP_CUT_CHECK": "1"}
    if lang == "de":
        staged = f"{STAGE}/trayapp/i18n/trayapp_de.ts"
        # The lrelease packaging/i18n.py finds with this root's Python (the venv's
        # pyside6-lrelease; on Debian 13 Qt's own, from qt6-l10n-tools).
        lrelease = f"$({tb.python} {STAGE}/packaging/i18n.py lrelease)"
        tb.run(f"mkdir -p {RESOURCES}/i18n && {lrelease} -silent {staged} "
               f"-qm {RESOURCES}/i18n/trayapp_de.qm", user="alice", timeout=60)
        env |= {"LANGUAGE": "de", "LANG": "de_DE.UTF-8", "TRAYAPP_RESOURCES": RESOURCES}
    d = start_desktop(tb, ("-v",), size=SIZE, app_env=env)
    d.tag = f"{lang}-{scale}x"  # type: ignore[attr-defined]
    try:
        # Started: a menu opened earlier may close as the first state re-draws the icon.
        assert d.log is not None
        d.log.wait_for("first state shown")
        time.sleep(0.5)
        yield d
    finally:
        d.stop()
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"desk-{d.tag}.log").write_text(d.logs())  # type: ignore[attr-defined]
        on_demand_testd(tb)


# -- reading the applet's log -------------------------------------------------------------


def mark(d: Desktop) -> int:
    assert d.log is not None
    return len(d.log.lines)


def by_keys(d: Desktop, keys: tuple[str, ...], then: str) -> int:
    """Open the tray menu with a click, press ``keys`` once it holds the keyboard
    (``Desktop.menu_keys``) and wait for the log to show ``then`` (a regular
    expression); returns the log mark from before the click."""
    assert d.log is not None
    seen = open_menu(d)
    d.menu_keys("tray-menu", *keys)
    d.log.wait_for(then, 8, seen)
    return seen


def open_menu(d: Desktop) -> int:
    """Click the icon, and return the log mark from before the click once the menu
    is measured and still open."""
    assert d.log is not None
    seen = mark(d)
    d.click_icon()
    checked(d, "tray-menu", seen)
    return seen


def checked(d: Desktop, name: str, after: int, timeout: float = 20) -> str:
    """The cut-check line of window or menu ``name`` logged after ``after``; it must say ok."""
    assert d.log is not None
    _, line = d.log.wait_for(rf"cut-check {re.escape(name)}: (ok|CUT)", timeout, after)
    assert ": ok (" in line, line
    return line


def focus_after(d: Desktop, after: int) -> str:
    """The control that has the keyboard focus, as last logged after ``after``."""
    assert d.log is not None
    d.log.wait_for(r"focus-now |cut-check status-window: ok", 10, after)
    found = re.findall(r"(?:focus-now (\S+)|focus=(\S+)\))",
                       "\n".join(x for _, x in d.log.lines[after:]))
    return str([a or b for a, b in found][-1])


def place(d: Desktop, ref: str, after: int) -> tuple[int, int, str]:
    """Where control or menu item ``ref`` was last logged (screen pixels), and its text."""
    assert d.log is not None
    d.log.wait_for(rf"cut-check-at {re.escape(ref)} ", 10, after)
    found = re.findall(rf"cut-check-at {re.escape(ref)} (\d+) (\d+) (.*)$",
                       "\n".join(x for _, x in d.log.lines[after:]), re.M)
    x, y, text = found[-1]
    return int(x), int(y), text


STATUS, PREFERENCES, HISTORY = "^trayapp$", "Preferences|Einstellungen", "History|Verlauf"


def until_focus(d: Desktop, window: str, wanted: str, key: str = "Tab",
                presses: int = 12) -> None:
    """Press ``key`` in ``window`` (its title, a regular expression), once it has the
    keyboard, until ``wanted`` has the focus (a user tabbing along)."""
    for _ in range(presses):
        seen = mark(d)
        d.window_keys(window, key)
        if focus_after(d, seen) == wanted:
            return
    raise AssertionError(f"{wanted} never got the focus with {key}")


def shot(d: Desktop, what: str) -> Path:
    time.sleep(0.3)
    return d.screenshot(f"desk-{d.tag}-{what}")  # type: ignore[attr-defined]


def changed(a: Path, b: Path) -> bool:
    """Whether two screenshots differ (ImageMagick counts the differing pixels)."""
    out = subprocess.run(["compare", "-metric", "AE", str(a), str(b), "null:"],
                         capture_output=True, text=True)  # fmt: skip
    return float(out.stderr.split()[0]) > 0


def visible(d: Desktop, title: str) -> bool:
    out = d.sh(f"xdotool search --onlyvisible --name '{title}'", check=False)
    return bool(out.strip())


def focus_window(d: Desktop, title: str) -> None:
    """What a window manager does when the window above closes (there is none here)."""
    d.sh(f"xdotool search --onlyvisible --name '{title}' windowfocus --sync")


def wait_units(d: Desktop, wanted: dict[str, tuple[str, str]]) -> None:
    until(f"units {wanted}", lambda: unit_states(d.tb, list(wanted)) == wanted, 30)


def click(d: Desktop, x: int, y: int) -> None:
    d.sh(f"xdotool mousemove {x} {y} sleep 0.2 click 1")
    time.sleep(0.4)


# -- the walk -----------------------------------------------------------------------------


def test_every_window_and_the_menu_by_keyboard_and_mouse(desk: Desktop) -> None:
    d = desk
    assert d.log is not None
    daemon = f"daemon:system:{TESTD}"

    # The menu, opened by a click, walked with the keys: nothing cut, icon and radios there.
    submenu = f"menu:system:{TESTD}"
    seen = by_keys(d, ("Down", "Right"), rf"cut-check {re.escape(submenu)}: ")
    shot(d, "menu")
    checked(d, submenu, seen)
    place(d, f"system:{TESTD}:always-on", seen)  # the radio pair, and Start
    place(d, f"system:{TESTD}:on-demand", seen)
    _, _, start = place(d, f"system:{TESTD}:start", seen)
    shot(d, "submenu")
    d.keys("Escape", "Escape", "Escape")

    # The status window from the menu, by keyboard: Up from the bottom is Quit, then it.
    seen = open_menu(d)
    d.menu_keys("tray-menu", "Up", "Up")
    _, _, window_text = place(d, "window", seen)
    d.keys("Return")
    checked(d, "status-window", seen)
    shot(d, "window")

    # Focus on the test daemon's History button, then the daemon wakes: the row changes
    # in place (Start becomes Stop) and the focus stays on History.
    history = f"history:system/{TESTD}"
    _, _, history_text = place(d, history, seen)
    until_focus(d, STATUS, history)
    seen = mark(d)
    d.tb.run(f"echo hi | socat - UNIX-CONNECT:{TESTD_SOCK}")
    d.log.wait_for(r"tray status \S+ -> (busy|running)", 20, seen)
    line = checked(d, "status-window", seen)
    _, _, stop = place(d, f"system:{TESTD}:stop", seen)
    assert stop != start
    assert f"focus={history})" in d.log.wait_for(
        rf"cut-check status-window: ok .*focus={re.escape(history)}\)", 20, seen)[1], line
    shot(d, "window-running")

    # Return presses the focused History button; Esc closes History.
    seen = mark(d)
    d.window_keys(STATUS, "Return")
    checked(d, "history-window", seen)
    shot(d, "history")
    d.window_keys(HISTORY, "Escape")
    until("History closed", lambda: not visible(d, "History|Verlauf"), 10)

    # Preferences, by keyboard from the window: filter, the list, Space, OK.
    focus_window(d, "^trayapp$")  # a window manager's job (none here)
    until_focus(d, STATUS, "preferences")
    seen = mark(d)
    d.window_keys(STATUS, "space")
    checked(d, "preferences-window", seen)
    before = shot(d, "preferences")
    # A real wheel over a "Stop when idle" box of the first row: the list scrolls,
    # the box keeps its value (nothing but the Notify edit below reaches the file).
    boxes = re.findall(r"cut-check-at (idle:\S+) (\d+) (\d+)",
                       "\n".join(x for _, x in d.log.lines[seen:]))
    _, x, y = min(boxes, key=lambda b: int(b[2]))
    d.sh(f"xdotool mousemove {x} {y} click 5 click 5 click 5 sleep 0.3 mousemove 5 5")
    after = shot(d, "preferences-wheeled")
    assert changed(before, after), "the wheel did not scroll the list"
    d.sh(f"xdotool mousemove {x} {y} click 4 click 4 click 4 sleep 0.3 mousemove 5 5")  # and up
    until_focus(d, PREFERENCES, "filter")
    d.sh("xdotool type --delay 60 testd")
    until_focus(d, PREFERENCES, "table")
    d.window_keys(PREFERENCES, "Down", "Up")  # onto the first row found: the test daemon
    d.window_keys(PREFERENCES, "Right", "Right", "Right", "space")  # its Notify box, off
    shot(d, "preferences-edited")
    seen = mark(d)
    d.window_keys(PREFERENCES, "ctrl+Tab")  # the other page: icon, start at login, ...
    checked(d, "preferences-window", seen)
    shot(d, "preferences-general")
    d.window_keys(PREFERENCES, "Return")  # the list passes it on to the default button, OK
    until("notify off saved", lambda: "notify = false" in d.sh(
        "cat ~/.config/trayapp/settings.toml", check=False), 10)
    saved = d.sh("cat ~/.config/trayapp/settings.toml")
    assert "idle_stop_minutes" not in saved, saved  # the wheel changed nothing

    # The mode by keyboard in the window: arrows open the list, Return chooses.
    focus_window(d, "^trayapp$")
    mode = f"mode:system:{TESTD}"
    until_focus(d, STATUS, mode)
    seen = mark(d)
    d.window_keys(STATUS, "Down")  # opens the list: a stray arrow never switches
    time.sleep(0.3)
    assert unit_states(d.tb, [TESTD])[TESTD][0] == "disabled"
    d.menu_keys("QComboBoxPrivateContainer", "Up", "Return")  # Always on, in the open list
    wait_units(d, {TESTD: ("enabled", "active"), TESTD_SOCKET: ("enabled", "active")})
    d.log.wait_for(rf"cut-check status-window: ok .*focus={re.escape(mode)}\)", 20, seen)
    shot(d, "window-always-on")

    # Back to on demand with the mouse alone, through the menu.
    seen = mark(d)
    d.click_icon()
    x, y, _ = place(d, daemon, seen)
    d.sh(f"xdotool mousemove {x} {y}")
    checked(d, f"menu:system:{TESTD}", seen)
    x, y, _ = place(d, f"system:{TESTD}:on-demand", seen)
    click(d, x, y)
    wait_units(d, {TESTD: ("disabled", "inactive"), TESTD_SOCKET: ("enabled", "active")})

    # The window's own buttons with the mouse: History, its Close, then the window's Close.
    seen = mark(d)
    d.sh("xdotool mousemove 5 5")
    x, y, _ = place(d, history, 0)
    click(d, x, y)
    checked(d, "history-window", seen)
    x, y, _ = place(d, "history-close", seen)
    click(d, x, y)
    until("History closed", lambda: not visible(d, "History|Verlauf"), 10)
    # Preferences with the mouse: the first row's Notify box, "Show system plumbing", OK.
    seen = mark(d)
    x, y, _ = place(d, "preferences", 0)
    click(d, x, y)
    checked(d, "preferences-window", seen)
    boxes = re.findall(r"cut-check-at notify:(\S+) (\d+) (\d+)",
                       "\n".join(line for _, line in d.log.lines[seen:]))
    key, x, y = min(boxes, key=lambda b: int(b[2]))  # the first row in sight
    click(d, int(x), int(y))
    x, y, _ = place(d, "plumbing", seen)
    click(d, x, y)
    shot(d, "preferences-plumbing")
    x, y, _ = place(d, "ok", seen)
    click(d, x, y)
    until(f"notify off for {key} saved", lambda: f'"{key}"' in d.sh(
        "cat ~/.config/trayapp/settings.toml", check=False), 10)
    x, y, _ = place(d, "close", 0)  # the status window's Close, where it was last logged
    click(d, x, y)
    until("the status window closed", lambda: not visible(d, "^trayapp$"), 10)

    # In German when asked for: the menu's and the window's words come from the catalogue.
    english = d.tag.startswith("en")  # type: ignore[attr-defined]
    assert (window_text == "'Status window'") == english, window_text
    assert (history_text == "'History…'") == english, history_text

    # Quit lives in the menu only: Up from the bottom, Return.
    open_menu(d)
    d.menu_keys("tray-menu", "Up", "Return")
    assert d.app is not None and d.app.wait(timeout=15) == 0
    text = d.logs()
    assert "Traceback" not in text and "CUT" not in text


def test_the_window_drops_its_banner_when_a_tray_appears(testbed: Any) -> None:
    """Started where no tray is, the applet shows its window with the no-tray banner;
    a tray that starts later takes the icon, and the banner goes (1x, English)."""
    tb = testbed
    on_demand_testd(tb)
    write_settings(tb)
    d = Desktop(tb)
    d.app_env = {"TRAYAPP_CUT_CHECK": "1"}
    d.tag = "en-1x"  # type: ignore[attr-defined]
    try:
        d.start(f"exec Xvfb :5 -screen 0 {SIZE}x24 -nolisten tcp 2>/home/alice/xvfb.log")
        d.wait("Xvfb", lambda: "1600 900" in d.sh("xdotool getdisplaygeometry", check=False))
        d.start("exec dunst 2>/home/alice/dunst.log")
        d.app = tb.popen(tb.trayapp_argv("-v"), user="alice",
                         env={"DISPLAY": ":5", **d.app_env}, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
        d.procs.append(d.app)
        from tools.desktop import Lines

        d.log = Lines(d.app.stdout)
        d.log.wait_for("no system tray here")
        d.log.wait_for("first state shown")
        checked(d, "status-window", 0)
        place(d, f"history:system/{TESTD}", 0)  # the rows are there, under the banner
        place(d, "banner", 0)
        shot(d, "no-tray")
        seen = mark(d)
        d.start("exec trayer --edge top --align right --widthtype request --height 32 "
                "--transparent false 2>/home/alice/trayer.log")  # fmt: skip
        d.log.wait_for("a system tray appeared", 20, seen)
        # From the line that says so on (the window redraws each second while it
        # shows "dormant for 5 s", and was measured with its banner until then).
        appeared = next(i for i, (_, x) in enumerate(d.log.lines)
                        if i >= seen and "a system tray appeared" in x)
        checked(d, "status-window", appeared)  # measured again without the banner
        d.wait("the icon in the tray", lambda: d.tray_geometry() is not None)
        shot(d, "tray-appeared")
        assert "cut-check-at banner" not in "\n".join(x for _, x in d.log.lines[appeared:])
        # Closing the window now only hides it: the icon is there to bring it back.
        focus_window(d, STATUS)
        d.window_keys(STATUS, "Escape")
        until("the window hidden", lambda: not visible(d, "^trayapp$"), 10)
        assert d.app.poll() is None
    finally:
        d.stop()
        (ARTIFACTS / "desk-no-tray.log").write_text(d.logs())
        on_demand_testd(tb)
