"""The user's settings file: what to watch, what to hide, per-daemon choices.

The file is TOML at ``user_config_dir("trayapp")/settings.toml``::

    # Daemons the user added by hand, besides those found on their own.
    watched = ["docker.service", "user:trayapp-testd.service"]
    hidden = ["cups.service"]
    start_at_login = false

    [daemon."docker.service"]
    notify = true            # tell me when it wakes up or stops
    idle_stop_minutes = 15   # stop it after 15 idle minutes; 0 = never

Daemon keys
    A daemon is named by its service unit.  A bare name (``docker.service``)
    is a unit of the system manager; the prefix ``user:``
    (``user:podman.service``) names a unit of the user's own manager
    (``systemctl --user``).  The same key is used in ``watched``, ``hidden``
    and as the table name under ``[daemon]``.  :func:`parse_daemon_key` splits
    a key into ``("system" | "user", unit)``, the values of
    ``trayapp.core.model.Manager``.

The file belongs to the user as much as to the applet: :func:`save` edits it
in place with tomlkit, so comments, key order and keys this version does not
know survive.  A file that cannot be read as settings (bad TOML, a value of
the wrong type or out of range) is never silently overwritten: :func:`load`
moves it aside to ``settings.toml.broken-<timestamp>`` and says so.

Nothing here imports Qt, the bus, or ``trayapp.core``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import time
import tomllib
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from platformdirs import user_config_dir

if TYPE_CHECKING:  # tomlkit is imported only to save: reading uses tomllib
    import tomlkit

Scope = Literal["system", "user"]
USER_PREFIX = "user:"

#: Checks one unit name (without the ``user:`` prefix) and raises ValueError,
#: with a message for the user, when it is not acceptable.  The caller passes
#: the real check (trayapp.core knows unit-name rules); this module only knows
#: the shape of a daemon key.
UnitValidator = Callable[[str], object]


class SettingsError(ValueError):
    """A settings value is of the wrong type or out of range.

    ``where`` is the dotted place in the file (``daemon."docker.service".notify``).
    """

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


# -- the data ----------------------------------------------------------------


@dataclass(frozen=True)
class DaemonSettings:
    """The user's choices for one daemon."""

    notify: bool = True  # notify when the daemon wakes, stops or fails
    idle_stop_minutes: int = 0  # stop it after this many idle minutes; 0 = never


DEFAULT_DAEMON = DaemonSettings()


@dataclass(frozen=True)
class Settings:
    """Everything the settings file holds that this version understands.

    ``watched`` and ``hidden`` keep the user's order with duplicates dropped.
    ``daemons`` holds a table per daemon that has one; :meth:`daemon` gives
    the defaults for the others.  All fields are read-only (``daemons`` is a
    read-only mapping); change them with :meth:`with_daemon` or
    :func:`dataclasses.replace`.
    """

    watched: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()
    daemons: Mapping[str, DaemonSettings] = field(default_factory=dict)
    start_at_login: bool = False

    def __post_init__(self) -> None:
        # Frozen: go through object.__setattr__ to normalise what was passed.
        object.__setattr__(self, "watched", tuple(dict.fromkeys(self.watched)))
        object.__setattr__(self, "hidden", tuple(dict.fromkeys(self.hidden)))
        object.__setattr__(self, "daemons", MappingProxyType(dict(self.daemons)))

    def daemon(self, key: str) -> DaemonSettings:
        """The settings for one daemon, the defaults when it has no table."""
        return self.daemons.get(key, DEFAULT_DAEMON)

    def with_daemon(self, key: str, **changes: Any) -> Settings:
        """A copy with one daemon's settings changed (``notify=False``, ...)."""
        updated = dict(self.daemons)
        updated[key] = replace(self.daemon(key), **changes)
        return replace(self, daemons=updated)


class LoadResult(NamedTuple):
    settings: Settings
    #: A sentence for the user when the file could not be used, else None.
    warning: str | None


def default_path() -> Path:
    return Path(user_config_dir("trayapp")) / "settings.toml"


# -- daemon keys ---------------------------------------------------------------


def parse_daemon_key(key: str) -> tuple[Scope, str]:
    """Split ``"user:foo.service"`` into ``("user", "foo.service")``."""
    if key.startswith(USER_PREFIX):
        return "user", key[len(USER_PREFIX) :]
    return "system", key


def daemon_key(scope: Scope | str, unit: str) -> str:
    """The settings key for a unit of the system or user manager."""
    if scope == "user":
        return USER_PREFIX + unit
    if scope == "system":
        return unit
    raise ValueError(f"unknown manager {scope!r}: expected 'system' or 'user'")


