"""The adapter against unexpected D-Bus shapes and types (issue 7): nothing crashes.

No bus is needed: these feed the adapter's parsing the values a misbehaving
or future systemd could send, built as dbus-fast objects.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from dbus_fast import Message, MessageType, Variant
from hypothesis import example, given
from hypothesis import strategies as st

from trayapp.adapters.dbus import units
from trayapp.adapters.dbus.bus import unit_path
from trayapp.adapters.dbus.watcher import Watcher
from trayapp.core.model import Manager, UnitInfo
from trayapp.core.table import DaemonTable

scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=20) \
    | st.floats(allow_nan=True) | st.binary(max_size=8)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.tuples(inner, inner)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
prop_names = st.sampled_from([*units.PROPERTIES, "Id", "Other"]) | st.text(max_size=12)
props = st.dictionaries(prop_names, values.map(lambda v: Variant("s", "x") if v == "v" else v)
                        | values, max_size=8)


@given(props)
def test_fields_from_properties_never_raises_and_types_hold(p: dict[str, Any]) -> None:
    fields = units.fields_from_properties(p)
    info = UnitInfo(name="x.service", **fields)  # every field accepted by the dataclass
    assert isinstance(info.active_state, str)
    assert isinstance(info.triggers, tuple) and all(isinstance(t, str) for t in info.triggers)
    assert info.memory_bytes is None or (isinstance(info.memory_bytes, int)
                                         and info.memory_bytes >= 0)
    assert isinstance(info.accept, bool)


def test_fields_from_properties_unwraps_variants_and_drops_wrong_types() -> None:
    fields = units.fields_from_properties({
        "ActiveState": Variant("s", "active"), "Triggers": Variant("as", ["a.service"]),
        "MemoryCurrent": Variant("t", 2**64 - 1), "SubState": Variant("u", 3),
        "Listen": Variant("a(ss)", [("Stream", "/run/x.sock")]),
    })
    assert fields == {"active_state": "active", "triggers": ("a.service",),
                      "memory_bytes": None, "listen": (("Stream", "/run/x.sock"),)}
    assert units.fields_from_properties(["not", "a", "dict"]) == {}


SOCKET = UnitInfo(name="t.socket", active_state="active", unit_file_state="enabled",
                  triggers=("t.service",))
SERVICE = UnitInfo(name="t.service", active_state="inactive")


def _types_hold(unit: UnitInfo) -> bool:
    """Every field has its declared type (an int, a str, a tuple of strs...)."""
    blank = UnitInfo(name="")
    for f in dataclasses.fields(UnitInfo):
        value, default = getattr(unit, f.name), getattr(blank, f.name)
        if value is None and f.name == "memory_bytes":
            continue
        if default is None:
            default = 0
        if type(value) is not type(default):
            return False
        if isinstance(value, tuple) and not all(
                isinstance(x, str) or (isinstance(x, tuple) and all(isinstance(y, str)
                                                                    for y in x))
                for x in value):
            return False
    return True


class _NoBus:
    """Stands in for a Connection: the paths under test never call the bus."""

    manager = Manager.SYSTEM

    def owner(self, name: str = "") -> str:
        return ":1.1"


def _watcher() -> Watcher:
    table = DaemonTable()
    table.replace(Manager.SYSTEM, [SOCKET, SERVICE])
    w = Watcher(_NoBus(), table)  # type: ignore[arg-type]
    w._paths.names[unit_path("t.service")] = "t.service"
    return w


@given(st.lists(values, max_size=4), st.sampled_from(
    ["PropertiesChanged", "UnitNew", "UnitRemoved", "Reloading", "JobRemoved", "X"]))
@example(["t.socket", unit_path("t.socket")], "UnitRemoved")  # not transient: it stays
@example(["org.freedesktop.systemd1.Unit", {"ActiveState": 3, "Triggers": "t.service"}, []],
         "PropertiesChanged")
def test_watcher_survives_any_signal_body(body: list[Any], member: str) -> None:
    w = _watcher()
    iface = "org.freedesktop.DBus.Properties" if member == "PropertiesChanged" \
        else "org.freedesktop.systemd1.Manager"
    path = unit_path("t.service") if member == "PropertiesChanged" else "/org/freedesktop/systemd1"
    if member == "Reloading":
        body = body[:1] if body and isinstance(body[0], bool) else []
    msg = Message(message_type=MessageType.SIGNAL, path=path, interface=iface, member=member,
                  signature="", body=[], sender=":1.1")
    msg.body = body  # the shape the signature promised may not be what arrives

    async def deliver() -> None:
        # In a running loop, as in the applet: Reloading(false) and a new socket's
        # UnitNew ask for work (seen failing once without one, for body=[False]).
        w._on_signal(msg)  # must not raise
        w.close()

    asyncio.run(deliver())
    # Whatever came, the table holds what it held, changed only by what could be read
    # as t.service's properties, each of its type: no signal names t.socket's path,
    # and a socket that is not transient is not removed.
    assert w.table.unit(Manager.SYSTEM, "t.socket") == SOCKET
    service = w.table.unit(Manager.SYSTEM, "t.service")
    assert service is not None and _types_hold(service), service
    if member != "PropertiesChanged":
        assert service == SERVICE
    d = w.table.daemon(Manager.SYSTEM, "t.service")
    assert d is not None and d.sockets == ("t.socket",)


def test_watcher_applies_a_well_formed_change() -> None:
    w = _watcher()
    msg = Message(message_type=MessageType.SIGNAL, path=unit_path("t.service"),
                  interface="org.freedesktop.DBus.Properties", member="PropertiesChanged",
                  signature="sa{sv}as",
                  body=["org.freedesktop.systemd1.Unit",
                        {"ActiveState": Variant("s", "active")}, []], sender=":1.1")
    w._on_signal(msg)
    d = w.table.daemon(Manager.SYSTEM, "t.service")
    assert d is not None and d.state == "running"
