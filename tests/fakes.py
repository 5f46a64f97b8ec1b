"""The fakes the fast tests share: a stats reader, the views' Intents, systemd's bus,
and a loop on a hand-stepped clock.

Each stands in for one port of the code under test and answers only what that
code asks.  Helpers that are not fakes (tables, units, waiting) are in
tests/support.py.
"""

from __future__ import annotations

import asyncio
import fnmatch
import functools
import re
import selectors
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dbus_fast import Message, MessageType, Variant
from dbus_fast.errors import SignatureBodyMismatchError
from dbus_fast.signature import get_signature_tree

from tests.support import listening_in
from trayapp.adapters.dbus.bus import (
    _NOT_AUTHORISED,
    MANAGER_IFACE,
    MANAGER_PATH,
    PROPS_IFACE,
    SYSTEMD,
    BusUnavailable,
    NotAuthorised,
    SystemdError,
)
from trayapp.adapters.dbus.trust import DBUS, Handler, OwnerListener, SignalGate
from trayapp.core.idle import ServiceStats
from trayapp.core.model import DaemonState, Manager
from trayapp.core.plans import Action
from trayapp.core.table import DaemonTable

# -- the stats reader (usecases/stats.py StatsReader) ------------------------------------

EPOCH = 1_700_000_000.0  # when the fake's first run woke, in Unix seconds


@dataclass
class FakeStats:
    """A StatsReader answering from a DaemonTable what systemd's property reads would.

    A service is active while the table has it in one of ``up``.  Each run has its
    InvocationID ``inv<runs>`` (none before the first run: ``runs=0``), which stays,
    as systemd's does, once it stopped; ``start_run`` begins the next one.  A run
    woke ``runs * 100`` s after EPOCH and took 0.25 s to start; while up it uses
    ``runs * 10`` MiB.  ``reads`` names every service read.
    """

    table: DaemonTable
    up: frozenset[DaemonState] = frozenset({DaemonState.STARTING, DaemonState.RUNNING})
    runs: int = 1
    cpu: int = 0  # CPUUsageNSec
    state: str = "running"  # the manager's SystemState
    started: float | None = 0.0  # the manager's UserspaceTimestamp, Unix seconds
    reads: list[str] = field(default_factory=list)

    def start_run(self) -> None:
        self.runs += 1

    async def service(self, manager: Manager, service: str) -> ServiceStats | None:
        self.reads.append(service)
        d = self.table.daemon(manager, service)
        running = d is not None and d.state in self.up
        woke = int((EPOCH + self.runs * 100) * 1e6)
        return ServiceStats(
            active_state="active" if running else "inactive",
            invocation=f"inv{self.runs}" if self.runs else "",
            inactive_exit_usec=woke, active_enter_usec=woke + 250_000,
            inactive_exit_mono=10_000_000, active_enter_mono=10_250_000,
            cpu_nsec=self.cpu,
            memory_bytes=(self.runs * 10) * 2**20 if running else None,
        )

    async def manager_state(self, manager: Manager) -> tuple[str, float | None] | None:
        return (self.state, self.started)

    async def listening(self, manager: Manager, sockets: Sequence[str]
                        ) -> list[tuple[str, str]] | None:
        return listening_in(self.table, manager, list(sockets))


# -- the views' intents (qt/tray.py, qt/window.py) ----------------------------------------


