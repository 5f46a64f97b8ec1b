"""The applet's run, and its start without a tray.

``serve`` starts a TrayApp and runs it until SIGINT, SIGTERM or Quit, while
another copy started in the session hands over to it.  ``NoTray`` is the
fallback where the desktop shows no tray icons: the status window is the
applet, with a banner saying why, until a tray appears.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import TYPE_CHECKING, Protocol

from PySide6.QtWidgets import QApplication

from trayapp.qt.single import InstanceServer, server_name

if TYPE_CHECKING:
    from collections.abc import Callable

    from trayapp.qt.window import StatusWindow

log = logging.getLogger(__name__)


class Served(Protocol):
    """What ``serve`` runs (qt/app.py's TrayApp), named here so neither module
    imports the other."""

    quit_requested: asyncio.Event

    def on_other_instance(self, text: str) -> None: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


async def serve(app: Served) -> int:
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


class NoTray:
    """No tray at start: the banner in ``window`` says why, and goes when a tray appears
    (on X11 Qt embeds the icon as soon as one does: a panel that starts after us)."""

    def __init__(self, qapp: QApplication, window: StatusWindow,
                 then: Callable[[], None]) -> None:
        from trayapp.qt.window import TrayAppears, no_tray_hint

        log.warning("no system tray here: %s", no_tray_hint(translated=False))
        window.show_banner(no_tray_hint())
        self._qapp = qapp
        self._window = window
        self._then = then
        self._tray_watch = TrayAppears(self._tray_appeared)
        self._qapp.installEventFilter(self._tray_watch)

    def _tray_appeared(self) -> None:
        log.info("a system tray appeared")
        self._qapp.removeEventFilter(self._tray_watch)
        self._window.drop_banner()
        self._then()
