"""The one door signals come in by: only from the current owner of the name they speak for.

On a bus anyone may send a signal, and a signal with a destination (unicast)
is delivered whatever the receiver's match rules say.  So a handler never
sees raw messages: it is registered with ``SignalGate.on_signal(name,
handler)`` and is handed a signal only when its sender is the unique name
that owns ``name`` now (``org.freedesktop.DBus``, the bus driver, for its own
signals).  The owner is learnt with ``GetNameOwner`` (``follow``) and then
followed only through the bus driver's ``NameOwnerChanged``, whose sender
the bus daemon sets and nobody can forge.  Every other signal is dropped,
counted, and logged at debug level at most a few times a second.  The file
descriptors any message but a reply carries are closed, taken or dropped.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Awaitable, Callable

from dbus_fast import Message, MessageType
from dbus_fast.aio import MessageBus

log = logging.getLogger(__name__)

DBUS = "org.freedesktop.DBus"
DBUS_PATH = "/org/freedesktop/DBus"

Handler = Callable[[Message], None]
#: on_owner(new_owner or None): the name changed hands.
OwnerListener = Callable[[str | None], None]
#: sends one call to the bus driver and returns its reply (None: no reply).
DriverCall = Callable[[str, list[object]], Awaitable[Message | None]]


def owner_rule(name: str) -> str:
    return (f"type='signal',sender='{DBUS}',path='{DBUS_PATH}',interface='{DBUS}',"
            f"member='NameOwnerChanged',arg0='{name}'")


def close_fds(msg: Message) -> None:
    """Close the file descriptors ``msg`` carried (once: the list is emptied)."""
    fds, msg.unix_fds = list(msg.unix_fds or []), []
    for fd in fds:
        if isinstance(fd, int):
            with contextlib.suppress(OSError):
                os.close(fd)


class DropLog:
    """Counts dropped messages; logs at most ``per_second`` of them, then a summary."""

    def __init__(self, per_second: int = 5, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_second = per_second
        self.clock = clock
        self.dropped = 0
        self._window = 0.0
        self._logged = 0
        self._silenced = 0

    def drop(self, msg: Message, why: str) -> None:
        self.dropped += 1
        now = self.clock()
        if now - self._window >= 1.0:
            if self._silenced:
                log.debug("... and %d more signals dropped", self._silenced)
            self._window, self._logged, self._silenced = now, 0, 0
        if self._logged < self.per_second:
            self._logged += 1
            log.debug("dropped %s.%s on %s from %s: %s",
                      msg.interface, msg.member, msg.path, msg.sender, why)
        else:
            self._silenced += 1


class SignalGate:
    """Hands each signal only to the handlers of the name whose owner sent it."""

    def __init__(self, bus: MessageBus, driver: DriverCall) -> None:
        self._driver = driver
        self._owners: dict[str, str | None] = {DBUS: DBUS}
        self._changes: dict[str, int] = {}  # NameOwnerChanged seen per name
        self._handlers: list[tuple[str, Handler]] = []
        self._owner_listeners: list[tuple[str, OwnerListener]] = []
        self.drops = DropLog()
        bus.add_message_handler(self._on_message)

    def owner(self, name: str) -> str | None:
        return self._owners.get(name)

    async def follow(self, name: str) -> str | None:
        """Learn ``name``'s owner now (None: it has none) and follow it from then on.

        The NameOwnerChanged rule comes first, so no change between the two is missed.
        """
        if name in self._owners:
            return self._owners[name]
        self._owners[name] = None
        await self._driver("AddMatch", [owner_rule(name)])
        seen = self._changes.get(name, 0)
        reply = await self._driver("GetNameOwner", [name])
        # A NameOwnerChanged handled while the reply was on its way is at least
        # as new as the reply (dbus-fast hands replies over a loop turn later).
        if (reply is not None and reply.message_type == MessageType.METHOD_RETURN
                and self._changes.get(name, 0) == seen):
            owner = reply.body[0] if reply.body and isinstance(reply.body[0], str) else None
            self._owners[name] = owner
        return self._owners[name]

    def on_signal(self, name: str, handler: Handler) -> None:
        """``handler(msg)`` for every signal sent by the current owner of ``name``."""
        self._handlers.append((name, handler))

    def on_owner(self, name: str, listener: OwnerListener) -> None:
        """``listener(new_owner)`` whenever the bus driver says ``name`` changed hands."""
        self._owner_listeners.append((name, listener))

    def _on_message(self, msg: Message) -> None:
        try:
            if msg.message_type == MessageType.SIGNAL:
                self._on_signal(msg)
        finally:
            # Descriptors ride along on a connection that negotiated fd passing
            # (the sleep lock's), from any sender, and dbus-fast closes none of
            # them.  Only a reply to our own call carries one we asked for (the
            # bus daemon lets through no reply nobody waits for); every other
            # message's are closed here, handed on or not.
            if msg.unix_fds and msg.message_type != MessageType.METHOD_RETURN:
                close_fds(msg)

    def _on_signal(self, msg: Message) -> None:
        if msg.member == "NameOwnerChanged" and msg.interface == DBUS:
            if msg.sender != DBUS:
                self.drops.drop(msg, "NameOwnerChanged not from the bus driver")
                return
            self._owner_changed(msg)
        taken = False
        for name, handler in self._handlers:
            if self._owners.get(name) is not None and msg.sender == self._owners[name]:
                taken = True
                try:
                    handler(msg)
                except Exception:  # one handler's failure must not reach the bus
                    log.exception("cannot handle %s %s", msg.member, msg.path)
        if not taken and msg.sender != DBUS:
            self.drops.drop(msg, "not from the owner of a name we follow")

    def _owner_changed(self, msg: Message) -> None:
        body = msg.body
        if len(body) != 3 or not all(isinstance(x, str) for x in body):
            return
        name, _old, new = body
        if name not in self._owners or name == DBUS:
            return
        self._changes[name] = self._changes.get(name, 0) + 1
        if self._owners.get(name) != (new or None):
            self._owners[name] = new or None
            log.info("%s has a new owner: %s", name, new or "(none)")
            for followed, listener in list(self._owner_listeners):
                if followed == name:
                    try:
                        listener(new or None)
                    except Exception:
                        log.exception("owner listener of %s failed", name)
