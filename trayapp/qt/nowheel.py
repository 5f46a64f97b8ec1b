"""Controls that the mouse wheel does not change unless the user put focus on them.

Scrolling a list with the pointer passing over a spin box or a combo box must
scroll the list, not change a setting.  ``guard(widget)`` gives the widget a
focus policy without wheel focus and hands its wheel events on to the parent
(the list scrolls) while it has no focus.
"""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QWidget

W = TypeVar("W", bound=QWidget)


class _NoWheel(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.Wheel and isinstance(watched, QWidget)
                and not watched.hasFocus()):
            event.ignore()  # the parent (a scroll area's viewport) scrolls instead
            return True
        return False


_FILTER: _NoWheel | None = None


def guard(widget: W, focus: Qt.FocusPolicy = Qt.FocusPolicy.StrongFocus) -> W:
    global _FILTER
    if _FILTER is None:
        _FILTER = _NoWheel()
    widget.setFocusPolicy(focus)
    widget.installEventFilter(_FILTER)
    return widget
