"""One applet per session: a second start hands over to the first."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication

from trayapp.qt.single import InstanceServer, hand_off


def test_second_instance_hands_over(qapp: QApplication, tmp_path: Path) -> None:
    name = str(tmp_path / "instance")
    assert hand_off(name, "show", timeout_ms=200) is False  # nobody there yet
    got: list[str] = []
    first = InstanceServer(name, got.append)
    assert first.listen()
    # hand_off() runs a local event loop, which also lets the first instance,
    # in this same thread, accept and answer.
    assert hand_off(name, "window") is True
    assert got == ["window"]
    assert hand_off(name, "show") is True
    assert got == ["window", "show"]
    first.close()
    assert hand_off(name, "show", timeout_ms=200) is False


def test_stale_socket_does_not_block_start(qapp: QApplication, tmp_path: Path) -> None:
    name = tmp_path / "instance"
    # What a crashed instance leaves behind: a socket file nobody listens on.
    import socket

    dead = socket.socket(socket.AF_UNIX)
    dead.bind(str(name))
    dead.close()
    assert name.exists()
    assert hand_off(str(name), "show", timeout_ms=200) is False
    again = InstanceServer(str(name), print)
    assert again.listen()
    assert hand_off(str(name), "show") is True
    again.close()
