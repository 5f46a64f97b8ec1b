"""The tray's Qt view on the offscreen platform: menus, icon, busy labels, coalescing.

A real DaemonTable is fed UnitInfo values (no D-Bus); the applet is wired to
a real Services (trayapp/services.py) whose controller is the real one with its
systemd part held by the test (HeldController below).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMenu, QPushButton

from tests.fakes import Intents
from tests.support import FakeNotifier, set_state, table_with, units, until_async
from trayapp.adapters import resources
from trayapp.adapters import settings_file as settings
from trayapp.core.ledger import Ledger
from trayapp.core.model import AWAKE, DaemonMode, DaemonState, Manager
from trayapp.core.outcome import Outcome, Status
from trayapp.core.plans import Action, allowed_actions
from trayapp.core.settings import IconFollows, Settings
from trayapp.core.summary import Snapshot, TrayStatus, busy_label, tray_status
from trayapp.core.table import DaemonTable
from trayapp.core.watchlist import Watchlist
from trayapp.qt import icons, selfcheck
from trayapp.qt.app import PREFERENCES, TrayApp
from trayapp.qt.refresh import Coalescer
from trayapp.qt.single import InstanceServer, hand_off
from trayapp.qt.tray import Tray
from trayapp.qt.window import StatusWindow
from trayapp.services import Services
from trayapp.usecases.controller import Controller
from trayapp.usecases.monitor import Monitor

S = Manager.SYSTEM
KEY = (S, "docker.service")

# -- fakes and helpers ---------------------------------------------------------------


class HeldController(Controller):
    """The real controller (ledger, listeners); each action waits until the test releases it."""

    def __init__(self, monitor: Monitor, ledger: Ledger) -> None:
        super().__init__(monitor, ledger)
        self.requests: list[tuple[Manager, str, Action]] = []
        self.release: dict[tuple[Manager, str], asyncio.Future[Status]] = {}

    def request(self, manager: Manager, name: str, action: Action,
                **kw: Any) -> asyncio.Task[Outcome]:  # fmt: skip
        self.requests.append((manager, name, action))
        self.release[(manager, name)] = asyncio.get_running_loop().create_future()
        return super().request(manager, name, action, **kw)

    async def _perform(self, manager: Manager, service: str, action: Action,
                       force: bool, *rest: Any) -> Outcome:  # fmt: skip
        status = await self.release[(manager, service)]
        return Outcome(action, manager, service, status, f"{service}: {status.name}",
                       steps_done=(f"{action} {service}",))  # it changed something


@pytest.fixture
def loop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    """qasync's loop over the test's QApplication, as in trayapp.app.run_tray."""
    ev = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(ev)
    yield ev
    ev.close()
    asyncio.set_event_loop(None)


def run(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any]) -> Any:
    return loop.run_until_complete(coro)


def snap_of(table: DaemonTable, **kw: Any) -> Snapshot:
    return Snapshot(daemons=tuple(table.daemons()), now=2000.0, **kw)


def daemon_menu(menu: QMenu, service: str) -> QMenu:
    for act in menu.actions():
        if act.data() == f"daemon:system:{service}":
            sub = act.menu()
            assert isinstance(sub, QMenu)
            return sub
    raise AssertionError(f"no submenu for {service} in {[a.text() for a in menu.actions()]}")


def buttons(menu: QMenu) -> dict[Action, QAction]:
    found = {}
    for act in menu.actions():
        data = act.data()
        if isinstance(data, str) and data.count(":") == 2:
            found[Action(data.rsplit(":", 1)[1])] = act
    return found


def open_menu(tray: Tray) -> None:
    tray.menu.aboutToShow.emit()  # what Qt does right before showing it


# -- the menu, for every state and mode ---------------------------------------------------


@pytest.mark.parametrize("mode", list(DaemonMode))
@pytest.mark.parametrize("state", list(DaemonState))
def test_menu_for_every_state_and_mode(qapp: QApplication, state: DaemonState,
                                       mode: DaemonMode) -> None:  # fmt: skip
    table = table_with(("docker", state, mode))
    intents = Intents()
    tray = Tray(lambda: snap_of(table), intents)
    open_menu(tray)
    [d] = table.daemons()
    sub = daemon_menu(tray.menu, "docker.service")
    assert sub.title() == f"docker: {state}"
    # The daemon's own state icon, the one the tray would show for it alone.
    alone = tray_status([d], follows=IconFollows.ALL)
    assert sub.menuAction().icon().cacheKey() == icons.status_icon(alone).cacheKey()
    acts = buttons(sub)
    one_off = Action.STOP if d.state in AWAKE else Action.START
    assert set(acts) == {Action.ALWAYS_ON, Action.ON_DEMAND, one_off}
    # The mode as a checked radio pair: the current one checked (and enabled), never greyed
    # only to say which it is.
    radios = {a: acts[a] for a in (Action.ALWAYS_ON, Action.ON_DEMAND)}
    assert all(act.isCheckable() and act.actionGroup() is not None for act in radios.values())
    assert radios[Action.ALWAYS_ON].isChecked() == (mode is DaemonMode.ALWAYS_ON)
    assert radios[Action.ON_DEMAND].isChecked() == (mode is DaemonMode.ON_DEMAND)
    assert radios[Action.ALWAYS_ON].text() == "Always on"
    assert acts[one_off].text() == ("Stop" if one_off is Action.STOP else "Start")
    allowed = allowed_actions(d)
    assert {a for a, act in acts.items() if act.isEnabled()} == \
        allowed | {a for a, act in acts.items() if act.isChecked()}
    for act in acts.values():
        act.trigger()  # a disabled QAction ignores trigger(), as a click would
    # The checked mode asks for nothing; the others ask for what they say.
    assert intents.calls == [("request", S, "docker.service", a)
                             for a in acts if a in allowed]  # fmt: skip


def test_sockets_are_summed_up_and_listed_in_the_tooltip(qapp: QApplication) -> None:
    from trayapp.core.daemon_words import socket_summary

    assert socket_summary(["docker.socket"]) == "docker.socket"
    assert socket_summary([f"libvirtd{s}.socket" for s in ("", "-ro", "-admin", "-tcp")]) \
        == "4 sockets"
    table = table_with(("docker", DaemonState.RUNNING, DaemonMode.ALWAYS_ON))
    tray = Tray(lambda: snap_of(table), Intents())
    open_menu(tray)
    [detail] = [a for a in daemon_menu(tray.menu, "docker.service").actions() if a.toolTip()
                and not a.isEnabled()]
    assert detail.toolTip() == "docker.socket" and detail.text().endswith("docker.socket")


def test_idle_warning_shows_a_countdown_and_keep_running(qapp: QApplication) -> None:
    table = table_with(("docker", DaemonState.RUNNING, DaemonMode.ON_DEMAND))
    intents = Intents()
    left = {KEY: 90.0}
    tray = Tray(lambda: snap_of(table), intents, warnings=lambda: dict(left))
    open_menu(tray)
    entry = next(a for a in tray.menu.actions() if a.data() == "daemon:system:docker.service")
    assert entry.text() == "docker: running — Stops in 1:30"
    sub = daemon_menu(tray.menu, "docker.service")
    items = [a for a in sub.actions() if not a.isSeparator()]
    assert items[0].text() == "Stops in 1:30" and not items[0].isEnabled()
    # The first enabled entry: where the keyboard lands when the submenu opens.
    assert items[1].text() == "Keep running" and items[1].isEnabled()
    left[KEY] = 59.2
    tray._tick()  # what the one-second ticker does while the menu is open
    assert items[0].text() == "Stops in 1:00" and entry.text() == "docker: running — Stops in 1:00"
    items[1].trigger()
    assert intents.calls == [("keep", S, "docker.service")]
    left.clear()
    open_menu(tray)
    assert [a.text() for a in daemon_menu(tray.menu, "docker.service").actions()
            if a.text().startswith(("Stops", "Keep"))] == []


@pytest.mark.parametrize("state", list(DaemonState))
def test_icon_and_tooltip_follow_the_state(qapp: QApplication, state: DaemonState) -> None:
    table = table_with(("docker", DaemonState.DORMANT, DaemonMode.ON_DEMAND))
    tray = Tray(lambda: snap_of(table), Intents())
    tray.refresh()
    assert tray.status is TrayStatus.IDLE
    set_state(table, S, "docker", state)
    tray.refresh()
    expected = snap_of(table).status
    assert tray.status is expected
    assert tray.icon.icon().cacheKey() == icons.status_icon(expected).cacheKey()
    assert tray.icon.toolTip().splitlines()[1].startswith(f"docker: {state}")


def test_disconnected_shows_in_icon_menu_and_tooltip(qapp: QApplication) -> None:
    table = table_with(("docker", DaemonState.RUNNING, DaemonMode.ALWAYS_ON))
    snap = snap_of(table, problems={S: "lost the connection"}, lost=True)
    tray = Tray(lambda: snap, Intents())
    tray.refresh()
    open_menu(tray)
    assert tray.status is TrayStatus.DISCONNECTED
    assert "system manager: lost the connection" in tray.icon.toolTip()
    assert "⚠ system manager: lost the connection" in [a.text() for a in tray.menu.actions()]


def test_every_status_has_a_drawn_icon_and_a_fallback(
    qapp: QApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    icons.status_icon.cache_clear()
    for status in TrayStatus:
        path = resources.icon_path(f"trayapp-{'dormant' if status is TrayStatus.IDLE else status}")
        assert path is not None and path.parent == Path(resources.__file__).parents[1] / "icons"
        assert not icons.status_icon(status).pixmap(22, 22).isNull()
    icons.status_icon.cache_clear()
    monkeypatch.setattr(resources, "icon_path", lambda stem: None)
    try:
        assert not icons.status_icon(TrayStatus.FAILED).pixmap(22, 22).isNull()
    finally:
        icons.status_icon.cache_clear()


def test_resources_found_through_the_environment(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "icons").mkdir()
    (tmp_path / "icons" / "trayapp-busy.svg").write_text("<svg/>")
    monkeypatch.setenv(resources.ENV, str(tmp_path))
    assert resources.icon_path("trayapp-busy") == tmp_path / "icons" / "trayapp-busy.svg"
    # Not in the override: the checkout's copy is used.
    assert resources.icon_path("trayapp-failed") == (
        Path(resources.__file__).parents[1] / "icons" / "trayapp-failed.svg")


def test_watch_menu_lists_every_daemon(qapp: QApplication) -> None:
    table = table_with(("docker", DaemonState.RUNNING, DaemonMode.ALWAYS_ON),
                       ("acme", DaemonState.DORMANT, DaemonMode.ON_DEMAND))  # fmt: skip
    intents = Intents()
    tray = Tray(lambda: snap_of(table, watchlist=Watchlist(hidden=("docker.service",))), intents)
    open_menu(tray)
    texts = [a.text() for a in tray.menu.actions()]
    assert "No daemons shown: pick some under Show in menu" in texts
    assert texts[-3:] == ["Status window", "", "Quit"]
    # Titled for what the ticks mean: shown in this menu (not "enabled").
    [all_menu] = [a.menu() for a in tray.menu.actions() if a.text() == "Show in menu"]
    items = {a.data(): a for a in all_menu.actions()}
    assert set(items) == {"watch:acme.service", "watch:docker.service"}
    assert not items["watch:docker.service"].isChecked()
    items["watch:docker.service"].trigger()
    items["watch:acme.service"].trigger()
    assert intents.calls == [("watch", "docker.service", True), ("watch", "acme.service", True)]


def test_menu_rebuilds_leave_no_submenus_behind(qapp: QApplication) -> None:
    table = table_with(("docker", DaemonState.RUNNING, DaemonMode.ALWAYS_ON))
    tray = Tray(lambda: snap_of(table), Intents())
    for _ in range(20):
        open_menu(tray)
    QApplication.sendPostedEvents(None, 0)  # deleteLater()
    from PySide6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    assert len(tray.menu.findChildren(QMenu)) == 2  # docker's and "All daemons"


def test_click_opens_menu_or_window(qapp: QApplication, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QSystemTrayIcon

    intents = Intents()
    tray = Tray(lambda: Snapshot(), intents)
    popped: list[object] = []
    monkeypatch.setattr(tray, "popup_menu", lambda at=None: popped.append(at))
    tray.icon.activated.emit(QSystemTrayIcon.ActivationReason.Trigger)
    assert popped == [None] and intents.calls == []
    tray.click_opens_window = True
    tray.icon.activated.emit(QSystemTrayIcon.ActivationReason.Trigger)
    tray.icon.activated.emit(QSystemTrayIcon.ActivationReason.Context)  # Qt opens that one
    assert intents.calls == [("window",)] and popped == [None]


# -- coalescing ------------------------------------------------------------------------------


def test_many_table_changes_make_one_refresh(qapp: QApplication, qtbot: Any) -> None:
    table = table_with(("docker", DaemonState.DORMANT, DaemonMode.ON_DEMAND))
    refreshed: list[TrayStatus] = []
    tray = Tray(lambda: snap_of(table), Intents())
    coalescer = Coalescer(lambda: (tray.refresh(), refreshed.append(tray.status)))
    table.listen(coalescer.mark)
    for _ in range(25):  # a burst of wake/sleep churn inside one loop iteration
        set_state(table, S, "docker", DaemonState.STARTING)
        set_state(table, S, "docker", DaemonState.RUNNING)
        set_state(table, S, "docker", DaemonState.DORMANT)
    set_state(table, S, "docker", DaemonState.RUNNING)
    assert refreshed == [] and coalescer.scheduled
    qtbot.waitUntil(lambda: bool(refreshed))
    qtbot.wait(50)
    assert refreshed == [TrayStatus.SOME_RUNNING]  # one refresh, showing the final state
    assert not coalescer.scheduled  # nothing left scheduled: idle means idle
    set_state(table, S, "docker", DaemonState.DORMANT)
    qtbot.waitUntil(lambda: len(refreshed) == 2)
    assert refreshed[-1] is TrayStatus.IDLE


# -- the application wiring: busy labels, results, notices, settings -------------------------


@pytest.fixture
def tray_app(qapp: QApplication, loop: asyncio.AbstractEventLoop,
             tmp_path: Path) -> Iterator[TrayApp]:  # fmt: skip
    """The applet as start() wires it, over a table fed by hand (no bus)."""
    services = Services([S])
    services.controller = HeldController(services.monitor, services.ledger)
    app = TrayApp(qapp, argparse.Namespace(verbose=False, window=False),
                  settings_path=tmp_path / "settings.toml")
    app.notifier = FakeNotifier()  # type: ignore[assignment]
    assert app.snapshot().status is TrayStatus.BUSY  # nothing read yet: no guess
    app.wire(services)
    services.monitor.table.replace(S, [
        *units("docker", DaemonState.RUNNING, DaemonMode.ALWAYS_ON),
        *units("podman", DaemonState.DORMANT, DaemonMode.ON_DEMAND)])
    app.started = True
    app.tray = Tray(app.snapshot, app, warnings=app.idle_warnings)  # as start() makes it
    app.refresh()
    yield app
    app.window.close()


def held(app: TrayApp) -> HeldController:
    assert app.services is not None and isinstance(app.services.controller, HeldController)
    return app.services.controller


def table(app: TrayApp) -> DaemonTable:
    assert app.services is not None
    return app.services.monitor.table


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


def test_window_rows_act_and_show_busy(tray_app: TrayApp, loop: Any, qtbot: Any) -> None:
    app = tray_app
    controller = held(app)
    app.show_window()
    win: StatusWindow = app.window
    qtbot.waitUntil(win.isActiveWindow)

    def find(kind: type[Any], name: str) -> Any:
        found = win.findChild(kind, name)
        assert isinstance(found, kind), name
        return found

    from PySide6.QtWidgets import QComboBox

    stop = find(QPushButton, "system:docker.service:stop")
    assert stop.text() == "Stop" and stop.isEnabled()
    assert find(QPushButton, "system:podman.service:start").isEnabled()
    docker_mode = find(QComboBox, "mode:system:docker.service")
    assert docker_mode.currentText() == "Always on"
    assert find(QComboBox, "mode:system:podman.service").currentText() == "On demand"
    assert "Quit" not in [b.text() for b in win.findChildren(QPushButton)]  # tray menu only
    stop.setFocus()
    assert app.qapp.focusWidget() is stop

    async def scenario() -> None:
        stop.click()
        await asyncio.sleep(0.05)
        assert not stop.isEnabled() and not docker_mode.isEnabled()
        texts = [lbl.text() for lbl in win.findChildren(type(win.banner))]
        assert any(busy_label(Action.STOP) in t for t in texts)
        set_state(table(app), S, "docker", DaemonState.DORMANT)
        controller.release[KEY].set_result(Status.DONE)
        await asyncio.sleep(0.05)

    run(loop, scenario())
    assert controller.requests == [(S, "docker.service", Action.STOP)]
    # Updated in place: the same button, now Start, and the keyboard focus is back on it.
    assert stop.text() == "Start" and stop.objectName() == "system:docker.service:start"
    assert stop.isEnabled() and app.qapp.focusWidget() is stop
    # Another daemon changes: the focus stays where it is.
    set_state(table(app), S, "podman", DaemonState.RUNNING)
    qtbot.waitUntil(lambda: find(QPushButton, "system:podman.service:stop").isEnabled())
    assert app.qapp.focusWidget() is stop
    # The mode is a choice: picking the other one asks for the switch.

    async def choose() -> None:
        docker_mode.activated.emit(docker_mode.findText("On demand"))
        assert controller.requests[-1] == (S, "docker.service", Action.ON_DEMAND)
        controller.release[KEY].set_result(Status.DONE)
        await asyncio.sleep(0.05)

    run(loop, choose())


def test_window_keys_close_and_reach_preferences(qapp: QApplication, qtbot: Any) -> None:
    from PySide6.QtCore import Qt

    table = table_with(("docker", DaemonState.RUNNING, DaemonMode.ALWAYS_ON))
    intents = Intents()
    win = StatusWindow(lambda: snap_of(table), intents)
    win.present()
    qtbot.waitUntil(win.isActiveWindow)
    assert win.close_button.isDefault()
    win.preferences_button.click()
    win.findChild(QPushButton, "history:system/docker.service").click()
    assert intents.calls == [("preferences",), ("history", S, "docker.service")]
    qtbot.keyClick(win, Qt.Key.Key_Escape)
    assert not win.isVisible()
    win.present()
    qtbot.waitUntil(win.isActiveWindow)
    qtbot.keyClick(win, Qt.Key.Key_Return)  # the default button: Close
    assert not win.isVisible()
    # Every control has a name a screen reader can say.
    win.present()
    for widget in win.findChildren(QPushButton):
        assert widget.text() or widget.accessibleName(), widget.objectName()
    assert win.findChild(QPushButton, "history:system/docker.service").accessibleName() == \
        "History of docker"
    win.close()


def test_a_control_that_waited_for_the_focus_may_go_with_its_row(qapp: QApplication) -> None:
    """The mode box of a daemon, disabled while its switch runs, waits to get the
    focus back; when its row goes meanwhile (the daemon left the list), the next
    refresh must not touch the deleted box (issue 23: "Internal C++ object
    (ChoiceBox) already deleted", twice, from _keep_focus)."""
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QComboBox

    table = table_with(("docker", DaemonState.RUNNING, DaemonMode.ALWAYS_ON),
                       ("cups", DaemonState.DORMANT, DaemonMode.ON_DEMAND))
    pending: dict[Any, Action] = {}
    win = StatusWindow(lambda: snap_of(table, pending=pending), Intents())
    win.present()
    mode = win.findChild(QComboBox, "mode:system:docker.service")
    assert mode is not None
    mode.setFocus()
    pending[(S, "docker.service")] = Action.ON_DEMAND  # a switch under way disables it
    win.refresh()
    assert not mode.isEnabled()
    table.remove(S, "docker.service")
    table.remove(S, "docker.socket")
    win.refresh()  # the row goes: its widgets are deleted later
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    win.refresh()  # raised RuntimeError before
    assert win.findChild(QComboBox, "mode:system:docker.service") is None
    win.close()


def test_rows_that_arrive_in_a_shown_window_are_not_cut(qapp: QApplication) -> None:
    """The window is shown before the daemons are read ("Reading the daemons…"); the
    rows that come later must fit at once.  Qt shows a widget added to a visible
    parent only later (a queued call), so rows measured before that were left out of
    the rows' width, and the scroll area cut the Start button (a CI run saw
    "CUT QPushButton 'Start': only 54 of 80 px shown")."""
    from PySide6.QtCore import QCoreApplication

    table = DaemonTable(clock=lambda: 1000.0)
    win = StatusWindow(lambda: snap_of(table), Intents())
    win.present()
    QCoreApplication.processEvents()
    table.replace(S, units("docker", DaemonState.DORMANT, DaemonMode.ON_DEMAND)
                  + units("cups", DaemonState.RUNNING, DaemonMode.ALWAYS_ON))
    win.refresh()  # one refresh, as the first state brings, and nothing after it
    QCoreApplication.processEvents()
    start = win.findChild(QPushButton, "system:docker.service:start")
    assert start is not None and start.isVisible()
    assert win.rows.area.minimumWidth() >= win.rows.box.sizeHint().width()
    shown = start.visibleRegion().boundingRect()
    assert shown.width() == start.width(), (shown, start.geometry())
    from PySide6.QtWidgets import QComboBox

    for box in win.findChildren(QComboBox):  # each choice whole, not elided
        assert box.width() >= box.sizeHint().width(), (box.objectName(), box.width())
    win.close()


def test_window_drops_its_banner_when_a_tray_appears(
        tray_app: TrayApp, caplog: pytest.LogCaptureFixture) -> None:
    """Started without a tray, the window is the applet's only face: it says so, and
    closing it quits.  When a tray embeds the icon, Qt shows its QSystemTrayIconSys
    window; that Show, seen on the application (qt/window.py TrayAppears), drops
    the banner, and closing the window only hides it."""
    from PySide6.QtWidgets import QWidget

    class QSystemTrayIconSys(QWidget):  # the class name Qt's X11 tray icon window has
        pass

    app = tray_app
    assert not app.has_tray  # offscreen: no tray
    caplog.set_level("INFO", logger="trayapp.qt.startup")
    app._show_window_at_start()  # as start() does without a tray
    win = app.window
    assert win.banner.isVisible() and win.quit_on_close
    other = QWidget()
    other.show()  # any other window's Show is no news
    assert win.banner.isVisible() and not app.has_tray
    icon = QSystemTrayIconSys()
    icon.show()
    assert app.has_tray
    assert not win.banner.isVisible() and not win.quit_on_close
    icon.hide()
    icon.show()  # heard once: the watch is gone
    assert [r.message for r in caplog.records].count("a system tray appeared") == 1
    win.close()
    assert not app.quit_requested.is_set()
    for widget in (icon, other):
        widget.close()


def test_no_tray_hint_in_window_and_closing_it_quits(qapp: QApplication) -> None:
    from trayapp.qt.window import no_tray_hint

    intents = Intents()
    win = StatusWindow(lambda: Snapshot(), intents)
    win.show_banner(no_tray_hint())
    win.present()
    assert win.banner.isVisible() and "AppIndicator" in win.banner.text()
    win.close()
    assert intents.calls == []  # with a tray to come back to, closing only hides
    win.quit_on_close = True  # started without a tray (offscreen has none)
    win.present()
    win.close()
    assert intents.calls == [("quit",)]


# -- one instance per session ------------------------------------------------------------


def test_second_instance_hands_over(qapp: QApplication, tmp_path: Path) -> None:
    name = str(tmp_path / "instance")
    assert hand_off(name, "show", timeout_ms=200) is False  # nobody there yet
    got: list[str] = []
    first = InstanceServer(name, got.append)
    assert first.listen()
    # hand_off() runs a local event loop, which also lets the first instance,
    # in this same thread, accept and answer.
    assert hand_off(name, "window") is True
    assert got == ["window"]
    assert hand_off(name, "show") is True
    assert got == ["window", "show"]
    first.close()
    assert hand_off(name, "show", timeout_ms=200) is False


def test_stale_socket_does_not_block_start(qapp: QApplication, tmp_path: Path) -> None:
    name = tmp_path / "instance"
    # What a crashed instance leaves behind: a socket file nobody listens on.
    import socket

    dead = socket.socket(socket.AF_UNIX)
    dead.bind(str(name))
    dead.close()
    assert name.exists()
    assert hand_off(str(name), "show", timeout_ms=200) is False
    again = InstanceServer(str(name), print)
    assert again.listen()
    assert hand_off(str(name), "show") is True
    again.close()


# -- History and Preferences: the menu entries, the windows, the idle watcher's wiring ---------


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


# -- the Qt binding itself -------------------------------------------------------------------


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


def test_cut_check_finds_cut_text_and_passes_the_status_window(qapp: QApplication,
                                                               qtbot: Any) -> None:
    from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

    from trayapp.qt import cutcheck

    table = table_with(("docker", DaemonState.RUNNING, DaemonMode.ALWAYS_ON),
                       ("libvirtd", DaemonState.DORMANT, DaemonMode.ON_DEMAND))
    win = StatusWindow(lambda: snap_of(table), Intents())
    win.present()
    qtbot.waitExposed(win)
    found, seen = cutcheck.problems(win)
    assert found == [] and seen > 10
    cramped = QWidget()
    QVBoxLayout(cramped).addWidget(QLabel("a label much wider than its room"))
    button = QPushButton("Switch to on-demand", cramped)
    cramped.show()
    cramped.findChild(QLabel).setFixedWidth(40)
    button.setFixedWidth(30)
    found, _ = cutcheck.problems(cramped)
    assert len(found) == 2 and "QPushButton 'Switch to on-demand'" in found[1], found
    win.close()
    cramped.close()


def test_windows_show_the_status_notes(tray_app: TrayApp, qtbot: Any) -> None:
    """Issue 16's notes (history, power, kept running) have their place in both windows."""
    from PySide6.QtWidgets import QLabel

    from trayapp.core.status_notes import NoteKind, StatusNote

    note = StatusNote(NoteKind.POWER, "Battery windows are off: no UPower.", "battery")
    assert tray_app.services is not None
    tray_app.services.status_notes = lambda: [note]  # type: ignore[method-assign]
    tray_app.show_window()
    assert "Battery windows are off: no UPower." in tray_app.window.notes.labels[0].text()
    tray_app.show_preferences()
    dialog = tray_app.windows.get(PREFERENCES)
    assert dialog is not None
    assert any("no UPower" in label.text() for label in dialog.findChildren(QLabel))
    dialog.close()


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


def test_status_window_opens_where_it_was_left(qapp: QApplication, tmp_path: Path,
                                               qtbot: Any) -> None:
    from trayapp.qt import geometry

    table = table_with(("docker", DaemonState.RUNNING, DaemonMode.ALWAYS_ON))
    geometry.use(tmp_path / "windows.ini")
    try:
        win = StatusWindow(lambda: snap_of(table), Intents())
        win.present()
        qtbot.waitExposed(win)
        win.resize(win.width() + 120, win.height() + 40)
        wanted = (win.width(), win.height())
        win.hide()  # as when the applet quits with it open
        again = StatusWindow(lambda: snap_of(table), Intents())
        again.present()
        assert (again.width(), again.height()) == wanted
        # A change of state does not snap it back to its natural size.
        set_state(table, S, "docker", DaemonState.DORMANT)
        again.refresh()
        assert (again.width(), again.height()) == wanted
        again.close()
    finally:
        geometry.use(None)


def test_many_daemons_scroll_inside_the_window_and_nothing_is_cut(qapp: QApplication,
                                                                 qtbot: Any) -> None:
    from trayapp.qt import cutcheck

    names = [f"daemon{i:02d}" for i in range(30)]
    table = table_with(*[(n, DaemonState.DORMANT, DaemonMode.ON_DEMAND) for n in names])
    shown = Watchlist(watched=tuple(f"{n}.service" for n in names))
    win = StatusWindow(lambda: snap_of(table, watchlist=shown), Intents())
    win.present()
    qtbot.waitExposed(win)
    screen = win.screen().availableGeometry()
    assert win.height() <= screen.height()  # the rows scroll, the window fits
    assert win.rows.area.verticalScrollBar().maximum() > 0
    found, seen = cutcheck.problems(win)
    assert found == [] and seen > 30
    # Tab brings a row out of sight into view.
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QComboBox

    qtbot.waitUntil(win.isActiveWindow)
    win.findChild(QPushButton, "history:system/daemon28.service").setFocus()
    last = win.findChild(QComboBox, "mode:system:daemon29.service")
    assert last.visibleRegion().isEmpty()
    qtbot.keyClick(qapp.focusWidget(), Qt.Key.Key_Tab)
    assert qapp.focusWidget() is last
    qtbot.waitUntil(lambda: not last.visibleRegion().isEmpty())
    win.close()
