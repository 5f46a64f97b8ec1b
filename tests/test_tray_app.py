"""The applet's wiring: busy labels, results, notices, settings, History and
Preferences, the idle watcher's stop and its start and close order.

A real DaemonTable is fed UnitInfo values (no D-Bus); the applet is wired to
a real Services whose controller is held by the test (tests/tray_rig.py).
"""

from __future__ import annotations

import asyncio
import gc
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QPushButton

from tests.fakes import Intents
from tests.support import FakeNotifier, set_state, table_with, units, until_async
from tests.tray_rig import (
    KEY,
    S,
    buttons,
    daemon_menu,
    held,
    open_menu,
    run,
    snap_of,
    table,
)
from trayapp.adapters import settings_file as settings
from trayapp.core.model import DaemonMode, DaemonState, Manager
from trayapp.core.outcome import Status
from trayapp.core.plans import Action
from trayapp.core.settings import Settings
from trayapp.core.summary import TrayStatus, busy_label
from trayapp.qt import selfcheck
from trayapp.qt.app import PREFERENCES, TrayApp
from trayapp.qt.tray import Tray


def test_busy_label_while_an_action_runs(tray_app: TrayApp, loop: Any) -> None:
    app = tray_app
    assert app.tray is not None
    controller = held(app)
    notifier: FakeNotifier = app.notifier  # type: ignore[assignment]

    async def scenario() -> None:
        open_menu(app.tray)
        buttons(daemon_menu(app.tray.menu, "docker.service"))[Action.ON_DEMAND].trigger()
        assert controller.requests == [(S, "docker.service", Action.ON_DEMAND)]
        await asyncio.sleep(0.05)
        open_menu(app.tray)
        sub = daemon_menu(app.tray.menu, "docker.service")
        assert sub.title() == f"docker: running — {busy_label(Action.ON_DEMAND)}"
        assert busy_label(Action.ON_DEMAND) in [a.text() for a in sub.actions()]
        assert not any(a.isEnabled() for a in buttons(sub).values())
        assert app.tray.status is TrayStatus.BUSY
        # The other daemon stays usable.
        other = buttons(daemon_menu(app.tray.menu, "podman.service"))
        assert other[Action.START].isEnabled()
        # systemd reacts while the action runs: not news, the action will report.
        set_state(table(app), S, "docker", DaemonState.DORMANT)
        controller.release[KEY].set_result(Status.DONE)
        await asyncio.sleep(0.05)

    run(loop, scenario())
    open_menu(app.tray)
    sub = daemon_menu(app.tray.menu, "docker.service")
    assert busy_label(Action.ON_DEMAND) not in sub.title()
    assert app.tray.status is TrayStatus.IDLE
    assert [n["title"] for n in notifier.shown] == ["docker is now on-demand"]
    assert notifier.shown[0]["critical"] is False and notifier.shown[0]["tag"] == "docker.service"


def test_failed_action_is_shown_as_critical(tray_app: TrayApp, loop: Any) -> None:
    app = tray_app
    controller = held(app)
    notifier: FakeNotifier = app.notifier  # type: ignore[assignment]

    async def scenario() -> None:
        app.request(S, "docker.service", Action.STOP)
        await asyncio.sleep(0)
        controller.release[KEY].set_result(Status.NOT_AUTHORISED)
        await asyncio.sleep(0.05)

    run(loop, scenario())
    [shown] = notifier.shown
    assert shown["title"] == "Not allowed to change docker"
    assert shown["body"] == "docker.service: NOT_AUTHORISED" and shown["critical"] is True


def test_crashed_action_is_not_swallowed(tray_app: TrayApp, loop: Any) -> None:
    app = tray_app
    controller = held(app)
    notifier: FakeNotifier = app.notifier  # type: ignore[assignment]
    shown: list[tuple[str, str, bool]] = []
    app.message = lambda t, b, critical=False: shown.append((t, b, critical))  # type: ignore[method-assign]

    async def scenario() -> None:
        app.request(S, "docker.service", Action.STOP)
        await asyncio.sleep(0)
        controller.release[KEY].set_exception(RuntimeError("bus exploded"))
        await asyncio.sleep(0.05)

    run(loop, scenario())
    assert shown == [("Could not stop docker", "bus exploded", True)]
    assert notifier.shown == []


