"""Shared fixtures: the real-systemd testbed (see tests/testbed/harness.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.testbed.harness import Testbed

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def testbed() -> Iterator[Testbed]:
    """One booted testbed for the whole session. Booting it is required, not
    optional: if it cannot boot, the tests that use it fail (never skip)."""
    venv = Path(os.environ.get("TRAYAPP_VENV", "/opt/trayapp-venv"))
    tb = Testbed(REPO, venv)
    try:
        tb.boot()
    except Exception as e:  # not root, no unshare, no venv, boot failure...
        tb.stop()
        pytest.fail(f"cannot boot the testbed: {e}", pytrace=False)
    yield tb
    tb.stop()
