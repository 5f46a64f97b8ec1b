"""Flip a service N times as fast as systemd takes the jobs (run inside, as root).

Sends StartUnit and StopUnit alternately without waiting for the jobs
(mode "replace" lets each new job supersede the queued one), at most 32 in
flight, then stops the unit and waits until it is inactive.  Prints the
count and the time taken.
"""

from __future__ import annotations

import asyncio
import sys
import time

from dbus_fast import BusType, Message
from dbus_fast.aio import MessageBus


async def main() -> None:
    unit, count = sys.argv[1], int(sys.argv[2])
    bus = MessageBus(bus_type=BusType.SYSTEM)
    await bus.connect()
    slots = asyncio.Semaphore(32)

    async def call(member: str) -> None:
        async with slots:
            await bus.call(Message(destination="org.freedesktop.systemd1",
                                   path="/org/freedesktop/systemd1",
                                   interface="org.freedesktop.systemd1.Manager",
                                   member=member, signature="ss", body=[unit, "replace"]))

    started = time.monotonic()
    await asyncio.gather(*(call("StartUnit" if i % 2 == 0 else "StopUnit")
                           for i in range(count)))
    await call("StopUnit")
    print(f"{count} flips in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    asyncio.run(main())
