"""The trust rule's pieces without a bus: serials within the owner, the job window, coalescing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from dbus_fast import Message, MessageType

from tests.support import Clock, until_async
from trayapp.adapters.dbus import units
from trayapp.adapters.dbus.bus import SystemdError
from trayapp.adapters.dbus.coalesce import Coalescer
from trayapp.adapters.dbus.follower import JobFollower
from trayapp.adapters.dbus.jobs import run_plan
from trayapp.adapters.dbus.serials import SerialClock
from trayapp.adapters.dbus.units import Stamp
from trayapp.adapters.dbus.watcher import Watcher
from trayapp.core.enablement import Goal
from trayapp.core.model import Manager, UnitInfo
from trayapp.core.plans import Action, Plan, Step, Verb
from trayapp.core.table import DaemonTable


def test_serials_count_only_within_the_owner() -> None:
    clock = SerialClock(":1.5")
    assert clock.fresh("d.service", {"active_state": "active"}, Stamp(":1.5", 10))
    assert not clock.fresh("d.service", {"active_state": "x"}, Stamp(":1.66", 0xFFFFFFF0))
    assert clock.fresh("d.service", {"active_state": "inactive"}, Stamp(":1.5", 11))
    clock.reset(":1.9")  # a new owner starts again from 1
    assert clock.fresh("d.service", {"active_state": "active"}, Stamp(":1.9", 1))


class _Conn:
    manager = "system"

    def on_signal(self, name: str, handler: Any) -> None:
        self.handler = handler


def _removed(job: int, result: str = "failed") -> Message:
    return Message(message_type=MessageType.SIGNAL, path="/org/freedesktop/systemd1",
                   interface="org.freedesktop.systemd1.Manager", member="JobRemoved",
                   signature="uoss", body=[job, f"/j/{job}", "u", result])


async def test_job_results_are_kept_only_for_our_calls_briefly_and_few() -> None:
    conn, now = _Conn(), Clock()
    jobs = JobFollower(conn, clock=now)  # type: ignore[arg-type]
    conn.handler(_removed(1))  # nobody of ours is starting a job: ignored
    assert not jobs._early
    async with jobs.expect():
        for job in range(2, 1000):
            conn.handler(_removed(job))
        assert len(jobs._early) <= JobFollower.EARLY_MAX
        conn.handler(_removed(5000, "done"))  # the early arrival of our own job
        assert await jobs.wait("/j/5000") == "done"
        conn.handler(_removed(5001, "done"))
        assert "/j/5001" in jobs._early  # kept, though the store was full
        now.now += JobFollower.EARLY_WINDOW + 1
        conn.handler(_removed(5002, "done"))
        assert "/j/5001" not in jobs._early  # expired


async def test_a_burst_of_requests_costs_two_runs() -> None:
    gate = asyncio.Event()

    async def work() -> None:
        await gate.wait()

    c = Coalescer(work, "test")
    c.request()
    await asyncio.sleep(0)  # running now
    for _ in range(10_000):
        c.request()
    gate.set()
    await until_async(lambda: not c.busy, what="the coalesced runs to end")
    assert c.runs == 2


class _QuietConn:
    """Just enough of a Connection for a Watcher whose reads are replaced."""

    manager = Manager.SYSTEM

    def owner(self, name: str = "") -> str:
        return ":1.1"

    def on_signal(self, name: str, handler: Any) -> None: ...

    def on_owner(self, name: str, listener: Any) -> None: ...

    async def add_match(self, rule: str) -> None: ...

    async def remove_match(self, rule: str) -> None: ...

    async def call(self, member: str, *args: Any, **kw: Any) -> None: ...


async def test_a_resync_asked_for_while_the_first_read_runs_waits_for_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Reloading(false) while start() still reads: the second read shares the
    signal buffer, so it must come after the first, not beside it (found by
    review: the two crashed start() and left the manager unwatched)."""
    first_read = asyncio.Event()
    release = asyncio.Event()
    reads = 0

    async def read_all(conn: Any, prepare: Any = None, services: Any = ()) -> list[Any]:
        nonlocal reads
        reads += 1
        if reads == 1:
            first_read.set()
            await release.wait()
        return [(UnitInfo(name="a.socket", active_state="active", triggers=("a.service",)),
                 Stamp(":1.1", reads))]

    monkeypatch.setattr(units, "read_all", read_all)
    table = DaemonTable()
    watcher = Watcher(_QuietConn(), table)  # type: ignore[arg-type]
    starting = asyncio.get_running_loop().create_task(watcher.start())
    # A start() that fails before its read must fail the test, not hang it.
    await asyncio.wait({starting, asyncio.ensure_future(first_read.wait())},
                       return_when=asyncio.FIRST_COMPLETED)
    if starting.done():
        starting.result()
    assert first_read.is_set()
    watcher.request_resync()  # what Reloading(false) does
    await asyncio.sleep(0.01)
    assert reads == 1  # the second waits for the first
    release.set()
    await starting
    await until_async(lambda: reads == 2 and not watcher._resyncs.busy)
    assert table.unit(Manager.SYSTEM, "a.socket") is not None
    watcher.close()


class _RefusingReads(_QuietConn):
    """systemd answers the unit-file read with an error (NoReply during a long reload)."""

    async def call(self, member: str, *args: Any, **kw: Any) -> None:
        if member == "ListUnitFilesByPatterns":
            raise SystemdError("org.freedesktop.DBus.Error.NoReply", "no reply")
        raise AssertionError(f"{member} must not be called: nothing may change")


