"""The tray answers "is it asleep?": the icon follows the on-demand daemons, the menu
says which ones, and the tooltip and menu are computed when they are shown.

Offscreen: the real Services over a table fed by hand, with a clock the test steps.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon

from tests.fakes import Intents
from tests.support import Clock, set_state, units
from tests.tray_rig import daemon_menu, open_menu
from trayapp.adapters import settings_file
from trayapp.core.model import DaemonMode, DaemonState, Manager
from trayapp.core.settings import IconFollows, Settings
from trayapp.core.summary import TrayStatus
from trayapp.qt import icons
from trayapp.qt.tray import Tray
from trayapp.services import Services

S = Manager.SYSTEM
T0 = 1_700_000_000.0  # when docker fell asleep and cups started


def tray_over(*, settings: Settings | None = None) -> tuple[Tray, Services, Clock, Intents]:
    """Docker dormant on-demand beside CUPS running always-on, both shown."""
    clock = Clock(T0)
    services = Services([S], settings or Settings(watched=("cups.service",)), clock=clock)
    services.monitor.table.replace(S, [
        *units("docker", DaemonState.DORMANT, DaemonMode.ON_DEMAND, int(T0 * 1e6)),
        *units("cups", DaemonState.RUNNING, DaemonMode.ALWAYS_ON, int(T0 * 1e6))])
    intents = Intents()
    tray = Tray(services.snapshot, intents)
    tray.refresh()
    return tray, services, clock, intents


def hover(tray: Tray) -> None:
    """What the icon's window on X11 sends the icon right before it shows the tooltip."""
    QApplication.sendEvent(tray.icon, QHelpEvent(QEvent.Type.ToolTip, QPoint(4, 4), QPoint(4, 4)))


def follows_item(menu: QMenu) -> str:
    [text] = [a.text() for a in menu.actions() if a.data() == "icon-follows"]
    return text


def test_dormant_icon_while_docker_sleeps_beside_running_cups(qapp: QApplication) -> None:
    tray, services, _, intents = tray_over()
    assert tray.status is TrayStatus.IDLE
    assert tray.icon.icon().cacheKey() == icons.status_icon(TrayStatus.IDLE).cacheKey()
    assert tray.icon.toolTip().splitlines()[0] == "Awake: cups · asleep: docker"
    set_state(services.monitor.table, S, "docker", DaemonState.RUNNING)  # docker info
    tray.refresh()
    assert tray.status is TrayStatus.SOME_RUNNING
    assert tray.icon.toolTip().splitlines()[0] == "Awake: cups, docker"
    set_state(services.monitor.table, S, "cups", DaemonState.FAILED)
    tray.refresh()
    assert tray.status is TrayStatus.FAILED  # a failed always-on daemon is news
    open_menu(tray)
    [act] = [a for a in tray.menu.actions() if a.data() == "icon-follows"]
    assert act.text() == "Icon follows on-demand: docker…"
    act.trigger()
    assert intents.calls == [("preferences",)]


def test_icon_follows_all_once_chosen_and_saved(qapp: QApplication, tmp_path: Path) -> None:
    tray, services, _, _ = tray_over()
    open_menu(tray)
    assert follows_item(tray.menu) == "Icon follows on-demand: docker…"
    chosen = replace(services.settings, icon_follows=IconFollows.ALL)
    assert services.change_settings(chosen, tmp_path / "settings.toml", login=False) == []
    tray.refresh()
    assert tray.status is TrayStatus.SOME_RUNNING  # cups runs
    open_menu(tray)
    assert follows_item(tray.menu) == "Icon follows all: cups, docker…"
    assert settings_file.load(tmp_path / "settings.toml").settings.icon_follows is IconFollows.ALL


def test_tooltip_is_computed_when_it_is_shown(qapp: QApplication) -> None:
    tray, _, clock, _ = tray_over()
    assert "docker: dormant for 0 s" in tray.icon.toolTip()
    clock.now += 20  # nothing changes for twenty seconds: nothing runs, nothing repaints
    assert "docker: dormant for 0 s" in tray.icon.toolTip()
    hover(tray)
    assert "docker: dormant for 20 s" in tray.icon.toolTip()
    assert "cups: running for 20 s" in tray.icon.toolTip()
    clock.now += 40
    tray.icon.activated.emit(QSystemTrayIcon.ActivationReason.Context)  # a click
    assert "docker: dormant for 1 min" in tray.icon.toolTip()


def test_menu_rows_are_computed_when_the_menu_opens(qapp: QApplication) -> None:
    tray, _, clock, _ = tray_over()
    clock.now += 125
    open_menu(tray)
    detail = daemon_menu(tray.menu, "docker.service").actions()[0].text()
    assert detail.startswith("dormant for 2 min")
    assert "docker: dormant for 2 min" in tray.icon.toolTip()  # the tooltip too
