"""Flip a service N times, each start and stop followed to its end (run inside, as root).

Uses systemd's D-Bus API directly (StartUnit/StopUnit, then JobRemoved), so
each flip costs a fork and exec of the service, not of systemctl.  Prints
the count and the time taken.
"""

from __future__ import annotations

import asyncio
import sys
import time

from dbus_fast import BusType, Message, MessageType
from dbus_fast.aio import MessageBus

SYSTEMD = dict(destination="org.freedesktop.systemd1", path="/org/freedesktop/systemd1",
               interface="org.freedesktop.systemd1.Manager")


async def main() -> None:
    unit, count = sys.argv[1], int(sys.argv[2])
    bus = MessageBus(bus_type=BusType.SYSTEM)
    await bus.connect()
    done: dict[str, asyncio.Future[str]] = {}
    results: dict[str, str] = {}

    def on_message(msg: Message) -> None:
        if msg.message_type == MessageType.SIGNAL and msg.member == "JobRemoved":
            job, result = msg.body[1], msg.body[3]
            if job in done:
                done.pop(job).set_result(result)
            else:
                results[job] = result

    bus.add_message_handler(on_message)
    await bus.call(Message(destination="org.freedesktop.DBus", path="/org/freedesktop/DBus",
                           interface="org.freedesktop.DBus", member="AddMatch", signature="s",
                           body=["type='signal',member='JobRemoved'"]))
    await bus.call(Message(**SYSTEMD, member="Subscribe"))

    async def run(member: str) -> None:
        reply = await bus.call(Message(**SYSTEMD, member=member, signature="ss",
                                       body=[unit, "replace"]))
        job = reply.body[0]
        if job not in results:
            done[job] = asyncio.get_running_loop().create_future()
            await done[job]
        results.pop(job, None)

    started = time.monotonic()
    for _ in range(count):
        await run("StartUnit")
        await run("StopUnit")
    print(f"{count} flips in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    asyncio.run(main())
