"""The trust rule's pieces without a bus: serials within the owner, the job window, coalescing."""

from __future__ import annotations

import asyncio
from typing import Any

from dbus_fast import Message, MessageType

from tests.support import Clock, until_async
from trayapp.adapters.dbus.coalesce import Coalescer
from trayapp.adapters.dbus.jobs import JobFollower
from trayapp.adapters.dbus.units import Stamp
from trayapp.adapters.dbus.watcher import SerialClock


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
