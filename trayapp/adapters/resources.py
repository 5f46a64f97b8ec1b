"""Where the applet's own icons are: package data inside ``trayapp/icons``.

They are loaded through ``importlib.resources``, so they are found however the
package was installed (a checkout, a venv, pipx, pip into /usr/local, a
distribution package).  The desktop's copies (hicolor icons, desktop entry,
metainfo) are installed where the freedesktop specifications want them; the
applet never looks there.  No Qt here: callers load the files, and fall back
to a theme or style icon when one is missing.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

#: Set to a directory whose ``icons/`` overrides the package's (tests, a staged copy).
ENV = "TRAYAPP_RESOURCES"


def candidates() -> list[Path]:
    """Directories holding ``icons/``, first match wins."""
    found = []
    if os.environ.get(ENV):
        found.append(Path(os.environ[ENV]))
    package = resources.files("trayapp")
    # Always a real directory for a package on a file system; a zipped
    # package (not how trayapp is shipped) has none and gets the fallbacks.
    if isinstance(package, Path):
        found.append(package)
    return found


def icon_path(stem: str) -> Path | None:
    """The first ``icons/<stem>.svg`` among the candidates, else None."""
    for base in candidates():
        path = base / "icons" / f"{stem}.svg"
        if path.is_file():
            return path
    return None
