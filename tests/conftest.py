"""Shared fixtures: the real-systemd testbed (see tools/testbed/harness.py), and the tiers.

Two tiers, selected by marker:

* ``pytest -m "not testbed" tests``: everything that needs no root, no testbed boot;
* ``pytest -m testbed tests``: everything that boots the testbed (root, unshare).

No test carries ``testbed`` by hand: every test that uses a fixture booting a
testbed (``testbed``, ``own_testbed``, or any fixture built on them) gets it
here, and one using the ``desktop`` fixture gets ``desktop`` too. A test that
boots a ``Testbed`` some other way without the marker fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.testbed.harness import Testbed, lower_from_env

REPO = Path(__file__).resolve().parent.parent
# Fixtures that boot a testbed; whatever depends on them is in item.fixturenames too.
TESTBED_FIXTURES = frozenset({"testbed", "own_testbed", "module_testbed", "trixie_testbed"})
# Issue 14: tests of one root's package. tests/run.sh runs the testbed tier on
# the host's Debian 12 without the debian13 ones, then on Debian 13 without these.
DEBIAN12_FIXTURES = frozenset({"installed_deb"})  # the Debian 12 .deb, bundled venv
DESKTOP_FIXTURES = frozenset({"desktop"})


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if names & TESTBED_FIXTURES:
            item.add_marker(pytest.mark.testbed)
        if names & DESKTOP_FIXTURES:
            item.add_marker(pytest.mark.desktop)
        if names & DEBIAN12_FIXTURES:
            item.add_marker(pytest.mark.debian12)


@pytest.fixture(autouse=True)
def _boot_only_when_marked(request: pytest.FixtureRequest,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast tier must never boot: a test without the marker that tries fails."""
    if request.node.get_closest_marker("testbed") is not None:
        return

    def refuse(self: Testbed, timeout: float = 60) -> None:
        pytest.fail("this test boots a testbed but lacks the testbed marker: use the "
                    "testbed or own_testbed fixture (tests/conftest.py)", pytrace=False)

    monkeypatch.setattr(Testbed, "boot", refuse)


def _boot(tb: Testbed, what: str) -> None:
    try:
        tb.boot()
    except Exception as e:  # not root, no unshare, no venv, boot failure...
        tb.stop()
        pytest.fail(f"cannot boot {what}: {e}", pytrace=False)


# The root booted comes from TRAYAPP_TESTBED_ROOT (issue 14): unset, the host's
# Debian 12 with trayapp on the venv; "trixie", the Debian 13 root (tools/testbed/
# trixie.sh) with trayapp on its own Python and Debian's libraries.
def _venv() -> Path:
    return Path(os.environ.get("TRAYAPP_VENV", "/opt/trayapp-venv"))


@pytest.fixture(scope="session")
def testbed() -> Iterator[Testbed]:
    """One booted testbed for the whole session. Booting it is required, not
    optional: if it cannot boot, the tests that use it fail (never skip)."""
    tb = Testbed(REPO, _venv(), lower_from_env())
    _boot(tb, "the testbed")
    yield tb
    tb.stop()


@pytest.fixture
def own_testbed() -> Iterator[Testbed]:
    """A testbed of the test's own, for tests that break the machine (restart
    its bus, its user managers): the shared one stays healthy."""
    tb = Testbed(REPO, _venv(), lower_from_env())
    _boot(tb, "a testbed")
    yield tb
    tb.stop()


@pytest.fixture(scope="module")
def module_testbed() -> Iterator[Testbed]:
    """A testbed for one module's tests, which change much of it (enablement of
    real packages' units, reboots): the session's one stays as it was."""
    tb = Testbed(REPO, _venv(), lower_from_env())
    _boot(tb, "a testbed")
    yield tb
    tb.stop()


# The tray's fixtures (tests/tray_rig.py): ``loop`` (qasync over the test's
# QApplication) and ``tray_app`` (the applet wired to a Services fed by hand).
from tests.tray_rig import loop, tray_app  # noqa: E402, F401
