"""A small list of the status notes (core/status_notes.py) for any window to embed.

Shows each note as one wrapped line, problems first and marked as such; it
keeps nothing of its own: ``show_notes(services.status_notes())`` whenever
the window refreshes.  Empty, it hides itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from trayapp.core.status_notes import NoteKind, StatusNote

_SUBJECTS = {NoteKind.HISTORY: "History", NoteKind.POWER: "Power", NoteKind.BUSY: "Kept running"}


def note_line(note: StatusNote) -> str:
    """``Power (battery): UPower is not available ...``: one note as a line of text."""
    what = _SUBJECTS[note.kind]
    if note.subject:
        what = f"{what} ({note.subject})"
    return f"{what}: {note.text}"


class StatusNotes(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusNotes")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.labels: list[QLabel] = []
        self.setVisible(False)

    def show_notes(self, notes: Sequence[StatusNote]) -> None:
        for label in self.labels:
            self._layout.removeWidget(label)
            label.deleteLater()
        self.labels = []
        for note in sorted(notes, key=lambda n: not n.problem):  # problems first
            label = QLabel(note_line(note), self)
            label.setWordWrap(True)
            label.setProperty("problem", note.problem)
            if note.problem:
                label.setStyleSheet("font-weight: bold")
            self._layout.addWidget(label)
            self.labels.append(label)
        self.setVisible(bool(self.labels))
