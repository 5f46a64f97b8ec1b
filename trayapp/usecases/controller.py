"""Runs actions for both front ends: one at a time per daemon, each put on the ledger.

``request()`` puts the action on the ledger (trayapp/core/ledger.py: the
views show it as busy, and its effects are known to be ours), runs
``perform()`` over the monitor's connection to that manager, takes it off
when done, and hands the Outcome to the listeners (the notification policy).
The monitor's connections are already subscribed to systemd's signals, so
JobRemoved arrives without another match rule.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable

from trayapp.adapters.dbus.bus import BusUnavailable, Connection, SystemdError
from trayapp.adapters.dbus.follower import JobFollower
from trayapp.core.keys import Key
from trayapp.core.ledger import Ledger
from trayapp.core.model import Manager
from trayapp.core.outcome import Outcome, Status
from trayapp.core.plans import Action
from trayapp.core.runs import EndReason
from trayapp.core.unitname import paired_service
from trayapp.usecases.actions import perform
from trayapp.usecases.monitor import Monitor
from trayapp.usecases.proxy import restore
from trayapp.usecases.proxy_book import ProxyBook, ProxyRequest

log = logging.getLogger(__name__)


class Controller:
    def __init__(self, monitor: Monitor, ledger: Ledger) -> None:
        self.monitor = monitor
        self.ledger = ledger
        self._result_listeners: list[Callable[[Outcome], None]] = []
        self._jobs: dict[Manager, JobFollower] = {}
        self._tasks: set[asyncio.Task[Outcome]] = set()
        # Where proxies are kept across reboots (Services gives the settings).
        self.proxies: ProxyBook | None = None

    def listen(self, callback: Callable[[Outcome], None]) -> None:
        self._result_listeners.append(callback)

    def request(
        self, manager: Manager, name: str, action: Action, *, force: bool = False,
        why: EndReason = EndReason.USER, proxy: ProxyRequest | None = None,
        interactive: bool = True,
    ) -> asyncio.Task[Outcome]:
        """Start ``action`` for the daemon ``name`` (a service, or a name as the user
        typed it: ``docker``, ``docker.socket``); a second request for the same
        daemon while one runs is refused.  ``name`` must be a valid unit name.
        ``proxy``: the addresses for on-demand through a proxy (a daemon with no
        socket unit); without it, the saved ones or what the daemon listens on.
        Without ``interactive`` polkit may not ask for a password (the stop before
        sleep): it says yes or no at once."""
        key = (manager, paired_service(name))
        task = asyncio.get_running_loop().create_task(self._run(key, name, action, force, why,
                                                                 proxy, interactive))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def settle(self, timeout: float) -> None:
        """Let the actions under way finish (and roll back if they fail) before the
        buses close: a switch cut off half way would stay half done."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)

    async def _run(self, key: Key, service: str, action: Action, force: bool,
                   why: EndReason, proxy: ProxyRequest | None = None,
                   interactive: bool = True) -> Outcome:
        manager = key[0]
        if not self.ledger.begin(key, action, why):
            outcome = Outcome(action, manager, service, Status.BAD_INPUT,
                              f"{service}: another action ({self.ledger.in_flight(key)}) "
                              "is still running.")
        else:
            try:
                outcome = await self._perform(manager, service, action, force, proxy,
                                              interactive)
            finally:
                self.ledger.end(key)
        outcome = dataclasses.replace(outcome, asked_by_idle=why is EndReason.IDLE)
        self._tell(outcome)
        return outcome

    async def _perform(
        self, manager: Manager, service: str, action: Action, force: bool,
        proxy: ProxyRequest | None = None, interactive: bool = True,
    ) -> Outcome:
        conn = self.monitor.connections.get(manager)
        if conn is None or not conn.connected:
            return Outcome(action, manager, service, Status.FAILED,
                           f"Not connected to the {manager} manager; nothing was changed.")
        try:
            jobs = await self._jobs_for(manager, conn)
            return await perform(conn, jobs, service, action, force=force, proxy=proxy,
                                 book=self.proxies, interactive=interactive,
                                 connections=self.monitor.connections)
        except (BusUnavailable, SystemdError) as exc:
            # The bus went away mid-action: what holds cannot be read back.
            return Outcome(action, manager, service, Status.FAILED,
                           f"Lost contact with the {manager} manager during the action "
                           f"({exc}); its outcome is unknown until the connection returns.")

    async def restore_proxies(self, keys: list[str]) -> list[Outcome]:
        """Make again the saved proxies (usecases/proxy.py) that a reboot took away."""
        conn = self.monitor.connections.get(Manager.SYSTEM)
        if self.proxies is None or conn is None or not conn.connected:
            return []
        try:
            jobs = await self._jobs_for(Manager.SYSTEM, conn)
            outcomes = await restore(conn, jobs, self.proxies, keys)
        except (BusUnavailable, SystemdError) as exc:
            log.info("cannot restore the proxies: %s", exc)
            return []
        for outcome in outcomes:  # the user hears of a proxy that could not be made again
            if not outcome.ok:
                self._tell(outcome)
        return outcomes

    async def _jobs_for(self, manager: Manager, conn: Connection) -> JobFollower:
        """The one follower of systemd's JobRemoved on ``conn`` (made again with a new
        connection); it subscribes only where no watcher has already."""
        jobs = self._jobs.get(manager)
        if jobs is None or jobs.conn is not conn:
            jobs = self._jobs[manager] = JobFollower(conn)
            if manager not in self.monitor.watchers:
                await jobs.subscribe()
        return jobs

    def _tell(self, outcome: Outcome) -> None:
        for callback in list(self._result_listeners):
            try:
                callback(outcome)
            except Exception:
                log.exception("result listener failed")
