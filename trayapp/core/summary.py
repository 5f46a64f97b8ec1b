"""What the tray shows, computed from the table: icon status, tooltip, menu rows.

Pure: the Qt layer renders these values and nothing else, so every label,
every enabled/disabled decision and the icon choice are tested here without
a display.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from .daemon_words import (
    STATE_WORDS,
    clock_time,
    display_name,
    mode_words,
    sockets_text,
    state_text,
)
from .keys import Key
from .model import AWAKE, Daemon, DaemonState, Manager
from .plans import Action, allowed_actions
from .settings import IconFollows
from .watchlist import Watchlist
from .words import QT_TRANSLATE_NOOP, Labels, join, memory, translate


class TrayStatus(StrEnum):
    """The one word the icon says, most urgent first in tray_status()."""

    IDLE = "idle"  # every followed daemon dormant or off (or none watched)
    SOME_RUNNING = "running"  # a followed daemon runs (see followed())
    BUSY = "busy"  # starting or stopping, or an action of ours under way
    FAILED = "failed"
    DISCONNECTED = "disconnected"  # a bus was lost: what we show may be stale
    # A daemon's own icon only (the menu, the window), never the tray's: off, nothing
    # listens for it, which must not look asleep (issue 23 finding 5).
    OFF = "off"


# Icon file stems under trayapp/icons/ (package data).
ICON_NAMES: dict[TrayStatus, str] = {
    TrayStatus.IDLE: "trayapp-dormant",
    TrayStatus.SOME_RUNNING: "trayapp-running",
    TrayStatus.BUSY: "trayapp-busy",
    TrayStatus.FAILED: "trayapp-failed",
    TrayStatus.DISCONNECTED: "trayapp-disconnected",
    TrayStatus.OFF: "trayapp-off",
}


def icon_name(status: TrayStatus, symbolic: bool = False) -> str:
    """``trayapp-failed``, or ``trayapp-failed-symbolic`` (monochrome, recoloured by the panel)."""
    return ICON_NAMES[status] + ("-symbolic" if symbolic else "")


def wants_symbolic(current_desktop: str, override: str = "") -> bool:
    """Whether the panel draws monochrome icons it recolours.

    The rule: ``XDG_CURRENT_DESKTOP`` (a colon-separated list) naming KDE or
    GNOME means yes: Plasma's Breeze guidelines want monochrome status icons
    and recolour ``ColorScheme-Text``; GNOME's AppIndicator extension
    recolours ``-symbolic`` names.  Anything else (Xfce, Cinnamon, MATE,
    LXQt, waybar, trayer) gets the full-colour icons.  ``override``
    (``TRAYAPP_ICONS=symbolic`` or ``colour``) wins.
    """
    if override.strip().lower() in ("symbolic", "colour", "color"):
        return override.strip().lower() == "symbolic"
    names = {part.strip().upper() for part in current_desktop.split(":")}
    return bool(names & {"KDE", "GNOME"})


ACTION_LABELS: Labels[Action] = Labels("summary", {
    Action.ON_DEMAND: QT_TRANSLATE_NOOP("summary", "Switch to on-demand"),
    Action.ALWAYS_ON: QT_TRANSLATE_NOOP("summary", "Switch to always-on"),
    Action.STOP: QT_TRANSLATE_NOOP("summary", "Stop now"),
    Action.START: QT_TRANSLATE_NOOP("summary", "Start now"),
})

BUSY_LABELS: Labels[Action] = Labels("summary", {
    Action.ON_DEMAND: QT_TRANSLATE_NOOP("summary", "Switching to on-demand"),
    Action.ALWAYS_ON: QT_TRANSLATE_NOOP("summary", "Switching to always-on"),
    Action.STOP: QT_TRANSLATE_NOOP("summary", "Stopping"),
    Action.START: QT_TRANSLATE_NOOP("summary", "Starting"),
})

#: What the icon says, for its accessible name and the status line.
STATUS_WORDS: Labels[TrayStatus] = Labels("summary", {
    TrayStatus.IDLE: QT_TRANSLATE_NOOP("summary", "All dormant"),
    TrayStatus.SOME_RUNNING: QT_TRANSLATE_NOOP("summary", "A daemon is running"),
    TrayStatus.BUSY: QT_TRANSLATE_NOOP("summary", "Starting or stopping"),
    TrayStatus.FAILED: QT_TRANSLATE_NOOP("summary", "A daemon failed"),
    TrayStatus.DISCONNECTED: QT_TRANSLATE_NOOP("summary", "Not connected to systemd"),
    TrayStatus.OFF: QT_TRANSLATE_NOOP("summary", "Off: nothing listens for it"),
})

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
    return [d for d in daemons if d.mode.on_demand] or daemons


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
    names = join(display_name(d) for d in followed(daemons, follows))
    if follows is IconFollows.ALL:
        return translate("summary", "Icon follows all: {names}").format(names=names)
    if any(d.mode.on_demand for d in daemons):
        return translate("summary", "Icon follows on-demand: {names}").format(names=names)
    return translate("summary", "Icon follows all (none is on-demand): {names}").format(
        names=names)


def awake_line(daemons: Iterable[Daemon]) -> str:
    """``Awake: cups · asleep: docker``: the question the tray exists for, first."""
    groups: dict[DaemonState, list[str]] = {
        DaemonState.DORMANT: [], DaemonState.FAILED: [], DaemonState.OFF: []}
    awake: list[str] = []
    for d in daemons:
        (awake if d.state in AWAKE else groups[d.state]).append(display_name(d))
    words = {
        DaemonState.DORMANT: translate("summary", "asleep: {names}"),
        DaemonState.FAILED: translate("summary", "failed: {names}"),
        DaemonState.OFF: translate("summary", "off: {names}"),
    }
    parts = [translate("summary", "Awake: {names}").format(
        names=join(awake) or translate("summary", "none"))]
    parts += [words[state].format(names=join(names)) for state, names in groups.items() if names]
    return " · ".join(parts)


def busy_label(action: Action) -> str:
    """``Stopping…``: an action of ours under way."""
    return f"{BUSY_LABELS[action]}…"


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
        doing = f" — {busy_label(action)}" if action else ""
        since = translate("summary", " (since {time})").format(
            time=clock_time(d.since_usec / 1e6, now)) if d.since_usec else ""
        lines.append(translate("summary", "{name}: {state}{since}, {mode}").format(
            name=display_name(d), state=state_text(d, now), since=since,
            mode=mode_words(d)) + doing)
    if not lines:
        lines.append(translate("summary", "No daemons shown"))
    for manager, text in (problems or {}).items():
        lines.append(manager_problem(manager, text))
    return "\n".join(lines)


def manager_problem(manager: Manager, text: str) -> str:
    """``system manager: <what went wrong>``."""
    if manager is Manager.USER:
        return translate("summary", "user manager: {problem}").format(problem=text)
    return translate("summary", "system manager: {problem}").format(problem=text)


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
    detail: str  # "running for 5 min · 120 MiB · docker.socket"
    busy: str | None  # "Stopping…" while an action of ours runs
    items: tuple[ActionItem, ...]


def row(d: Daemon, now: float, pending: Mapping[Key, Action] | None = None) -> Row:
    action = (pending or {}).get(d.key)
    allowed = allowed_actions(d)
    parts = [state_text(d, now)]
    if d.memory_bytes is not None:
        parts.append(memory(d.memory_bytes))
    parts.append(sockets_text(d.sockets))
    return Row(
        daemon=d,
        title=translate("summary", "{name}: {state}, {mode}").format(
            name=display_name(d), state=STATE_WORDS[d.state], mode=mode_words(d)),
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
