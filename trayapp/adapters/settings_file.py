"""The user's settings file on disk: reading it, and saving edits without losing the user's.

The file is TOML at ``user_config_dir("trayapp")/settings.toml``; what it
holds, and how a value is checked, is trayapp.core.settings (the keys naming
daemons are trayapp.core.keys').

The file belongs to the user as much as to the applet: :func:`save` edits it
in place with tomlkit, so comments, key order and keys this version does not
know survive.  A file that cannot be read as settings (bad TOML, a value of
the wrong type or out of range) is never silently overwritten: :func:`load`
moves it aside to ``settings.toml.broken-<timestamp>`` and says so.

A new file is created readable by its owner only (0600; its directory 0700
when we create it); an existing one keeps the mode its owner gave it.

Nothing here imports Qt or the bus.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
import tomllib
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from platformdirs import user_config_dir

from trayapp.adapters import private
from trayapp.core.keys import UnitValidator
from trayapp.core.settings import DEFAULT_DAEMON, Settings
from trayapp.core.settings_values import from_mapping, validate

if TYPE_CHECKING:  # tomlkit is imported only to save: reading uses tomllib
    import tomlkit

class LoadResult(NamedTuple):
    settings: Settings
    #: A sentence for the user when the file could not be used, else None.
    warning: str | None


def default_path() -> Path:
    return Path(user_config_dir("trayapp")) / "settings.toml"


# -- load ------------------------------------------------------------------------


def load(
    path: Path | None = None,
    validate_unit: UnitValidator | None = None,
    *,
    now: Callable[[], float] = time.time,
) -> LoadResult:
    """Read the settings file.

    A missing file gives the defaults and no warning.  A file that is not
    valid TOML or holds a bad value is moved aside to
    ``<name>.broken-<timestamp>`` (so the next save() does not destroy what
    the user wrote) and the defaults are used, with a warning that says why
    and where the file went.
    """
    path = default_path() if path is None else Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return LoadResult(Settings(), None)
    except OSError as e:
        # Unreadable (permissions, a directory): nothing to move aside, and
        # save() would most likely fail too; say so and go on with defaults.
        return LoadResult(Settings(), f"Could not read {path} ({e.strerror}); using defaults.")
    try:
        settings = from_mapping(_parse(raw), validate_unit)
    except ValueError as e:  # tomllib.TOMLDecodeError is a ValueError
        return LoadResult(Settings(), _set_aside(path, str(e), now()))
    return LoadResult(settings, None)


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"not UTF-8 text (byte {e.start})") from None
    return tomllib.loads(text)


def _set_aside(path: Path, problem: str, when: float) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(when))
    backup = path.with_name(f"{path.name}.broken-{stamp}")
    n = 1
    while backup.exists():  # two breakages in one second: do not overwrite
        n += 1
        backup = path.with_name(f"{path.name}.broken-{stamp}-{n}")
    try:
        path.rename(backup)
    except OSError as e:
        return (
            f"{path} is not valid ({problem}) and could not be moved aside "
            f"({e.strerror}); using defaults until it is fixed."
        )
    return f"{path} is not valid ({problem}). It was moved to {backup} and the defaults are used."


# -- save ------------------------------------------------------------------------


def save(
    settings: Settings,
    path: Path | None = None,
    validate_unit: UnitValidator | None = None,
    *,
    now: Callable[[], float] = time.time,
) -> None:
    """Write ``settings`` to ``path`` atomically, keeping the rest of the file.

    The file as it is on disk now is edited: only the values that differ
    from ``settings`` change, so comments, formatting and unknown keys stay.
    A file there that is not valid TOML is moved aside first, as load() does.
    Readers see either the old file or the new one, never a part of either,
    even if the process dies mid-write or the machine loses power.

    Raises SettingsError for a bad value (nothing is written) and OSError
    when the file cannot be written.
    """
    validate(settings, validate_unit)
    path = default_path() if path is None else Path(path)
    # Write through a symlink (dotfile managers link settings.toml into a
    # repository): replacing the link itself would cut the file loose.
    target = Path(os.path.realpath(path))
    doc = _current_document(target, now)
    _apply(doc, settings)
    _write_atomically(target, _render(doc))


def _current_document(path: Path, now: Callable[[], float]) -> tomlkit.TOMLDocument:
    import tomlkit  # only saving needs it (it keeps comments); some 3 MiB resident
    import tomlkit.exceptions

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return tomlkit.document()
    try:
        _parse(raw)  # the same verdict as load()
        return tomlkit.parse(raw.decode("utf-8"))
    except (ValueError, tomlkit.exceptions.TOMLKitError) as e:
        _set_aside(path, str(e), now())
        return tomlkit.document()


def _apply(doc: tomlkit.TOMLDocument, settings: Settings) -> None:
    import tomlkit

    _set(doc, "watched", list(settings.watched))
    _set(doc, "hidden", list(settings.hidden))
    _set(doc, "start_at_login", settings.start_at_login)
    # Written once the user chose (or had written) it: the default file stays short.
    if "icon_follows" in doc or settings.icon_follows != Settings().icon_follows:
        _set(doc, "icon_follows", str(settings.icon_follows))

    tables: Any = doc.get("daemon")
    if not isinstance(tables, MutableMapping):
        # Absent, or a stray non-table value: settings decide.
        if "daemon" in doc:
            del doc["daemon"]
        tables = None
    for key in list(tables or {}):
        if key not in settings.daemons:
            _drop_known(tables, key)
    for key, wanted in settings.daemons.items():
        if tables is None:
            if wanted == DEFAULT_DAEMON:
                continue
            tables = tomlkit.table(is_super_table=True)
            doc["daemon"] = tables
        table: Any = tables.get(key)
        if not isinstance(table, MutableMapping):
            if wanted == DEFAULT_DAEMON:
                continue
            table = tomlkit.table()
            tables[key] = table
        for name in _DAEMON_KEYS:
            value = getattr(wanted, name)
            value = list(value) if isinstance(value, tuple) else value
            # Write a default only where the user already had the key: a
            # table keeps the lines the user chose to write.
            if name in table or getattr(wanted, name) != getattr(DEFAULT_DAEMON, name):
                _set(table, name, value)
    if tables is not None and not tables:
        del doc["daemon"]


#: The keys of a daemon's table this version writes (the proxy's: issue 15).
_DAEMON_KEYS = ("notify", "idle_stop_minutes", "battery_idle_minutes", "proxy_listen",
                "proxy_backend", "proxy_idle_seconds", "proxy_backend_uid")


def _render(doc: tomlkit.TOMLDocument) -> str:
    """The document as text, checked to read back as the data it holds.

    tomlkit can render an edit wrongly: a new ``[daemon."x"]`` table added to
    a daemon table written with dotted keys (``daemon."y".notify = false``)
    lands above the file's later top-level keys and swallows them.  Rather
    than write that, give up the layout and comments and write the data.
    """
    import tomlkit

    text = doc.as_string()
    data = doc.unwrap()
    if tomlkit.parse(text).unwrap() != data:
        text = tomlkit.dumps(data)
    return text


def _set(container: Any, name: str, value: object) -> None:
    # Assigning an equal value would still replace the tomlkit item and lose
    # its trailing comment and layout (a multi-line array).
    if name in container and container[name] == value:
        return
    container[name] = value


def _drop_known(tables: Any, key: str) -> None:
    """Forget a daemon's settings but keep keys of its table we do not know."""
    table: Any = tables[key]
    if isinstance(table, MutableMapping):
        for name in _DAEMON_KEYS:
            if name in table:
                del table[name]
        if table:
            return
    del tables[key]


def _write_atomically(path: Path, text: str) -> None:
    directory = path.parent
    private.make_dirs(directory)
    try:
        mode = path.stat().st_mode & 0o7777  # the user's choice for a file of theirs
    except FileNotFoundError:
        mode = private.FILE_MODE
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            _write_text(f, text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    # The rename is durable only once the directory entry is on disk.
    dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _write_text(f: Any, text: str) -> None:
    # A seam of its own so the crash test can stop the process mid-write.
    f.write(text)
