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
from trayapp.adapters.dbus.jobs import JobFollower, run_plan
from trayapp.adapters.dbus.units import Stamp
from trayapp.adapters.dbus.watcher import SerialClock, Watcher
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

    async def read_all(conn: Any, prepare: Any = None) -> list[Any]:
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
    await first_read.wait()
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