class Intents:
    """What the tray and the windows ask of the applet, recorded in ``calls``."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def request(self, manager: Manager, service: str, action: Action) -> None:
        self.calls.append(("request", manager, service, action))

    def set_watched(self, key: str, watched: bool) -> None:
        self.calls.append(("watch", key, watched))

    def show_window(self) -> None:
        self.calls.append(("window",))

    def show_history(self, manager: Manager, service: str) -> None:
        self.calls.append(("history", manager, service))

    def show_preferences(self) -> None:
        self.calls.append(("preferences",))

    def quit(self) -> None:
        self.calls.append(("quit",))

    def keep_running(self, manager: Manager, service: str, until_stopped: bool = False) -> None:
        self.calls.append(("hold" if until_stopped else "keep", manager, service))


# -- systemd on the bus (adapters/dbus/bus.py Connection) ----------------------------------

SYSTEMD_OWNER = ":1.7"  # the unique name that owns org.freedesktop.systemd1 here
ACCESS_DENIED = "org.freedesktop.DBus.Error.AccessDenied"
NO_AGENT = "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired"
NO_SUCH_UNIT = "org.freedesktop.systemd1.NoSuchUnit"
_NO_VALUE = 2**64 - 1
_JOB_PATH = f"{MANAGER_PATH}/job/"
_UNIT_PATH = f"{MANAGER_PATH}/unit/"
# What systemd takes, per method: a call with another signature gets InvalidArgs.
_SIGNATURES = {
    "GetAll": "s", "Get": "ss", "Subscribe": "", "Reload": "",
    "StartUnit": "ss", "StopUnit": "ss", "ResetFailedUnit": "s",
    "EnableUnitFiles": "asbb", "DisableUnitFiles": "asb",
    "ListUnitsByPatterns": "asas", "ListUnitFilesByPatterns": "asas",
}
_MUTATING = frozenset({"StartUnit", "StopUnit", "ResetFailedUnit", "EnableUnitFiles",
                       "DisableUnitFiles", "Reload"})


class NotModelled(AssertionError):
    """The code under test made a call the fake does not answer: model it, or do not make it."""


@dataclass
class FakeUnit:
    """One unit as the fake systemd holds it."""

    name: str
    active_state: str = "inactive"
    unit_file_state: str = "disabled"
    load_state: str = "loaded"
    sub_state: str = ""  # "" : what the active state implies
    triggers: tuple[str, ...] = ()
    triggered_by: tuple[str, ...] = ()
    listen: tuple[tuple[str, str], ...] = ()
    also: tuple[str, ...] = ()  # [Install] Also=: enabled and disabled with this one
    install: str = ""  # the target whose .wants/ links it ("": sockets.target, multi-user.target)
    requires: tuple[str, ...] = ()  # Requires=: this one stops when one of them stops or fails
    memory: int | None = None  # MemoryCurrent; None: not accounted (systemd's 2**64 - 1)

    @property
    def is_socket(self) -> bool:
        return self.name.endswith(".socket")

    @property
    def target(self) -> str:
        return self.install or ("sockets.target" if self.is_socket else "multi-user.target")

    def set_active(self, state: str) -> None:
        self.active_state = state
        self.sub_state = ""

    def sub(self) -> str:
        if self.sub_state:
            return self.sub_state
        if self.active_state == "active":
            return "listening" if self.is_socket else "running"
        return {"failed": "failed"}.get(self.active_state, "dead")

    def properties(self) -> dict[str, Variant]:
        """What GetAll with an empty interface returns (Unit, and Socket or Service)."""
        enabled = self.unit_file_state in ("enabled", "enabled-runtime")
        props = {
            "Id": Variant("s", self.name),
            "LoadState": Variant("s", self.load_state),
            "ActiveState": Variant("s", self.active_state),
            "SubState": Variant("s", self.sub()),
            "UnitFileState": Variant("s", self.unit_file_state),
            "Triggers": Variant("as", list(self.triggers)),
            "TriggeredBy": Variant("as", list(self.triggered_by)),
            "WantedBy": Variant("as", [self.target] if enabled else []),
            "RequiredBy": Variant("as", []),
            "BindsTo": Variant("as", []),
            "Requires": Variant("as", list(self.requires)),
            "StateChangeTimestamp": Variant("t", 0),
            "Job": Variant("(uo)", [0, "/"]),
        }
        if self.is_socket:
            props["Listen"] = Variant("a(ss)", [list(a) for a in self.listen])
            props["Accept"] = Variant("b", False)
        elif self.name.endswith(".service"):
            props["Result"] = Variant("s", "success")
            props["MemoryCurrent"] = Variant("t", _NO_VALUE if self.memory is None
                                             else self.memory)
        return props


@dataclass
class Failure:
    """A call the fake answers badly: ``member`` (of ``unit``, None: of any).

    ``result``: the job of a StartUnit/StopUnit ends so (``failed``, ``timeout``...);
    ``error``: the call itself is answered with this D-Bus error.  ``times``: how
    many calls it hits (None: all of them).
    """

    member: str
    unit: str | None = None
    result: str | None = None
    error: str | None = None
    text: str = ""
    times: int | None = None


@dataclass(frozen=True)
class Call:
    """One call the code under test sent, as Connection.call was given it."""

    member: str
    signature: str
    body: list[Any]
    interactive: bool
    path: str
    interface: str
    destination: str

    @property
    def target(self) -> str | None:
        """The unit a StartUnit/StopUnit/ResetFailedUnit names, or a unit path's name."""
        if self.member in ("StartUnit", "StopUnit", "ResetFailedUnit"):
            return str(self.body[0])
        if self.path.startswith(_UNIT_PATH):
            return unit_name_of(self.path)
        return None


