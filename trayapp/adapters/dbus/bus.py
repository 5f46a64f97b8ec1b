"""The one place that opens D-Bus connections (open_bus) and sends calls to systemd.

Everything the rest of the adapter sends goes through ``Connection.call``:
it caps the calls in flight (dbus-fast drops the connection when a burst of
a few hundred outgoing calls fills the socket and the write returns EAGAIN),
counts calls per method for the benchmark, and turns error replies into
exceptions with the D-Bus error name.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import Counter
from typing import Any

from dbus_fast import BusType, Message, MessageFlag, MessageType
from dbus_fast.aio import MessageBus

from trayapp.core.model import Manager

from .trust import DBUS, DBUS_PATH, Handler, OwnerListener, SignalGate

log = logging.getLogger(__name__)

SYSTEMD = "org.freedesktop.systemd1"
MANAGER_PATH = "/org/freedesktop/systemd1"
MANAGER_IFACE = "org.freedesktop.systemd1.Manager"
PROPS_IFACE = "org.freedesktop.DBus.Properties"

MAX_IN_FLIGHT = 32
OWNER_WAIT = 3.0  # seconds a new connection waits for a manager to join its bus

_NOT_AUTHORISED = frozenset(
    {
        "org.freedesktop.DBus.Error.AccessDenied",
        "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired",
    }
)


class BusUnavailable(Exception):
    """No connection to the bus (or to the manager on it) could be made."""


class SystemdError(Exception):
    """systemd answered a call with an error."""

    def __init__(self, name: str, text: str) -> None:
        super().__init__(text or name)
        self.name = name
        self.text = text

    @property
    def no_manager(self) -> bool:
        """Nobody owns the manager's name on this bus (no user manager, no PID 1)."""
        return self.name in _NO_MANAGER


class NotAuthorised(SystemdError):
    """polkit (or the bus policy) refused the call."""

    @property
    def needs_agent(self) -> bool:
        """polkit would have asked for a password: no agent was there to ask, or
        the call did not allow it (ALLOW_INTERACTIVE_AUTHORIZATION unset)."""
        return self.name == _NO_AGENT


_NO_AGENT = "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired"
_NO_MANAGER = frozenset(
    {"org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner"}
)


def unit_path(name: str) -> str:
    """The object path systemd gives a unit (bus_label_escape in systemd).

    Every byte outside [A-Za-z0-9], and a leading digit, becomes ``_xx``.
    A call on this path makes systemd load the unit if it is not loaded.
    """
    out = []
    for i, byte in enumerate(name.encode()):
        ch = chr(byte)
        if ch.isascii() and (ch.isalpha() or (ch.isdigit() and i > 0)):
            out.append(ch)
        else:
            out.append(f"_{byte:02x}")
    return f"{MANAGER_PATH}/unit/{''.join(out)}"


def session_bus_address() -> str:
    """The user's session bus (where the user manager and notifications live).

    Like dbus-fast's own guess, but without its X11 autolaunch: a tray
    applet started by systemd --user or a login manager always has one of
    these.
    """
    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    if address:
        return address
    runtime = os.environ.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}"
    return f"unix:path={runtime}/bus"


async def open_bus(address: str | None, where: str, *, fds: bool = False) -> MessageBus:
    """The one way a D-Bus connection is opened: to the system bus (``address``
    None) or to the bus at ``address``.  Descriptor passing is negotiated only
    with ``fds`` (logind's sleep lock): on any other connection the bus never
    hands us a descriptor, whoever sends it.  BusUnavailable names ``where``."""
    try:
        # dbus-fast 2.44 (Debian 13) opens the socket in MessageBus() already,
        # 4.0 and later in connect(): both fail here, as one clear error.
        bus = (MessageBus(bus_type=BusType.SYSTEM, negotiate_unix_fd=fds) if address is None
               else MessageBus(bus_address=address, negotiate_unix_fd=fds))
        await bus.connect()
    except Exception as exc:  # OSError, EOFError, ValueError, dbus-fast's AuthError...
        raise BusUnavailable(f"cannot connect to {where}: {exc}") from exc
    return bus


