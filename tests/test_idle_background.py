"""``trayapp --background``: the start at login, when a copy already runs (issue 16).

The running copy is a real InstanceServer on its private socket (in a 0700
XDG_RUNTIME_DIR of the test's); the second copy is ``trayapp.entry.main``
itself.  It must exit 0 at once, and the running one must show nothing (no
menu, no window), whereas a plain second start still asks it to show itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from trayapp import entry
from trayapp.qt.single import InstanceServer, hand_off, server_name


def test_a_second_copy_at_login_exits_quietly(qapp: QApplication, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    name = server_name()
    assert name is not None and name.startswith(str(runtime))
    asked: list[str] = []
    first = InstanceServer(name, asked.append)
    assert first.listen()
    try:
        # Would start a whole tray (and never return in a test) if it did not see
        # the running copy.
        assert entry.main(["--background"]) == 0
        assert asked == []  # nothing shown by the running copy
        assert hand_off(name, "show") is True  # a start by hand still shows the menu
        assert asked == ["show"]
    finally:
        first.close()
