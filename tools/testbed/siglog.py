"""Timestamps systemd's PropertiesChanged signals for some units, independently.

Run inside the testbed (``python STAGE/testbed/siglog.py system UNIT...``): prints one
JSON line per signal with the Unix time it arrived, so a test or the
benchmark can measure how long trayapp took to report the same change.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from dbus_fast import BusType, Message, MessageType
from dbus_fast.aio import MessageBus


def unit_path(name: str) -> str:
    out = "".join(
        c if c.isascii() and (c.isalpha() or (c.isdigit() and i)) else f"_{ord(c):02x}"
        for i, c in enumerate(name)
    )
    return f"/org/freedesktop/systemd1/unit/{out}"


async def main() -> None:
    which, *units = sys.argv[1:]
    bus = MessageBus(bus_type=BusType.SYSTEM if which == "system" else BusType.SESSION)
    await bus.connect()
    paths = {unit_path(u): u for u in units}

    def handler(msg: Message) -> None:
        if msg.message_type != MessageType.SIGNAL or msg.path not in paths:
            return
        now = time.time()
        props = {k: v.value for k, v in msg.body[1].items()
                 if k in ("ActiveState", "SubState", "UnitFileState")}
        print(json.dumps({"t": now, "unit": paths[msg.path], **props}), flush=True)

    bus.add_message_handler(handler)
    for path in paths:
        rule = (f"type='signal',sender='org.freedesktop.systemd1',path='{path}',"
                "member='PropertiesChanged'")
        await bus.call(Message(destination="org.freedesktop.DBus", path="/org/freedesktop/DBus",
                               interface="org.freedesktop.DBus", member="AddMatch",
                               signature="s", body=[rule]))
    await bus.call(Message(destination="org.freedesktop.systemd1",
                           path="/org/freedesktop/systemd1",
                           interface="org.freedesktop.systemd1.Manager", member="Subscribe"))
    print(json.dumps({"ready": True}), flush=True)
    await bus.wait_for_disconnect()


if __name__ == "__main__":
    asyncio.run(main())
