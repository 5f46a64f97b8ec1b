"""Battery and sleep (issue 16) without root: the settings' battery window, the idle
watcher's stop before sleep, and the bus side over a real private dbus-daemon.

On that bus, stand-ins for UPower and logind (dbus-fast services owning their
names; the real upowerd and logind are in tests/test_power_testbed.py) send
their signals, and a second client forges the same signals, broadcast and
unicast: only the owner's are taken (trust.SignalGate).  The sleep lock is a
real file descriptor passed over the bus: the stand-in keeps the other end
of a pipe and sees it close.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from dbus_fast import Message, MessageType, PropertyAccess, Variant
from dbus_fast.aio import MessageBus
from dbus_fast.annotations import DBusBool, DBusStr, DBusUInt64, DBusUnixFd
from dbus_fast.service import ServiceInterface, dbus_property, method, signal

from tests.support import set_state, until_async
from tests.test_idle import FakeSystem, make
from trayapp.adapters import settings_file
from trayapp.adapters.busy import BusyReport
from trayapp.adapters.dbus.bus import Connection
from trayapp.adapters.dbus.power import (
    LOGIND,
    LOGIND_IFACE,
    LOGIND_PATH,
    UPOWER,
    UPOWER_PATH,
    PowerWatch,
    SleepGuard,
)
from trayapp.cli.idle_watch import windows
from trayapp.core.model import Daemon, DaemonMode, DaemonState, Manager
from trayapp.core.outcome import Outcome, Status
from trayapp.core.plans import Action
from trayapp.core.settings import Settings, battery_window
from trayapp.core.settings_values import SettingsError, from_mapping

S = Manager.SYSTEM

# -- the battery window --------------------------------------------------------------------


def test_battery_window_is_half_by_default_or_as_set() -> None:
    s = Settings().with_daemon("docker.service", idle_stop_minutes=10)
    assert s.idle_window("docker.service") == 600.0
    assert s.idle_window("docker.service", on_battery=True) == 300.0
    s = s.with_daemon("docker.service", battery_idle_minutes=2)
    assert s.idle_window("docker.service", on_battery=True) == 120.0
    s = s.with_daemon("docker.service", battery_idle_minutes=0)
    assert s.idle_window("docker.service", on_battery=True) is None  # never on battery
    assert battery_window(None, -1) is None  # never stays never
    assert battery_window(None, 3) == 180.0  # only on battery


def test_battery_setting_is_checked_and_kept(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="battery_idle_minutes"):
        from_mapping({"daemon": {"docker.service": {"battery_idle_minutes": -2}}})
    with pytest.raises(SettingsError, match="battery_idle_minutes"):
        from_mapping({"daemon": {"docker.service": {"battery_idle_minutes": True}}})
    path = tmp_path / "settings.toml"
    chosen = Settings().with_daemon("docker.service", idle_stop_minutes=10,
                                    battery_idle_minutes=4)
    settings_file.save(chosen, path)
    assert "battery_idle_minutes = 4" in path.read_text()
    assert settings_file.load(path).settings.daemon("docker.service").battery_idle_minutes == 4
    fresh = tmp_path / "fresh.toml"
    settings_file.save(Settings().with_daemon("docker.service", idle_stop_minutes=10), fresh)
    assert "battery_idle_minutes" not in fresh.read_text()  # the default is not written


def test_idle_watch_windows_follow_the_battery() -> None:
    on_battery = [False]
    d = _daemon("x")
    window_for = windows({"x.service"}, 40.0, Settings(), lambda: on_battery[0])
    assert window_for(d) == 40.0
    on_battery[0] = True
    assert window_for(d) == 20.0
    assert windows({"x.service"}, 40.0, Settings(), lambda: True, 5.0)(d) == 5.0


def _daemon(name: str, mode: DaemonMode = DaemonMode.ON_DEMAND) -> Daemon:
    from tests.support import table_with

    return table_with((name, DaemonState.RUNNING, mode)).daemons()[0]


# -- the watcher before sleep ---------------------------------------------------------------


class QuietStops:
    def __init__(self, fake: FakeSystem, status: Status = Status.DONE) -> None:
        self.fake = fake
        self.status = status
        self.stopped: list[str] = []

    async def __call__(self, manager: Manager, service: str) -> Outcome:
        self.stopped.append(service)
        if self.status is Status.DONE:
            set_state(self.fake.table, manager, service.removesuffix(".service"),
                      DaemonState.DORMANT)
        return Outcome(Action.STOP, manager, service, self.status,
                       "Stopped." if self.status is Status.DONE else "it needs a password")


async def _armed(r: Any) -> None:
    set_state(r.system.table, S, "x", DaemonState.RUNNING)
    await until_async(lambda: any(d.event == "armed" for d in r.decisions), what="armed")
    await until_async(lambda: r.watcher._watches[(S, "x.service")].start is not None,
                      what="the window's first sample")


async def test_before_sleep_stops_the_idle_on_demand_daemon_without_a_warning() -> None:
    r = make(grace=5.0)
    r.watcher.window_for = lambda d: 600.0 if d.service == "x.service" else None
    quiet = r.watcher.quiet_stop = QuietStops(r.system)
    await _armed(r)
    outcomes = await r.watcher.before_sleep()
    assert quiet.stopped == ["x.service"] and [o.ok for o in outcomes] == [True]
    assert r.notifier.warned == []  # no warning: the machine is going to sleep
    assert [d.event for d in r.decisions if d.service == "x.service"][-1] == "stopped"
    assert r.watcher.armed() == {}  # it sleeps now: no timer
    r.watcher.close()


async def test_before_sleep_leaves_busy_and_password_protected_ones_running() -> None:
    r = make(grace=5.0, busy=["1 client connection(s) open on its sockets"])
    r.watcher.window_for = lambda d: 600.0 if d.service == "x.service" else None
    quiet = r.watcher.quiet_stop = QuietStops(r.system)
    await _armed(r)
    assert await r.watcher.before_sleep() == [] and quiet.stopped == []
    r.system.busy = []
    quiet.status = Status.NOT_AUTHORISED
    [outcome] = await r.watcher.before_sleep()
    assert outcome.status is Status.NOT_AUTHORISED
    [refused] = [d for d in r.decisions if d.event == "not-stopped"]
    assert "needs a password" in refused.text and quiet.stopped == ["x.service"]
    r.watcher.close()


async def test_before_sleep_without_a_quiet_stop_stops_nothing() -> None:
    r = make(grace=5.0)
    r.watcher.window_for = lambda d: 600.0 if d.service == "x.service" else None
    await _armed(r)
    assert await r.watcher.before_sleep() == []
    assert r.system.stops == []
    r.watcher.close()


async def test_a_daemon_that_exits_by_itself_is_not_warned_about() -> None:
    r = make()

    async def exits(d: Daemon, listen: list[tuple[str, str]], stats: Any) -> BusyReport:
        return BusyReport(exits_by_itself="podman exits by itself after 5 s without clients")

    r.watcher.busy_check = exits
    set_state(r.system.table, S, "x", DaemonState.RUNNING)
    await until_async(lambda: any(d.event == "exits-by-itself" for d in r.decisions),
                      timeout=3, what="the decision")
    assert r.notifier.warned == [] and r.system.stops == []
    r.watcher.close()


# -- the bus: stand-ins for UPower and logind, and a forger ------------------------------


class FakeUPower(ServiceInterface):
    def __init__(self) -> None:
        super().__init__(UPOWER)
        self.on_battery = False

    @dbus_property(access=PropertyAccess.READ, name="OnBattery")
    def on_battery_prop(self) -> DBusBool:
        return self.on_battery

    def switch(self, value: bool) -> None:
        self.on_battery = value
        self.emit_properties_changed({"OnBattery": value})


class FakeLogind(ServiceInterface):
    def __init__(self) -> None:
        super().__init__(LOGIND_IFACE)
        self.kept: list[int] = []  # our ends of the lock pipes
        self.sent: list[int] = []  # the ends handed out (closed here once sent)

    @method(name="Inhibit")
    def inhibit(self, what: DBusStr, who: DBusStr, why: DBusStr, mode: DBusStr) -> DBusUnixFd:
        assert (what, mode) == ("sleep", "delay")
        read_end, write_end = os.pipe()
        self.kept.append(read_end)
        self.sent.append(write_end)
        return write_end

    def close_sent(self) -> None:
        """Close our copies of the ends handed out: only trayapp's remain."""
        while self.sent:
            os.close(self.sent.pop())

    @dbus_property(access=PropertyAccess.READ, name="InhibitDelayMaxUSec")
    def delay(self) -> DBusUInt64:
        return 5_000_000

    @signal(name="PrepareForSleep")
    def prepare_for_sleep(self, start: bool) -> DBusBool:
        return start


