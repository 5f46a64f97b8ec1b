"""Start at login: the user's XDG autostart entry.

``enable(True)`` writes ``$XDG_CONFIG_HOME/autostart/io.github.trayapp.TrayApp.desktop``
(``~/.config/autostart/`` when the variable is unset), ``enable(False)``
removes it; ``is_enabled()`` says whether the desktop will start the applet
at the next login.  The entry is the one in ``packaging/autostart/``, kept
here as text so that no installed data file has to be found at run time
(tests/test_autostart.py checks that both are the same).

The desktop reads the entry as the XDG Autostart Specification says: a file
of the same name in ``$XDG_CONFIG_HOME/autostart`` overrides one in
``$XDG_CONFIG_DIRS/*/autostart`` (``/etc/xdg/autostart``), and an entry with
``Hidden=true`` starts nothing.  So when an administrator installed a
system-wide entry, ``enable(False)`` writes a ``Hidden=true`` entry instead of
deleting the user's file.  GNOME also honours ``X-GNOME-Autostart-enabled=false``
(what its "Startup Applications" writes); ``is_enabled()`` counts that as off.

The alternative is the systemd user unit (packaging/systemd/trayapp.service,
``systemctl --user enable trayapp.service``).  Using both starts the applet
twice at login: the second copy finds the first and exits.

Writes are atomic (a temporary file renamed over the old one), so a crash
never leaves half an entry that a desktop would choke on.  Nothing here
imports Qt.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from trayapp import APP_ID

COMMAND = "trayapp"
FILE_NAME = f"{APP_ID}.desktop"

# packaging/autostart/io.github.trayapp.TrayApp.desktop, with {exec} for Exec=.
# --background: a second copy at login exits quietly instead of showing the menu.
TEMPLATE = """\
[Desktop Entry]
Type=Application
Name=trayapp
Comment=Tray applet for socket-activated system daemons
Exec={exec} --background
Icon=io.github.trayapp.TrayApp
Terminal=false
NoDisplay=true
StartupNotify=false
X-GNOME-Autostart-enabled=true
X-GNOME-Autostart-Phase=Applications
X-GNOME-Autostart-Delay=5
X-KDE-autostart-after=panel
X-MATE-Autostart-Delay=5
"""

# Overrides a system-wide entry of the same name (XDG Autostart Specification).
HIDDEN = """\
[Desktop Entry]
Type=Application
Name=trayapp
Exec=trayapp
Hidden=true
"""

# Directories that every desktop session has on its PATH: a command there can
# be named without its directory.
SYSTEM_BIN_DIRS = (Path("/usr/bin"), Path("/usr/local/bin"), Path("/bin"))
_SAFE_EXEC = re.compile(r"[A-Za-z0-9/._+-]+")


def config_home() -> Path:
    # The basedir spec says relative values are invalid and must be ignored.
    value = os.environ.get("XDG_CONFIG_HOME", "")
    return Path(value) if os.path.isabs(value) else Path.home() / ".config"


def config_dirs() -> list[Path]:
    value = os.environ.get("XDG_CONFIG_DIRS", "") or "/etc/xdg"
    return [Path(p) for p in value.split(":") if os.path.isabs(p)]


def entry_path() -> Path:
    """The user's autostart entry for trayapp (it may not exist)."""
    return config_home() / "autostart" / FILE_NAME


def is_enabled() -> bool:
    """Will the desktop start trayapp at the next login (XDG autostart)?"""
    user = entry_path()
    if user.exists():
        return _starts(user)
    return any(_starts(p) for p in _system_entries())


def enable(enabled: bool) -> None:
    """Make trayapp start at login, or not.  Idempotent; raises OSError."""
    path = entry_path()
    if enabled:
        _write_if_changed(path, render(exec_command()))
    elif any(_starts(p) for p in _system_entries()):
        _write_if_changed(path, HIDDEN)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def render(command: str) -> str:
    """The autostart entry that runs ``command`` (already quoted for Exec=)."""
    return TEMPLATE.format(exec=command)


def exec_command() -> str:
    """What Exec= should run: ``trayapp``, or the full path when needed.

    A session's PATH is set at login and often lacks ~/.local/bin (where pipx
    and ``pip install --user`` put commands) or a virtualenv's bin/, so only
    a command found in a system directory is named bare.  Otherwise the
    console script beside the running interpreter (the pipx or virtualenv
    one) is named in full, else the one found on PATH now.
    """
    found = shutil.which(COMMAND)
    if found and Path(found).parent in SYSTEM_BIN_DIRS:
        return COMMAND
    # Not resolved: a virtualenv's python is a symlink out of the virtualenv.
    script = Path(sys.executable).parent / COMMAND
    if script.is_file() and os.access(script, os.X_OK):
        return _quote_exec(str(script))
    if found:
        return _quote_exec(os.path.abspath(found))
    return COMMAND


def _quote_exec(arg: str) -> str:
    """Quote one Exec= argument (Desktop Entry Specification, "The Exec key")."""
    if _SAFE_EXEC.fullmatch(arg):
        return arg
    quoted = re.sub(r'(["`$\\])', r"\\\1", arg)
    # Then the general string escaping of the file format doubles backslashes,
    # and a literal percent sign is written %%.
    return '"' + quoted.replace("\\", "\\\\").replace("%", "%%") + '"'


def _system_entries() -> list[Path]:
    entries = (d / "autostart" / FILE_NAME for d in config_dirs())
    return [p for p in entries if p.exists()]


def _starts(path: Path) -> bool:
    """Would this entry start something?  False for Hidden or GNOME-disabled ones."""
    try:
        keys = _entry_keys(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return False
    if keys.get("Hidden", "false").strip().lower() == "true":
        return False
    return keys.get("X-GNOME-Autostart-enabled", "true").strip().lower() != "false"


def _entry_keys(text: str) -> dict[str, str]:
    """The keys of the [Desktop Entry] group (no locales, no other groups)."""
    keys: dict[str, str] = {}
    group = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            group = line
            continue
        if group == "[Desktop Entry]" and "=" in line:
            key, _, value = line.partition("=")
            keys.setdefault(key.strip(), value)
    return keys


def _write_if_changed(path: Path, text: str) -> None:
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
