"""A switch's goal for unit-file enablement, and whether what holds meets it.

systemd's enable and disable calls do more than they are asked: a unit's
``[Install] Also=`` makes ``DisableUnitFiles`` disable the units it lists
too.  Debian's cups.service lists cups.socket, so disabling the service
disables the socket that an on-demand switch had just enabled; libvirtd.service
lists virtlockd.socket and virtlogd.socket, sockets of *other* daemons.

So a switch does not trust its calls: it reads the enablement of every unit
file before (``ListUnitFilesByPatterns``), states its goal (the units it
means to enable and to disable; every other unit keeps its state), reads
again after, and works out what to put back (``corrections``).  What still
differs after that is reported (``differences``), and the switch is a failure.

Pure: states are the strings systemd reports (``systemctl is-enabled``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: States in which a unit file starts its unit by itself (at boot, or when
#: its target is reached).
ENABLED = frozenset({"enabled", "enabled-runtime"})
#: States a disable can leave: anything that is not enabled.  A unit without
#: [Install] (static) or listed by another's Also= (indirect) is "not enabled"
#: as much as a disabled one.
States = Mapping[str, str]


def is_enabled(state: str | None) -> bool:
    return state in ENABLED


@dataclass(frozen=True)
class Goal:
    """What a switch means to change: everything else keeps its enablement."""

    enable: frozenset[str] = frozenset()
    disable: frozenset[str] = frozenset()

    def wants(self, name: str, before: str | None) -> bool | None:
        """Whether ``name`` must end enabled (True), not enabled (False), or as it was."""
        if name in self.enable:
            return True
        if name in self.disable:
            return False
        if before is None:
            return None  # a unit file that appeared meanwhile: not ours to judge
        return is_enabled(before)


@dataclass(frozen=True)
class Difference:
    unit: str
    before: str | None  # None: no such unit file before
    now: str | None  # None: gone
    wanted: bool  # enabled?

    def __str__(self) -> str:
        goal = "enabled" if self.wanted else "not enabled"
        return f"{self.unit} is {self.now or 'gone'} (was {self.before or 'absent'}; "\
               f"should be {goal})"


def differences(goal: Goal, before: States, now: States) -> list[Difference]:
    """Every unit whose enablement is not what the goal says, by name."""
    found = []
    for name in sorted(set(before) | set(now) | goal.enable | goal.disable):
        wanted = goal.wants(name, before.get(name))
        if wanted is None:
            continue
        state = now.get(name)
        if wanted != is_enabled(state):
            found.append(Difference(name, before.get(name), state, wanted))
    return found


def corrections(found: Iterable[Difference]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The calls that put the differences right: (units to enable, units to disable).

    A unit that is masked, or gone, cannot be enabled by a call: it stays a
    difference, and the switch reports it.
    """
    enable: list[str] = []
    disable: list[str] = []
    for d in found:
        if d.now is None or (d.now or "").startswith("masked"):
            continue
        (enable if d.wanted else disable).append(d.unit)
    return tuple(enable), tuple(disable)
