"""One daemon in words: its name, state, mode, sockets and detail line.

The one place these words are written and translated, in the ``summary``
context (core/words.py's hook: English for the CLI, Qt's translator in the
applet); the tooltip, the menu rows and the status window only lay them out.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from .model import Daemon, DaemonMode, DaemonState, Manager
from .words import (
    QT_TRANSLATE_NOOP,
    Labels,
    count,
    duration,
    duration_changes_in,
    join,
    memory,
    plural,
    translate,
)

#: ``5 sockets``: marked with a literal count, which pyside6-lupdate needs (core/words.py).
SOCKETS = plural.translate("summary", "%n sockets", None, 2)

#: The states and modes as words in a sentence (the enums' values are for JSON).
STATE_WORDS: Labels[DaemonState] = Labels("summary", {
    DaemonState.DORMANT: QT_TRANSLATE_NOOP("summary", "dormant"),
    DaemonState.RUNNING: QT_TRANSLATE_NOOP("summary", "running"),
    DaemonState.STARTING: QT_TRANSLATE_NOOP("summary", "starting"),
    DaemonState.STOPPING: QT_TRANSLATE_NOOP("summary", "stopping"),
    DaemonState.FAILED: QT_TRANSLATE_NOOP("summary", "failed"),
    DaemonState.OFF: QT_TRANSLATE_NOOP("summary", "off"),
})

_MODES = {
    "on-demand": QT_TRANSLATE_NOOP("summary", "on-demand"),
    "on-demand (proxy)": QT_TRANSLATE_NOOP("summary", "on-demand (proxy)"),
    "always-on": QT_TRANSLATE_NOOP("summary", "always-on"),
    "manual": QT_TRANSLATE_NOOP("summary", "manual"),
    "masked": QT_TRANSLATE_NOOP("summary", "masked"),
}
MODE_WORDS: Labels[DaemonMode] = Labels("summary", {m: _MODES.get(m, m) for m in DaemonMode})

#: The modes as the name of a choice (a menu's radio entry, the window's mode box).
MODE_LABELS: Labels[DaemonMode] = Labels("summary", {
    DaemonMode.ALWAYS_ON: QT_TRANSLATE_NOOP("summary", "Always on"),
    DaemonMode.ON_DEMAND: QT_TRANSLATE_NOOP("summary", "On demand"),
    DaemonMode.MANUAL: QT_TRANSLATE_NOOP("summary", "Manual"),
    DaemonMode.MASKED: QT_TRANSLATE_NOOP("summary", "Masked"),
    DaemonMode.ON_DEMAND_PROXY: QT_TRANSLATE_NOOP("summary", "On demand (proxy)"),
})


def state_label(state: DaemonState) -> str:
    """``dormant``: the state alone, as the menu's title and the window's state column say it."""
    return STATE_WORDS[state]


# What each mode means, in a sentence: the choices' tooltips (issue 23: "On demand"
# said nothing to a newcomer).
MODE_HINTS: Labels[DaemonMode] = Labels("summary", {
    DaemonMode.ALWAYS_ON: QT_TRANSLATE_NOOP(
        "summary", "Runs all the time, and starts when the computer starts."),
    DaemonMode.ON_DEMAND: QT_TRANSLATE_NOOP(
        "summary", "Sleeps, using no memory, until a program connects to it; then it "
        "starts at once, and may go back to sleep when idle."),
    DaemonMode.MANUAL: QT_TRANSLATE_NOOP(
        "summary", "Starts only when someone starts it, and not at boot."),
    DaemonMode.MASKED: QT_TRANSLATE_NOOP(
        "summary", "Masked: nothing can start it until it is unmasked."),
    DaemonMode.ON_DEMAND_PROXY: QT_TRANSLATE_NOOP(
        "summary", "Sleeps behind trayapp's proxy until a program connects; then the "
        "proxy starts it and passes the connection on."),
})


def mode_hint(mode: DaemonMode) -> str:
    """What ``mode`` means, in one or two sentences (a tooltip)."""
    return MODE_HINTS[mode]


def _asleep_though_always_on(d: Daemon) -> bool:
    """Started at boot, and asleep now (libvirtd and podman exit by themselves)."""
    return d.mode is DaemonMode.ALWAYS_ON and d.state is DaemonState.DORMANT


def mode_words(d: Daemon) -> str:
    """``always-on``; for a daemon that starts at boot and has exited by itself, one
    phrase that says both (issue 23: "podman: dormant · Always on" read as a
    contradiction)."""
    if _asleep_though_always_on(d):
        return translate("summary", "starts at boot, asleep now")
    return MODE_WORDS[d.mode]


def daemon_mode_hint(d: Daemon) -> str:
    """The tooltip of a daemon's current mode."""
    if _asleep_though_always_on(d):
        return translate("summary", "Starts when the computer starts; it does not run now "
                         "(some daemons exit by themselves when idle), and its socket "
                         "wakes it again.")
    return mode_hint(d.mode)


def mode_label(mode: DaemonMode) -> str:
    """``Always on``: the mode as a choice the menu and the window offer or show."""
    return MODE_LABELS[mode]


def display_name(d: Daemon) -> str:
    """``docker``, or ``podman (user)`` for the user's own manager."""
    if d.manager is Manager.USER:
        return translate("summary", "{name} (user)").format(name=d.name)
    return d.name


def state_text(d: Daemon, now: float) -> str:
    """``running for 5 min``; just ``running`` when systemd gave no timestamp."""
    if d.since_usec:
        return translate("summary", "{state} for {time}").format(
            state=STATE_WORDS[d.state], time=duration(now - d.since_usec / 1e6))
    return STATE_WORDS[d.state]


def redraw_in(daemons: Iterable[Daemon], now: float) -> float | None:
    """Seconds until the first of the daemons' ``state_text`` reads differently; None
    when none shows a duration."""
    spans = [now - d.since_usec / 1e6 for d in daemons if d.since_usec]
    return min((duration_changes_in(s) for s in spans), default=None)


def sockets_text(sockets: tuple[str, ...] | list[str]) -> str:
    """``docker.socket``; ``libvirtd.socket and 4 more``: short enough for a menu."""
    if len(sockets) <= 2:
        return join(sockets)
    return translate("summary", "{first} and {more} more").format(
        first=sockets[0], more=len(sockets) - 1)


def socket_summary(sockets: tuple[str, ...] | list[str]) -> str:
    """``docker.socket``; ``5 sockets`` when there are more (the list goes in a tooltip)."""
    if len(sockets) == 1:
        return sockets[0]
    return count(SOCKETS, len(sockets), "summary")


def detail_line(d: Daemon, now: float) -> str:
    """``running for 5 min · 120.0 MiB · docker.socket``: short, whatever the sockets."""
    parts = [state_text(d, now)]
    if d.memory_bytes is not None:
        parts.append(memory(d.memory_bytes))
    if d.sockets:
        parts.append(socket_summary(d.sockets))
    return " · ".join(parts)


def clock_time(when: float, now: float) -> str:
    """``14:05`` today, ``Mar 3 14:05`` before that (local time)."""
    stamp, today = time.localtime(when), time.localtime(now)
    if stamp[:3] == today[:3]:
        return time.strftime("%H:%M", stamp)
    return time.strftime("%b %d %H:%M", stamp)
