"""Notifications over a real, private session bus (dbus-daemon), with a small server on it.

The server is the Desktop Notifications Specification's interface served by
dbus-fast in this test: it records what arrived and can press a button.  The
end-to-end test (test_e2e_tray.py) checks the same against dunst.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import pytest
from dbus_fast import Message, MessageType, Variant
from dbus_fast.aio import MessageBus
from dbus_fast.annotations import DBusInt32, DBusSignature, DBusStr, DBusUInt32
from dbus_fast.service import ServiceInterface, method, signal

from tests.support import until_async
from trayapp.adapters.dbus.notifications import NAME, PATH, Notifier

Strs = Annotated[list[str], DBusSignature("as")]
Hints = Annotated[dict[str, Variant], DBusSignature("a{sv}")]
Closed = Annotated[list[int], DBusSignature("uu")]
Invoked = Annotated[list[Any], DBusSignature("us")]


class Server(ServiceInterface):
    def __init__(self, capabilities: list[str]) -> None:
        super().__init__(NAME)
        self.capabilities = capabilities
        self.received: list[dict[str, Any]] = []
        self.next_id = 0

    @method(name="GetCapabilities")
    def get_capabilities(self) -> Strs:
        return self.capabilities

    @method(name="Notify")
    def notify(self, app_name: DBusStr, replaces_id: DBusUInt32, app_icon: DBusStr,
               summary: DBusStr, body: DBusStr, actions: Strs, hints: Hints,
               expire_timeout: DBusInt32) -> DBusUInt32:  # fmt: skip
        if replaces_id:
            nid = replaces_id
        else:
            self.next_id += 1
            nid = self.next_id
        self.received.append({"id": nid, "summary": summary, "body": body, "actions": actions,
                              "hints": {k: v.value for k, v in hints.items()},
                              "replaces": replaces_id, "app": app_name})  # fmt: skip
        return nid

    @signal(name="ActionInvoked")
    def action_invoked(self, nid: int, key: str) -> Invoked:
        return [nid, key]

    @signal(name="NotificationClosed")
    def notification_closed(self, nid: int, reason: int) -> Closed:
        return [nid, reason]


@pytest.fixture
def bus_address(tmp_path: Any) -> Iterator[str]:
    """A private session bus for this test; killed afterwards."""
    proc = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1",
         f"--address=unix:path={tmp_path}/bus"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    address = proc.stdout.readline().strip()
    yield address
    proc.kill()
    proc.wait()


async def serve(address: str, caps: list[str]) -> tuple[MessageBus, Server]:
    bus = await MessageBus(bus_address=address).connect()
    server = Server(caps)
    bus.export(PATH, server)
    await bus.request_name(NAME)
    return bus, server


class Fallback:
    def __init__(self) -> None:
        self.shown: list[tuple[str, str, bool]] = []

    def __call__(self, title: str, body: str, critical: bool) -> None:
        self.shown.append((title, body, critical))


@pytest.fixture
async def notifier(bus_address: str) -> AsyncIterator[tuple[Notifier, Fallback]]:
    fallback = Fallback()
    n = Notifier(fallback, address=bus_address)
    yield n, fallback
    n.close()


async def test_notify_with_actions_and_button_press(
    bus_address: str, notifier: tuple[Notifier, Fallback]
) -> None:
    bus, server = await serve(bus_address, ["actions", "body", "body-markup"])
    n, fallback = notifier
    assert await n.start()
    assert n.actions_supported
    pressed: list[str] = []
    nid = await n.notify("docker woke up", "a <client> connected",
                         actions=[("stop", "Stop now"), ("always-on", "Keep always on")],
                         on_action=pressed.append, tag="docker.service")  # fmt: skip
    [got] = server.received
    assert got["id"] == nid
    assert got["actions"] == ["stop", "Stop now", "always-on", "Keep always on"]
    assert got["body"] == "a &lt;client&gt; connected"  # escaped for body-markup
    assert got["hints"]["desktop-entry"] == "io.github.trayapp.TrayApp"
    assert got["hints"]["urgency"] == 1
    server.action_invoked(nid, "stop")
    await until_async(lambda: pressed)
    assert pressed == ["stop"]
    # A second notification for the same daemon replaces the bubble.
    nid2 = await n.notify("docker stopped", "done", tag="docker.service", critical=True)
    assert server.received[-1]["replaces"] == nid == nid2
    assert server.received[-1]["hints"]["urgency"] == 2
    assert server.received[-1]["actions"] == []
    server.action_invoked(nid, "stop")  # no buttons on it now: nothing to call
    server.notification_closed(nid, 2)
    await asyncio.sleep(0.1)
    assert pressed == ["stop"]
    assert fallback.shown == []
    bus.disconnect()


async def test_server_without_actions_gets_no_buttons(
    bus_address: str, notifier: tuple[Notifier, Fallback]
) -> None:
    bus, server = await serve(bus_address, ["body"])
    n, _ = notifier
    await n.notify("t", "a <b>", actions=[("stop", "Stop now")], on_action=print)
    assert server.received[0]["actions"] == []
    assert server.received[0]["body"] == "a <b>"  # no markup: sent as is
    bus.disconnect()


async def test_no_server_falls_back(notifier: tuple[Notifier, Fallback]) -> None:
    n, fallback = notifier
    assert not await n.start()
    assert await n.notify("docker failed", "see the journal", critical=True) is None
    assert fallback.shown == [("docker failed", "see the journal", True)]


async def test_server_appearing_later_is_used(
    bus_address: str, notifier: tuple[Notifier, Fallback]
) -> None:
    n, fallback = notifier
    assert not await n.start()
    bus, server = await serve(bus_address, ["actions"])
    assert await n.notify("hello", "world") is not None
    assert [r["summary"] for r in server.received] == ["hello"]
    assert fallback.shown == []
    bus.disconnect()


async def test_bus_vanishing_falls_back_without_raising(tmp_path: Any) -> None:
    proc = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1",
         f"--address=unix:path={tmp_path}/bus"], stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    address = proc.stdout.readline().strip()
    fallback = Fallback()
    n = Notifier(fallback, address=address)
    try:
        _bus, _ = await serve(address, ["actions"])
        assert await n.start()
        proc.kill()
        proc.wait()
        await until_async(lambda: not n.connected)
        assert await n.notify("still here", "the bus is gone") is None
        assert fallback.shown == [("still here", "the bus is gone", False)]
    finally:
        n.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_no_bus_at_all_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path=/nonexistent/{os.getpid()}")
    fallback = Fallback()
    n = Notifier(fallback)

    async def go() -> None:
        await n.notify("title", "body")

    asyncio.run(go())
    assert fallback.shown == [("title", "body", False)]


async def test_forged_actions_from_another_client_are_not_taken(
    bus_address: str, notifier: tuple[Notifier, Fallback]
) -> None:
    """Anyone on the session bus may send ActionInvoked, unicast to the applet: only the
    notification server's own (the owner of org.freedesktop.Notifications) counts."""
    bus, server = await serve(bus_address, ["actions", "body"])
    n, _ = notifier
    assert await n.start()
    pressed: list[str] = []
    nid = await n.notify("docker woke up", "", actions=[("stop", "Stop now")],
                         on_action=pressed.append)
    assert nid is not None and n._bus is not None
    me = n._bus.unique_name
    forger = await MessageBus(bus_address=bus_address).connect()
    for dest in (me, None):  # unicast, and broadcast
        for member, sig, body in (
            ("NameOwnerChanged", "sss", [NAME, bus.unique_name, forger.unique_name]),
            ("ActionInvoked", "us", [nid, "stop"]),
        ):
            iface, path = ("org.freedesktop.DBus", "/org/freedesktop/DBus") \
                if member == "NameOwnerChanged" else (NAME, PATH)
            await forger.send(Message(message_type=MessageType.SIGNAL, destination=dest,
                                      path=path, interface=iface, member=member,
                                      signature=sig, body=body))
    await asyncio.sleep(0.2)
    assert pressed == []
    server.action_invoked(nid, "stop")  # the server's own still works
    await until_async(lambda: pressed)
    assert pressed == ["stop"]
    forger.disconnect()
    bus.disconnect()


