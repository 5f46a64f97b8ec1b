"""Catch a Qt binding that will crash the applet later.

PySide6 6.12.0 on Python 3.11 drops one reference to None on every call of
a method that returns nothing (setToolTip, QMenu.clear, QTimer.singleShot,
...).  CPython 3.11 starts with a few thousand references to None, so a
tray that repaints now and then aborts hours or days later with "Fatal
Python error: none_dealloc".  On 3.12+ None is immortal and the bug is
harmless; PySide6 6.11.x does not have it.  Measured here, not guessed from
version numbers, so a fixed release is recognised by itself.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject

PROBE_CALLS = 50  # each lost reference brings the crash nearer: probe little


def none_refs_lost(calls: int = PROBE_CALLS) -> int:
    """How many references to None ``calls`` void Qt calls lose (0 when healthy)."""
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(calls):
        probe.setObjectName("probe")
    return max(0, before - sys.getrefcount(None))


def binding_problem() -> str | None:
    """A sentence for the user when the binding is one that will crash us."""
    lost = none_refs_lost()
    if lost < PROBE_CALLS // 2:
        return None
    import PySide6

    return (
        f"PySide6 {PySide6.__version__} on Python {sys.version.split()[0]} loses a reference "
        "to None on every Qt call, so trayapp will crash after a while "
        "(Fatal Python error: none_dealloc). Install PySide6-Essentials 6.11 "
        "(pip install 'PySide6-Essentials<6.12') or use Python 3.12 or newer."
    )
