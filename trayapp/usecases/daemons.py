"""A daemon's units read fresh from systemd, for the planners and their read-back.

``load_daemon`` gives what a plan is made from (the service, its sockets,
the path units that also start it, trayapp's own proxy in front of it);
``read_back`` and ``describe`` what holds after a change, in the words of
an Outcome's ``units`` and its "Now: ..." sentence.  Both the action use
case and the proxy's read here, so neither imports the other.
"""

from __future__ import annotations

from trayapp.adapters.dbus.bus import BusUnavailable, Connection, SystemdError
from trayapp.adapters.dbus.units import loaded, read_unit
from trayapp.core import outcome_words as words
from trayapp.core.model import Daemon, UnitInfo, classify, service_of
from trayapp.core.plans import Refusal
from trayapp.core.proxy import proxied_service, socket_name


async def load_daemon(conn: Connection, name: str
                      ) -> tuple[Daemon, UnitInfo, list[UnitInfo], list[UnitInfo]]:
    """The daemon a user means by ``name`` (service or socket), read fresh: with
    its sockets and the path units that also start it (cups.path)."""
    first, _ = await read_unit(conn, name)
    if first.load_state == "not-found":
        raise Refusal(words.no_unit(name, str(conn.manager)))
    service = first
    if first.is_socket:
        service, _ = await read_unit(conn, service_of(first))
    names = set(service.triggered_by) | ({first.name} if first.is_socket else set())
    # A stopped, disabled path unit is unloaded and so missing from TriggeredBy:
    # look for the one of the service's own name too (cups.path for cups.service).
    names.add(service.name.removesuffix(".service") + ".path")
    sockets: list[UnitInfo] = []
    paths: list[UnitInfo] = []
    for trigger in sorted(names):
        if trigger.endswith((".socket", ".path")):
            unit = (await read_unit(conn, trigger))[0]
            if unit.is_socket:
                sockets.append(unit)
            elif unit.load_state == "loaded" and service.name in unit.triggers:
                paths.append(unit)
    # trayapp's own proxy in front of it (core/proxy.py): it triggers the proxy's
    # service, not this one, so TriggeredBy does not name it.
    proxy = socket_name(service.name)
    if proxied_service(service.name) is None and proxy not in names:
        front = await loaded(conn, proxy)
        if front is not None:
            sockets.append(front)
    return classify(conn.manager, service, sockets), service, sockets, paths


def describe(units: dict[str, dict[str, str]]) -> str:
    return "; ".join(
        f"{name}: {u.get('UnitFileState') or '?'}, {u.get('ActiveState') or '?'}"
        for name, u in sorted(units.items())
    )


async def read_back(conn: Connection, names: list[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for name in names:
        try:
            info, _ = await read_unit(conn, name)
        except (SystemdError, BusUnavailable) as exc:
            out[name] = {"error": str(exc)}
            continue
        out[name] = {
            "UnitFileState": info.unit_file_state,
            "ActiveState": info.active_state,
            "SubState": info.sub_state,
        }
    return out
