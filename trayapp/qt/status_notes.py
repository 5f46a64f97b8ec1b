"""A small list of the status notes (core/status_notes.py) for any window to embed.

Shows each note as one wrapped line, problems first and marked as such; it
keeps nothing of its own: ``show_notes(services.status_notes())`` whenever
the window refreshes.  Empty, it hides itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from trayapp.core.status_notes import NoteKind, StatusNote

translate = QCoreApplication.translate


def note_line(note: StatusNote) -> str:
    """``History: cannot write …``, ``Kept running (podman): …``: one note as a line of
    text, translated; a power line says what it is about by itself."""
    if note.kind is NoteKind.POWER:
        return note.text
    if note.kind is NoteKind.BUSY:
        return translate("StatusNotes", "Kept running ({name}): {why}").format(
            name=note.subject, why=note.text)
    return translate("StatusNotes", "History: {problem}").format(problem=note.text)


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