def _released(fd: int) -> bool:
    """The other end of the lock pipe is closed everywhere (EOF, not EAGAIN)."""
    os.set_blocking(fd, False)
    try:
        return os.read(fd, 1) == b""
    except BlockingIOError:
        return False


@pytest.fixture
def bus_address(tmp_path: Path) -> Iterator[str]:
    proc = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1",
                             f"--address=unix:path={tmp_path}/bus"],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    yield proc.stdout.readline().strip()
    proc.kill()
    proc.wait()


@pytest.fixture
async def buses(bus_address: str) -> AsyncIterator[tuple[MessageBus, MessageBus, Connection]]:
    """(the services' bus, the forger's bus, trayapp's connection)."""
    owner = await MessageBus(bus_address=bus_address, negotiate_unix_fd=True).connect()
    forger = await MessageBus(bus_address=bus_address).connect()
    ours = Connection(await MessageBus(bus_address=bus_address,
                                       negotiate_unix_fd=True).connect(), S)
    yield owner, forger, ours
    for bus in (owner, forger, ours.bus):
        bus.disconnect()


async def _forge(forger: MessageBus, victim: str, path: str, interface: str, member: str,
                 signature: str, body: list[Any]) -> None:
    for destination in (None, victim):  # broadcast, then unicast past the match rules
        await forger.send(Message(message_type=MessageType.SIGNAL, path=path,
                                  interface=interface, member=member, signature=signature,
                                  body=body, destination=destination))