def unit_name_of(path: str) -> str:
    """The unit name of a unit object path (the reverse of bus.unit_path)."""
    label = path.removeprefix(_UNIT_PATH)
    return re.sub(r"_([0-9a-f]{2})", lambda m: chr(int(m.group(1), 16)), label)


class _Bus:
    """The little of dbus-fast's MessageBus that SignalGate uses."""

    def __init__(self) -> None:
        self.handlers: list[Any] = []

    def add_message_handler(self, handler: Any) -> None:
        self.handlers.append(handler)


class FakeConnection:
    """A stand-in for Connection (adapters/dbus/bus.py) over an in-memory systemd.

    It mimics systemd's reply shapes as trayapp's adapter reads them: GetAll and
    Get of unit properties (a{sv} of Variants), ListUnitsByPatterns and
    ListUnitFilesByPatterns, EnableUnitFiles/DisableUnitFiles with their a(sss)
    change lists (following Also=), Reload, StartUnit/StopUnit returning a job
    path whose JobRemoved follows as a signal from systemd's owner, and error
    replies raised as bus.py raises them (NotAuthorised, SystemdError).  Those
    shapes are the fake's reading of systemd's; the testbed tier (real systemd)
    checks the real ones.  A call it does not model raises NotModelled.

    Signals go through the real SignalGate (trust.py), so ``on_signal`` handlers
    hear only the owner of org.freedesktop.systemd1; ``forge`` makes another
    sender announce each job's end first.  Every call is kept in ``log``.
    """

    def __init__(self, units: Iterable[FakeUnit], manager: Manager = Manager.SYSTEM) -> None:
        self.manager = manager
        self.units = {u.name: u for u in units}
        self.log: list[Call] = []
        self.failures: list[Failure] = []
        self.jobs_before_reply = False  # JobRemoved handed over before the StartUnit reply
        self.forger: str | None = None  # a sender that announces every job as done, first
        self.unit_path: list[str] = []  # the manager's UnitPath: the unit directories
        self._bus = _Bus()
        self._job = 0
        self._serial = 0
        self._closed = asyncio.Event()
        self.gate = SignalGate(self._bus, self._driver)  # type: ignore[arg-type]

    @classmethod
    async def open(cls, units: Iterable[FakeUnit], manager: Manager = Manager.SYSTEM
                   ) -> FakeConnection:
        """As Connection.open: learn systemd's owner, so its signals are heard."""
        conn = cls(units, manager)
        assert await conn.gate.follow(SYSTEMD) == SYSTEMD_OWNER
        return conn

    # -- what the test arranges and reads ---------------------------------------------

    def fail(self, member: str, unit: str | None = None, *, result: str | None = None,
             error: str | None = None, text: str = "", times: int | None = None) -> None:
        if (result is None) == (error is None):
            raise ValueError("a failure is a job result or an error reply, one of them")
        self.failures.append(Failure(member, unit, result, error, text, times))

    def forge(self, sender: str) -> None:
        self.forger = sender

    def mutations(self) -> list[tuple[str, ...]]:
        """The changing calls in order, as (member, unit...) (Reload: just its name)."""
        out: list[tuple[str, ...]] = []
        for c in self.log:
            if c.member in ("EnableUnitFiles", "DisableUnitFiles"):
                out.append((c.member, *c.body[0]))
            elif c.member in _MUTATING:
                out.append((c.member, *([c.target] if c.target else [])))
        return out

    def state(self, name: str) -> tuple[str, str]:
        """(UnitFileState, ActiveState) of a unit now."""
        u = self.units[name]
        return u.unit_file_state, u.active_state

    # -- Connection's interface ----------------------------------------------------------

    @property
    def connected(self) -> bool:
        return not self._closed.is_set()

    async def wait_closed(self) -> None:
        await self._closed.wait()

    def close(self) -> None:
        self._closed.set()

    def on_signal(self, name: str, handler: Handler) -> None:
        self.gate.on_signal(name, handler)

    def on_owner(self, name: str, listener: OwnerListener) -> None:
        self.gate.on_owner(name, listener)

    def owner(self, name: str = SYSTEMD) -> str | None:
        return self.gate.owner(name)

    async def add_match(self, rule: str) -> None:
        await self.call("AddMatch", "s", [rule], path="/org/freedesktop/DBus", interface=DBUS,
                        destination=DBUS)

    async def call(self, member: str, signature: str = "", body: list[Any] | None = None, *,
                   path: str = MANAGER_PATH, interface: str = MANAGER_IFACE,
                   destination: str = SYSTEMD, interactive: bool = False) -> Message:
        body = body or []
        self.log.append(Call(member, signature, list(body), interactive, path, interface,
                             destination))
        if not self.connected:
            raise BusUnavailable(f"lost the connection to the {self.manager} bus")
        if destination == DBUS:
            return self._reply("", [])  # AddMatch, RemoveMatch
        if destination != SYSTEMD:
            raise NotModelled(f"a call to {destination}")
        expected = _SIGNATURES.get(member)
        if expected is None:
            raise NotModelled(f"{member} is not modelled")
        if signature != expected:
            self._error("org.freedesktop.DBus.Error.InvalidArgs",
                        f"{member} takes '{expected}', not '{signature}'")
        try:
            get_signature_tree(signature).verify(body)
        except SignatureBodyMismatchError as exc:
            self._error("org.freedesktop.DBus.Error.InvalidArgs", str(exc))
        units = body[0] if member.endswith("UnitFiles") else [body[0]] if (
            member in ("StartUnit", "StopUnit", "ResetFailedUnit")) else []
        failure = self._failure(member, units)
        if failure is not None and failure.error is not None:
            self._error(failure.error, failure.text)
        handler = getattr(self, f"_{member}")
        return handler(path, interface, body, failure)  # type: ignore[no-any-return]

    # -- systemd's answers ---------------------------------------------------------------

    def _failure(self, member: str, units: list[str]) -> Failure | None:
        for f in self.failures:
            if f.member == member and (f.unit is None or f.unit in units) and f.times != 0:
                if f.times is not None:
                    f.times -= 1
                return f
        return None

    def _reply(self, signature: str, body: list[Any]) -> Message:
        self._serial += 1
        return Message(message_type=MessageType.METHOD_RETURN, reply_serial=self._serial,
                       sender=SYSTEMD_OWNER, serial=self._serial, signature=signature,
                       body=body)

    def _error(self, name: str, text: str) -> None:
        """Raised as Connection.call raises an error reply."""
        raise (NotAuthorised if name in _NOT_AUTHORISED else SystemdError)(name, text)

    def _unit(self, name: str) -> FakeUnit:
        # A call on a unit's path loads it; a name with no unit file is a not-found stub.
        return self.units.get(name) or FakeUnit(name, load_state="not-found", unit_file_state="")

    def _unit_of_path(self, path: str) -> FakeUnit:
        if not path.startswith(_UNIT_PATH):
            raise NotModelled(f"properties of {path}")
        return self._unit(unit_name_of(path))

    def _GetAll(self, path: str, interface: str, body: list[Any], _f: object) -> Message:
        if interface != PROPS_IFACE or body[0] != "":
            raise NotModelled(f"GetAll({body[0]!r}) on {interface}")
        return self._reply("a{sv}", [self._unit_of_path(path).properties()])

    def _Get(self, path: str, interface: str, body: list[Any], _f: object) -> Message:
        if path == MANAGER_PATH and body == [MANAGER_IFACE, "UnitPath"]:
            return self._reply("v", [Variant("as", list(self.unit_path))])
        props = self._unit_of_path(path).properties()
        if body[1] not in props:
            self._error("org.freedesktop.DBus.Error.UnknownProperty",
                        f"Unknown property or interface {body[1]}.")
        return self._reply("v", [props[body[1]]])

    def _Subscribe(self, *_: object) -> Message:
        return self._reply("", [])

    def _Reload(self, *_: object) -> Message:
        return self._reply("", [])

    def _ListUnitsByPatterns(self, _p: str, _i: str, body: list[Any], _f: object) -> Message:
        states, patterns = body
        found = []
        for u in sorted(self.units.values(), key=lambda u: u.name):
            if u.load_state == "not-found" or (states and u.active_state not in states):
                continue
            if patterns and not any(fnmatch.fnmatchcase(u.name, p) for p in patterns):
                continue
            found.append([u.name, "", u.load_state, u.active_state, u.sub(), "",
                          f"{_UNIT_PATH}{u.name}", 0, "", "/"])
        return self._reply("a(ssssssouso)", [found])

    def _ListUnitFilesByPatterns(self, _p: str, _i: str, body: list[Any],
                                 _f: object) -> Message:
        states, patterns = body
        found = [[f"/usr/lib/systemd/system/{u.name}", u.unit_file_state]
                 for u in sorted(self.units.values(), key=lambda u: u.name)
                 if u.unit_file_state and u.load_state != "not-found"
                 and (not states or u.unit_file_state in states)
                 and any(fnmatch.fnmatchcase(u.name, p) for p in patterns)]
        return self._reply("a(ss)", [found])

    def _with_also(self, names: list[str]) -> list[FakeUnit]:
        out: list[FakeUnit] = []
        todo = list(names)
        while todo:
            name = todo.pop(0)
            if any(u.name == name for u in out):
                continue
            u = self.units.get(name)
            if u is None or not u.unit_file_state:
                self._error(NO_SUCH_UNIT, f"Unit file {name} does not exist.")
            assert u is not None
            out.append(u)
            todo += u.also
        return out

    def _EnableUnitFiles(self, _p: str, _i: str, body: list[Any], _f: object) -> Message:
        changes = []
        for u in self._with_also(body[0]):
            if u.unit_file_state == "disabled":
                u.unit_file_state = "enabled"
                changes.append(["symlink", f"/etc/systemd/system/{u.target}.wants/{u.name}",
                                f"/usr/lib/systemd/system/{u.name}"])
        return self._reply("ba(sss)", [True, changes])

    def _DisableUnitFiles(self, _p: str, _i: str, body: list[Any], _f: object) -> Message:
        changes = []
        for u in self._with_also(body[0]):
            if u.unit_file_state in ("enabled", "enabled-runtime"):
                u.unit_file_state = "disabled"
                changes.append(["unlink", f"/etc/systemd/system/{u.target}.wants/{u.name}", ""])
        return self._reply("a(sss)", [changes])

    def _ResetFailedUnit(self, _p: str, _i: str, body: list[Any], _f: object) -> Message:
        u = self._unit(body[0])
        if u.active_state == "failed":
            u.set_active("inactive")
        return self._reply("", [])

    def _StartUnit(self, _p: str, _i: str, body: list[Any], failure: Failure | None) -> Message:
        return self._job_of(body[0], "start", failure)

    def _StopUnit(self, _p: str, _i: str, body: list[Any], failure: Failure | None) -> Message:
        return self._job_of(body[0], "stop", failure)

    def _job_of(self, name: str, verb: str, failure: Failure | None) -> Message:
        u = self.units.get(name)
        if u is None or u.load_state == "not-found":
            self._error(NO_SUCH_UNIT, f"Unit {name} not found.")
        assert u is not None
        result = failure.result if failure is not None and failure.result else "done"
        if verb == "start":
            u.set_active("active" if result == "done" else "failed")
        elif result == "done":
            u.set_active("inactive")
        if u.active_state != "active":  # systemd stops what Requires= it
            for other in self.units.values():
                if name in other.requires and other.active_state == "active":
                    other.set_active("inactive")
        self._job += 1
        job_id, job = self._job, f"{_JOB_PATH}{self._job}"
        if self.forger is not None:
            self._job_removed(job_id, job, name, "done", self.forger)
        if self.jobs_before_reply:
            self._job_removed(job_id, job, name, result)
        else:
            asyncio.get_running_loop().create_task(self._job_removed_later(job_id, job, name,
                                                                           result))
        return self._reply("o", [job])

    async def _job_removed_later(self, job_id: int, job: str, unit: str, result: str) -> None:
        for _ in range(3):  # the reply reaches its caller first
            await asyncio.sleep(0)
        self._job_removed(job_id, job, unit, result)

    def _job_removed(self, job_id: int, job: str, unit: str, result: str,
                     sender: str = SYSTEMD_OWNER) -> None:
        self.signal(Message(message_type=MessageType.SIGNAL, sender=sender, path=MANAGER_PATH,
                            interface=MANAGER_IFACE, member="JobRemoved", signature="uoss",
                            body=[job_id, job, unit, result]))

    def signal(self, msg: Message) -> None:
        """Hand ``msg`` over as dbus-fast does, to the connection's message handlers."""
        for handler in list(self._bus.handlers):
            handler(msg)

    async def _driver(self, member: str, body: list[Any]) -> Message | None:
        """The bus driver's answers to SignalGate (AddMatch, GetNameOwner)."""
        await self.call(member, "s", body, path="/org/freedesktop/DBus", interface=DBUS,
                        destination=DBUS)
        if member == "GetNameOwner":
            return self._reply("s", [SYSTEMD_OWNER if body == [SYSTEMD] else ""])
        return self._reply("", [])


