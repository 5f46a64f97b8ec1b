"""Problems and facts the views show beside the daemons, as plain data (issue 16).

One ``StatusNote`` per line: the history recorder's last failed write (or why
there is no history), a power feature that is missing and why (UPower for
battery windows, logind for the stop before sleep), and why an idle-watched
daemon was not stopped (its busy reason).  ``Services.status_notes()`` makes
them with ``notes_of``; a view renders them (qt/status_notes.py) and keeps nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from .keys import Key
from .words import translate


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


def notes_of(history_problem: str | None, features: Iterable[tuple[str, bool, str]],
             left_running: Mapping[Key, str]) -> list[StatusNote]:
    """The notes, in the order shown: the history's problem (None: none), each power
    feature as (name, available, text), and why each idle-watched daemon, keyed by
    (manager, service), was left running."""
    notes = [StatusNote(NoteKind.HISTORY, history_problem)] if history_problem else []
    notes += [StatusNote(NoteKind.POWER, text, name, problem=not available)
              for name, available, text in features]
    notes += [StatusNote(NoteKind.BUSY, reason, key[1].removesuffix(".service"), problem=False)
              for key, reason in sorted(left_running.items())]
    return notes


# -- the power features' lines, in a user's words (issue 23: "UPower says…",
# "(logind waits up to 5 s)") ----------------------------------------------------------


def battery_line(on_battery: bool | None, problem: str = "") -> str:
    """What the battery windows do now, or why they are off."""
    if problem:
        return translate("notes", "Shorter idle times on battery are off: {why}.").format(
            why=problem)
    if on_battery:
        return translate("notes", "On battery: idle daemons stop after the shorter battery "
                         "times.")
    return translate("notes", "On mains power: idle daemons stop after the times you set.")


def sleep_line(problem: str = "") -> str:
    """Whether idle daemons are stopped before the computer sleeps, or why not."""
    if problem:
        return translate("notes", "Nothing is stopped before the computer sleeps: {why}."
                         ).format(why=problem)
    return translate("notes", "Idle on-demand daemons are stopped before the computer sleeps.")
