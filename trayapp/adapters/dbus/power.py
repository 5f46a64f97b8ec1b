"""Power: UPower's OnBattery and logind's sleep.

* ``PowerWatch`` follows UPower's ``OnBattery`` through ``PropertiesChanged``
  on ``/org/freedesktop/UPower`` (never polled), taken only from the owner of
  ``org.freedesktop.UPower`` (trust.SignalGate); a new owner is read again.
* ``SleepGuard`` holds a logind *delay* inhibitor (any user may take one:
  ``Inhibit("sleep", ..., "delay")`` returns a file descriptor, hence
  ``negotiate_unix_fd``).  On ``PrepareForSleep(true)`` it runs its
  ``before_sleep`` for at most logind's ``InhibitDelayMaxUSec`` less a
  margin, then closes the descriptor, which lets the sleep go ahead; on
  ``PrepareForSleep(false)`` (after resume, or a sleep that failed) it
  takes a new one.  Signals only from the owner of ``org.freedesktop.login1``.

Without UPower or logind each says why in ``problem`` and does nothing else.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from dbus_fast import Message, Variant

from trayapp.core.model import Manager

from .bus import PROPS_IFACE, Connection, SystemdError, open_bus

log = logging.getLogger(__name__)

UPOWER = "org.freedesktop.UPower"
UPOWER_PATH = "/org/freedesktop/UPower"
LOGIND = "org.freedesktop.login1"
LOGIND_PATH = "/org/freedesktop/login1"
LOGIND_IFACE = "org.freedesktop.login1.Manager"
MARGIN = 0.5  # seconds kept back from logind's delay, to release the lock in time
DEFAULT_DELAY = 5.0  # logind's InhibitDelayMaxSec default


async def open_system() -> Connection:
    """A system bus connection that can receive file descriptors (logind's lock)."""
    return Connection(await open_bus(None, "the system bus", fds=True), Manager.SYSTEM)


def _props_rule(sender: str, path: str) -> str:
    return (f"type='signal',sender='{sender}',path='{path}',interface='{PROPS_IFACE}',"
            "member='PropertiesChanged'")


class PowerWatch:
    """``on_change(on_battery)`` each time UPower's OnBattery changes."""

    def __init__(self, conn: Connection, on_change: Callable[[bool | None], None]) -> None:
        self.conn = conn
        self.on_change = on_change
        self.on_battery: bool | None = None  # None: unknown (no UPower)
        self.problem = "not started"  # why the battery is not followed; "" when it is
        self.signals = 0  # PropertiesChanged carrying OnBattery, as taken in
        self._reads: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self.conn.on_signal(UPOWER, self._on_signal)
        self.conn.on_owner(UPOWER, self._on_owner)
        await self.conn.add_match(_props_rule(UPOWER, UPOWER_PATH))
        await self.conn.gate.follow(UPOWER)
        await self._read()

    async def _read(self) -> None:
        # UPower is D-Bus activated: reading wakes it, as every desktop's panel does.
        try:
            reply = await self.conn.call("Get", "ss", [UPOWER, "OnBattery"], path=UPOWER_PATH,
                                         interface=PROPS_IFACE, destination=UPOWER)
        except SystemdError as exc:
            self.problem = f"UPower is not available ({exc.name})"
            self._set(None)
            return
        value = reply.body[0].value if reply.body and isinstance(reply.body[0], Variant) \
            else None
        if not isinstance(value, bool):
            self.problem = "UPower's OnBattery is not a boolean"
            self._set(None)
            return
        self.problem = ""
        self._set(value)

    def _on_owner(self, owner: str | None) -> None:
        if owner is None:
            self.problem = "UPower has left the bus"
            self._set(None)
            return
        task = asyncio.get_running_loop().create_task(self._read())
        self._reads.add(task)
        task.add_done_callback(self._reads.discard)

    def _on_signal(self, msg: Message) -> None:
        if msg.member != "PropertiesChanged" or msg.path != UPOWER_PATH:
            return
        body = msg.body
        if len(body) < 2 or body[0] != UPOWER or not isinstance(body[1], dict):
            return
        changed = body[1].get("OnBattery")
        if isinstance(changed, Variant) and isinstance(changed.value, bool):
            self.signals += 1
            self.problem = ""
            self._set(changed.value)

    def _set(self, value: bool | None) -> None:
        if value == self.on_battery:
            return
        self.on_battery = value
        try:
            self.on_change(value)
        except Exception:
            log.exception("power listener failed")


class SleepGuard:
    """Holds a delay lock; on PrepareForSleep(true) runs ``before_sleep``, then lets go."""

    def __init__(self, conn: Connection, before_sleep: Callable[[], Awaitable[Any]],
                 on_note: Callable[[str, str], None] = lambda event, text: None) -> None:
        self.conn = conn
        self.before_sleep = before_sleep
        self.on_note = on_note  # ("sleep" | "released" | "locked" | "resumed", text)
        self.problem = "not started"
        self.delay = DEFAULT_DELAY
        self._fd: int | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def holding(self) -> bool:
        return self._fd is not None

    async def start(self) -> None:
        self.conn.on_signal(LOGIND, self._on_signal)
        self.conn.on_owner(LOGIND, self._on_owner)
        await self.conn.add_match(f"type='signal',sender='{LOGIND}',path='{LOGIND_PATH}',"
                                  f"interface='{LOGIND_IFACE}',member='PrepareForSleep'")
        if await self.conn.gate.follow(LOGIND) is None:
            self.problem = "systemd-logind is not running"
            return
        try:
            reply = await self.conn.call("Get", "ss", [LOGIND_IFACE, "InhibitDelayMaxUSec"],
                                         path=LOGIND_PATH, interface=PROPS_IFACE,
                                         destination=LOGIND)
            value = reply.body[0].value if reply.body else None
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                self.delay = min(value / 1e6, 3600.0)
        except SystemdError as exc:
            log.info("cannot read logind's InhibitDelayMaxUSec: %s", exc)
        await self._take()

    async def _take(self) -> None:
        if self._fd is not None:
            return
        try:
            reply = await self.conn.call(
                "Inhibit", "ssss",
                ["sleep", "trayapp", "Stopping idle on-demand daemons before sleep", "delay"],
                path=LOGIND_PATH, interface=LOGIND_IFACE, destination=LOGIND)
        except SystemdError as exc:
            self.problem = f"logind refused a sleep delay lock: {exc}"
            return
        fds = list(reply.unix_fds or [])
        index = reply.body[0] if reply.body else None
        if not isinstance(index, int) or not 0 <= index < len(fds):
            for fd in fds:
                os.close(fd)
            self.problem = "logind's Inhibit reply carried no file descriptor"
            return
        self._fd = fds.pop(index)
        for fd in fds:  # anything else it sent is not ours to keep
            os.close(fd)
        self.problem = ""
        self.on_note("locked", f"holding a sleep delay lock (logind waits up to "
                               f"{self.delay:g} s)")

    def _on_owner(self, owner: str | None) -> None:
        # A restarted logind knows nothing of the old lock: take a new one from it.
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
        if owner is None:
            self.problem = "systemd-logind has left the bus"
            return
        self._spawn(self._take())

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_signal(self, msg: Message) -> None:
        if msg.member != "PrepareForSleep" or msg.path != LOGIND_PATH:
            return
        if len(msg.body) != 1 or not isinstance(msg.body[0], bool):
            return
        self._spawn(self._sleep() if msg.body[0] else self._resumed())

    async def _sleep(self) -> None:
        if self._fd is None:
            return  # no lock: logind is not waiting for us
        self.on_note("sleep", "PrepareForSleep(true): stopping idle daemons")
        try:
            await asyncio.wait_for(self.before_sleep(), max(0.1, self.delay - MARGIN))
        except TimeoutError:
            self.on_note("late", "not done within logind's delay: letting the sleep go on")
        except Exception:
            log.exception("before sleep failed")
        finally:
            self.release()

    async def _resumed(self) -> None:
        self.on_note("resumed", "PrepareForSleep(false): awake again")
        await self._take()

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            # Said before the close: once it is closed, logind may go on at once.
            self.on_note("released", "sleep delay lock released")
            os.close(fd)

    def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self.release()
