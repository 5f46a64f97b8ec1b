"""The tray's test rig: the applet wired to a real Services over a table fed by hand.

The controller is the real one with its systemd part held by the test
(``HeldController``); ``loop`` and ``tray_app`` are fixtures, registered
in tests/conftest.py.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMenu

from tests.support import FakeNotifier, units
from trayapp.core.ledger import Ledger
from trayapp.core.model import DaemonMode, DaemonState, Manager
from trayapp.core.outcome import Outcome, Status
from trayapp.core.plans import Action
from trayapp.core.summary import Snapshot, TrayStatus
from trayapp.core.table import DaemonTable
from trayapp.qt.app import TrayApp
from trayapp.qt.tray import Tray
from trayapp.services import Services
from trayapp.usecases.controller import Controller
from trayapp.usecases.monitor import Monitor

S = Manager.SYSTEM
KEY = (S, "docker.service")


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
