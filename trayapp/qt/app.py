"""The tray applet's Qt side: the views, and the user's intents sent to the services.

The graph (monitor, controller, ledger, events, history, idle watcher) is
built by the composition root, trayapp/services.py; what is told to the
user is decided by usecases/announce.py.  This module only shows: the tray
icon and menu, the status window, History and Preferences, and a message
box where neither a notification server nor a tray can show a message.

Its parts: qt/backend.py passes reads and intents to the services (or
answers for them until start() has made them), qt/wiring.py connects the
repaints and the notifications, qt/openers.py makes the windows, and
qt/startup.py runs the applet and stands in for a missing tray.

Nothing polls: the views repaint once per burst of changes (Coalescer), and
the process sleeps in the Qt event loop otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import linecache
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

# PySide6 before qasync: qasync drives the first Qt binding already imported,
# else the first it finds, PyQt6 before PySide6; Debian 13's python3-qasync
# 0.27.1 depends on python3-pyqt6, so it is installed there (issue 14).
import PySide6  # noqa: F401
import qasync  # type: ignore[import-untyped]
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from trayapp import APP_ID
from trayapp.adapters import settings_file
from trayapp.adapters.dbus.notifications import Notifier
from trayapp.core.keys import key_of
from trayapp.core.model import Daemon, Manager
from trayapp.core.outcome_words import failed_title
from trayapp.core.plans import Action
from trayapp.core.settings import Settings
from trayapp.core.status_notes import StatusNote
from trayapp.core.summary import Snapshot
from trayapp.core.unitname import check_unit_name
from trayapp.core.words import translate
from trayapp.qt import wiring
from trayapp.qt.backend import NotStarted, Running
from trayapp.qt.icons import app_icon
from trayapp.qt.openers import PREFERENCES as PREFERENCES  # the tests find it here
from trayapp.qt.openers import Openers
from trayapp.qt.refresh import Coalescer
from trayapp.qt.selfcheck import binding_problem
from trayapp.qt.single import hand_off, server_name
from trayapp.qt.startup import NoTray, serve
from trayapp.qt.tray import Tray
from trayapp.qt.windows import OpenWindows, message_box
from trayapp.services import Services
from trayapp.usecases.announce import Announcer, DesktopIdleNotifier

if TYPE_CHECKING:
    from trayapp.qt.window import StatusWindow

log = logging.getLogger(__name__)


class TrayApp:
    """One running applet.  Public methods are the views' Intents."""

    def __init__(self, qapp: QApplication, args: argparse.Namespace,
                 settings_path: Path | None = None) -> None:
        self.qapp = qapp
        self.args = args
        self.settings_path = settings_path  # None: settings_file.default_path()
        self.notifier = Notifier(self.message, app_icon=_icon_path())
        self.quit_requested = asyncio.Event()
        self.refresher = Coalescer(self.refresh)
        # The composition root's stand-in until start() (or a test) wires one.
        self.backend: NotStarted | Running = NotStarted(self._say)
        self.started = False  # until the managers have been read once
        self.has_tray = QSystemTrayIcon.isSystemTrayAvailable()  # at start
        self.tray: Tray | None = None
        self.openers = Openers()

    @property
    def services(self) -> Services | None:
        """The composition root once wired (tests read it); the applet asks ``backend``."""
        return self.backend.services

    @property
    def windows(self) -> OpenWindows:
        return self.openers.windows

    # -- what the views show -----------------------------------------------------

    def snapshot(self) -> Snapshot:
        return self.backend.snapshot(starting=not self.started)

    def cause_line(self, d: Daemon) -> str | None:
        """The daemon's last cause, read through the composition root."""
        return self.backend.cause_line(d)

    def status_notes(self) -> list[StatusNote]:
        """History, power and kept-running notes for the windows (issue 16)."""
        return self.backend.status_notes()

    def idle_warnings(self) -> dict[tuple[Manager, str], float]:
        """Seconds left of each idle warning out now (the menu's and window's countdown)."""
        return self.backend.idle_warnings()

    def refresh(self) -> None:
        if self.tray is not None:
            self.tray.refresh()
        if self.openers.status is not None:
            self.openers.status.refresh()

    # -- intents -------------------------------------------------------------------

    def request(self, manager: Manager, service: str, action: Action) -> None:
        self.backend.request(manager, service, action,
                             lambda t: self._request_done(t, service, action))

    def _request_done(self, task: asyncio.Task[object], service: str, action: Action) -> None:
        # The Outcome itself reaches the announcer through controller.listen();
        # only what never became an Outcome is reported here, so nothing is swallowed.
        if task.cancelled():
            self.message(failed_title(action, service.removesuffix(".service")),
                         translate("TrayApp", "The action was cancelled before it finished."),
                         True)
        elif task.exception() is not None:
            exc = task.exception()
            log.error("%s %s crashed", action, service, exc_info=exc)
            self.message(failed_title(action, service.removesuffix(".service")),
                         str(exc) or repr(exc), critical=True)
        self.refresher.mark()

    def keep_running(self, manager: Manager, service: str, until_stopped: bool = False) -> None:
        """The menu's or window's "Keep running" (or "Until I stop it") during an idle
        warning."""
        self.backend.keep_running((manager, service), until_stopped)
        self.refresher.mark()

    def set_watched(self, key: str, watched: bool) -> None:
        self.backend.set_watched(key, watched)

    @property
    def window(self) -> StatusWindow:
        return self.openers.status_window(self.snapshot, self, causes=self.cause_line,
                                          warnings=self.idle_warnings, notes=self.status_notes)

    def show_window(self) -> None:
        self.window.present()

    def show_history(self, manager: Manager, service: str) -> None:
        store = self.backend.history_store()
        if store is None:
            self.message(translate("TrayApp", "No activation history"),
                         self.backend.history_problem(), critical=True)
            return
        self.openers.history(store.path, manager, service)

    def show_preferences(self) -> None:
        self.backend.settings(lambda settings: self.openers.preferences(
            settings, lambda: [key_of(d) for d in self.snapshot().daemons],
            self.status_notes, self.apply_settings))

    def apply_settings(self, new: Settings, login: bool = True) -> None:
        """Save ``new`` and use it; ``login`` False: leave the autostart entry be."""
        self.backend.apply_settings(new, login)
        self.refresher.mark()

    def quit(self) -> None:
        self.quit_requested.set()

    # -- messages --------------------------------------------------------------------

    def message(self, title: str, body: str, critical: bool = False) -> None:
        """Without a notification server: the tray's balloon, else a message box."""
        log.log(logging.WARNING if critical else logging.INFO, "%s: %s", title, body)
        if self.tray is None or not self.tray.message(title, body, critical):
            message_box(title, body, critical)

    def _say(self, title: str, body: str, critical: bool = False) -> None:
        self.message(title, body, critical)  # looked up when said: tests replace message

    def on_other_instance(self, text: str) -> None:
        log.info("another trayapp asked: %s", text)
        if text == "show" and self.tray is not None and not self.tray.click_opens_window \
                and QSystemTrayIcon.isSystemTrayAvailable():
            self.tray.popup_menu()
        else:
            self.show_window()

    # -- life cycle --------------------------------------------------------------------

    async def close(self) -> None:
        for view in (self.tray, self.openers.status):
            if view is not None:
                view.hide()
        self.notifier.close()
        await self.backend.close()

    async def start(self) -> None:
        loaded = settings_file.load(self.settings_path, check_unit_name)
        self.openers.remember_geometry = True  # windows open where the user left them
        # The icon is made even without a tray: on X11, Qt embeds it as soon
        # as a tray appears (a panel that starts after us at login).
        self.tray = Tray(self.snapshot, self, click_opens_window=self.args.window,
                         warnings=self.idle_warnings)
        self.tray.show()
        if self.args.window or not self.has_tray:
            self._show_window_at_start()
        await self.notifier.start()
        wiring.tell(self.notifier, [
            (translate("TrayApp", "trayapp will crash"), binding_problem()),
            (translate("TrayApp", "trayapp settings"), loaded.warning)])

        from trayapp.usecases.monitor import default_managers

        services = Services(default_managers(), loaded.settings)
        self.wire(services)
        # Battery windows and the stop before sleep (issue 16) too, as idle-watch has them;
        # what is missing shows in the windows' status notes.
        warning = await services.start(DesktopIdleNotifier(self.notifier))
        for manager, text in services.monitor.problems.items():
            log.warning("%s manager: %s", manager, text)
        if warning:
            self.notifier.show(translate("TrayApp", "trayapp history"), warning,
                               critical=services.store is None)
        self.started = True
        self.refresh()
        log.debug("first state shown: %s", self.tray.status)

    def wire(self, services: Services) -> Announcer:
        """Connect the views and the notification policy to ``services`` (before it starts)."""
        self.backend = Running(services, self._say, self.refresher.mark, self.settings_path)
        wiring.listen(services, self.refresher.mark)
        return wiring.announce(services, self.notifier, self.request)

    def _tray_appeared(self) -> None:
        self.has_tray = True

    def _show_window_at_start(self) -> None:
        # Closing the window must not leave an invisible process behind.
        self.window.quit_on_close = not self.has_tray
        if not self.has_tray:
            self._no_tray = NoTray(self.qapp, self.window, self._tray_appeared)
        self.show_window()


