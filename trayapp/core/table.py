"""The live table of daemons: units in, named changes out.

The systemd adapter feeds it unit properties (a full snapshot per manager,
then partial updates from signals); the table regroups the affected daemons,
reclassifies them, and tells its listeners about every daemon whose visible
state changed.  systemd repeats identical PropertiesChanged values often, so
a change is only reported when what a user sees differs (debouncing).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .keys import Key
from .model import Daemon, Manager, UnitInfo, classify, service_of


@dataclass(frozen=True)
class Change:
    """One daemon appeared, disappeared or changed, learnt at ``at`` (Unix time)."""

    old: Daemon | None
    new: Daemon | None
    at: float

    @property
    def daemon(self) -> Daemon:
        found = self.new or self.old
        assert found is not None
        return found


Listener = Callable[[list[Change]], None]
_FIELDS = frozenset(f.name for f in dataclasses.fields(UnitInfo)) - {"name"}


class DaemonTable:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._units: dict[Manager, dict[str, UnitInfo]] = {m: {} for m in Manager}
        # service -> the names of the socket units that trigger it, kept with
        # _units, so a signal regroups one daemon without scanning every unit.
        self._sockets: dict[Manager, dict[str, set[str]]] = {m: {} for m in Manager}
        # Services without a socket unit that count as daemons all the same: the
        # ones the user added, and those behind trayapp's proxy (issue 23).
        self._followed: dict[Manager, frozenset[str]] = {m: frozenset() for m in Manager}
        self._daemons: dict[Key, Daemon] = {}
        self._listeners: list[Listener] = []

    # -- reading -------------------------------------------------------------

    def daemons(self, manager: Manager | None = None) -> list[Daemon]:
        found = [d for d in self._daemons.values() if manager in (None, d.manager)]
        return sorted(found, key=lambda d: (d.manager != Manager.SYSTEM, d.service))

    def daemon(self, manager: Manager, service: str) -> Daemon | None:
        return self._daemons.get((manager, service))

    def unit(self, manager: Manager, name: str) -> UnitInfo | None:
        return self._units[manager].get(name)

    def unit_names(self, manager: Manager) -> set[str]:
        """Every unit the table follows: the sockets, the services they trigger, and
        the followed services it has read."""
        units = self._units[manager]
        names = {n for n in units if n.endswith(".socket")}
        names |= {service_of(units[n]) for n in list(names)}
        return names | (self._followed[manager] & units.keys())

    def followed(self, manager: Manager) -> frozenset[str]:
        """The services shown as daemons though no socket unit triggers them."""
        return self._followed[manager]

    def socket_names(self, manager: Manager) -> list[str]:
        return sorted(n for n in self._units[manager] if n.endswith(".socket"))

    # -- listening -----------------------------------------------------------

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with each batch of changes; returns the unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    # -- feeding -------------------------------------------------------------

    def replace(self, manager: Manager, units: Iterable[UnitInfo]) -> list[Change]:
        """A fresh snapshot of everything ``manager`` has (start-up, after reload)."""
        self._units[manager] = {u.name: u for u in units}
        self._sockets[manager] = {}
        for unit in self._units[manager].values():
            self._index(manager, unit, add=True)
        keys = {k for k in self._daemons if k[0] == manager}
        keys |= {(manager, service) for service in self._sockets[manager]}
        keys |= {(manager, service) for service in self._followed[manager]}
        return self._regroup(manager, keys)

    def follow(self, manager: Manager, services: Iterable[str]) -> list[Change]:
        """Show ``services`` as daemons even without a socket unit, once read (a name
        systemd does not know stays out: the views say it is not found)."""
        old = self._followed[manager]
        self._followed[manager] = frozenset(
            s for s in services if s.endswith(".service") and not s.endswith("@.service"))
        return self._regroup(manager, {(manager, s) for s in old ^ self._followed[manager]})

    def put(self, manager: Manager, unit: UnitInfo) -> list[Change]:
        """Add or replace one unit with all its properties."""
        affected = self._keys_of(manager, unit.name)
        old = self._units[manager].get(unit.name)
        if old is not None:
            self._index(manager, old, add=False)
        self._units[manager][unit.name] = unit
        self._index(manager, unit, add=True)
        return self._regroup(manager, affected | self._keys_of(manager, unit.name))

    def update(self, manager: Manager, name: str, changed: dict[str, Any]) -> list[Change]:
        """Apply some properties of one unit (a PropertiesChanged signal)."""
        unit = self._units[manager].get(name)
        if unit is None:
            return []
        fields = {k: v for k, v in changed.items() if k in _FIELDS}
        if not fields:
            return []
        new = dataclasses.replace(unit, **fields)
        if new == unit:
            return []
        return self.put(manager, new)

    def remove(self, manager: Manager, name: str) -> list[Change]:
        affected = self._keys_of(manager, name)
        unit = self._units[manager].pop(name, None)
        if unit is None:
            return []
        self._index(manager, unit, add=False)
        return self._regroup(manager, affected)

    # -- internals -----------------------------------------------------------

    def _keys_of(self, manager: Manager, name: str) -> set[Key]:
        unit = self._units[manager].get(name)
        if unit is None:
            return {(manager, name)} if name.endswith(".service") else set()
        if unit.is_socket:
            return {(manager, service_of(unit))}
        return {(manager, name)}

    def _index(self, manager: Manager, unit: UnitInfo, *, add: bool) -> None:
        # A socket systemd only knows by reference (no unit file) is no daemon.
        if not unit.is_socket or unit.load_state == "not-found":
            return
        index = self._sockets[manager]
        service = service_of(unit)
        if add:
            index.setdefault(service, set()).add(unit.name)
        elif service in index:
            index[service].discard(unit.name)
            if not index[service]:
                del index[service]

    def _sockets_of(self, manager: Manager, services: set[str]) -> dict[str, list[UnitInfo]]:
        units, index = self._units[manager], self._sockets[manager]
        return {s: [units[n] for n in index[s]] for s in services if s in index}

    def _regroup(self, manager: Manager, keys: set[Key]) -> list[Change]:
        """Reclassify the daemons in ``keys`` and report those that changed."""
        units = self._units[manager]
        sockets_by_service = self._sockets_of(manager, {k[1] for k in keys})
        now = self._clock()
        changes: list[Change] = []
        for key in sorted(keys, key=lambda k: k[1]):
            service = key[1]
            old = self._daemons.get(key)
            sockets = sockets_by_service.get(service, [])
            unit = units.get(service)
            # A followed service is a daemon once read, unless systemd has no such unit.
            if not sockets and not (service in self._followed[manager] and unit is not None
                                    and unit.load_state not in ("", "not-found")):
                if old is not None:
                    del self._daemons[key]
                    changes.append(Change(old, None, now))
                continue
            new = classify(manager, unit or UnitInfo(name=service), sockets)
            if old is not None and old.state is new.state and old.since_usec:
                # "since" is when the state a user sees last changed: a socket
                # going from listening to running under a running service is
                # not a change of the daemon's state.
                new = dataclasses.replace(new, since_usec=old.since_usec)
            self._daemons[key] = new
            if not new.same_as(old):
                changes.append(Change(old, new, now))
        if changes:
            for listener in list(self._listeners):
                listener(changes)
        return changes
