"""Problems and facts the views show beside the daemons, as plain data (issue 16).

One ``StatusNote`` per line: the history recorder's last failed write (or why
there is no history), a power feature that is missing and why (UPower for
battery windows, logind for the stop before sleep), and why an idle-watched
daemon was not stopped (its busy reason).  ``Services.status_notes()`` makes
them; a view renders them (qt/status_notes.py) and keeps nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class NoteKind(StrEnum):
    HISTORY = "history"  # the activation history cannot be written or read
    POWER = "power"  # battery windows or the stop before sleep are off, and why
    BUSY = "busy"  # an idle-watched daemon was left running, and why


@dataclass(frozen=True)
class StatusNote:
    kind: NoteKind
    text: str
    subject: str = ""  # the daemon's name for BUSY, the feature for POWER
    problem: bool = True  # False: a fact worth showing, not a fault
