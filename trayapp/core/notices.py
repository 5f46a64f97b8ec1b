"""Which daemon changes deserve a notification, and which are noise.

Users asked for "no silent state changes" (docker/for-win#15044), but an
on-demand daemon churns: podman.service exits after 5 s idle and the next
client wakes it again, libvirt's daemons after 120 s.  So notifications come
per *burst*: the first noteworthy change of a daemon is announced, and
further ones are dropped until the daemon has been quiet for ``quiet``
seconds, unless the news gets worse (anything -> failed is always told, once
per burst).  A burst folds only a daemon that sleeps by itself and wakes
again; a stop (ours, or someone else's stop job) ends it, so the first wake
after any stop is always told (issue 23: a wake 21 s after a stop from the
tray went untold).

Events caused by our own actions are not announced here (the action's
result is): the event hub marks them ``ours`` from the ledger
(trayapp/core/ledger.py), which keeps an action on record a little after
it ended, because systemd may announce its changes after the job's result.

Pure: time comes from the injected clock, nothing is scheduled.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum

from .causes import FAILURE_RESULTS, Wakers
from .events import PROCESS_ENDED, Event, EventKind
from .keys import Key
from .model import Daemon, DaemonState
from .plans import Action, allowed_actions
from .summary import TrayStatus
from .words import QT_TRANSLATE_NOOP, translate


class NoticeKind(IntEnum):
    """Ordered by severity: a later kind escalates an earlier one."""

    WOKEN = 1  # woken by a client, or started (the wakers tell which)
    SLEPT = 2  # went back to sleep: exited on its own, cleanly
    STOPPED = 3  # stopped by someone else
    FAILED = 4  # crashed (a failure result) or failed


@dataclass(frozen=True)
class Notice:
    event: EventKind  # the event it tells of, one of NEWS
    daemon: Daemon
    previous: DaemonState
    # Buttons to offer, in order: (action, label).
    actions: tuple[tuple[Action, str], ...] = ()
    # Who was connected when it woke (usecases/causes.py); None: not known.
    wakers: Wakers | None = None

    @property
    def kind(self) -> NoticeKind:
        """How severe the news is (NEWS): what a burst escalates by."""
        return NEWS[self.event]

    def with_wakers(self, wakers: Wakers | None) -> Notice:
        return dataclasses.replace(self, wakers=wakers)

    @property
    def status(self) -> TrayStatus:
        """The icon that matches the news (a crash shows the failed one)."""
        return {
            NoticeKind.WOKEN: TrayStatus.SOME_RUNNING,
            NoticeKind.SLEPT: TrayStatus.IDLE,
            NoticeKind.STOPPED: TrayStatus.IDLE,
            NoticeKind.FAILED: TrayStatus.FAILED,
        }[self.kind]

    @property
    def title(self) -> str:
        return self.words()[0]

    @property
    def body(self) -> str:
        return self.words()[1]

    def words(self) -> tuple[str, str]:
        """A short title and one sentence: each cause named as it was learnt, nothing more.

        A failure adds a details line, the one place a unit name helps.
        """
        d, name = self.daemon, self.daemon.name
        if self.kind is NoticeKind.WOKEN:
            if self.wakers is not None and self.wakers.woken:
                return (translate("notices", "{name} woke up").format(name=name),
                        translate("notices", "Woken by {who}.").format(who=self.wakers.text()))
            if self.wakers is not None:
                return (translate("notices", "{name} started").format(name=name),
                        translate("notices", "No client was waiting: a command or another "
                                  "service started it."))
            return (translate("notices", "{name} woke up").format(name=name),
                    translate("notices", "Who woke it is not known."))
        if self.kind is NoticeKind.FAILED:
            log = translate("notices", "Its log: journalctl -u {unit}").format(unit=d.service)
            if self.event is EventKind.CRASHED and d.result in FAILURE_RESULTS:
                return (translate("notices", "{name} crashed").format(name=name),
                        translate("notices", "It ended with {how}.").format(
                            how=result_words(d.result)) + "\n" + log)
            return (translate("notices", "{name} failed").format(name=name),
                    translate("notices", "It or one of its sockets failed.") + "\n" + log)
        dormant = d.state is DaemonState.DORMANT
        if self.kind is NoticeKind.SLEPT:
            if dormant:
                return (translate("notices", "{name} went back to sleep").format(name=name),
                        translate("notices", "It exited on its own; its socket still listens, "
                                  "so the next client wakes it."))
            return (translate("notices", "{name} exited").format(name=name),
                    translate("notices", "It exited on its own, and nothing listens for it "
                              "now: clients will fail."))
        title = translate("notices", "{name} was stopped").format(name=name)
        if dormant:
            return title, translate("notices", "Stopped outside trayapp; its socket still "
                                    "listens, so the next client wakes it.")
        return title, translate("notices", "Stopped outside trayapp, and nothing listens "
                                "for it now: clients will fail.")


def result_words(result: str) -> str:
    """systemd's Result= of a failed service, as a user would say it."""
    words = {
        "signal": QT_TRANSLATE_NOOP("notices", "a signal"),
        "core-dump": QT_TRANSLATE_NOOP("notices", "a core dump"),
        "exit-code": QT_TRANSLATE_NOOP("notices", "an error code"),
        "timeout": QT_TRANSLATE_NOOP("notices", "a timeout"),
        "watchdog": QT_TRANSLATE_NOOP("notices", "its watchdog expiring"),
        "oom-kill": QT_TRANSLATE_NOOP("notices", "the system running out of memory"),
        "start-limit-hit": QT_TRANSLATE_NOOP("notices", "too many restarts"),
        "resources": QT_TRANSLATE_NOOP("notices", "missing resources"),
    }
    text = words.get(result)
    if text is None:
        return translate("notices", "result {result}").format(result=result)
    return translate("notices", text)