def test_wake_notice_with_buttons_that_act(tray_app: TrayApp, loop: Any) -> None:
    app = tray_app
    controller = held(app)
    notifier: FakeNotifier = app.notifier  # type: ignore[assignment]

    async def scenario() -> None:
        set_state(table(app), S, "podman", DaemonState.RUNNING)
        # Told once the causes' lookup answers (no socket address here: not known).
        await until_async(lambda: notifier.shown, what="the wake notice")
        [shown] = notifier.shown
        assert shown["title"] == "podman woke up"
        assert shown["actions"] == [("stop", "Stop now"), ("always-on", "Keep always on")]
        assert shown["tag"] == "podman.service"
        shown["on_action"]("default")  # a click on the bubble itself: no action
        shown["on_action"]("always-on")
        assert controller.requests == [(S, "podman.service", Action.ALWAYS_ON)]
        controller.release[(S, "podman.service")].set_result(Status.DONE)
        await asyncio.sleep(0.05)

    run(loop, scenario())
    assert [n["title"] for n in notifier.shown] == ["podman woke up", "podman is now always-on"]


def test_no_notice_for_unwatched_or_muted_daemons(tray_app: TrayApp) -> None:
    app = tray_app
    notifier: FakeNotifier = app.notifier  # type: ignore[assignment]
    assert app.services is not None
    app.services.settings = Settings(hidden=("podman.service",))
    set_state(table(app), S, "podman", DaemonState.RUNNING)
    app.services.settings = Settings().with_daemon("docker.service", notify=False)
    set_state(table(app), S, "docker", DaemonState.FAILED)
    assert notifier.shown == []


def test_watch_and_unwatch_are_saved(tray_app: TrayApp, qtbot: Any) -> None:
    app = tray_app
    table(app).replace(
        Manager.USER, units("gpg-agent", DaemonState.DORMANT, DaemonMode.ON_DEMAND))
    app.set_watched("docker.service", False)
    app.set_watched("user:gpg-agent.service", True)
    saved = settings.load(app.settings_path).settings
    assert saved.hidden == ("docker.service",)
    assert saved.watched == ("user:gpg-agent.service",)
    assert app.tray is not None
    qtbot.waitUntil(lambda: "gpg-agent (user)" in app.tray.icon.toolTip())
    assert not app.tray.icon.toolTip().startswith("docker")


def test_history_and_preferences_entries_call_their_intents(qapp: QApplication) -> None:
    table = table_with(("docker", DaemonState.DORMANT, DaemonMode.ON_DEMAND))
    intents = Intents()
    tray = Tray(lambda: snap_of(table), intents)
    open_menu(tray)
    sub = daemon_menu(tray.menu, "docker.service")
    [history] = [a for a in sub.actions() if a.data() == "history:system/docker.service"]
    assert history.text() == "History…" and history.isEnabled()
    # The keyboard walk (Right, Return) still lands on the first action, not on History.
    first = next(a for a in sub.actions() if a.isEnabled() and not a.isSeparator())
    assert first in buttons(sub).values()
    history.trigger()
    [preferences] = [a for a in tray.menu.actions() if a.data() == "preferences"]
    assert preferences.text() == "Preferences…" and preferences.isEnabled()
    preferences.trigger()
    assert intents.calls == [("history", S, "docker.service"), ("preferences",)]
    assert tray.menu.actions()[-1].text() == "Quit"


