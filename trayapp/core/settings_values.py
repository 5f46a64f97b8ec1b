"""The settings file's values: checked into Settings, and Settings back into values.

:func:`from_mapping` turns parsed TOML (trayapp/adapters/settings_file.py
reads the file) into :class:`~trayapp.core.settings.Settings` and raises
:class:`SettingsError` saying exactly where a value is wrong; :func:`as_mapping`
gives the plain values to write, and :func:`validate` checks that they would
read back.  Pure: no file access, no TOML library.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .keys import UnitValidator, check_key
from .proxy import DEFAULT_IDLE_SECONDS, MAX_LISTEN, parse_idle
from .proxy_address import ProxyRefusal, parse_address
from .settings import DEFAULT_DAEMON, MAX_IDLE_MINUTES, DaemonSettings, IconFollows, Settings


class SettingsError(ValueError):
    """A settings value is of the wrong type or out of range.

    ``where`` is the dotted place in the file (``daemon."docker.service".notify``).
    """

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


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