async def test_a_restarted_server_cannot_press_the_old_servers_buttons(
    bus_address: str, notifier: tuple[Notifier, Fallback]
) -> None:
    """A new notification server numbers from 1 again: its ActionInvoked for a
    reused id must not run the old bubble's button (found in review)."""
    bus, _server = await serve(bus_address, ["actions", "body"])
    n, _ = notifier
    assert await n.start()
    pressed: list[str] = []
    nid = await n.notify("docker woke up", "", actions=[("stop", "Stop now")],
                         on_action=pressed.append)
    assert nid is not None
    bus.disconnect()  # the server goes away; another one takes the name
    bus2, server2 = await serve(bus_address, ["actions", "body"])
    await until_async(lambda: not n._callbacks, what="the old bubbles' buttons forgotten")
    server2.action_invoked(nid, "stop")  # its own notification with the same id
    # The Notifier is still listening: a button of the new server's own works.
    nid2 = await n.notify("docker woke up", "", actions=[("stop", "Stop now")],
                          on_action=pressed.append)
    assert nid2 is not None
    server2.action_invoked(nid2, "stop")
    await until_async(lambda: pressed)
    # A call answered by the new server comes after every signal it sent before.
    await n.notify("barrier", "")
    assert pressed == ["stop"] and len(server2.received) == 2
    bus2.disconnect()
