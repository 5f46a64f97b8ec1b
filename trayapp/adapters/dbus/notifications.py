"""Desktop notifications through org.freedesktop.Notifications, with action buttons.

Part of the D-Bus adapter (trayapp/adapters/dbus/), the only code that
imports dbus-fast: this module speaks to the session bus's notification server.

Why not QSystemTrayIcon.showMessage: it has no buttons, and on GNOME without
the AppIndicator extension it may show nothing.  So we speak the
Desktop Notifications Specification ourselves: GetCapabilities (does the
server offer "actions"? "body-markup"?), Notify with actions where offered,
and the ActionInvoked / NotificationClosed signals.  When no server answers
(none running and none D-Bus-activatable) or the bus is gone, each message
goes to the ``fallback`` the Qt layer passes (showMessage or a message box),
so nothing a user must know is ever dropped.  Nothing here raises.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Callable, Sequence
from typing import Any

from dbus_fast import Message, MessageType, Variant
from dbus_fast.aio import MessageBus

from trayapp import APP_ID
from trayapp.adapters.dbus.bus import open_bus, session_bus_address
from trayapp.adapters.dbus.trust import SignalGate

log = logging.getLogger(__name__)

CALL_TIMEOUT = 3.0  # seconds for one call to the notification server

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
IFACE = "org.freedesktop.Notifications"
_SIGNALS_RULE = f"type='signal',path='{PATH}',interface='{IFACE}'"

# Urgency hint values (Desktop Notifications Specification, "Urgency Levels").
NORMAL, CRITICAL = 1, 2

#: fallback(title, body, critical): shows a message some other way.
Fallback = Callable[[str, str, bool], None]
#: on_action(action_key): the user pressed a button of one notification.
ActionCallback = Callable[[str], None]


class Notifier:
    def __init__(
        self,
        fallback: Fallback,
        *,
        app_name: str = "trayapp",
        app_icon: str = "",
        address: str | None = None,
    ) -> None:
        self.fallback = fallback
        self.app_name = app_name
        self.app_icon = app_icon
        self.address = address
        self.capabilities: frozenset[str] = frozenset()
        self.server_found = False
        self._bus: MessageBus | None = None
        self._callbacks: dict[int, ActionCallback] = {}
        self._ids_by_tag: dict[str, int] = {}
        self._tasks: set[asyncio.Task[int | None]] = set()

    # -- connection ------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._bus is not None and bool(self._bus.connected)

    @property
    def actions_supported(self) -> bool:
        return self.server_found and "actions" in self.capabilities

    async def start(self) -> bool:
        """Connect and ask the server what it can do; False when no server answers."""
        if not self.connected:
            self._forget_bus()
            try:
                bus = await _open(self.address, self._on_message, self._forget_notifications)
            except Exception as exc:  # BusUnavailable, dbus-fast's errors, EOFError...
                log.info("no session bus for notifications: %s", exc)
                return False
            self._bus = bus
        await self._ask_capabilities()
        return self.server_found

    async def _ask_capabilities(self) -> None:
        reply = await self._call("GetCapabilities", "", [])
        if reply is None:
            self.server_found = False
            return
        self.capabilities = frozenset(c for c in reply.body[0] if isinstance(c, str))
        self.server_found = True
        log.debug("notification server capabilities: %s", sorted(self.capabilities))

    def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self._forget_bus()

    def _forget_notifications(self) -> None:
        self._callbacks.clear()
        self._ids_by_tag.clear()

    def _forget_bus(self) -> None:
        bus, self._bus = self._bus, None
        self._forget_notifications()
        self.server_found = False
        if bus is not None and bus.connected:
            bus.disconnect()

    # -- sending ---------------------------------------------------------------

    def show(self, title: str, body: str, **options: Any) -> None:
        """notify() from synchronous code (Qt slots), with its options: runs it as a task."""
        coro = self.notify(title, body, **options)
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def notify(
        self,
        title: str,
        body: str,
        *,
        actions: Sequence[tuple[str, str]] = (),
        on_action: ActionCallback | None = None,
        tag: str | None = None,
        critical: bool = False,
        icon: str = "",
    ) -> int | None:
        """Show one notification; returns its id, or None when the fallback showed it.

        ``actions`` are (key, label) pairs; ``on_action(key)`` is called when
        one is pressed.  A notification with the same ``tag`` as an earlier
        one still on screen replaces it (one bubble per daemon).
        """
        try:
            if not self.server_found:
                await self.start()  # the server may have appeared since
            if self.server_found:
                sent = await self._send(title, body, actions, on_action, tag, critical, icon)
                if sent is not None:
                    return sent
        except Exception:  # never let a notification take the applet down
            log.exception("notification failed")
        try:
            self.fallback(title, body, critical)
        except Exception:
            log.exception("fallback notification failed: %s: %s", title, body)
        return None

    async def _send(
        self,
        title: str,
        body: str,
        actions: Sequence[tuple[str, str]],
        on_action: ActionCallback | None,
        tag: str | None,
        critical: bool,
        icon: str = "",
    ) -> int | None:
        replaces = self._ids_by_tag.get(tag, 0) if tag else 0
        flat = [text for pair in actions for text in pair] if self.actions_supported else []
        reply = await self._call("Notify", "susssasa{sv}i", notify_body(
            self.app_name, replaces, icon or self.app_icon, title, body, flat, critical,
            markup="body-markup" in self.capabilities))
        if reply is None:
            return None
        nid = int(reply.body[0])
        if replaces and replaces != nid:
            self._callbacks.pop(replaces, None)
        if tag:
            self._ids_by_tag[tag] = nid
        if on_action is not None and flat:
            self._callbacks[nid] = on_action
        else:
            self._callbacks.pop(nid, None)
        return nid

    # -- calls and signals -----------------------------------------------------

    async def _call(self, member: str, signature: str, body: list[object]) -> Message | None:
        """A call to the notification server; None (and logged) on any failure."""
        bus = self._bus
        if bus is None or not bus.connected:
            self.server_found = False
            return None
        msg = Message(
            destination=NAME, path=PATH, interface=IFACE, member=member,
            signature=signature, body=body,
        )  # fmt: skip
        try:
            # A server that D-Bus tries to activate but that cannot start
            # (dunst installed, no display) would hold us until the bus's own
            # timeout, 25 s or more: give up sooner and fall back.
            reply = await asyncio.wait_for(bus.call(msg), CALL_TIMEOUT)
        except TimeoutError:
            log.info("notification server: %s got no answer in %s s", member, CALL_TIMEOUT)
            self.server_found = False
            return None
        except Exception as exc:  # the bus went away under us
            log.info("lost the session bus: %s", exc)
            self._forget_bus()
            return None
        if reply is None or reply.message_type == MessageType.ERROR:
            error = reply.error_name if reply is not None else "no reply"
            log.info("notification server: %s failed: %s", member, error)
            # ServiceUnknown: no server runs and none can be activated.
            self.server_found = False
            return None
        return reply

    def _on_message(self, msg: Message) -> None:
        if msg.interface != IFACE:
            return
        try:
            if msg.member == "ActionInvoked" and len(msg.body) >= 2:
                callback = self._callbacks.get(int(msg.body[0]))
                if callback is not None:
                    callback(str(msg.body[1]))
            elif msg.member == "NotificationClosed" and msg.body:
                self._closed(int(msg.body[0]))
        except Exception:  # a bad signal or a failing callback must not break the bus
            log.exception("cannot handle %s", msg.member)

    def _closed(self, nid: int) -> None:
        self._callbacks.pop(nid, None)
        for tag, known in list(self._ids_by_tag.items()):
            if known == nid:
                del self._ids_by_tag[tag]


def notify_body(app_name: str, replaces: int, icon: str, title: str, body: str,
                actions: list[str], critical: bool, markup: bool) -> list[object]:
    """The arguments of Notify (Desktop Notifications Specification): ``actions``
    flat (key, label, ...); a server that reads markup gets the body escaped."""
    hints = {
        "desktop-entry": Variant("s", APP_ID),
        "urgency": Variant("y", CRITICAL if critical else NORMAL),
    }
    text = html.escape(body, quote=False) if markup else body
    return [app_name, replaces, icon, title, text, actions, hints, -1]


async def _open(address: str | None, on_message: Callable[[Message], None],
                on_new_owner: Callable[[], None]) -> MessageBus:
    """The session bus, with the server's signals followed through the gate."""
    bus = await open_bus(address or session_bus_address(), "the session bus")
    try:
        # Anyone on the session bus may send us an ActionInvoked: only the
        # notification server's own are heard (trust.SignalGate).
        gate = SignalGate(bus, lambda member, body: _call_bus_driver(bus, member, body))
        gate.on_signal(NAME, on_message)
        # A new server numbers its notifications from 1 again: the buttons of
        # the old one's bubbles must not answer for them.
        gate.on_owner(NAME, lambda _owner: on_new_owner())
        if await _call_bus_driver(bus, "AddMatch", [_SIGNALS_RULE]) is None:
            raise OSError("AddMatch failed")
        await gate.follow(NAME)  # none yet: it may be activated by our first call
    except BaseException:
        if bus.connected:
            bus.disconnect()
        raise
    return bus


async def _call_bus_driver(bus: MessageBus, member: str, body: list[object]) -> Message | None:
    """One call to the bus driver; None when it fails (GetNameOwner of a name nobody owns)."""
    msg = Message(
        destination="org.freedesktop.DBus", path="/org/freedesktop/DBus",
        interface="org.freedesktop.DBus", member=member, signature="s", body=body,
    )  # fmt: skip
    reply = await asyncio.wait_for(bus.call(msg), CALL_TIMEOUT)
    if reply is None or reply.message_type == MessageType.ERROR:
        log.debug("%s failed: %s", member, reply.error_name if reply else "no reply")
        return None
    return reply
