"""Window sizes and positions remembered between openings and runs.

Qt's own saveGeometry()/restoreGeometry() (the screen and scale are in it), kept
in one small INI file under the user's state directory.  Nothing is kept until
``use()`` names the file (the applet does at start; tests may), so a window made
elsewhere simply opens at its natural size.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QWidget

_file: Path | None = None


def default_path() -> Path:
    from platformdirs import user_state_dir

    return Path(user_state_dir("trayapp")) / "windows.ini"


def use(path: Path | None) -> None:
    """Remember geometries in ``path`` (None: not at all)."""
    global _file
    _file = path


def _settings() -> QSettings | None:
    if _file is None:
        return None
    return QSettings(str(_file), QSettings.Format.IniFormat)


def restore(window: QWidget, name: str) -> bool:
    """Put ``window`` where it was last; False when nothing was kept."""
    settings = _settings()
    if settings is None:
        return False
    saved = settings.value(f"{name}/geometry")
    return isinstance(saved, QByteArray) and window.restoreGeometry(saved)


def save(window: QWidget, name: str) -> None:
    settings = _settings()
    if settings is None:
        return
    from trayapp.adapters.private import make_dirs

    assert _file is not None
    try:
        make_dirs(_file.parent)
    except OSError:
        return  # a size not remembered is no reason to fail
    settings.setValue(f"{name}/geometry", window.saveGeometry())
    settings.sync()