def check_daemon_key(key: str, validate_unit: UnitValidator | None = None) -> None:
    """Raise ValueError unless ``key`` is a well-formed daemon key."""
    _, unit = parse_daemon_key(key)
    if not unit:
        raise ValueError(f"{key!r} names no unit")
    if unit != unit.strip() or any(c.isspace() for c in unit):
        raise ValueError(f"{key!r} contains white space")
    if validate_unit is not None:
        validate_unit(unit)


# -- validation: TOML values -> Settings ---------------------------------------


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _quote(key: str) -> str:
    """A key as TOML writes it, for messages."""
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key)


def _bool(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise SettingsError(where, f"expected true or false, got {_shown(value)}")
    return bool(value)


def _minutes(value: object, where: str) -> int:
    # bool is an int in Python; TOML keeps them apart and so do we.
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettingsError(where, f"expected a whole number of minutes, got {_shown(value)}")
    if value < 0:
        raise SettingsError(where, f"expected 0 (off) or more minutes, got {int(value)}")
    return int(value)


def _keys(value: object, where: str, validate_unit: UnitValidator | None) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise SettingsError(where, f"expected a list of daemon names, got {_shown(value)}")
    found: list[str] = []
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise SettingsError(f"{where}[{i}]", f"expected a daemon name, got {_shown(item)}")
        _check_key(str(item), f"{where}[{i}]", validate_unit)
        found.append(str(item))
    return tuple(found)


def _check_key(key: str, where: str, validate_unit: UnitValidator | None) -> None:
    try:
        check_daemon_key(key, validate_unit)
    except ValueError as e:
        raise SettingsError(where, str(e)) from None


def _shown(value: object) -> str:
    if isinstance(value, bool | int | float | str):
        return repr(value).lower() if isinstance(value, bool) else repr(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a table"
    return type(value).__name__  # dates and times: TOML has them, we never want them


def from_mapping(data: Mapping[str, Any], validate_unit: UnitValidator | None = None) -> Settings:
    """Build Settings from parsed TOML; raise SettingsError on a bad value.

    Keys this version does not know are ignored here (and kept by save()).
    """
    watched = _keys(data.get("watched", []), "watched", validate_unit)
    hidden = _keys(data.get("hidden", []), "hidden", validate_unit)
    start_at_login = _bool(data.get("start_at_login", False), "start_at_login")
    tables = data.get("daemon", {})
    if not isinstance(tables, Mapping):
        raise SettingsError("daemon", f"expected a table of daemons, got {_shown(tables)}")
    daemons: dict[str, DaemonSettings] = {}
    for key, table in tables.items():
        where = f"daemon.{_quote(key)}"
        _check_key(key, where, validate_unit)
        if not isinstance(table, Mapping):
            raise SettingsError(where, f"expected a table, got {_shown(table)}")
        daemons[key] = DaemonSettings(
            notify=_bool(table.get("notify", DEFAULT_DAEMON.notify), f"{where}.notify"),
            idle_stop_minutes=_minutes(
                table.get("idle_stop_minutes", DEFAULT_DAEMON.idle_stop_minutes),
                f"{where}.idle_stop_minutes",
            ),
        )
    return Settings(watched=watched, hidden=hidden, daemons=daemons, start_at_login=start_at_login)


def validate(settings: Settings, validate_unit: UnitValidator | None = None) -> None:
    """Raise SettingsError if ``settings`` holds a value save() must not write."""
    from_mapping(_as_mapping(settings), validate_unit)


def _as_mapping(settings: Settings) -> dict[str, Any]:
    return {
        "watched": list(settings.watched),
        "hidden": list(settings.hidden),
        "start_at_login": settings.start_at_login,
        "daemon": {
            key: {"notify": d.notify, "idle_stop_minutes": d.idle_stop_minutes}
            for key, d in settings.daemons.items()
        },
    }


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
        for name in ("notify", "idle_stop_minutes"):
            value = getattr(wanted, name)
            # Write a default only where the user already had the key: a
            # table keeps the lines the user chose to write.
            if name in table or value != getattr(DEFAULT_DAEMON, name):
                _set(table, name, value)
    if tables is not None and not tables:
        del doc["daemon"]


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
        for name in ("notify", "idle_stop_minutes"):
            if name in table:
                del table[name]
        if table:
            return
    del tables[key]


def _write_atomically(path: Path, text: str) -> None:
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o644
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
