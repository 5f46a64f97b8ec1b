"""Holding a switch's enablement goal, reading only the unit files it may touch.

Reading every unit file's state costs PID 1 about 0.4 s on a Debian system
with a few hundred unit files (it works out each one's symlinks), so a
switch reads only the units it names (the daemon's service, sockets and path
units), by exact pattern, before its first call.  Whatever else systemd's
enable and disable calls change (an ``[Install] Also=`` of another daemon's
socket, an ``Alias=``), their replies say: ``a(sss)`` of (type, link, target).
A link removed from a ``.wants``/``.requires`` directory means its unit was
enabled before; another removed link is an alias; a created link means the
unit was not enabled.  Those units join the ones followed, with that state
as their "before", and are read again with the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from trayapp.core.enablement import Difference, Goal, corrections, differences
from trayapp.core.plans import Step, Verb

from .bus import Connection
from .units import unit_file_states

log = logging.getLogger(__name__)

Change = tuple[str, str, str]
RunStep = Callable[[Step], Awaitable[list[Change]]]
_DEPENDENCY_DIRS = (".wants", ".requires", ".upholds")
ROUNDS = 3  # each correction may follow an Also= of its own: read, correct, read again


def changes_of(body: list[Any]) -> list[Change]:
    """The changes in an Enable/DisableUnitFiles reply (EnableUnitFiles puts a
    boolean first); anything of another shape is left out."""
    found: list[Change] = []
    for item in body[-1] if body and isinstance(body[-1], list) else []:
        if (isinstance(item, (list, tuple)) and len(item) == 3
                and all(isinstance(x, str) for x in item)):
            found.append((item[0], item[1], item[2]))
    return found


def implied_before(changes: Iterable[Change]) -> dict[str, str]:
    """unit -> the state it had before the call, as its changed links tell."""
    found: dict[str, str] = {}
    for kind, link, _target in changes:
        directory, _, name = link.rpartition("/")
        if not name or name in found:
            continue
        if kind == "unlink":
            found[name] = "enabled" if directory.endswith(_DEPENDENCY_DIRS) else "alias"
        elif kind == "symlink":
            found[name] = "disabled"
    return found


def _pattern(name: str) -> str:
    # An exact name as a pattern: systemd matches with fnmatch.
    return "".join(f"[{c}]" if c in "*?[]" else c for c in name)


class Keeper:
    """The units a switch may touch, with their state before it, followed through its calls."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.before: dict[str, str] = {}

    async def read_before(self, names: Iterable[str]) -> None:
        wanted = sorted(set(names))
        found = await unit_file_states(self.conn, [_pattern(n) for n in wanted])
        self.before = {n: found[n] for n in wanted if n in found}

    def saw(self, changes: Iterable[Change]) -> None:
        """A call's reply: units not followed yet join, with their implied state."""
        for unit, state in implied_before(changes).items():
            self.before.setdefault(unit, state)

    async def now(self) -> dict[str, str]:
        return await unit_file_states(self.conn, [_pattern(n) for n in sorted(self.before)])

    async def hold(self, goal: Goal, step: RunStep,
                   repaired: list[Difference]) -> list[Difference]:
        """Put back what differs from ``goal`` (any other unit: as before); returns
        what still differs."""
        for _ in range(ROUNDS):
            found = differences(goal, self.before, await self.now())
            enable, disable = corrections(found)
            if not enable and not disable:
                return found
            log.info("putting back what the calls changed beyond the goal: %s",
                     "; ".join(str(d) for d in found))
            repaired += [d for d in found if d.unit in enable or d.unit in disable]
            if disable:
                self.saw(await step(Step(Verb.DISABLE, disable)))
            if enable:
                self.saw(await step(Step(Verb.ENABLE, enable)))
            await step(Step(Verb.RELOAD))
        return differences(goal, self.before, await self.now())

    async def lost_aliases(self) -> list[str]:
        """Aliases (an ``Alias=``, such as a D-Bus activation name) gone with their unit."""
        aliases = [n for n, s in self.before.items() if s == "alias"]
        if not aliases:
            return []
        now = await unit_file_states(self.conn, [_pattern(n) for n in aliases])
        return sorted(n for n in aliases if n not in now)
