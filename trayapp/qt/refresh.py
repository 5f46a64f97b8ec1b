"""One repaint per burst of model changes, and no timer when nothing changes.

systemd sends PropertiesChanged in bursts (a start touches ActiveState,
SubState, Job and timestamps of the service and its sockets), and each can
become a table change.  ``mark()`` only notes that something is dirty and
schedules one zero-delay single shot; everything that arrived before it
fires is rendered by that one refresh.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer


class Coalescer:
    def __init__(self, refresh: Callable[[], None]) -> None:
        self._refresh = refresh
        self._scheduled = False

    @property
    def scheduled(self) -> bool:
        return self._scheduled

    def mark(self, *_: object) -> None:
        """Usable directly as a table or controller listener (arguments ignored)."""
        if not self._scheduled:
            self._scheduled = True
            QTimer.singleShot(0, self._run)

    def _run(self) -> None:
        self._scheduled = False
        self._refresh()
