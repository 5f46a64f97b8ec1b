"""Boot the testbed TRAYAPP_TESTBED_ROOT names and print what trayapp runs on
inside it: systemd, Python, PySide6, dbus-fast, qasync (issue 14; tests/run.sh
prints this line before each testbed pass). Run as root on the host:

    TRAYAPP_TESTBED_ROOT=trixie /opt/trayapp-venv/bin/python -m tools.testbed.versions
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tools.testbed.harness import Testbed, lower_from_env

REPO = Path(__file__).resolve().parents[2]
# Run as alice by the Python that runs trayapp inside, with the staged code first
# on its path: the libraries printed are the ones trayapp imports.
PROBE = """
import sys, PySide6, qasync, trayapp
from importlib.metadata import version
print(f"Python {sys.version.split()[0]}, PySide6 {PySide6.__version__}, "
      f"dbus-fast {version('dbus-fast')}, qasync {version('qasync')}, "
      f"trayapp from {trayapp.__file__.rsplit('/', 2)[0]}")
"""


def describe(tb: Testbed) -> str:
    """One line: the root, its systemd, and trayapp's Python and libraries."""
    systemd = tb.run(["systemctl", "--version"]).stdout.split("\n", 1)[0]
    os_name = tb.run(". /etc/os-release && echo $PRETTY_NAME").stdout.strip()
    libs = tb.run([tb.python, "-c", PROBE], user="alice").stdout.strip()
    return f"{os_name} ({tb.lower or 'host root'}): {systemd}; {tb.python}: {libs}"


def main() -> int:
    tb = Testbed(REPO, Path(os.environ.get("TRAYAPP_VENV", "/opt/trayapp-venv")),
                 lower_from_env())  # fmt: skip
    try:
        tb.boot()
        print(describe(tb), flush=True)
    finally:
        tb.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
