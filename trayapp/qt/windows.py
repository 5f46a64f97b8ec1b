"""The tray's secondary windows: one of each kind open at a time, and a message box.

Windows are made on first use (each costs about 1 MiB) and dropped when
closed (WA_DeleteOnClose); asking again for an open one raises it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from . import geometry


def fit_to_screen(window: QWidget, share: float = 0.85) -> None:
    """Open at the size the layout asks for, but never larger than ``share`` of the screen
    (at 2x on a laptop a tall dialog would run off it; its lists scroll instead)."""
    hint = window.sizeHint().expandedTo(window.minimumSizeHint())
    screen = window.screen()
    if screen is not None:
        room = screen.availableGeometry().size() * share
        hint = hint.boundedTo(room).expandedTo(window.minimumSizeHint())
    window.resize(hint)


def place_once(window: QWidget, name: str,
               fit: Callable[[QWidget], None] = fit_to_screen) -> None:
    """On the window's first show: where the user left it (qt/geometry.py, under
    ``name``), else as ``fit`` sizes it.  Later shows leave it where it is."""
    if window.property("trayapp-placed"):
        return
    window.setProperty("trayapp-placed", True)
    if not geometry.restore(window, name):
        fit(window)


def present(window: QWidget) -> None:
    window.show()
    window.raise_()
    window.activateWindow()


class OpenWindows:
    def __init__(self) -> None:
        self._open: dict[Hashable, QWidget] = {}

    def get(self, key: Hashable) -> QWidget | None:
        return self._open.get(key)

    def show(self, key: Hashable, make: Callable[[], QWidget]) -> QWidget:
        """Raise the window open for ``key``, or make one, show it and keep it until closed."""
        window = self._open.get(key)
        if window is None:
            window = self._open[key] = make()
            window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            window.destroyed.connect(lambda _=None: self._open.pop(key, None))
        present(window)
        return window

    def forget(self, key: Hashable) -> None:
        self._open.pop(key, None)

    def __len__(self) -> int:
        return len(self._open)


def message_box(title: str, body: str, critical: bool = False) -> None:
    """A non-modal box: exec() would nest a Qt loop inside the asyncio one."""
    box = QMessageBox(
        QMessageBox.Icon.Warning if critical else QMessageBox.Icon.Information,
        title, body, QMessageBox.StandardButton.Ok,
    )  # fmt: skip
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setModal(False)
    box.show()
