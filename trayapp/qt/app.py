"""The tray applet's Qt side: the views, and the user's intents sent to the services.

The graph (monitor, controller, ledger, events, history, idle watcher) is
built by the composition root, trayapp/services.py; what is told to the
user is decided by usecases/announce.py.  This module only shows: the tray
icon and menu, the status window, History and Preferences, and a message
box where neither a notification server nor a tray can show a message.

Nothing polls: the views repaint once per burst of changes (Coalescer), and
the process sleeps in the Qt event loop otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import linecache
import logging
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

# PySide6 before qasync: qasync drives the first Qt binding already imported,
# else the first it finds, PyQt6 before PySide6; Debian 13's python3-qasync
# 0.27.1 depends on python3-pyqt6, so it is installed there (issue 14).
import PySide6  # noqa: F401
import qasync  # type: ignore[import-untyped]
from PySide6.QtWidgets import QApplication, QSystemTrayIcon, QWidget

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
from trayapp.qt.icons import app_icon
from trayapp.qt.refresh import Coalescer
from trayapp.qt.selfcheck import binding_problem
from trayapp.qt.single import InstanceServer, hand_off, server_name
from trayapp.qt.tray import Tray
from trayapp.qt.windows import OpenWindows, message_box
from trayapp.services import Services
from trayapp.usecases.announce import Announcer, DesktopIdleNotifier

if TYPE_CHECKING:
    from trayapp.qt.window import StatusWindow

log = logging.getLogger(__name__)

PREFERENCES = "preferences"  # the key of the Preferences dialog among the open windows


class TrayApp:
    """One running applet.  Public methods are the views' Intents."""

    def __init__(self, qapp: QApplication, args: argparse.Namespace,
                 services: Services | None = None, settings_path: Path | None = None) -> None:
        self.qapp = qapp
        self.args = args
        self.services = services  # made at start unless given (tests)
        self.settings_path = settings_path  # None: settings_file.default_path()
        self.notifier = Notifier(self.message, app_icon=_icon_path())
        self.quit_requested = asyncio.Event()
        self.refresher = Coalescer(self.refresh)
        self.started = False  # until the managers have been read once
        self.has_tray = QSystemTrayIcon.isSystemTrayAvailable()
        self.tray: Tray | None = None
        self._window: StatusWindow | None = None  # made when first shown (about 1 MiB)
        self.windows = OpenWindows()  # History (one per daemon) and Preferences
        #: Sizes and places kept in the state directory (set at start(): not in tests).
        self.remember_geometry = False

    # -- what the views show -----------------------------------------------------

    def snapshot(self) -> Snapshot:
        if self.services is None:
            return Snapshot(starting=True)
        return self.services.snapshot(starting=not self.started)

    def cause_line(self, d: Daemon) -> str | None:
        """The daemon's last cause, read through the composition root."""
        return self.services.cause_line(d) if self.services is not None else None

    def status_notes(self) -> list[StatusNote]:
        """History, power and kept-running notes for the windows (issue 16)."""
        return self.services.status_notes() if self.services is not None else []

    def idle_warnings(self) -> dict[tuple[Manager, str], float]:
        """Seconds left of each idle warning out now (the menu's and window's countdown)."""
        if self.services is None:
            return {}
        now = self.services.clock()
        return {key: at - now for key, at in self.services.idle_deadlines().items()}

    def refresh(self) -> None:
        if self.tray is not None:
            self.tray.refresh()
        if self._window is not None:
            self._window.refresh()

    # -- intents -------------------------------------------------------------------

    def request(self, manager: Manager, service: str, action: Action) -> None:
        if self.services is None:
            self.message(translate("TrayApp", "trayapp is still starting"),
                         translate("TrayApp", "Try again in a moment."), critical=True)
            return
        task = self.services.controller.request(manager, service, action)
        task.add_done_callback(lambda t: self._request_done(t, service, action))
        self.refresher.mark()

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

    def keep_running(self, manager: Manager, service: str) -> None:
        """The menu's or window's "Keep running" during an idle warning."""
        if self.services is not None and not self.services.keep_running((manager, service)):
            log.info("no idle warning out for %s any more", service)
        self.refresher.mark()

    def set_watched(self, key: str, watched: bool) -> None:
        if self.services is None:
            return
        old = self.services.watchlist
        new = old.watch(key) if watched else old.unwatch(key)
        if new != old:
            self.apply_settings(dataclasses.replace(
                self.services.settings, watched=new.watched, hidden=new.hidden), login=False)

    @property
    def window(self) -> StatusWindow:
        if self._window is None:
            from trayapp.qt.window import StatusWindow

            self._windows_made()

            self._window = StatusWindow(self.snapshot, self, causes=self.cause_line,
                                        warnings=self.idle_warnings, notes=self.status_notes)
        return self._window

    def show_window(self) -> None:
        self.window.present()

    def _windows_made(self) -> None:
        """The first window: from now on sizes and places are kept (imported only now)."""
        if self.remember_geometry:
            from trayapp.qt import geometry

            geometry.use(geometry.default_path())

    def show_history(self, manager: Manager, service: str) -> None:
        from trayapp.qt.history_window import HistoryWindow  # lazily: QPainter code, ~1 MiB

        store = self.services.store if self.services is not None else None
        if store is None:
            problem = self.services.history_problem if self.services else translate(
                "TrayApp", "Not started yet.")
            self.message(translate("TrayApp", "No activation history"), problem, critical=True)
            return
        self._windows_made()
        self.windows.show((manager, service), lambda: HistoryWindow(store.path, manager, service))

    def show_preferences(self) -> None:
        if self.services is not None:
            self._windows_made()
            self.windows.show(PREFERENCES, self._make_preferences)

    def _make_preferences(self) -> QWidget:
        from trayapp.adapters import autostart
        from trayapp.qt.preferences import PreferencesDialog

        assert self.services is not None
        known = [key_of(d) for d in self.snapshot().daemons]
        # What the desktop will do at login, not what the file last said: an
        # administrator's entry or the user's desktop settings may differ.
        current = dataclasses.replace(self.services.settings, start_at_login=autostart.is_enabled())
        dialog = PreferencesDialog(current, known, validate_unit=check_unit_name,
                                   notes=self.status_notes())
        dialog.settings_chosen.connect(self.apply_settings)
        dialog.finished.connect(lambda _=0: self.windows.forget(PREFERENCES))
        return dialog

    def apply_settings(self, new: Settings, login: bool = True) -> None:
        """Save ``new`` and use it; ``login`` False: leave the autostart entry be."""
        if self.services is not None:
            for title, text in self.services.change_settings(new, self.settings_path, login=login):
                self.message(title, text, critical=True)
        self.refresher.mark()

    def quit(self) -> None:
        self.quit_requested.set()

    # -- messages --------------------------------------------------------------------

    def message(self, title: str, body: str, critical: bool = False) -> None:
        """Without a notification server: the tray's balloon, else a message box."""
        log.log(logging.WARNING if critical else logging.INFO, "%s: %s", title, body)
        if self.tray is None or not self.tray.message(title, body, critical):
            message_box(title, body, critical)

    def on_other_instance(self, text: str) -> None:
        log.info("another trayapp asked: %s", text)
        if text == "show" and self.tray is not None and not self.tray.click_opens_window \
                and QSystemTrayIcon.isSystemTrayAvailable():
            self.tray.popup_menu()
        else:
            self.show_window()

    # -- life cycle --------------------------------------------------------------------

    async def close(self) -> None:
        for view in (self.tray, self._window):
            if view is not None:
                view.hide()
        self.notifier.close()
        if self.services is not None:
            await self.services.close()

    async def start(self) -> None:
        loaded = settings_file.load(self.settings_path, check_unit_name)
        self.remember_geometry = True  # windows open where the user left them
        # The icon is made even without a tray: on X11, Qt embeds it as soon
        # as a tray appears (a panel that starts after us at login).
        self.tray = Tray(self.snapshot, self, click_opens_window=self.args.window,
                         warnings=self.idle_warnings)
        self.tray.show()
        if self.args.window or not self.has_tray:
            self._show_window_at_start()
        await self.notifier.start()
        for title, problem in ((translate("TrayApp", "trayapp will crash"), binding_problem()),
                               (translate("TrayApp", "trayapp settings"), loaded.warning)):
            if problem:
                log.error("%s", problem)
                self.notifier.show(title, problem, critical=True)

        from trayapp.usecases.monitor import default_managers

        services = Services(default_managers(), loaded.settings)
        self.wire(services)
        await services.watch()
        for manager, text in services.monitor.problems.items():
            log.warning("%s manager: %s", manager, text)
        warning = services.open_history()
        if warning:
            self.notifier.show(translate("TrayApp", "trayapp history"), warning,
                               critical=services.store is None)
        services.start_idle(DesktopIdleNotifier(self.notifier))
        # Battery windows and the stop before sleep (issue 16), as idle-watch has them;
        # what is missing shows in the windows' status notes.
        await services.power.start()
        self.started = True
        self.refresh()
        log.debug("first state shown: %s", self.tray.status)

    def wire(self, services: Services) -> Announcer:
        """Connect the views and the notification policy to ``services`` (before it starts)."""
        self.services = services
        services.monitor.table.listen(lambda _changes: self.refresher.mark())
        services.ledger.listen(lambda _key, _entry: self.refresher.mark())  # busy marks
        # A lost bus shows the disconnected icon until the monitor is back.
        services.monitor.on_connection(lambda _manager, _up: self.refresher.mark())
        services.causes.listen(lambda _key: self.refresher.mark())  # "woken by" learnt
        services.idle_warnings.listen(self.refresher.mark)  # a countdown begins or ends
        announcer = Announcer(self.notifier, services.shows, self.request,
                              causes=services.causes)
        announcer.start(services.events)
        services.controller.listen(announcer.on_outcome)
        return announcer

    def _show_window_at_start(self) -> None:
        # Closing the window must not leave an invisible process behind.
        self.window.quit_on_close = not self.has_tray
        if not self.has_tray:
            from trayapp.qt.window import no_tray_hint

            log.warning("no system tray here: %s", no_tray_hint(translated=False))
            self.window.show_banner(no_tray_hint())
            self._await_tray()
        self.show_window()

    def _await_tray(self) -> None:
        from trayapp.qt.window import TrayAppears

        self._tray_watch = TrayAppears(self._tray_appeared)
        self.qapp.installEventFilter(self._tray_watch)

    def _tray_appeared(self) -> None:
        log.info("a system tray appeared")
        self.qapp.removeEventFilter(self._tray_watch)
        self.has_tray = True
        if self._window is not None:
            self._window.drop_banner()


async def serve(app: TrayApp) -> int:
    """Start ``app`` and run it until SIGINT, SIGTERM or Quit; another copy hands over."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, app.quit_requested.set)
    instance = InstanceServer(server_name(), app.on_other_instance)
    instance.listen()
    try:
        # A quit request is honoured during start-up too (a bus or a
        # notification server that never answers must not make the
        # applet deaf to SIGTERM).
        starting = loop.create_task(app.start())
        quitting = loop.create_task(app.quit_requested.wait())
        await asyncio.wait([starting, quitting], return_when=asyncio.FIRST_COMPLETED)
        if not quitting.done():
            starting.result()  # a start-up error ends the applet, with its traceback
            await quitting
        starting.cancel()
        log.debug("quitting")
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        instance.close()
        await app.close()
    return 0


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
