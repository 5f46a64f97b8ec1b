"""The tray's way to run actions: one at a time per daemon, results to listeners.

The UI calls ``request()`` and renders ``pending`` (its busy indicator);
every Outcome goes to the listeners (notifications, dialogs).  Actions use
the monitor's own connections, which are already subscribed to systemd's
signals, so JobRemoved arrives without another match rule.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from trayapp.usecases.actions import perform
from trayapp.core.model import Manager
from trayapp.core.outcome import Outcome, Status
from trayapp.core.plans import Action
from trayapp.usecases.monitor import Monitor
from trayapp.adapters.dbus.bus import BusUnavailable, SystemdError
from trayapp.adapters.dbus.jobs import JobFollower

log = logging.getLogger(__name__)


class Controller:
    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor
        self.pending: dict[tuple[Manager, str], Action] = {}
        self._result_listeners: list[Callable[[Outcome], None]] = []
        self._pending_listeners: list[Callable[[], None]] = []
        self._jobs: dict[Manager, JobFollower] = {}

    def listen(self, callback: Callable[[Outcome], None]) -> None:
        self._result_listeners.append(callback)

    def on_pending(self, callback: Callable[[], None]) -> None:
        self._pending_listeners.append(callback)

    def request(
        self, manager: Manager, service: str, action: Action, force: bool = False
    ) -> asyncio.Task[Outcome]:
        """Start ``action``; a second request for the same daemon while one runs is refused."""
        return asyncio.get_running_loop().create_task(self._run(manager, service, action, force))

    async def _run(self, manager: Manager, service: str, action: Action, force: bool) -> Outcome:
        key = (manager, service)
        if key in self.pending:
            outcome = Outcome(action, manager, service, Status.BAD_INPUT,
                              f"{service}: another action ({self.pending[key]}) is still running.")
            self._tell(outcome)
            return outcome
        self.pending[key] = action
        self._changed()
        try:
            outcome = await self._perform(manager, service, action, force)
        finally:
            del self.pending[key]
            self._changed()
        self._tell(outcome)
        return outcome

    async def _perform(
        self, manager: Manager, service: str, action: Action, force: bool
    ) -> Outcome:
        conn = self.monitor.connections.get(manager)
        if conn is None or not conn.connected:
            return Outcome(action, manager, service, Status.FAILED,
                           f"Not connected to the {manager} manager; nothing was changed.")
        jobs = self._jobs.get(manager)
        if jobs is None or jobs.conn is not conn:
            jobs = self._jobs[manager] = JobFollower(conn)
        try:
            return await perform(conn, jobs, service, action, force=force)
        except (BusUnavailable, SystemdError) as exc:
            # The bus went away mid-action: what holds cannot be read back.
            return Outcome(action, manager, service, Status.FAILED,
                           f"Lost contact with the {manager} manager during the action "
                           f"({exc}); its outcome is unknown until the connection returns.")

    def _tell(self, outcome: Outcome) -> None:
        for callback in list(self._result_listeners):
            try:
                callback(outcome)
            except Exception:
                log.exception("result listener failed")

    def _changed(self) -> None:
        for callback in list(self._pending_listeners):
            try:
                callback()
            except Exception:
                log.exception("pending listener failed")
