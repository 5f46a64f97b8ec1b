"""Power for the idle watcher (issue 16): one object the composition root holds.

The stop before sleep itself is the controller's, like every other change
(``Services.stop_before_sleep``); the busy check is usecases/workload.py's.

* ``start``: follows UPower's OnBattery (shorter idle windows on battery:
  the watcher is reconfigured on each change) and holds logind's sleep
  delay lock (``before_sleep`` of the watcher, then the lock goes).
* ``status``: what the Preferences window shows: each feature, present or
  not, and why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from trayapp.adapters.dbus.bus import BusUnavailable, Connection
from trayapp.adapters.dbus.power import PowerWatch, SleepGuard, open_system
from trayapp.core.status_notes import battery_line, sleep_line
from trayapp.usecases.idlestop import Decision, IdleWatcher

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PowerFeature:
    """One line of the Preferences window: a feature, whether it works, and why not."""

    name: str  # "battery" or "sleep"
    available: bool
    text: str


class Power:
    def __init__(self, idle: Callable[[], IdleWatcher | None]) -> None:
        """``idle`` gives the idle watcher in use (None: none now)."""
        self._idle = idle
        self.conn: Connection | None = None
        self.battery: PowerWatch | None = None
        self.sleep: SleepGuard | None = None
        self.on_battery = False
        self._problem = "not started"  # before start(), or when the system bus is gone
        self._emit: Callable[[Decision], None] = lambda d: None

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
            return [PowerFeature("battery", False, battery_line(None, why)),
                    PowerFeature("sleep", False, sleep_line(why))]
        b, s = self.battery, self.sleep
        return [PowerFeature("battery", not b.problem, battery_line(self.on_battery, b.problem)),
                PowerFeature("sleep", not s.problem, sleep_line(s.problem))]

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
        idle = self._idle()
        if idle is not None:
            idle.reconfigure()

    async def _before_sleep(self) -> None:
        idle = self._idle()
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
