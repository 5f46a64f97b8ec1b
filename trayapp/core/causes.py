"""Why a daemon woke or stopped, as plain data and the words for it.

``Wakers`` is what the kernel's tables showed right when a dormant daemon's
service started (trayapp/adapters/wakers.py): how many client connections
were waiting on or connected to its sockets, and which processes hold them,
for those we may read.  No connection at all means nobody connected: the
service was *started* (``systemctl start``, another unit), not woken.

``Cause`` is the last named cause of a daemon (usecases/causes.py keeps one
per daemon), and ``Cause.line`` the short line the status window shows.

Pure: no I/O; a time of day is formatted from the Unix time given.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .events import EventKind
from .words import QT_TRANSLATE_NOOP, Labels, translate

#: systemd's Service ``Result`` values for a service that ended badly
#: (org.freedesktop.systemd1(5); "success" is the clean end).
FAILURE_RESULTS = frozenset({
    "exit-code", "signal", "core-dump", "watchdog", "timeout", "resources",
    "start-limit-hit", "oom-kill", "protocol", "exception", "condition",
})


@dataclass(frozen=True)
class Client:
    """One process holding a client end of a connection to the daemon's socket."""

    pid: int
    command: str  # its comm, e.g. "docker"
    user: str  # its owner's name (or uid when it has no name)

    def text(self) -> str:
        return f"{self.command} (PID {self.pid}, {self.user})"


@dataclass(frozen=True)
class Wakers:
    """Who was connected to a daemon's sockets when its service started."""

    connections: int = 0  # client connections seen (queued or accepted)
    clients: tuple[Client, ...] = ()  # the processes among them we could identify

    @property
    def woken(self) -> bool:
        """A client's connection was there: a socket wake, not a start."""
        return self.connections > 0

    def text(self) -> str:
        """``docker (PID 4242, alice)``; "a process of another user"; "no client"."""
        if self.clients:
            return ", ".join(c.text() for c in self.clients)
        if self.connections:
            return translate("causes", "a process of another user")
        return translate("causes", "no client")

    def history_text(self) -> str | None:
        """The history's ``waker`` column, as it always read: ``socat (pid 812)``."""
        if not self.clients:
            return None
        return ", ".join(f"{c.command} (pid {c.pid})" for c in self.clients)


#: The events that name a cause, in a sentence.  A wake (WOKE) is told
#: more exactly once the lookup answers (``Cause.wakers``): woken by a client,
#: or started with none waiting.
CAUSE_WORDS: Labels[EventKind] = Labels("causes", {
    EventKind.WOKE: QT_TRANSLATE_NOOP("causes", "woke"),
    EventKind.EXITED: QT_TRANSLATE_NOOP("causes", "went back to sleep"),
    EventKind.STOPPED_BY_US: QT_TRANSLATE_NOOP("causes", "stopped by trayapp"),
    EventKind.STOPPED_ELSEWHERE: QT_TRANSLATE_NOOP("causes", "stopped by someone else"),
    EventKind.CRASHED: QT_TRANSLATE_NOOP("causes", "crashed"),
    EventKind.FAILED: QT_TRANSLATE_NOOP("causes", "failed"),
})
CAUSE_EVENTS = frozenset(CAUSE_WORDS.keys())


def crash_words(result: str) -> str:
    """"crashed (signal)" for a failure result, else plain "failed"."""
    if result in FAILURE_RESULTS:
        return translate("causes", "crashed ({result})").format(result=result)
    return CAUSE_WORDS[EventKind.FAILED]


@dataclass(frozen=True)
class Cause:
    """The last thing that happened to a daemon, and why."""

    kind: EventKind  # one of CAUSE_EVENTS
    at: float  # Unix time it was learnt
    wakers: Wakers | None = None  # for WOKE, once the lookup answered
    result: str = ""  # the service's Result, for CRASHED

    @property
    def woken(self) -> bool:
        """A wake by a client the lookup found connected."""
        return self.kind is EventKind.WOKE and self.wakers is not None and self.wakers.woken

    @property
    def started(self) -> bool:
        """A wake with no client waiting: a command or another service started it."""
        return self.kind is EventKind.WOKE and self.wakers is not None and not self.wakers.woken

    def words(self) -> str:
        if self.woken:
            assert self.wakers is not None
            return translate("causes", "woken by {who}").format(who=self.wakers.text())
        if self.started:
            return translate("causes", "started")
        if self.kind is EventKind.CRASHED:
            return crash_words(self.result)
        return CAUSE_WORDS[self.kind]

    def line(self) -> str:
        """``woken by docker (PID 4242, alice) at 14:02``."""
        return translate("causes", "{what} at {time}").format(
            what=self.words(), time=time.strftime("%H:%M", time.localtime(self.at)))