def _icon_path() -> str:
    from trayapp.adapters import resources

    path = resources.icon_path(APP_ID)
    return str(path) if path else APP_ID


def run_tray(args: argparse.Namespace) -> int:
    """``trayapp`` without a command: start the applet, or wake the one running."""
    qapp = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(qapp, QApplication)
    qapp.setApplicationName("trayapp")
    qapp.setDesktopFileName(APP_ID)
    qapp.setQuitOnLastWindowClosed(False)  # the tray lives without windows
    from trayapp.qt import translate

    translate.install(qapp)  # the user's language, before any text is made
    qapp.setWindowIcon(app_icon())
    if os.environ.get("TRAYAPP_CUT_CHECK"):  # the desktop tests' self-check
        from trayapp.qt import cutcheck

        cutcheck.install(qapp)
    if hand_off(server_name(), "window" if args.window else "show"):
        log.info("trayapp already runs in this session; asked it to show itself")
        return 0
    # PySide6's import hook (shibokensupport.feature) reads the source of every
    # module imported after it, through inspect and linecache, to see whether
    # it uses PySide: about 3 MiB of text kept for nothing.  Dropped here, the
    # start-up's own objects reuse that memory.
    linecache.clearcache()
    # asyncio.run(..., loop_factory=) needs Python 3.12; Runner has it in 3.11.
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
        return runner.run(serve(TrayApp(qapp, args)))
