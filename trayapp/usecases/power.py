"""Power and workloads for the idle watcher (issue 16): one object the composition root holds.

* ``busy_check``: the idle watcher's busy check with what each daemon
  carries (adapters/busy.py), learnt over the monitor's connections
  (adapters/dbus/machines.py: machined, the managers' scopes).
* ``quiet``: may a daemon be stopped before sleep without a prompt?  A
  user unit always; a system unit when polkit says yes with no interaction.
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
from trayapp.adapters.dbus.bus import BusUnavailable, Connection, SystemdError
from trayapp.adapters.dbus.machines import BusSources
from trayapp.adapters.dbus.power import PowerWatch, SleepGuard, may_stop_quietly, open_system
from trayapp.adapters.dbus.units import read_properties
from trayapp.core import workloads
from trayapp.core.idle import ServiceStats
from trayapp.core.model import Daemon, Manager
from trayapp.core.workloads import Kind
from trayapp.usecases.idlestop import Decision, IdleWatcher
from trayapp.usecases.workload import guests_guard

log = logging.getLogger(__name__)


class Host(Protocol):
    """What Power needs of the composition root (services.Services)."""

    @property
    def idle(self) -> IdleWatcher | None: ...

    @property
    def monitor(self) -> _Monitor: ...


class _Monitor(Protocol):
    @property
    def connections(self) -> Mapping[Manager, Connection]: ...


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

    async def quiet(self, d: Daemon) -> bool:
        if d.manager is Manager.USER:
            return True  # one's own manager needs no polkit
        conn = self.host.monitor.connections.get(Manager.SYSTEM)
        return conn is not None and conn.connected and await may_stop_quietly(conn, d.service)

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
