"""Power and workloads for the idle watcher (issue 16): one object the composition root holds.

* ``busy_check``: the idle watcher's busy check with what each daemon
  carries (adapters/busy.py), learnt over the monitor's connections
  (adapters/dbus/machines.py: machined, the managers' scopes).
* ``quiet_stop``: the stop before sleep, which never asks for a password:
  StopUnit *without* ALLOW_INTERACTIVE_AUTHORIZATION, so polkit answers at
  once, yes (a user unit; a system unit a rule allows) or no (it would
  have to ask).  On the ledger as the idle watcher's stop, like
  ``Services.stop_idle``.  (polkit's CheckAuthorization cannot tell ahead:
  it refuses the ``unit`` detail from an unprivileged caller.)
* ``start``: follows UPower's OnBattery (shorter idle windows on battery:
  the watcher is reconfigured on each change) and holds logind's sleep
  delay lock (``before_sleep`` of the watcher, then the lock goes).
* ``status``: what the Preferences window shows: each feature, present or
  not, and why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from trayapp.adapters import busy
from trayapp.adapters.dbus.bus import BusUnavailable, Connection, NotAuthorised, SystemdError
from trayapp.adapters.dbus.jobs import JobFollower
from trayapp.adapters.dbus.machines import BusSources
from trayapp.adapters.dbus.power import PowerWatch, SleepGuard, open_system
from trayapp.adapters.dbus.units import read_properties
from trayapp.core import workloads
from trayapp.core.idle import ServiceStats
from trayapp.core.ledger import Ledger
from trayapp.core.model import Daemon, Manager
from trayapp.core.outcome import Outcome, Status
from trayapp.core.plans import Action
from trayapp.core.runs import EndReason
from trayapp.core.workloads import Kind
from trayapp.usecases.idlestop import Decision, IdleWatcher
from trayapp.usecases.workload import guests_guard

log = logging.getLogger(__name__)

STOP_TIMEOUT = 30.0  # seconds for a stop job before sleep (logind's delay cuts it shorter)


class Host(Protocol):
    """What Power needs of the composition root (services.Services)."""

    @property
    def idle(self) -> IdleWatcher | None: ...

    @property
    def ledger(self) -> Ledger: ...

    @property
    def monitor(self) -> _Monitor: ...


class _Monitor(Protocol):
    @property
    def connections(self) -> Mapping[Manager, Connection]: ...

    @property
    def watchers(self) -> Mapping[Manager, object]: ...


@dataclass(frozen=True)
class PowerFeature:
    """One line of the Preferences window: a feature, whether it works, and why not."""

    name: str  # "battery" or "sleep"
    available: bool
    text: str


class Power:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.conn: Connection | None = None
        self.battery: PowerWatch | None = None
        self.sleep: SleepGuard | None = None
        self.on_battery = False
        self._problem = "not started"  # before start(), or when the system bus is gone
        self._emit: Callable[[Decision], None] = lambda d: None
        self._jobs: dict[Manager, JobFollower] = {}

    # -- for the idle watcher -------------------------------------------------------------

    async def busy_check(self, d: Daemon, listen: list[tuple[str, str]],
                         stats: ServiceStats) -> busy.BusyReport:
        context = busy.Context(d.manager, BusSources(self.host.monitor.connections),
                               stats.control_group, stats.main_pid, stats.exec_argv)
        report = await busy.check(d.service, listen, context)
        conn = self.host.monitor.connections.get(d.manager)
        if workloads.kind_of(d.service) is Kind.LIBVIRT and conn is not None:
            try:
                guard = await guests_guard(conn, d.service, await read_properties(conn, d.service))
            except (SystemdError, BusUnavailable) as exc:
                guard = f"cannot tell whether libvirt-guests depends on it: {exc}"
            if guard:
                report.reasons.append(guard)
        return report

    async def quiet_stop(self, manager: Manager, service: str) -> Outcome:
        """Stop ``service`` now if that needs no password; never asks for one."""
        key = (manager, service)

        def outcome(status: Status, message: str) -> Outcome:
            return Outcome(Action.STOP, manager, service, status, message, asked_by_idle=True)

        conn = self.host.monitor.connections.get(manager)
        if conn is None or not conn.connected:
            return outcome(Status.FAILED, f"not connected to the {manager} manager")
        if not self.host.ledger.begin(key, Action.STOP, EndReason.IDLE):
            return outcome(Status.BAD_INPUT, "another action on it is under way")
        try:
            jobs = self._jobs.get(manager)
            if jobs is None or jobs.conn is not conn:
                jobs = self._jobs[manager] = JobFollower(conn)
                if manager not in self.host.monitor.watchers:
                    await jobs.subscribe()
            async with jobs.expect():
                reply = await conn.call("StopUnit", "ss", [service, "replace"])
                job = reply.body[0] if reply.body else None
                if not isinstance(job, str):
                    return outcome(Status.FAILED, "systemd returned no job")
                result = await jobs.wait(job, timeout=STOP_TIMEOUT)
        except NotAuthorised as exc:
            return outcome(Status.NOT_AUTHORISED, f"stopping it needs a password ({exc.name})")
        except (SystemdError, BusUnavailable, TimeoutError) as exc:
            return outcome(Status.FAILED, str(exc) or type(exc).__name__)
        finally:
            self.host.ledger.end(key)
        if result != "done":
            return outcome(Status.FAILED, f"its stop job ended with '{result}'")
        return outcome(Status.DONE, "Stopped.")

    # -- battery and sleep ---------------------------------------------------------------

    async def start(self, on_decision: Callable[[Decision], None] = lambda d: None) -> None:
        """Follow the battery and hold the sleep lock; what is missing is said in status()."""
        self._emit = on_decision
        try:
            self.conn = await open_system()
        except BusUnavailable as exc:
            self._problem = str(exc)
            return
        self._problem = ""
        self.battery = PowerWatch(self.conn, self._battery_changed)
        self.sleep = SleepGuard(self.conn, self._before_sleep, self._sleep_note)
        await self.battery.start()
        await self.sleep.start()

    def status(self) -> list[PowerFeature]:
        if self._problem or self.battery is None or self.sleep is None:
            why = self._problem or "not started"
            return [PowerFeature("battery", False, f"Battery windows are off: {why}."),
                    PowerFeature("sleep", False, f"Nothing is stopped before sleep: {why}.")]
        b, s = self.battery, self.sleep
        power = "on battery" if self.on_battery else "on mains power"
        return [
            PowerFeature("battery", not b.problem,
                         b.problem or f"UPower says the computer is {power}."),
            PowerFeature("sleep", not s.problem,
                         s.problem or "Idle on-demand daemons are stopped before sleep "
                                      f"(logind waits up to {s.delay:g} s)."),
        ]

    def close(self) -> None:
        if self.sleep is not None:
            self.sleep.close()
        if self.conn is not None:
            self.conn.close()
        self.conn = self.battery = self.sleep = None
        self._problem = "closed"

    def _battery_changed(self, on_battery: bool | None) -> None:
        self.on_battery = bool(on_battery)
        state = "on battery" if self.on_battery else "on mains power"
        self._note("power", f"now {state}: idle windows "
                            f"{'shortened' if self.on_battery else 'as set'}")
        idle = self.host.idle
        if idle is not None:
            idle.reconfigure()

    async def _before_sleep(self) -> None:
        idle = self.host.idle
        if idle is not None:
            await idle.before_sleep()

    def _sleep_note(self, event: str, text: str) -> None:
        self._note(event, text)

    def _note(self, event: str, text: str) -> None:
        log.info("%s", text)
        try:
            self._emit(Decision(event, None, "", text))
        except Exception:
            log.exception("decision listener failed")
