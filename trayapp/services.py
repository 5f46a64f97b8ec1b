"""The composition root: builds the whole graph, starts it and closes it, in one order.

    systemd --signals--> Monitor --table changes--> EventHub --events--> Causes (first)
                                                                   \\--> Recorder
                                                                   \\--> IdleWatcher
                                                                   \\--> Announcer (tray)
    front end --intent--> Controller --ledger + perform()--> systemd
    Ledger --stops of ours--> history store intents (for other processes)

Both front ends use it: the tray (qt/app.py) and every CLI command that
does more than one read (a switch, ``idle-watch``).  ``trayapp status``
reads through the Monitor alone.

Order: ``watch()`` or ``connect()`` first (the table is read), then
``open_history()`` and ``start_idle()`` (they take up the daemons the table
holds); ``close()`` undoes it backwards: idle watcher, recorder (its writes
settle), buses, store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from trayapp.adapters.history_db import Store, open_store
from trayapp.core.events import EventHub
from trayapp.core.idle import DEFAULT_CPU_THRESHOLD
from trayapp.core.keys import Key, key_of
from trayapp.core.ledger import Entry, Ledger
from trayapp.core.model import Daemon, Manager
from trayapp.core.outcome import Outcome
from trayapp.core.plans import Action
from trayapp.core.runs import EndReason
from trayapp.core.settings import Settings
from trayapp.core.status_notes import StatusNote, notes_of
from trayapp.core.summary import Snapshot
from trayapp.core.watchlist import Watchlist
from trayapp.usecases.causes import Causes
from trayapp.usecases.controller import Controller
from trayapp.usecases.idle_parts import IdleNotifier
from trayapp.usecases.idlestop import DEFAULT_GRACE, Decision, IdleWatcher, WindowFor
from trayapp.usecases.idlewarnings import IdleWarnings
from trayapp.usecases.monitor import Monitor
from trayapp.usecases.power import Power
from trayapp.usecases.recorder import Recorder
from trayapp.usecases.settings_change import SettingsBook, save_settings
from trayapp.usecases.stats import MonitorStats
from trayapp.usecases.workload import daemon_check

log = logging.getLogger(__name__)

#: Actions that stop a service: other processes' recorders must know they were ours.
_STOPPING_ACTIONS = frozenset({Action.STOP, Action.ON_DEMAND})
SETTLE_TIMEOUT = 5.0  # seconds the recorder's last writes may take at close
ACTION_TIMEOUT = 30.0  # seconds an action under way may take to finish at close


class Services:
    def __init__(self, managers: list[Manager], settings: Settings | None = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings or Settings()
        self.clock = clock  # the views' "now": durations are computed when shown
        self.ledger = Ledger()
        self.monitor = Monitor(managers)
        self.monitor.follow(self.settings.followed())
        self.events = EventHub(ours=lambda key: self.ledger.ours(key) is not None)
        self.monitor.table.listen(self.events.publish)
        # First to hear each event: who woke a daemon is looked up once, for all.
        self.causes = Causes(self.monitor.table)
        self.causes.start(self.events)
        self.controller = Controller(self.monitor, self.ledger)
        if settings is not None:  # loaded from the file: proxies are kept there (issue 15)
            self.controller.proxies = SettingsBook(  # (saving defaults would overwrite it)
                lambda: self.settings,
                lambda new: self.change_settings(new, login=False, proxies=True))
        self.ledger.listen(self._note_intent)  # once the store is open
        self.stats = MonitorStats(self.monitor)
        self.store: Store | None = None
        self.history_problem = "trayapp has not opened it yet."  # why store is None
        self.recorder: Recorder | None = None
        self.idle: IdleWatcher | None = None
        self.power = Power(lambda: self.idle)  # battery windows, the stop before sleep
        self.idle_warnings = IdleWarnings(clock=self.clock)  # for a countdown, Keep running

    # -- what the front ends read -----------------------------------------------------

    @property
    def watchlist(self) -> Watchlist:
        return Watchlist(self.settings.watched, self.settings.hidden)

    def shows(self, d: Daemon) -> bool:
        """Shown in the tray, and notifications not turned off for it."""
        return self.watchlist.shows(d) and self.settings.daemon(key_of(d)).notify

    def snapshot(self, *, starting: bool = False) -> Snapshot:
        """What the views show now: daemons, watch list, actions in flight, problems."""
        problems = dict(self.monitor.problems)
        return Snapshot(daemons=tuple(self.monitor.table.daemons()), watchlist=self.watchlist,
                        pending=self.ledger.pending(), problems=problems, lost=bool(problems),
                        now=self.clock(), starting=starting,
                        icon_follows=self.settings.icon_follows)

    def cause_line(self, d: Daemon) -> str | None:
        """The daemon's last cause, for the status window: "woken by ... at 14:02"."""
        return self.causes.line(d.key)

    def idle_deadlines(self) -> dict[Key, float]:
        """The daemons an idle warning is out for, and when each stops (clock time)."""
        return self.idle_warnings.deadlines()

    def keep_running(self, key: Key, until_stopped: bool = False) -> bool:
        """Answer an idle warning with "keep" (or "hold": until the user stops it);
        False when none is out for ``key``."""
        return self.idle_warnings.answer(key, "hold" if until_stopped else "keep")

    def status_notes(self) -> list[StatusNote]:
        """What Preferences and the status window show beside the daemons (issue 16):
        the history recorder's problem, the power features that are off and why, and
        why each idle-watched daemon was left running."""
        recorder = self.recorder
        history = (recorder.problem if recorder is not None and recorder.problem else
                   self.history_problem if self.store is None else None)
        idle = self.idle
        return notes_of(history, [(f.name, f.available, f.text) for f in self.power.status()],
                        idle.last_busy if idle is not None else {})

    def idle_window(self, d: Daemon) -> float | None:
        return self.settings.idle_window(key_of(d), on_battery=self.power.on_battery)

    # -- start ------------------------------------------------------------------------

    async def watch(self) -> None:
        """Follow every manager's signals (returns once each was tried once); then make
        again the proxies the settings keep that a reboot took away (issue 15)."""
        await self.monitor.watch()
        # Transient units live in /run: each one made again, or failed, is an Outcome.
        keys = [k for k, d in self.settings.daemons.items() if d.proxy_listen]
        if keys and self.controller.proxies is not None:
            await self.controller.restore_proxies(keys)

    async def connect(self) -> None:
        """Only connect, reading nothing: for one action from the command line."""
        await self.monitor.connect()

    def open_history(self, *, record: bool = True) -> str | None:
        """Open the history store; returns a warning for the user, if any.

        With ``record`` the recorder writes runs from the events; either way
        the stops on our ledger are written as intents, so that a recorder in
        another process (the tray, while the CLI acts) calls them ours.
        """
        self.store, warning = open_store()
        if self.store is None:
            self.history_problem = warning or "The activation history is not recorded."
            return warning
        if record:
            self.recorder = Recorder(self.store, self.monitor.table, self.stats, self.ledger,
                                     self.causes)
            self.recorder.start(self.events)
        return warning

    def start_idle(
        self, notifier: IdleNotifier, window_for: WindowFor | None = None, *,
        grace: float = DEFAULT_GRACE, cpu_threshold: float = DEFAULT_CPU_THRESHOLD,
        on_decision: Callable[[Decision], None] = lambda decision: None,
    ) -> IdleWatcher:
        """Idle auto-stop for the daemons ``window_for`` gives a window (default: settings)."""
        recorder = self.recorder
        self.idle_warnings.inner = notifier
        self.idle = IdleWatcher(
            self.monitor.table, self.stats, self.stop_idle, self.idle_warnings,
            window_for or self.idle_window, grace=grace, cpu_threshold=cpu_threshold,
            ledger=self.ledger, on_decision=on_decision,
            on_stats=recorder.saw if recorder is not None else lambda key, stats: None,
            busy_check=daemon_check(self.monitor.connections),
            quiet_stop=self.stop_before_sleep,
            follow_up=getattr(notifier, "follow_up", None),
        )
        self.idle.start(self.events)
        return self.idle

    async def start(self, notifier: IdleNotifier, window_for: WindowFor | None = None, *,
                    history: bool = True, power: bool = True,
                    grace: float = DEFAULT_GRACE, cpu_threshold: float = DEFAULT_CPU_THRESHOLD,
                    on_decision: Callable[[Decision], None] = lambda decision: None,
                    ) -> str | None:
        """The whole start, in its one order, for the tray and ``idle-watch`` alike:
        watch the managers, open the history (unless not ``history``), start the idle
        watcher (with ``grace`` and ``cpu_threshold``) and, unless not ``power``, the
        battery windows and the stop before sleep.  Returns the history's warning."""
        await self.watch()
        warning = self.open_history() if history else None
        self.start_idle(notifier, window_for, grace=grace, cpu_threshold=cpu_threshold,
                        on_decision=on_decision)
        if power:
            await self.power.start(on_decision)
        return warning

    def stop_idle(self, manager: Manager, service: str) -> asyncio.Task[Outcome]:
        """The idle watcher's stop: the stop action, on the ledger as IDLE."""
        return self.controller.request(manager, service, Action.STOP, why=EndReason.IDLE)

    def stop_before_sleep(self, manager: Manager, service: str) -> asyncio.Task[Outcome]:
        """The stop before sleep: the idle watcher's, but one that never asks for a
        password, so polkit answers at once, yes (a user unit; a system unit a rule
        allows) or no (it would have to ask).  polkit's CheckAuthorization cannot tell
        ahead: it refuses the ``unit`` detail from an unprivileged caller."""
        return self.controller.request(manager, service, Action.STOP, why=EndReason.IDLE,
                                       interactive=False)

    def change_settings(self, new: Settings, path: Path | None = None, *,
                        login: bool = True, proxies: bool = False) -> list[tuple[str, str]]:
        """Save ``new`` and use it (usecases/settings_change.py); returns the problems,
        (title, text) for the user: unsaved settings are not used, so what the applet
        does always matches the file."""
        saved, problems = save_settings(new, path, login=login, proxies=proxies)
        if saved is not None:
            self.settings = saved
            self.monitor.follow(saved.followed())
            if self.idle is not None:
                self.idle.reconfigure()
        return problems

    # -- close ------------------------------------------------------------------------

    async def close(self) -> None:
        """Undo start in reverse: nothing is left running or unwritten."""
        idle, self.idle = self.idle, None
        if idle is not None:
            idle.close()
        self.power.close()
        await self.controller.settle(ACTION_TIMEOUT)
        recorder, self.recorder = self.recorder, None
        if recorder is not None:
            recorder.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(recorder.settle(), SETTLE_TIMEOUT)
        self.causes.close()
        self.monitor.close()
        store, self.store = self.store, None
        if store is not None:
            store.close()

    # -- plumbing ---------------------------------------------------------------------

    def _note_intent(self, key: Key, entry: Entry) -> None:
        if entry.action not in _STOPPING_ACTIONS or self.store is None:
            return
        manager, service = str(key[0]), key[1]
        try:
            if entry.in_flight:
                self.store.note_intent(manager, service, entry.why)
            else:
                self.store.settle_intent(manager, service, entry.why)
        except sqlite3.Error as exc:  # the action matters more than its history
            log.info("cannot note the stop in the history: %s", exc)