class Connection:
    """A connection to one systemd manager (system or the caller's user one).

    Signals reach handlers only through ``on_signal`` (trust.SignalGate): from
    the current owner of org.freedesktop.systemd1, learnt when connecting.
    """

    def __init__(self, bus: MessageBus, manager: Manager) -> None:
        self.bus = bus
        self.manager = manager
        self.calls: Counter[str] = Counter()
        self.systemd_calls = 0  # of ``calls``, those sent to PID 1 (not the bus driver)
        self._slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        self.gate = SignalGate(bus, self._driver_call)

    @classmethod
    async def open(cls, manager: Manager, follow: bool = True) -> Connection:
        """Connect; with ``follow``, learn who owns org.freedesktop.systemd1 (for signals)."""
        if manager is Manager.SYSTEM:
            address = None
            where = "the system bus"
        else:
            address = session_bus_address()
            where = f"your session bus ({address}), where your user manager lives"
        bus = await open_bus(address, where)
        conn = cls(bus, manager)
        if follow:
            try:
                if await conn.gate.follow(SYSTEMD) is None and \
                        await conn._owner_within(OWNER_WAIT) is None:
                    raise SystemdError("org.freedesktop.DBus.Error.NameHasNoOwner",
                                       f"no {manager} manager owns {SYSTEMD}")
            except BaseException:
                conn.close()
                raise
        return conn

    async def _owner_within(self, seconds: float) -> str | None:
        # A session bus that our connection just started (socket activation)
        # has no user manager on it for a few milliseconds: systemd --user
        # joins once dbus.service is up.  Wait that long, not for ever.
        joined: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        def owner(new: str | None) -> None:
            if new and not joined.done():
                joined.set_result(new)

        self.on_owner(SYSTEMD, owner)
        try:
            return await asyncio.wait_for(joined, seconds)
        except TimeoutError:
            return None

    @property
    def connected(self) -> bool:
        return bool(self.bus.connected)

    async def wait_closed(self) -> None:
        """Return when the connection ends, for whatever reason.

        dbus-fast's wait_for_disconnect() raises the error that ended the
        connection (EOFError when the bus daemon went away); here that is
        just the end.
        """
        # dbus-fast hands every caller the same future: shield it, or
        # cancelling one waiter (a finished job wait) would cancel it for all,
        # and every later wait would report a disconnect that never happened.
        try:
            await asyncio.shield(self.bus.wait_for_disconnect())  # type: ignore[no-untyped-call]
        except Exception as exc:
            log.info("the %s bus connection ended: %r", self.manager, exc)

    def close(self) -> None:
        if self.bus.connected:
            self.bus.disconnect()

    async def call(
        self,
        member: str,
        signature: str = "",
        body: list[Any] | None = None,
        *,
        path: str = MANAGER_PATH,
        interface: str = MANAGER_IFACE,
        destination: str = SYSTEMD,
        interactive: bool = False,
    ) -> Message:
        """Send one method call and return the reply message.

        ``interactive`` sets ALLOW_INTERACTIVE_AUTHORIZATION, so polkit may
        ask the user's agent for a password.  Only mutating calls set it:
        a read that carried it could pop up a password dialog.
        """
        msg = Message(
            destination=destination,
            path=path,
            interface=interface,
            member=member,
            signature=signature,
            body=body or [],
            flags=MessageFlag.ALLOW_INTERACTIVE_AUTHORIZATION if interactive else MessageFlag.NONE,
        )
        async with self._slots:
            self.calls[member] += 1
            self.systemd_calls += destination == SYSTEMD
            try:
                reply = await self.bus.call(msg)
            except (EOFError, OSError) as exc:
                lost = f"lost the connection to the {self.manager} bus: {exc}"
                raise BusUnavailable(lost) from exc
        if reply is None:
            raise BusUnavailable(f"no reply to {member} from the {self.manager} manager")
        if reply.message_type == MessageType.ERROR:
            name = reply.error_name or "unknown error"
            text = reply.body[0] if reply.body and isinstance(reply.body[0], str) else ""
            cls = NotAuthorised if name in _NOT_AUTHORISED else SystemdError
            raise cls(name, text)
        return reply

    async def add_match(self, rule: str) -> None:
        await self.call("AddMatch", "s", [rule], path=DBUS_PATH, interface=DBUS, destination=DBUS)

    async def remove_match(self, rule: str) -> None:
        await self.call("RemoveMatch", "s", [rule], path=DBUS_PATH, interface=DBUS,
                        destination=DBUS)

    async def _driver_call(self, member: str, body: list[Any]) -> Message | None:
        try:
            return await self.call(member, "s", body, path=DBUS_PATH, interface=DBUS,
                                   destination=DBUS)
        except SystemdError:  # NameHasNoOwner: GetNameOwner of a name nobody owns
            return None

    def on_signal(self, name: str, handler: Handler) -> None:
        """``handler(msg)`` for each signal whose sender owns ``name`` now (the only way in)."""
        self.gate.on_signal(name, handler)

    def on_owner(self, name: str, listener: OwnerListener) -> None:
        self.gate.on_owner(name, listener)

    def owner(self, name: str = SYSTEMD) -> str | None:
        return self.gate.owner(name)
