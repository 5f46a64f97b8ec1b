"""Files and directories only their owner may read: the history, the settings, the
single-instance socket.  They say which processes woke which daemon and when.

* :func:`make_dirs`: a directory and its missing parents, each created 0700
  (an existing one is left as its owner made it);
* :func:`owned_dir`: a directory fit to hold a socket others must not reach:
  a real directory (not a link), ours, and neither readable nor writable by
  anyone else; created 0700 when missing.  Anything else is refused: another
  user may have made it first, at a name they could guess;
* :func:`create_private` and :func:`restrict`: a file created 0600; one of
  ours that others may read is made 0600.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def make_dirs(path: Path) -> None:
    missing: list[Path] = []
    for part in (path, *path.parents):
        if part.exists():
            break
        missing.append(part)
    for part in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            part.mkdir(mode=DIR_MODE)
            os.chmod(part, DIR_MODE)  # whatever the umask


def owned_dir(path: Path) -> bool:
    """``path`` is (now) a private directory of ours; False: do not use it."""
    try:
        make_dirs(path)
        st = os.lstat(path)
    except OSError:
        return False
    return (stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid()
            and not st.st_mode & 0o077)


def create_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists (never through a link)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)


def restrict(path: Path) -> None:
    """Take group and others' access away from a file of ours (one made by an older version)."""
    with contextlib.suppress(OSError):
        st = os.lstat(path)
        if stat.S_ISREG(st.st_mode) and st.st_uid == os.getuid() and st.st_mode & 0o077:
            os.chmod(path, FILE_MODE)
