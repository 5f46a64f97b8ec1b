"""Where the icons are: a checkout's resources/, or an installed wheel's share/.

The wheel installs resources/ as data under ``<prefix>/share/trayapp/resources``
(pyproject: tool.hatch.build.targets.wheel.shared-data).  No Qt here: callers
load the files, and fall back to a theme or style icon when one is missing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: Set to a directory to use its icons instead (tests, a staged copy).
ENV = "TRAYAPP_RESOURCES"


def candidates() -> list[Path]:
    found = []
    if os.environ.get(ENV):
        found.append(Path(os.environ[ENV]))
    found.append(Path(__file__).resolve().parents[2] / "resources")  # a checkout
    found += [Path(p) / "share" / "trayapp" / "resources" for p in (sys.prefix, sys.base_prefix)]
    found.append(Path("/usr/share/trayapp/resources"))  # a distribution package
    return found


def resources_dir() -> Path | None:
    for path in candidates():
        if (path / "icons").is_dir():
            return path
    return None


def icon_path(stem: str) -> Path | None:
    """The first ``icons/<stem>.svg`` among the candidates, else None."""
    for base in candidates():
        path = base / "icons" / f"{stem}.svg"
        if path.is_file():
            return path
    return None