async def test_a_read_that_fails_before_a_switch_changes_nothing_and_says_so() -> None:
    conn = _RefusingReads()
    plan = Plan(Action.ON_DEMAND, "x.service",
                (Step(Verb.DISABLE, ("x.service",)), Step(Verb.ENABLE, ("x.socket",))),
                goal=Goal(enable=frozenset({"x.socket"}), disable=frozenset({"x.service"})))
    run = await run_plan(conn, JobFollower(conn), plan)  # type: ignore[arg-type]
    assert run.done == [] and run.error is not None
    assert "cannot read the units first" in str(run.error)


def _unit_new(name: str) -> Message:
    return Message(message_type=MessageType.SIGNAL, path="/org/freedesktop/systemd1",
                   interface="org.freedesktop.systemd1.Manager", member="UnitNew",
                   signature="so", body=[name, units.unit_path(name)])


async def test_a_unit_new_without_a_unit_file_is_never_read(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Anyone can make PID 1 load a name (LoadUnit): a name with no unit file is a
    stub, and reading it loads it again, which PID 1 announces again with UnitNew,
    for ever (issue 22).  Only names with a file in the search path are read; the
    search path is read once."""
    (tmp_path / "real.socket").write_text("[Socket]\nListenStream=/run/real.sock\n")
    read: list[str] = []
    asked: list[str] = []

    async def read_unit(conn: Any, name: str) -> tuple[UnitInfo, Stamp]:
        read.append(name)
        return UnitInfo(name=name, load_state="loaded", triggers=("real.service",)), \
            Stamp(":1.1", 10 + len(read))

    async def search_path(conn: Any) -> list[str]:
        asked.append("UnitPath")
        return [str(tmp_path / "missing"), str(tmp_path)]

    monkeypatch.setattr(units, "read_unit", read_unit)
    monkeypatch.setattr(units, "search_path", search_path)
    watcher = Watcher(_QuietConn(), DaemonTable())  # type: ignore[arg-type]
    for n in range(300):
        watcher._on_manager_signal(_unit_new(f"bobx-{n}.socket"))
        await asyncio.sleep(0)
    await until_async(lambda: not watcher._reads.busy, what="the reads to end")
    assert read == [] and watcher.stubs_ignored == 300
    watcher._on_manager_signal(_unit_new("real.socket"))
    await until_async(lambda: not watcher._reads.busy and read, what="the real one read")
    assert read == ["real.socket", "real.service"] and asked == ["UnitPath"]
    watcher.close()


def test_unit_file_names_that_are_paths_are_no_unit(tmp_path: Any) -> None:
    (tmp_path / "a.socket").write_text("")
    assert units.has_unit_file([str(tmp_path)], "a.socket")
    for name in ("", ".", "..", "../a.socket", f"{tmp_path.name}/a.socket", "b.socket"):
        assert not units.has_unit_file([str(tmp_path), str(tmp_path.parent)], name), name
    # An instance counts by its template's file only when asked (the proxy's restore),
    # never for the watcher: anyone can make PID 1 load instances by the thousand.
    (tmp_path / "pg@.service").write_text("")
    assert units.has_unit_file([str(tmp_path)], "pg@15-main.service", instances=True)
    assert not units.has_unit_file([str(tmp_path)], "pg@15-main.service")
    assert not units.has_unit_file([str(tmp_path)], "pg@.socket", instances=True)
    assert not units.has_unit_file([str(tmp_path)], "qq@15-main.service", instances=True)


def test_the_gate_closes_every_descriptor_but_a_reply_s() -> None:
    """A connection that negotiated fd passing receives descriptors from anyone;
    the gate closes those of every signal and call, taken or dropped (issue 22)."""
    import os

    from trayapp.adapters.dbus.trust import SignalGate

    class _Bus:
        def add_message_handler(self, handler: Any) -> None:
            self.handler = handler

    bus = _Bus()
    gate = SignalGate(bus, lambda member, body: None)  # type: ignore[arg-type]
    seen: list[Message] = []
    gate._owners["org.freedesktop.systemd1"] = ":1.1"
    gate.on_signal("org.freedesktop.systemd1", seen.append)

    def with_fds(kind: MessageType, sender: str) -> tuple[Message, list[int]]:
        fds = [os.open(os.devnull, os.O_RDONLY) for _ in range(3)]
        msg = _removed(1) if kind is MessageType.SIGNAL else Message(
            message_type=kind, path="/x", interface="a.b", member="M",
            reply_serial=1 if kind is MessageType.METHOD_RETURN else 0)
        msg.unix_fds = list(fds)
        msg.sender = sender
        return msg, fds

    def is_open(fd: int) -> bool:
        try:
            os.fstat(fd)
        except OSError:
            return False
        return True

    for kind, sender in ((MessageType.SIGNAL, ":1.66"), (MessageType.SIGNAL, ":1.1"),
                         (MessageType.METHOD_CALL, ":1.66")):
        msg, fds = with_fds(kind, sender)
        bus.handler(msg)
        assert not any(is_open(fd) for fd in fds), (kind, sender)
    assert len(seen) == 1  # the owner's signal was handed on, then its fds closed
    reply, fds = with_fds(MessageType.METHOD_RETURN, "org.freedesktop.login1")
    bus.handler(reply)
    assert all(is_open(fd) for fd in fds)  # a reply's are the caller's to take
    for fd in fds:
        os.close(fd)
