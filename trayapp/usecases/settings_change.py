"""A change of the settings: saved first, used only once saved, start at login following.

The composition root (services.py) applies what this returns; the proxies'
book keeps their addresses in the same file (core/settings: proxy_*).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from trayapp.core.proxy import DEFAULT_IDLE_SECONDS, ProxySpec
from trayapp.core.settings import DaemonSettings, Settings
from trayapp.core.unitname import check_unit_name
from trayapp.usecases.proxy_book import Proposals

#: (title, text) for the user.
Problem = tuple[str, str]


def save_settings(new: Settings, path: Path | None, *, login: bool,
                  proxies: bool) -> tuple[Settings | None, list[Problem]]:
    """Save ``new``; with ``login``, make start at login follow it.  The proxies are
    the file's (the CLI may have set one up since it was read), unless ``proxies``:
    this change is a proxy's own.  Returns the settings to use (None: unsaved, so
    not to be used) and the problems."""
    from trayapp.adapters import autostart, settings_file

    if not proxies:
        on_disk = settings_file.load(path, check_unit_name)
        if on_disk.warning is None:
            new = new.with_proxies_of(on_disk.settings)
    try:
        settings_file.save(new, path, check_unit_name)
    except (OSError, ValueError) as exc:
        return None, [("Cannot save your settings", str(exc))]
    problems = []
    if login and new.start_at_login != autostart.is_enabled():  # else leave it be
        try:
            autostart.enable(new.start_at_login)
        except OSError as exc:
            problems.append(("Cannot change start at login", str(exc)))
    return new, problems


class SettingsBook(Proposals):
    """The proxies, kept in the user's settings file through ``change`` (it saves and
    uses new settings, returning the problems)."""

    def __init__(self, current: Callable[[], Settings],
                 change: Callable[[Settings], list[Problem]]) -> None:
        super().__init__()
        self._current = current
        self._change = change

    def get(self, key: str) -> DaemonSettings:
        return self._current().daemon(key)

    def put(self, key: str, spec: ProxySpec | None) -> str | None:
        changes = {"proxy_listen": (), "proxy_backend": "",
                   "proxy_idle_seconds": DEFAULT_IDLE_SECONDS,
                   "proxy_backend_uid": -1} if spec is None else {
            "proxy_listen": tuple(str(a) for a in spec.listen),
            "proxy_backend": str(spec.backend), "proxy_idle_seconds": spec.idle_seconds,
            "proxy_backend_uid": spec.holder_uid}
        problems = self._change(self._current().with_daemon(key, **changes))
        return "; ".join(text for _title, text in problems) or None
