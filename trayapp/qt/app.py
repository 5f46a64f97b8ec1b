"""The composition root of the tray applet: wires the core, the adapters and the views.

    Monitor (systemd over D-Bus) --table changes--> Coalescer --> Tray / StatusWindow
                                 \\--> Notices --> Notifier (notifications over D-Bus)
    Tray / window / notification buttons --intents--> Controller --> systemd
    Controller --Outcome--> Notifier
    Monitor --table changes--> Recorder --> history Store (SQLite)
                           \\--> IdleWatcher --stop--> Controller

Nothing polls: the views repaint once per burst of changes (Coalescer), and
the process sleeps in the Qt event loop otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import signal
import sys
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING

import qasync  # type: ignore[import-untyped]
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QSystemTrayIcon

from trayapp import APP_ID
from trayapp.adapters import settings_file as settings
from trayapp.core.model import Manager
from trayapp.core.notices import Notice, NoticeKind, Notices
from trayapp.core.outcome import Outcome
from trayapp.core.plans import Action
from trayapp.core.summary import BUSY_LABELS, Snapshot
from trayapp.core.table import Change
from trayapp.core.unitname import check_unit_name
from trayapp.core.watchlist import Watchlist, daemon_key
from trayapp.adapters.dbus.notifications import ActionCallback, Notifier
from trayapp.qt.icons import app_icon
from trayapp.qt.refresh import Coalescer
from trayapp.qt.selfcheck import binding_problem
from trayapp.qt.single import InstanceServer, hand_off, server_name
from trayapp.qt.tray import Tray

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from trayapp.usecases.controller import Controller
    from trayapp.core.model import Daemon
    from trayapp.adapters.history_db import Store
    from trayapp.usecases.idlestop import IdleWatcher
    from trayapp.usecases.monitor import Monitor
    from trayapp.qt.window import StatusWindow
    from trayapp.usecases.recorder import Recorder

log = logging.getLogger(__name__)


def outcome_title(o: Outcome) -> str:
    name = o.service.removesuffix(".service")
    done = {
        Action.ON_DEMAND: "is now on-demand",
        Action.ALWAYS_ON: "is now always-on",
        Action.STOP: "stopped",
        Action.START: "started",
    }
    if o.ok:
        return f"{name} {done[o.action]}"
    return f"{name}: {BUSY_LABELS[o.action].lower()} failed"


class TrayApp:
    """One running applet.  Public methods are the views' Intents."""

    def __init__(self, qapp: QApplication, args: argparse.Namespace) -> None:
        self.qapp = qapp
        self.args = args
        self.quit_requested = asyncio.Event()
        self.settings_path: Path | None = None  # None: settings.default_path()
        self.settings = settings.Settings()
        self.watchlist = Watchlist()
        self.notices = Notices()
        self.monitor: Monitor | None = None
        self.controller: Controller | None = None
        self.notifier: Notifier | None = None
        self.refresher = Coalescer(self.refresh)
        self.started = False  # until the managers have been read once
        self.has_tray = QSystemTrayIcon.isSystemTrayAvailable()
        self.tray: Tray | None = None
        self._window: StatusWindow | None = None  # made when first shown (about 1 MiB)
        self.store: Store | None = None  # the activation history; None when unavailable
        self.history_problem = "trayapp has not opened it yet."  # why store is None
        self.recorder: Recorder | None = None
        self.idle: IdleWatcher | None = None
        self._idle_stops: set[tuple[Manager, str]] = set()  # stops the idle watcher asked for
        self._history_windows: dict[tuple[Manager, str], QWidget] = {}
        self._preferences: QWidget | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # -- what the views show -----------------------------------------------------

    def snapshot(self) -> Snapshot:
        monitor, controller = self.monitor, self.controller
        problems = dict(monitor.problems) if monitor else {}
        return Snapshot(
            daemons=tuple(monitor.table.daemons()) if monitor else (),
            watchlist=self.watchlist,
            pending=dict(controller.pending) if controller else {},
            problems=problems,
            lost=bool(problems),
            now=time.time(),
            starting=not self.started,
        )

    def refresh(self) -> None:
        if self.tray is not None:
            self.tray.refresh()
        if self._window is not None:
            self._window.refresh()

    # -- intents -------------------------------------------------------------------

    def request(self, manager: Manager, service: str, action: Action) -> None:
        if self.controller is None:
            self.message("trayapp is still starting", "Try again in a moment.", critical=True)
            return
        key = (manager, service)
        self.notices.ours(key)
        try:
            task = self.controller.request(manager, service, action)
        except Exception as exc:  # a refusal before any task exists
            log.exception("request %s %s failed", action, service)
            self.message(f"Cannot {action} {service}", str(exc), critical=True)
            return
        task.add_done_callback(lambda t: self._request_done(t, manager, service, action))
        self.refresher.mark()

    def _request_done(
        self, task: asyncio.Task[Outcome], manager: Manager, service: str, action: Action
    ) -> None:
        # The Outcome itself arrives through controller.listen(); only what
        # never became an Outcome is reported here, so nothing is swallowed.
        self.notices.ours((manager, service))
        if task.cancelled():
            self.message(f"{service}: {action} cancelled", "The action did not finish.", True)
        elif task.exception() is not None:
            exc = task.exception()
            log.error("%s %s crashed", action, service, exc_info=exc)
            self.message(f"{service}: {action} failed", str(exc) or repr(exc), critical=True)
        self.refresher.mark()

    def set_watched(self, key: str, watched: bool) -> None:
        new = self.watchlist.watch(key) if watched else self.watchlist.unwatch(key)
        if new == self.watchlist:
            return
        self.watchlist = new
        self.settings = dataclasses.replace(self.settings, watched=new.watched, hidden=new.hidden)
        try:
            settings.save(self.settings, self.settings_path, check_unit_name)
        except (OSError, ValueError) as exc:
            self.message("Cannot save your settings", str(exc), critical=True)
        self._settings_changed()

    def _settings_changed(self) -> None:
        if self.idle is not None:
            self.idle.reconfigure()
        self.refresher.mark()

    @property
    def window(self) -> StatusWindow:
        if self._window is None:
            from trayapp.qt.window import StatusWindow

            self._window = StatusWindow(self.snapshot, self)
        return self._window

    def show_window(self) -> None:
        self.window.present()

    def show_history(self, manager: Manager, service: str) -> None:
        key = (manager, service)
        open_window = self._history_windows.get(key)
        if open_window is not None:
            open_window.show()
            open_window.raise_()
            open_window.activateWindow()
            return
        if self.store is None:
            self.message("No activation history", self.history_problem, critical=True)
            return
        from trayapp.qt.history_window import show_history  # lazily: QPainter code, ~1 MiB

        window = show_history(self.store, manager, service)
        self._history_windows[key] = window  # kept referenced until closed (WA_DeleteOnClose)
        window.destroyed.connect(lambda _=None: self._history_windows.pop(key, None))

    def show_preferences(self) -> None:
        if self._preferences is not None:
            self._preferences.show()
            self._preferences.raise_()
            self._preferences.activateWindow()
            return
        from trayapp.adapters import autostart
        from trayapp.qt.preferences import PreferencesDialog

        known = [daemon_key(d.manager, d.service) for d in self.snapshot().daemons]
        # What the desktop will do at login, not what the file last said: an
        # administrator's entry or the user's desktop settings may differ.
        current = dataclasses.replace(self.settings, start_at_login=autostart.is_enabled())
        dialog = PreferencesDialog(current, known, validate_unit=check_unit_name)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.settings_chosen.connect(self.apply_settings)
        dialog.finished.connect(lambda _=0: setattr(self, "_preferences", None))
        self._preferences = dialog
        dialog.setModal(False)  # exec() would nest a Qt loop inside the asyncio one
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def apply_settings(self, new: settings.Settings) -> None:
        """The Preferences dialog's OK: save, start at login, and use the new settings."""
        try:
            settings.save(new, self.settings_path, check_unit_name)
        except (OSError, ValueError) as exc:
            self.message("Cannot save your settings", str(exc), critical=True)
            return
        from trayapp.adapters import autostart

        if new.start_at_login != autostart.is_enabled():  # untouched: leave the desktop's entries
            try:
                autostart.enable(new.start_at_login)
            except OSError as exc:
                self.message("Cannot change start at login", str(exc), critical=True)
        self.settings = new
        self.watchlist = Watchlist(new.watched, new.hidden)
        self._settings_changed()

    def idle_window(self, d: Daemon) -> float | None:
        """The idle watcher's window for one daemon, in seconds (None: never stop it)."""
        minutes = self.settings.daemon(daemon_key(d.manager, d.service)).idle_stop_minutes
        return minutes * 60.0 if minutes > 0 else None

    def quit(self) -> None:
        self.quit_requested.set()

    # -- events from the model -----------------------------------------------------

    def _on_changes(self, changes: list[Change]) -> None:
        self.refresher.mark()
        pending = self.controller.pending.keys() if self.controller else ()
        for notice in self.notices.decide(changes, pending):
            self._announce(notice)

    def _announce(self, notice: Notice) -> None:
        d = notice.daemon
        key = daemon_key(d.manager, d.service)
        if not self.watchlist.shows(d) or not self.settings.daemon(key).notify:
            return

        def pressed(action_key: str) -> None:
            try:
                action = Action(action_key)
            except ValueError:
                return  # "default" (a click on the bubble) and the like
            self.request(d.manager, d.service, action)

        self.notify(
            notice.title,
            notice.body,
            actions=[(str(a), label) for a, label in notice.actions],
            on_action=pressed,
            tag=key,
            critical=notice.kind is NoticeKind.FAILED,
        )

    def _idle_stop(self, manager: Manager, service: str) -> asyncio.Task[Outcome]:
        """The idle watcher's stop: the core's stop action, through the controller."""
        assert self.controller is not None
        key = (manager, service)
        self.notices.ours(key)  # the stop's table changes are no news
        self._idle_stops.add(key)
        task = self.controller.request(manager, service, Action.STOP)

        def done(_task: asyncio.Task[Outcome]) -> None:
            self._idle_stops.discard(key)
            self.notices.ours(key)
            self.refresher.mark()

        task.add_done_callback(done)
        self.refresher.mark()
        return task

    def _on_outcome(self, outcome: Outcome) -> None:
        key = (outcome.manager, outcome.service)
        self.notices.ours(key)
        if key in self._idle_stops and outcome.action is Action.STOP:
            # The idle watcher announces this stop itself, saying why (one bubble, not two).
            self.refresher.mark()
            return
        body = outcome.message
        if outcome.warnings:
            body += "\n" + "\n".join(outcome.warnings)
        self.notify(
            outcome_title(outcome),
            body,
            tag=daemon_key(outcome.manager, outcome.service),
            critical=not outcome.ok,
        )
        self.refresher.mark()

    # -- messages --------------------------------------------------------------------

    def notify(
        self,
        title: str,
        body: str,
        *,
        actions: list[tuple[str, str]] | None = None,
        on_action: ActionCallback | None = None,
        tag: str | None = None,
        critical: bool = False,
    ) -> None:
        if self.notifier is None:
            self.message(title, body, critical)
            return
        self.notifier.show(
            title, body, actions=actions or (), on_action=on_action, tag=tag, critical=critical
        )

    def message(self, title: str, body: str, critical: bool = False) -> None:
        """Without a notification server: the tray's balloon, else a message box."""
        log.log(logging.WARNING if critical else logging.INFO, "%s: %s", title, body)
        if self.tray is not None and self.tray.message(title, body, critical):
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning if critical else QMessageBox.Icon.Information,
            title, body, QMessageBox.StandardButton.Ok,
        )  # fmt: skip
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setModal(False)  # exec() would nest a Qt loop inside the asyncio one
        box.show()

    # -- another instance --------------------------------------------------------------

    def _on_other_instance(self, text: str) -> None:
        log.info("another trayapp asked: %s", text)
        if (
            text == "window"
            or self.tray is None
            or self.tray.click_opens_window
            or not QSystemTrayIcon.isSystemTrayAvailable()
        ):
            self.show_window()
        else:
            self.tray.popup_menu()

    # -- life cycle --------------------------------------------------------------------

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.quit_requested.set)
        instance = InstanceServer(server_name(), self._on_other_instance)
        instance.listen()
        try:
            # A quit request is honoured during start-up too (a bus or a
            # notification server that never answers must not make the
            # applet deaf to SIGTERM).
            starting = loop.create_task(self._start())
            quitting = loop.create_task(self.quit_requested.wait())
            await asyncio.wait([starting, quitting], return_when=asyncio.FIRST_COMPLETED)
            if not quitting.done():
                starting.result()  # a start-up error ends the applet, with its traceback
                await quitting
            starting.cancel()
            log.debug("quitting")
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
            for task in list(self._tasks):
                task.cancel()
            self._close_history()
            instance.close()
            if self.tray is not None:
                self.tray.hide()
            if self._window is not None:
                self._window.hide()
            if self.notifier is not None:
                self.notifier.close()
            if self.monitor is not None:
                self.monitor.close()
        return 0

    def _close_history(self) -> None:
        """The idle watcher, then the recorder (it notes the runs going on), then the store."""
        idle, self.idle = self.idle, None
        if idle is not None:
            idle.close()
        recorder, self.recorder = self.recorder, None
        if recorder is not None:
            recorder.close()
        store, self.store = self.store, None
        if store is not None:
            store.close()

    async def _start(self) -> None:
        from trayapp.usecases.controller import Controller
        from trayapp.usecases.monitor import Monitor, default_managers

        loaded = settings.load(self.settings_path, check_unit_name)
        self.settings = loaded.settings
        self.watchlist = Watchlist(self.settings.watched, self.settings.hidden)

        # The icon is made even without a tray: on X11, Qt embeds it as soon
        # as a tray appears (a panel that starts after us at login).
        self.tray = Tray(self.snapshot, self, click_opens_window=self.args.window)
        self.tray.show()
        if self.args.window or not self.has_tray:
            # Closing the window must not leave an invisible process behind.
            self.window.quit_on_close = not self.has_tray
            if not self.has_tray:
                from trayapp.qt.window import NO_TRAY_HINT

                log.warning("no system tray here: %s", NO_TRAY_HINT)
                self.window.show_banner(NO_TRAY_HINT)
            self.show_window()

        self.notifier = Notifier(self.message, app_icon=_icon_path())
        await self.notifier.start()
        problem = binding_problem()
        if problem:
            log.error("%s", problem)
            self.notify("trayapp will crash", problem, critical=True)
        if loaded.warning:
            self.notify("trayapp settings", loaded.warning, critical=True)

        self.monitor = Monitor(default_managers())
        self.controller = Controller(self.monitor)
        self.monitor.table.listen(self._on_changes)
        self.controller.listen(self._on_outcome)
        self.controller.on_pending(self.refresher.mark)
        # A lost bus shows the disconnected icon until the monitor is back.
        self.monitor.on_connection(lambda _manager, _up: self.refresher.mark())
        await self.monitor.watch()
        for manager, text in self.monitor.problems.items():
            log.warning("%s manager: %s", manager, text)
        self._start_history()
        self.started = True
        self.refresh()
        log.debug("first state shown: %s", self.tray.status if self.tray else None)

    def _start_history(self) -> None:
        """The activation history and idle auto-stop, once the table has been read."""
        from trayapp.adapters.history_db import open_store
        from trayapp.usecases.idlestop import DesktopIdleNotifier, IdleWatcher
        from trayapp.usecases.recorder import Recorder
        from trayapp.usecases.stats import MonitorStats

        assert self.monitor is not None and self.controller is not None
        assert self.notifier is not None
        controller = self.controller
        reader = MonitorStats(self.monitor)
        self.store, warning = open_store()
        if self.store is None:
            self.history_problem = warning or "The activation history is not recorded."
        if warning:
            self.notify("trayapp history", warning, critical=self.store is None)
        if self.store is not None:
            self.recorder = Recorder(
                self.store, self.monitor.table, reader, pending=lambda: controller.pending.keys()
            )
            self.recorder.start()
        self.idle = IdleWatcher(
            self.monitor.table,
            reader,
            stop=self._idle_stop,
            notifier=DesktopIdleNotifier(self.notifier),
            window_for=self.idle_window,
            recorder=self.recorder,
        )
        self.idle.start()

    def _spawn(self, coro: Coroutine[object, object, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


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
    qapp.setWindowIcon(app_icon())
    if hand_off(server_name(), "window" if args.window else "show"):
        log.info("trayapp already runs in this session; asked it to show itself")
        return 0
    # asyncio.run(..., loop_factory=) needs Python 3.12; Runner has it in 3.11.
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
        return runner.run(TrayApp(qapp, args).run())