async def test_on_battery_only_from_upowers_owner(
        buses: tuple[MessageBus, MessageBus, Connection]) -> None:
    owner, forger, ours = buses
    upower = FakeUPower()
    owner.export(UPOWER_PATH, upower)
    await owner.request_name(UPOWER)
    seen: list[bool | None] = []
    watch = PowerWatch(ours, seen.append)
    await watch.start()
    assert watch.problem == "" and watch.on_battery is False and seen == [False]
    changed = {"OnBattery": Variant("b", True)}
    await _forge(forger, ours.bus.unique_name or "", UPOWER_PATH,
                 "org.freedesktop.DBus.Properties", "PropertiesChanged", "sa{sv}as",
                 [UPOWER, changed, []])
    await until_async(lambda: ours.gate.drops.dropped >= 1, what="the forgery dropped")
    assert seen == [False] and watch.signals == 0
    upower.switch(True)
    await until_async(lambda: seen == [False, True], what="the owner's change")
    upower.switch(False)
    await until_async(lambda: seen == [False, True, False], what="back on mains")
    assert watch.signals == 2


async def test_without_upower_the_feature_says_why(
        buses: tuple[MessageBus, MessageBus, Connection]) -> None:
    _, _, ours = buses
    watch = PowerWatch(ours, lambda v: None)
    await watch.start()
    assert watch.on_battery is None and "UPower is not available" in watch.problem


async def test_prepare_for_sleep_runs_the_stops_then_lets_go(
        buses: tuple[MessageBus, MessageBus, Connection]) -> None:
    owner, forger, ours = buses
    logind = FakeLogind()
    owner.export(LOGIND_PATH, logind)
    await owner.request_name(LOGIND)
    order: list[str] = []
    stops_done = asyncio.Event()

    async def before_sleep() -> None:
        order.append("stopping")
        await asyncio.sleep(0.05)  # a stop job takes a moment
        order.append("stopped")
        stops_done.set()

    guard = SleepGuard(ours, before_sleep, lambda event, text: order.append(event))
    await guard.start()
    assert guard.problem == "" and guard.holding and guard.delay == 5.0
    logind.close_sent()
    [lock] = logind.kept
    await _forge(forger, ours.bus.unique_name or "", LOGIND_PATH, LOGIND_IFACE,
                 "PrepareForSleep", "b", [True])
    # The broadcast never reaches us (the match rule names the sender); the unicast does.
    await until_async(lambda: ours.gate.drops.dropped >= 1, what="the forgery dropped")
    assert "stopping" not in order and not _released(lock)
    logind.prepare_for_sleep(True)
    await until_async(lambda: _released(lock), what="the lock released")
    assert order[order.index("sleep"):] == ["sleep", "stopping", "stopped", "released"]
    logind.prepare_for_sleep(False)  # resumed: a new lock for the next time
    await until_async(lambda: len(logind.kept) == 2 and guard.holding, what="a new lock")
    logind.close_sent()
    assert not _released(logind.kept[1])
    guard.close()
    assert _released(logind.kept[1])


async def test_without_logind_the_feature_says_why(
        buses: tuple[MessageBus, MessageBus, Connection]) -> None:
    _, _, ours = buses

    async def nothing() -> None:
        pass

    guard = SleepGuard(ours, nothing)
    await guard.start()
    assert not guard.holding and "logind is not running" in guard.problem