def test_history_window_opens_once_per_daemon(tray_app: TrayApp, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from PySide6.QtCore import QEvent

    from trayapp.adapters.history_db import Store
    from trayapp.qt.history_window import HistoryWindow

    app = tray_app
    said: list[tuple[str, str]] = []
    monkeypatch.setattr(app, "message", lambda title, body, critical=False: said.append(
        (title, body)))
    assert app.services is not None
    app.show_history(S, "docker.service")  # no store: said, not crashed
    assert said and len(app.windows) == 0
    app.services.store = Store(tmp_path / "history.sqlite")
    try:
        app.show_history(S, "docker.service")
        app.show_history(S, "docker.service")
        assert len(app.windows) == 1
        window = app.windows.get((S, "docker.service"))
        assert isinstance(window, HistoryWindow) and window.isVisible()
        assert window.service == "docker.service"
        window.close()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        assert len(app.windows) == 0
    finally:
        app.services.store.close()


class FakeIdle:
    def __init__(self) -> None:
        self.reconfigured = 0
        self.last_busy: dict[object, str] = {}  # read by Services.status_notes()

    def reconfigure(self) -> None:
        self.reconfigured += 1


def test_preferences_ok_saves_and_applies(tray_app: TrayApp, monkeypatch: pytest.MonkeyPatch,
                                          qtbot: Any) -> None:  # fmt: skip
    from trayapp.adapters import autostart
    from trayapp.qt.preferences import PreferencesDialog

    app = tray_app
    enabled: list[bool] = []
    monkeypatch.setattr(autostart, "is_enabled", lambda: bool(enabled and enabled[-1]))
    monkeypatch.setattr(autostart, "enable", enabled.append)
    idle = FakeIdle()
    services = app.services
    assert services is not None
    services.idle = idle  # type: ignore[assignment]
    app.show_preferences()
    dialog = app.windows.get(PREFERENCES)
    assert isinstance(dialog, PreferencesDialog) and dialog.isVisible()
    app.show_preferences()  # the same dialog, raised
    assert app.windows.get(PREFERENCES) is dialog
    dialog.row("docker.service").idle_minutes.setValue(15)
    dialog.row("podman.service").show.setChecked(False)
    dialog.start_at_login.setChecked(True)
    dialog.accept()
    assert app.windows.get(PREFERENCES) is None
    saved = settings.load(app.settings_path).settings
    assert saved.daemon("docker.service").idle_stop_minutes == 15
    assert saved.start_at_login is True and services.settings == saved
    assert enabled == [True]
    assert idle.reconfigured == 1
    assert not services.watchlist.shows_key("podman.service")
    [docker, podman] = table(app).daemons()
    assert services.idle_window(docker) == 900.0 and services.idle_window(podman) is None
    # Cancel changes nothing; OK without edits leaves start at login alone.
    for close in ("reject", "accept"):
        app.show_preferences()
        again = app.windows.get(PREFERENCES)
        assert isinstance(again, PreferencesDialog)
        getattr(again, close)()
    assert enabled == [True] and idle.reconfigured == 2
    assert settings.load(app.settings_path).settings == saved


def test_idle_stop_is_announced_once(tray_app: TrayApp, loop: Any) -> None:
    """The idle watcher announces its stop; the controller's outcome is not notified again."""
    app = tray_app
    controller = held(app)
    notifier: FakeNotifier = app.notifier  # type: ignore[assignment]

    async def scenario() -> None:
        assert app.services is not None
        task = app.services.stop_idle(S, "docker.service")
        assert controller.requests == [(S, "docker.service", Action.STOP)]
        await asyncio.sleep(0.01)
        set_state(table(app), S, "docker", DaemonState.DORMANT)
        controller.release[KEY].set_result(Status.DONE)
        outcome = await task
        assert outcome.ok and outcome.action is Action.STOP
        await asyncio.sleep(0.01)
        assert notifier.shown == []  # neither the outcome nor a "stopped" notice
        # The user's own stop is still reported.
        app.request(S, "podman.service", Action.START)
        controller.release[(S, "podman.service")].set_result(Status.DONE)
        await asyncio.sleep(0.05)

    run(loop, scenario())
    assert [n["title"] for n in notifier.shown] == ["podman started"]


def test_history_and_idle_watcher_start_and_close_in_order(
    tray_app: TrayApp, loop: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trayapp.adapters import history_db as history
    from trayapp.usecases.announce import DesktopIdleNotifier

    app = tray_app
    services = app.services
    assert services is not None
    monkeypatch.setattr(history, "default_path", lambda: tmp_path / "history.sqlite")
    services.settings = services.settings.with_daemon("docker.service", idle_stop_minutes=5)
    closed: list[str] = []

    async def scenario() -> None:
        services.open_history()
        idle = services.start_idle(DesktopIdleNotifier(app.notifier))
        assert services.store is not None and services.recorder is not None
        assert idle.armed() == {KEY: 300.0}  # docker runs; podman is dormant
        services.settings = services.settings.with_daemon("docker.service",
                                                          idle_stop_minutes=0)
        app.set_watched("docker.service", False)  # a settings change reconfigures
        assert idle.armed() == {}
        for name in ("idle", "recorder", "store"):
            obj = getattr(services, name)
            monkeypatch.setattr(obj, "close", lambda close=obj.close, n=name: (
                closed.append(n), close())[1])
        await services.close()

    run(loop, scenario())
    assert closed == ["idle", "recorder", "store"]
    assert services.store is None and services.recorder is None and services.idle is None
    assert (tmp_path / "history.sqlite").exists()


def test_qt_binding_does_not_lose_references_to_none(qapp: QApplication) -> None:
    """PySide6 6.12.0 on Python 3.11 aborts a long-running tray (see qt/selfcheck.py)."""
    table = table_with(("docker", DaemonState.RUNNING, DaemonMode.ALWAYS_ON))
    tray = Tray(lambda: snap_of(table), Intents())
    # Earlier tests' garbage, collected mid-loop, would drop None's count too.
    gc.collect()
    gc.disable()
    try:
        before = sys.getrefcount(None)
        for _ in range(100):
            tray.refresh()
            open_menu(tray)
        lost = before - sys.getrefcount(None)
    finally:
        gc.enable()
    assert lost < 50, selfcheck.binding_problem() or f"lost {lost} references to None"
    assert selfcheck.binding_problem() is None


def test_keep_running_in_menu_and_window_answers_the_idle_warning(tray_app: TrayApp,
                                                                  loop: Any) -> None:
    from PySide6.QtWidgets import QLabel

    """The menu's and the window's "Keep running" answer the warning the idle watcher
    is waiting on (through Services.keep_running), as the notification's button would."""
    services = tray_app.services
    assert services is not None and tray_app.tray is not None
    [docker, _] = table(tray_app).daemons()

    class Unanswered:
        async def warn(self, daemon: Any, seconds: float) -> str:
            await asyncio.sleep(seconds)
            return "stop"

        def announce(self, text: str) -> None:
            pass

    services.idle_warnings.inner = Unanswered()

    async def scenario(press: Any) -> str:
        asking = asyncio.ensure_future(services.idle_warnings.warn(docker, 30))
        await asyncio.sleep(0.05)
        assert 29 < tray_app.idle_warnings()[KEY] <= 30
        press()
        return await asyncio.wait_for(asking, 5)

    def from_menu() -> None:
        open_menu(tray_app.tray)
        sub = daemon_menu(tray_app.tray.menu, "docker.service")
        [keep] = [a for a in sub.actions() if a.data() == "keep:system/docker.service"]
        keep.trigger()

    def from_window() -> None:
        tray_app.show_window()
        win = tray_app.window
        keep = win.findChild(QPushButton, "keep:system/docker.service")
        assert keep is not None and keep.isVisible()
        state = win.findChild(QLabel, "state:system:docker.service")
        assert state is not None and state.text().startswith("Stops in 0:")
        assert win._ticker.isActive()  # the countdown ticks while it is shown
        keep.click()

    assert run(loop, scenario(from_menu)) == "keep"
    assert run(loop, scenario(from_window)) == "keep"
    assert tray_app.idle_warnings() == {}
    run(loop, asyncio.sleep(0.05))  # the answer's refresh
    assert not tray_app.window._ticker.isActive()  # no timer once no warning is out
