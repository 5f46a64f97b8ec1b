"""Status notes (issue 16): what the views show beside the daemons, from Services, and the
small widget that renders them (offscreen)."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from tests.test_idle import make
from trayapp.core.model import Manager
from trayapp.core.status_notes import NoteKind, StatusNote
from trayapp.qt.status_notes import StatusNotes, note_line
from trayapp.services import Services


def test_services_gives_history_power_and_busy_notes() -> None:
    services = Services([Manager.SYSTEM])
    notes = services.status_notes()
    kinds = [(n.kind, n.subject, n.problem) for n in notes]
    # No history opened, power features not started: all three are problems, said.
    assert kinds == [(NoteKind.HISTORY, "", True), (NoteKind.POWER, "battery", True),
                     (NoteKind.POWER, "sleep", True)]
    assert "not started" in notes[1].text
    rig = make()
    rig.watcher.last_busy[(Manager.SYSTEM, "libvirtd.service")] = "1 running guest(s): vm1"
    services.idle = rig.watcher
    busy = services.status_notes()[-1]
    assert (busy.kind, busy.subject, busy.problem) == (NoteKind.BUSY, "libvirtd", False)
    assert busy.text == "1 running guest(s): vm1"
    rig.watcher.close()


def test_the_widget_shows_problems_first_and_hides_when_empty(qapp: QApplication) -> None:
    widget = StatusNotes()
    widget.show_notes([StatusNote(NoteKind.BUSY, "2 running container(s)", "podman", False),
                       StatusNote(NoteKind.HISTORY, "cannot write the activation history")])
    assert [label.text() for label in widget.labels] == [
        "History: cannot write the activation history",
        "Kept running (podman): 2 running container(s)"]
    assert not widget.isHidden()
    widget.show_notes([])
    assert widget.labels == [] and widget.isHidden()
    power = "Shorter idle times on battery are off: UPower is not available."
    assert note_line(StatusNote(NoteKind.POWER, power, "battery")) == power  # says it all


def test_the_power_lines_speak_of_the_computer_not_of_its_services() -> None:
    """Issue 23, finding 4: "UPower says the computer is on mains power.", "(logind
    waits up to 5 s)": what the features do, in a user's words, and why one is off."""
    from trayapp.core.status_notes import battery_line, sleep_line

    assert battery_line(False) == "On mains power: idle daemons stop after the times you set."
    assert battery_line(True).startswith("On battery: idle daemons stop after the shorter")
    assert battery_line(None, "UPower is not available") == \
        "Shorter idle times on battery are off: UPower is not available."
    assert sleep_line() == "Idle on-demand daemons are stopped before the computer sleeps."
    assert sleep_line("systemd-logind is not running").startswith("Nothing is stopped before")
    for line in (battery_line(False), battery_line(True), sleep_line()):
        assert "UPower" not in line and "logind" not in line
