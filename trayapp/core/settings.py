"""The user's settings as plain data: what to watch, what to hide, per-daemon choices.

The values of the settings file (trayapp/adapters/settings_file.py reads and
writes it)::

    watched = ["docker.service", "user:trayapp-testd.service"]
    hidden = ["cups.service"]
    start_at_login = false
    icon_follows = "on-demand"   # or "all": which daemons' running state the icon shows

    [daemon."docker.service"]
    notify = true            # tell me when it wakes up or stops
    idle_stop_minutes = 15   # stop it after 15 idle minutes; 0 = never
    battery_idle_minutes = 5 # on battery (UPower's OnBattery); -1 (default) = half, 0 = never

    [daemon."postgresql@15-main.service"]   # on demand through a proxy (issue 15)
    proxy_listen = ["127.0.0.1:5432"]      # where clients connect
    proxy_backend = "127.0.0.1:15432"      # where the daemon itself listens
    proxy_idle_seconds = 900               # the proxy exits (and stops it) after this

Daemons are named by the daemon keys of trayapp.core.keys, in ``watched``,
``hidden`` and as the table names under ``[daemon]``.  :func:`from_mapping`
turns parsed TOML into :class:`Settings` and says exactly where a value is
wrong.  Pure: no file access, no TOML library.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from .keys import Key, UnitValidator, check_key, daemon_key
from .proxy import DEFAULT_IDLE_SECONDS, MAX_LISTEN, parse_idle
from .proxy_address import ProxyRefusal, parse_address


class SettingsError(ValueError):
    """A settings value is of the wrong type or out of range.

    ``where`` is the dotted place in the file (``daemon."docker.service".notify``).
    """

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


# -- the data ----------------------------------------------------------------


class IconFollows(StrEnum):
    """Which shown daemons decide whether the icon says "running".

    ON_DEMAND: the on-demand ones (a running always-on daemon is the normal
    state, not news); when none is on-demand, all of them.  ALL: every shown
    daemon.  Failures, actions under way and a lost bus show either way.
    """

    ON_DEMAND = "on-demand"
    ALL = "all"


#: The longest idle window, in minutes: what the Preferences window allows (7 days).
#: Longer ones are refused: a timer that far ahead overflows Qt's (int ms, ~24.8 days).
MAX_IDLE_MINUTES = 7 * 24 * 60


@dataclass(frozen=True)
class DaemonSettings:
    """The user's choices for one daemon."""

    notify: bool = True  # notify when the daemon wakes, stops or fails
    idle_stop_minutes: int = 0  # stop it after this many idle minutes; 0 = never
    battery_idle_minutes: int = -1  # the same on battery; -1: half of idle_stop_minutes
    # On demand through a proxy (core/proxy.py): re-created from these at start.
    proxy_listen: tuple[str, ...] = ()  # client addresses; () = no proxy
    proxy_backend: str = ""
    proxy_idle_seconds: int = DEFAULT_IDLE_SECONDS
    # The uid seen running the daemon when the proxy was made: who must hold the
    # back end (issue 22); -1: not known.
    proxy_backend_uid: int = -1


DEFAULT_DAEMON = DaemonSettings()
PROXY_FIELDS = ("proxy_listen", "proxy_backend", "proxy_idle_seconds", "proxy_backend_uid")


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
    icon_follows: IconFollows = IconFollows.ON_DEMAND

    def __post_init__(self) -> None:
        # Frozen: go through object.__setattr__ to normalise what was passed.
        object.__setattr__(self, "watched", tuple(dict.fromkeys(self.watched)))
        object.__setattr__(self, "hidden", tuple(dict.fromkeys(self.hidden)))
        object.__setattr__(self, "daemons", MappingProxyType(dict(self.daemons)))

    def daemon(self, key: str) -> DaemonSettings:
        """The settings for one daemon, the defaults when it has no table."""
        return self.daemons.get(key, DEFAULT_DAEMON)

    def idle_window(self, key: str | Key, on_battery: bool = False) -> float | None:
        """Seconds of idleness after which the daemon is stopped; None: never.

        ``key`` is a daemon key (``user:podman.service``) or a (manager, service) pair.
        On battery: ``battery_idle_minutes``, by default half the window.
        """
        text = key if isinstance(key, str) else daemon_key(*key)
        chosen = self.daemon(text)
        minutes = min(chosen.idle_stop_minutes, MAX_IDLE_MINUTES)
        if on_battery:
            return battery_window(minutes * 60.0 if minutes > 0 else None,
                                  chosen.battery_idle_minutes)
        return minutes * 60.0 if minutes > 0 else None

    def with_proxies_of(self, other: Settings) -> Settings:
        """A copy whose proxies (``proxy_*``) are ``other``'s, every other choice its own.

        The proxies are recorded by whoever sets them up (the CLI, or the tray);
        a window saving its choices must not write back the proxies it read
        before the CLI changed them.
        """
        updated = dict(self.daemons)
        for key in set(self.daemons) | set(other.daemons):
            theirs = {name: getattr(other.daemon(key), name) for name in PROXY_FIELDS}
            if key in self.daemons or theirs["proxy_listen"]:
                updated[key] = replace(self.daemon(key), **theirs)
        return replace(self, daemons=updated)

    def with_daemon(self, key: str, **changes: Any) -> Settings:
        """A copy with one daemon's settings changed (``notify=False``, ...)."""
        updated = dict(self.daemons)
        updated[key] = replace(self.daemon(key), **changes)
        return replace(self, daemons=updated)


