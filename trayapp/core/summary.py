"""What the tray shows, computed from the table: icon status, tooltip, menu rows.

Pure: the Qt layer renders these values and nothing else, so every label,
every enabled/disabled decision and the icon choice are tested here without
a display.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from .keys import Key
from .model import AWAKE, Daemon, DaemonMode, DaemonState, Manager
from .plans import Action, allowed_actions
from .report import duration, memory
from .settings import IconFollows
from .watchlist import Watchlist


class TrayStatus(StrEnum):
    """The one word the icon says, most urgent first in tray_status()."""

    IDLE = "idle"  # every followed daemon dormant or off (or none watched)
    SOME_RUNNING = "running"  # a followed daemon runs (see followed())
    BUSY = "busy"  # starting or stopping, or an action of ours under way
    FAILED = "failed"
    DISCONNECTED = "disconnected"  # a bus was lost: what we show may be stale


ALL_DORMANT = TrayStatus.IDLE

# Icon file stems under trayapp/icons/ (package data).
ICON_NAMES: dict[TrayStatus, str] = {
    TrayStatus.IDLE: "trayapp-dormant",
    TrayStatus.SOME_RUNNING: "trayapp-running",
    TrayStatus.BUSY: "trayapp-busy",
    TrayStatus.FAILED: "trayapp-failed",
    TrayStatus.DISCONNECTED: "trayapp-disconnected",
}

ACTION_LABELS: dict[Action, str] = {
    Action.ON_DEMAND: "Switch to on-demand",
    Action.ALWAYS_ON: "Switch to always-on",
    Action.STOP: "Stop now",
    Action.START: "Start now",
}

BUSY_LABELS: dict[Action, str] = {
    Action.ON_DEMAND: "Switching to on-demand",
    Action.ALWAYS_ON: "Switching to always-on",
    Action.STOP: "Stopping",
    Action.START: "Starting",
}

# Menu order: the mode switches first, then the one-off start/stop.
ACTION_ORDER = (Action.ON_DEMAND, Action.ALWAYS_ON, Action.STOP, Action.START)


def followed(daemons: Iterable[Daemon],
             follows: IconFollows = IconFollows.ON_DEMAND) -> list[Daemon]:
    """The shown daemons whose running makes the icon say "running".

    ON_DEMAND: the on-demand ones, since a running always-on daemon (CUPS,
    libvirt on Debian) is the normal state, not news; if none is on-demand,
    every shown daemon (the icon then says whether any runs).  ALL: every one.
    """
    daemons = list(daemons)
    if follows is IconFollows.ALL:
        return daemons
    return [d for d in daemons if d.mode is DaemonMode.ON_DEMAND] or daemons


def tray_status(
    daemons: Iterable[Daemon], pending: Collection[Key] = (), lost: bool = False,
    follows: IconFollows = IconFollows.ON_DEMAND,
) -> TrayStatus:
    """The icon for the shown ``daemons``.

    A lost bus, a failure and an action or transition under way show for
    every shown daemon (a failed always-on daemon is news); "running" only
    for the followed ones.
    """
    daemons = list(daemons)
    if lost:
        return TrayStatus.DISCONNECTED
    states = {d.state for d in daemons}
    if DaemonState.FAILED in states:
        return TrayStatus.FAILED
    if pending or states & {DaemonState.STARTING, DaemonState.STOPPING}:
        return TrayStatus.BUSY
    if any(d.state is DaemonState.RUNNING for d in followed(daemons, follows)):
        return TrayStatus.SOME_RUNNING
    return TrayStatus.IDLE


def follows_text(daemons: Iterable[Daemon], follows: IconFollows) -> str | None:
    """The menu's line saying which daemons the icon follows; None when none is shown."""
    daemons = list(daemons)
    if not daemons:
        return None
    names = ", ".join(display_name(d) for d in followed(daemons, follows))
    if follows is IconFollows.ALL:
        return f"Icon follows all: {names}"
    if any(d.mode is DaemonMode.ON_DEMAND for d in daemons):
        return f"Icon follows on-demand: {names}"
    return f"Icon follows all (none is on-demand): {names}"


def awake_line(daemons: Iterable[Daemon]) -> str:
    """``Awake: cups · asleep: docker``: the question the tray exists for, first."""
    groups: dict[str, list[str]] = {"asleep": [], "failed": [], "off": []}
    awake = []
    for d in daemons:
        if d.state in AWAKE:
            awake.append(display_name(d))
        else:
            groups["asleep" if d.state is DaemonState.DORMANT else str(d.state)].append(
                display_name(d))
    parts = [f"Awake: {', '.join(awake) or 'none'}"]
    parts += [f"{word}: {', '.join(names)}" for word, names in groups.items() if names]
    return " · ".join(parts)


