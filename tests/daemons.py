"""Unit properties that put a daemon into each state and mode: now in tests/support.py.

Kept so that the tests still importing from here work; new code imports
``units``, ``set_state`` and ``table_with`` from tests.support.
"""

from __future__ import annotations

from tests.support import MODE_UNITS, STATE_UNITS, set_state, table_with, units

__all__ = ["MODE_UNITS", "STATE_UNITS", "set_state", "table_with", "units"]
