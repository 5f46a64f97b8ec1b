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
``hidden`` and as the table names under ``[daemon]``.  This module holds the
data; core/settings_values.py turns parsed TOML into :class:`Settings` (and
back) and says exactly where a value is wrong.  Pure: no file access, no TOML
library.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from .keys import Key, daemon_key, parse_key
from .proxy import DEFAULT_IDLE_SECONDS
from .watchlist import KNOWN_SERVICES

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

    def followed(self) -> tuple[str, ...]:
        """The daemon keys in the table even without a socket unit: the ones added by
        hand (shown, or unticked in Show in menu; a well-known one unticked is only
        hidden), and those behind trayapp's proxy (they keep their row when it goes)."""
        proxied = (k for k, d in self.daemons.items() if d.proxy_listen)
        added = (k for k in self.hidden if parse_key(k)[1] not in KNOWN_SERVICES)
        return tuple(dict.fromkeys((*self.watched, *added, *proxied)))

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


def battery_window(window: float | None, battery_minutes: int) -> float | None:
    """The idle window on battery: ``battery_minutes`` (0: never), or with -1 half of
    ``window`` (never stays never)."""
    if battery_minutes < 0:
        return window / 2 if window is not None else None
    minutes = min(battery_minutes, MAX_IDLE_MINUTES)
    return minutes * 60.0 if minutes > 0 else None
