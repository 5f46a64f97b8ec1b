"""What the applet asks of the composition root, before and after start() has made it.

``Running`` passes the views' reads and the user's intents to the Services
(trayapp/services.py).  ``NotStarted`` stands in for it until then (a Null
object): nothing read, nothing to act on, and a request is answered with
"still starting".  TrayApp holds one or the other and never asks which.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from trayapp.core.keys import Key
from trayapp.core.model import Daemon, Manager
from trayapp.core.plans import Action
from trayapp.core.settings import Settings
from trayapp.core.status_notes import StatusNote
from trayapp.core.summary import Snapshot
from trayapp.core.words import translate

if TYPE_CHECKING:
    from trayapp.adapters.history_db import Store
    from trayapp.services import Services

log = logging.getLogger(__name__)


class Say(Protocol):
    """A message for the user (TrayApp.message: a notification's stand-in)."""

    def __call__(self, title: str, body: str, critical: bool = False) -> None: ...


# Called with the task of a request once it is done.
Done = Callable[["asyncio.Task[object]"], None]


class NotStarted:
    """The Services' stand-in until start() has made them."""

    services: Services | None = None  # for tests: the composition root, once there

    def __init__(self, say: Say) -> None:
        self._say = say

    def snapshot(self, *, starting: bool) -> Snapshot:
        return Snapshot(starting=True)

    def cause_line(self, d: Daemon) -> str | None:
        return None

    def status_notes(self) -> list[StatusNote]:
        return []

    def idle_warnings(self) -> dict[Key, float]:
        return {}

    def request(self, manager: Manager, service: str, action: Action, done: Done) -> None:
        self._say(translate("TrayApp", "trayapp is still starting"),
                  translate("TrayApp", "Try again in a moment."), critical=True)

    def keep_running(self, key: Key, until_stopped: bool = False) -> None:
        pass

    def set_watched(self, key: str, watched: bool) -> None:
        pass

    def apply_settings(self, new: Settings, login: bool) -> None:
        pass

    def settings(self, then: Callable[[Settings], None]) -> None:
        """Calls ``then`` with the settings in use: none yet (Preferences stays shut)."""

    def history_store(self) -> Store | None:
        return None

    def history_problem(self) -> str:
        return translate("TrayApp", "Not started yet.")

    async def close(self) -> None:
        pass


class Running:
    """The views' reads and the user's intents, passed to ``services``."""

    def __init__(self, services: Services, say: Say, mark: Callable[[], None],
                 settings_path: Path | None) -> None:
        self.services = services
        self._say = say
        self._mark = mark  # the views repaint (once per burst)
        self._path = settings_path  # None: settings_file.default_path()

    def snapshot(self, *, starting: bool) -> Snapshot:
        return self.services.snapshot(starting=starting)

    def cause_line(self, d: Daemon) -> str | None:
        return self.services.cause_line(d)

    def status_notes(self) -> list[StatusNote]:
        return self.services.status_notes()

    def idle_warnings(self) -> dict[Key, float]:
        now = self.services.clock()
        return {key: at - now for key, at in self.services.idle_deadlines().items()}

    def request(self, manager: Manager, service: str, action: Action, done: Done) -> None:
        task = self.services.controller.request(manager, service, action)
        task.add_done_callback(done)
        self._mark()

    def keep_running(self, key: Key, until_stopped: bool = False) -> None:
        if not self.services.keep_running(key, until_stopped):
            log.info("no idle warning out for %s any more", key[1])

    def set_watched(self, key: str, watched: bool) -> None:
        old = self.services.watchlist
        new = old.watch(key) if watched else old.unwatch(key)
        if new != old:
            self.apply_settings(dataclasses.replace(
                self.services.settings, watched=new.watched, hidden=new.hidden), login=False)
            self._mark()

    def apply_settings(self, new: Settings, login: bool) -> None:
        for title, text in self.services.change_settings(new, self._path, login=login):
            self._say(title, text, critical=True)

    def settings(self, then: Callable[[Settings], None]) -> None:
        then(self.services.settings)

    def history_store(self) -> Store | None:
        return self.services.store

    def history_problem(self) -> str:
        return self.services.history_problem

    async def close(self) -> None:
        await self.services.close()