def display_name(d: Daemon) -> str:
    """``docker``, or ``podman (user)`` for the user's own manager."""
    return f"{d.name} (user)" if d.manager is Manager.USER else d.name


def busy_label(action: Action) -> str:
    return f"{BUSY_LABELS[action]}… working"


def state_text(d: Daemon, now: float) -> str:
    """``running for 5 min``; just ``running`` when systemd gave no timestamp."""
    if d.since_usec:
        return f"{d.state} for {duration(now - d.since_usec / 1e6)}"
    return str(d.state)


def clock_time(when: float, now: float) -> str:
    """``14:05`` today, ``Mar 3 14:05`` before that (local time)."""
    stamp, today = time.localtime(when), time.localtime(now)
    if stamp[:3] == today[:3]:
        return time.strftime("%H:%M", stamp)
    return time.strftime("%b %d %H:%M", stamp)


def tooltip_text(
    daemons: Iterable[Daemon],
    now: float,
    *,
    pending: Mapping[Key, Action] | None = None,
    problems: Mapping[Manager, str] | None = None,
) -> str:
    """Which daemons are awake, then one line per daemon:
    ``docker: dormant for 5 min (since 14:05), on-demand``.

    The tray builds it afresh when it is about to be shown, so ``now`` is
    then; the clock time of the change is given too, true even where a
    platform shows a tooltip the tray could not refresh.
    """
    pending = pending or {}
    daemons = list(daemons)
    lines = [awake_line(daemons)] if daemons else []
    for d in daemons:
        action = pending.get(d.key)
        doing = f" — {BUSY_LABELS[action].lower()}…" if action else ""
        since = f" (since {clock_time(d.since_usec / 1e6, now)})" if d.since_usec else ""
        lines.append(f"{display_name(d)}: {state_text(d, now)}{since}, {d.mode}{doing}")
    if not lines:
        lines.append("No daemons watched")
    for manager, text in (problems or {}).items():
        lines.append(f"{manager} manager: {text}")
    return "\n".join(lines)


@dataclass(frozen=True)
class ActionItem:
    action: Action
    label: str
    enabled: bool


@dataclass(frozen=True)
class Row:
    """One daemon as a menu entry or a window row."""

    daemon: Daemon
    title: str  # "docker: running, always-on"
    detail: str  # "running for 5 min · 120.0 MiB · docker.socket"
    busy: str | None  # "Stopping… working" while an action of ours runs
    items: tuple[ActionItem, ...]


def row(d: Daemon, now: float, pending: Mapping[Key, Action] | None = None) -> Row:
    action = (pending or {}).get(d.key)
    allowed = allowed_actions(d)
    parts = [state_text(d, now)]
    if d.memory_bytes is not None:
        parts.append(memory(d.memory_bytes))
    parts.append(", ".join(d.sockets))
    return Row(
        daemon=d,
        title=f"{display_name(d)}: {d.state}, {d.mode}",
        detail=" · ".join(parts),
        busy=busy_label(action) if action else None,
        items=tuple(
            ActionItem(a, ACTION_LABELS[a], action is None and a in allowed) for a in ACTION_ORDER
        ),
    )


def rows(
    daemons: Iterable[Daemon], now: float, pending: Mapping[Key, Action] | None = None
) -> list[Row]:
    return [row(d, now, pending) for d in daemons]


@dataclass(frozen=True)
class Snapshot:
    """Everything a view renders, read from the monitor and controller at one moment."""

    daemons: tuple[Daemon, ...] = ()  # every daemon in the table
    watchlist: Watchlist = field(default_factory=Watchlist)
    pending: Mapping[Key, Action] = field(default_factory=dict)
    problems: Mapping[Manager, str] = field(default_factory=dict)  # unreachable or lost
    lost: bool = False  # a bus connection was lost (or never made)
    now: float = 0.0
    starting: bool = False  # nothing read yet: show busy, not a guess
    icon_follows: IconFollows = IconFollows.ON_DEMAND

    @property
    def watched(self) -> list[Daemon]:
        return self.watchlist.select(self.daemons)

    @property
    def missing(self) -> list[str]:
        return self.watchlist.missing(self.daemons)

    @property
    def followed(self) -> list[Daemon]:
        return followed(self.watched, self.icon_follows)

    @property
    def follows_text(self) -> str | None:
        return follows_text(self.watched, self.icon_follows)

    @property
    def status(self) -> TrayStatus:
        if self.starting:
            return TrayStatus.BUSY
        return tray_status(self.watched, self.pending.keys(), self.lost, self.icon_follows)

    @property
    def tooltip(self) -> str:
        return tooltip_text(self.watched, self.now, pending=self.pending, problems=self.problems)

    def rows(self) -> list[Row]:
        return rows(self.watched, self.now, self.pending)
