"""Every number a user can give is bounded to what the Preferences window allows.

``idle_stop_minutes = 100000000`` in the settings file used to reach
``loop.call_later`` as 6e9 seconds; qasync turns that into a QTimer of int
milliseconds, which overflows (OverflowError), and the applet stopped at
every start.  Now such a value is refused with a clear message and the
defaults, and ``idle-watch``'s ``--after``, ``--grace`` and
``--cpu-threshold`` refuse nan, infinities and huge values.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import qasync
from PySide6.QtWidgets import QApplication

from trayapp import entry
from trayapp.adapters import settings_file
from trayapp.cli import common
from trayapp.core.settings import MAX_IDLE_MINUTES, DaemonSettings, Settings
from trayapp.core.settings_values import SettingsError
from trayapp.core.settings_values import validate as validate_settings

HUGE = '[daemon."docker.service"]\nidle_stop_minutes = 100000000\n'


def test_a_huge_idle_window_gets_a_message_and_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(HUGE)
    loaded = settings_file.load(path)
    assert loaded.settings == Settings()
    assert loaded.warning is not None
    assert "idle_stop_minutes: expected 0 (off) to 10080 minutes (7 days)" in loaded.warning
    assert "100000000" in loaded.warning


def test_the_longest_window_is_accepted_and_one_more_is_not(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(f'[daemon."docker.service"]\nidle_stop_minutes = {MAX_IDLE_MINUTES}\n')
    loaded = settings_file.load(path)
    assert loaded.warning is None
    assert loaded.settings.idle_window("docker.service") == 7 * 24 * 3600.0
    too_long = Settings().with_daemon("docker.service", idle_stop_minutes=MAX_IDLE_MINUTES + 1)
    with pytest.raises(SettingsError):
        validate_settings(too_long)  # never written either
    # Settings built in code cannot ask for more than the longest window.
    built = Settings(daemons={"docker.service": DaemonSettings(idle_stop_minutes=10**8)})
    assert built.idle_window("docker.service") == MAX_IDLE_MINUTES * 60.0


def test_the_longest_window_is_a_timer_qt_can_hold() -> None:
    """What the idle watcher does with a window (loop.call_later), in the tray's loop:
    the longest window any setting gives, on mains or on battery, is armed as a Qt
    timer (int milliseconds) that waits, neither refused nor fired at once."""
    app = QApplication.instance() or QApplication([])  # later tests need widgets
    longest = MAX_IDLE_MINUTES * 60.0
    assert longest * 1000 < 2**31  # what a QTimer's int interval holds
    huge = Settings(daemons={"d.service": DaemonSettings(idle_stop_minutes=10**8,
                                                         battery_idle_minutes=10**8)})
    windows = [huge.idle_window("d.service"), huge.idle_window("d.service", on_battery=True)]
    assert windows == [longest, longest]
    fired: list[float] = []

    async def arm() -> None:
        loop = asyncio.get_running_loop()
        handles = [loop.call_later(w, fired.append, w) for w in windows if w is not None]
        await asyncio.sleep(0.05)  # the loop runs with the timers armed
        assert fired == [] and not any(h.cancelled() for h in handles)
        for h in handles:
            h.cancel()

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        runner.run(arm())


@pytest.mark.parametrize("flags", [
    ("--after", "nan"), ("--after", "inf"), ("--after", "1e10"), ("--after", "0"),
    ("--after", "-3"), ("--after", str(MAX_IDLE_MINUTES * 60 + 1)),
    ("--after", "5", "--grace", "nan"), ("--after", "5", "--grace", "-1"),
    ("--after", "5", "--grace", "1e12"), ("--after", "5", "--cpu-threshold", "nan"),
    ("--after", "5", "--cpu-threshold", "-0.5"), ("--after", "5", "--cpu-threshold", "inf"),
])
def test_idle_watch_refuses_numbers_out_of_range(
        flags: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    code = entry.main(["idle-watch", "docker", *flags, "--system"])
    assert code == common.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "must be from" in err and flags[-2] in err


def test_idle_watch_accepts_numbers_in_range() -> None:
    import argparse

    from trayapp.cli.idle_watch import out_of_range

    ok = argparse.Namespace(after=MAX_IDLE_MINUTES * 60.0, grace=0.0, cpu_threshold=0.05)
    assert out_of_range(ok) is None
