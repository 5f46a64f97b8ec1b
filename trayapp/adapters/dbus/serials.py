"""Which message set each field last, so a stale reply never overwrites a newer signal.

systemd's replies and signals are ordered by their sender serials, but
dbus-fast hands a reply over a loop iteration later than a signal that came
after it.  Serials are per sender, so they are compared only within the
current owner of org.freedesktop.systemd1.
"""

from __future__ import annotations

from typing import Any

from .units import Stamp


class SerialClock:
    """Per (unit, field), the serial of the message that last set it, within one owner.

    Serials are per sender: only messages from ``owner`` are compared (and
    applied), and a new owner starts from nothing.
    """

    def __init__(self, owner: str | None = None) -> None:
        self.owner = owner
        self._seen: dict[tuple[str, str], int] = {}

    def reset(self, owner: str | None) -> None:
        self.owner = owner
        self._seen.clear()

    def forget(self, keep: set[str]) -> None:
        self._seen = {k: v for k, v in self._seen.items() if k[0] in keep}

    def fresh(self, unit: str, fields: dict[str, Any], stamp: Stamp) -> dict[str, Any]:
        """The fields that are newer than what was applied before; records them."""
        if stamp.sender != self.owner:
            return {}
        out = {}
        for name, value in fields.items():
            if self._seen.get((unit, name), -1) <= stamp.serial:
                self._seen[(unit, name)] = stamp.serial
                out[name] = value
        return out