# -- validation: TOML values -> Settings ---------------------------------------


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _quote(key: str) -> str:
    """A key as TOML writes it, for messages."""
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key)


def _bool(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise SettingsError(where, f"expected true or false, got {_shown(value)}")
    return bool(value)


def _minutes(value: object, where: str, half: bool = False) -> int:
    # bool is an int in Python; TOML keeps them apart and so do we.
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettingsError(where, f"expected a whole number of minutes, got {_shown(value)}")
    if not (-1 if half else 0) <= value <= MAX_IDLE_MINUTES:
        low = "-1 (half the idle window), 0 (off)" if half else "0 (off)"
        raise SettingsError(where, f"expected {low} to {MAX_IDLE_MINUTES} minutes (7 days), "
                                   f"got {int(value)}")
    return int(value)


def battery_window(window: float | None, battery_minutes: int) -> float | None:
    """The idle window on battery: ``battery_minutes`` (0: never), or with -1 half of
    ``window`` (never stays never)."""
    if battery_minutes < 0:
        return window / 2 if window is not None else None
    minutes = min(battery_minutes, MAX_IDLE_MINUTES)
    return minutes * 60.0 if minutes > 0 else None


def _proxy(table: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The proxy keys of one daemon's table, each address parsed and written back."""
    listen = table.get("proxy_listen", [])
    if not isinstance(listen, list) or len(listen) > MAX_LISTEN:
        raise SettingsError(f"{where}.proxy_listen",
                            f"expected a list of at most {MAX_LISTEN} addresses")
    backend = table.get("proxy_backend", "")
    idle = table.get("proxy_idle_seconds", DEFAULT_IDLE_SECONDS)
    try:
        addresses = tuple(str(parse_address(a)) for a in listen)
        back = str(parse_address(backend)) if backend != "" else ""
        parse_idle(idle)
    except ProxyRefusal as e:
        raise SettingsError(f"{where}.proxy", str(e)) from None
    if bool(addresses) != bool(back):
        raise SettingsError(f"{where}.proxy_backend", "proxy_listen and proxy_backend go together")
    uid = table.get("proxy_backend_uid", -1)
    if isinstance(uid, bool) or not isinstance(uid, int) or not -1 <= uid < 2**32 - 1:
        raise SettingsError(f"{where}.proxy_backend_uid", "expected a user id (a number)")
    return {"proxy_listen": addresses, "proxy_backend": back, "proxy_idle_seconds": idle,
            "proxy_backend_uid": uid}


def _icon_follows(value: object, where: str) -> IconFollows:
    if isinstance(value, str) and value in tuple(IconFollows):
        return IconFollows(value)
    choices = " or ".join(json.dumps(str(f)) for f in IconFollows)
    raise SettingsError(where, f"expected {choices}, got {_shown(value)}")


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
        check_key(key, validate_unit)
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

    Keys this version does not know are ignored here (and kept by the
    adapter's save()).
    """
    watched = _keys(data.get("watched", []), "watched", validate_unit)
    hidden = _keys(data.get("hidden", []), "hidden", validate_unit)
    start_at_login = _bool(data.get("start_at_login", False), "start_at_login")
    follows = _icon_follows(data.get("icon_follows", IconFollows.ON_DEMAND), "icon_follows")
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
            battery_idle_minutes=_minutes(
                table.get("battery_idle_minutes", DEFAULT_DAEMON.battery_idle_minutes),
                f"{where}.battery_idle_minutes", half=True),
            **_proxy(table, where),
        )
    return Settings(watched=watched, hidden=hidden, daemons=daemons,
                    start_at_login=start_at_login, icon_follows=follows)


def validate(settings: Settings, validate_unit: UnitValidator | None = None) -> None:
    """Raise SettingsError if ``settings`` holds a value that must not be written."""
    from_mapping(as_mapping(settings), validate_unit)


def as_mapping(settings: Settings) -> dict[str, Any]:
    """The settings as the plain values of the file (every daemon table in full)."""
    return {
        "watched": list(settings.watched),
        "hidden": list(settings.hidden),
        "start_at_login": settings.start_at_login,
        "icon_follows": str(settings.icon_follows),
        "daemon": {
            key: {"notify": d.notify, "idle_stop_minutes": d.idle_stop_minutes,
                  "battery_idle_minutes": d.battery_idle_minutes,
                  "proxy_listen": list(d.proxy_listen), "proxy_backend": d.proxy_backend,
                  "proxy_idle_seconds": d.proxy_idle_seconds,
                  "proxy_backend_uid": d.proxy_backend_uid}
            for key, d in settings.daemons.items()
        },
    }