#: The events worth a notification, and what kind of news each is.
NEWS = {
    EventKind.WOKE: NoticeKind.WOKEN,
    EventKind.EXITED: NoticeKind.SLEPT,
    EventKind.STOPPED_ELSEWHERE: NoticeKind.STOPPED,
    EventKind.CRASHED: NoticeKind.FAILED,
    EventKind.FAILED: NoticeKind.FAILED,
}


def _buttons(kind: NoticeKind, d: Daemon) -> tuple[tuple[Action, str], ...]:
    wanted: tuple[tuple[Action, str], ...] = ()
    if kind is NoticeKind.WOKEN:
        wanted = ((Action.STOP, translate("notices", "Stop now")),
                  (Action.ALWAYS_ON, translate("notices", "Keep always on")))
    elif kind is NoticeKind.FAILED:
        wanted = ((Action.START, translate("notices", "Start again")),)
    allowed = allowed_actions(d)
    return tuple((a, label) for a, label in wanted if a in allowed)


#: A stop job ends a burst: the next wake is news whenever it comes.
_STOPS = frozenset({EventKind.STOPPED_BY_US, EventKind.STOPPED_ELSEWHERE})
_RUN_BEGINS = frozenset({EventKind.WOKE, EventKind.STARTED, EventKind.BECAME_ACTIVE})
_RUN_ENDS = PROCESS_ENDED | {EventKind.VANISHED}
#: What Notices.decide must hear: its news, and where runs begin and end.
NOTICE_EVENTS = frozenset(NEWS) | _STOPS | _RUN_BEGINS | _RUN_ENDS


@dataclass
class _Burst:
    last_change: float  # when the daemon last did something noteworthy
    worst: NoticeKind  # the most severe kind announced in this burst


class Notices:
    def __init__(self, clock: Callable[[], float] = time.monotonic, quiet: float = 60.0) -> None:
        self._clock = clock
        self.quiet = quiet
        self._bursts: dict[Key, _Burst] = {}
        # The daemons whose run began while we watched (at most one per daemon):
        # "went back to sleep" ends a run the user could have been told of, never
        # one that was under way when the applet started (issue 23).
        self._runs_seen: set[Key] = set()

    def decide(self, events: Iterable[Event]) -> list[Notice]:
        now = self._clock()
        out: list[Notice] = []
        for event in events:
            kind = NEWS.get(event.kind)
            if event.kind in _RUN_BEGINS:
                self._runs_seen.add(event.key)
            elif event.kind in _RUN_ENDS:
                seen = event.key in self._runs_seen
                self._runs_seen.discard(event.key)
                if kind is NoticeKind.SLEPT and not seen:
                    continue
            if event.kind in _STOPS:
                ended = self._bursts.pop(event.key, None)
                if kind is not None and not event.ours and event.previous is not None and \
                        (ended is None or now - ended.last_change >= self.quiet):
                    out.append(self._notice(kind, event))  # told, and no burst kept
                continue
            if kind is None or event.ours or event.previous is None:
                continue
            burst = self._bursts.get(event.key)
            if burst is not None and now - burst.last_change < self.quiet:
                burst.last_change = now
                if kind is NoticeKind.FAILED and burst.worst < NoticeKind.FAILED:
                    burst.worst = kind
                    out.append(self._notice(kind, event))
                continue
            self._bursts[event.key] = _Burst(now, kind)
            out.append(self._notice(kind, event))
        return out

    @staticmethod
    def _notice(kind: NoticeKind, event: Event) -> Notice:
        assert event.previous is not None
        d = event.daemon
        return Notice(event.kind, d, event.previous.state, _buttons(kind, d))
