"""The result of an action, as both front ends report it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from .model import Manager
from .plans import Action


class Status(IntEnum):
    """Also the CLI's exit status."""

    DONE = 0
    FAILED = 1  # failed half way and rolled back (the message says what holds)
    BAD_INPUT = 2  # refused before any change: bad name, masked, no socket...
    NOT_AUTHORISED = 3  # polkit said no, or no agent could ask: nothing changed


@dataclass(frozen=True)
class Outcome:
    action: Action
    manager: Manager
    service: str
    status: Status
    message: str  # one or more sentences a user can act on
    # What systemd reports after the action (or after the rollback):
    # unit -> {"ActiveState": ..., "UnitFileState": ...}
    units: dict[str, dict[str, str]] = field(default_factory=dict)
    steps_done: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    # Who asked: the user (a click, a command) or the idle watcher.
    asked_by_idle: bool = False

    @property
    def ok(self) -> bool:
        return self.status is Status.DONE

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": str(self.action),
            "manager": str(self.manager),
            "service": self.service,
            "ok": self.ok,
            "status": self.status.name.lower().replace("_", "-"),
            "exit_code": int(self.status),
            "message": self.message,
            "units": self.units,
            "steps_done": list(self.steps_done),
            "warnings": list(self.warnings),
        }