# -- time: a loop whose clock the test's own waiting moves ----------------------------------


class _VirtualSelector(selectors.DefaultSelector):
    """Waits no real time for a timer: the loop's clock jumps to it.  Ready file
    descriptors (the loop's own wake-up pipe) are still seen."""

    def __init__(self, loop: VirtualTimeLoop) -> None:
        super().__init__()
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[Any]:
        ready = super().select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:  # no timer at all: only a thread or real I/O can wake it
            ready = super().select(REAL_WAIT)
            if not ready:
                raise AssertionError(f"nothing scheduled and nothing came in {REAL_WAIT} s")
            return ready
        self._loop.now += timeout
        return []


REAL_WAIT = 10.0  # seconds a virtual-time test may wait for something real


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop on a hand-stepped clock: ``call_later``, ``asyncio.sleep`` and
    ``wait_for`` deadlines come in order, at once, with ``time()`` moved to each.
    For code whose only clock is the loop's (the idle watcher's timers and grace):
    a 50 ms window is exactly 50 ms, however loaded the machine."""

    def __init__(self) -> None:
        self.now = 1000.0
        super().__init__(selector=_VirtualSelector(self))

    def time(self) -> float:
        return self.now


def virtual_time(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run the async ``test`` on a fresh VirtualTimeLoop (a plain test to pytest)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        loop = VirtualTimeLoop()
        try:
            loop.run_until_complete(test(*args, **kwargs))
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    return run
