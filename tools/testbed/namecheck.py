"""systemd's own verdict on unit names (run inside the testbed, as root).

Reads a JSON list of names on stdin, asks PID 1 to LoadUnit each, and prints
a JSON list of verdicts: "valid" (a unit object, found or not), "template"
(valid grammar, but a template cannot be loaded), or "invalid".
"""

from __future__ import annotations

import asyncio
import json
import sys

from dbus_fast import BusType, Message, MessageType
from dbus_fast.aio import MessageBus


async def main() -> None:
    names = json.load(sys.stdin)
    bus = MessageBus(bus_type=BusType.SYSTEM)
    await bus.connect()
    verdicts = []
    for name in names:
        reply = await bus.call(Message(
            destination="org.freedesktop.systemd1", path="/org/freedesktop/systemd1",
            interface="org.freedesktop.systemd1.Manager", member="LoadUnit", signature="s",
            body=[name]))
        if reply.message_type != MessageType.ERROR:
            verdicts.append("valid")
        elif "missing the instance name" in str(reply.body[:1]):
            verdicts.append("template")
        else:
            verdicts.append("invalid")
    print(json.dumps(verdicts))


if __name__ == "__main__":
    asyncio.run(main())
