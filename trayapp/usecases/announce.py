"""The notification policy: which events and results the user hears of, and how.

* Events (core/events.py): a wake, a clean exit on its own ("went back to
  sleep"), a stop by someone else, a crash, a failure, debounced per daemon
  by core/notices.py; our own changes are no news (the ledger marks them
  ``ours``).  Only for daemons the user shows and has not silenced
  (``wants``).  A wake waits for the causes' lookup (usecases/causes.py) to
  say who woke it, or that nobody did and the service was started.
* Outcomes of actions: every result is told, except the idle watcher's own
  stops, which it announces itself, saying why (one bubble, not two).
* Idle warnings (``DesktopIdleNotifier``): "Keep running" / "Stop now".

Every notification of a daemon carries its key as a tag, so a newer one
replaces the older bubble.  The notifier is the D-Bus adapter's, which
falls back to the tray's balloon or a message box without a server.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Protocol

from trayapp.adapters import resources
from trayapp.core import outcome_words
from trayapp.core.events import Event, EventHub
from trayapp.core.keys import Key, daemon_key, key_of
from trayapp.core.model import Daemon, Manager
from trayapp.core.notices import NOTICE_EVENTS, Notice, NoticeKind, Notices
from trayapp.core.outcome import Outcome
from trayapp.core.plans import Action
from trayapp.core.summary import ICON_NAMES, TrayStatus
from trayapp.core.words import translate, window
from trayapp.usecases.causes import Causes

log = logging.getLogger(__name__)

Press = Callable[[Manager, str, Action], None]


class Notify(Protocol):
    """What the policy needs of trayapp.adapters.dbus.notifications.Notifier."""

    async def notify(self, title: str, body: str, *, actions: Sequence[tuple[str, str]] = (),
                     on_action: Callable[[str], None] | None = None, tag: str | None = None,
                     critical: bool = False, icon: str = "") -> int | None: ...

    def show(self, title: str, body: str, *, actions: Sequence[tuple[str, str]] = (),
             on_action: Callable[[str], None] | None = None, tag: str | None = None,
             critical: bool = False, icon: str = "") -> None: ...


def outcome_title(o: Outcome) -> str:
    return outcome_words.title(o)


def icon(status: TrayStatus) -> str:
    """A notification's icon: the applet's glyph for what happened (a file path)."""
    path = resources.icon_path(ICON_NAMES[status])
    return str(path) if path is not None else ""


def outcome_status(o: Outcome) -> TrayStatus:
    if not o.ok:
        return TrayStatus.FAILED
    return TrayStatus.SOME_RUNNING if o.action in (Action.START, Action.ALWAYS_ON) \
        else TrayStatus.IDLE


class Announcer:
    def __init__(self, notifier: Notify, wants: Callable[[Daemon], bool],
                 press: Press, notices: Notices | None = None,
                 causes: Causes | None = None) -> None:
        self.notifier = notifier
        self.wants = wants  # shown in the tray, and notifications not turned off for it
        self.press = press  # a notification's button: the intent it stands for
        self.notices = notices or Notices()
        self.causes = causes  # who woke it; None: wakes are told without a name
        self._waiting: set[asyncio.Task[None]] = set()
        # How many notices each daemon was told: a wake still waiting for its
        # lookup is not told once something newer was (same tag, one bubble).
        self._told: dict[Key, int] = {}

    def start(self, events: EventHub) -> None:
        events.subscribe(NOTICE_EVENTS, self.on_event)

    def on_event(self, event: Event) -> None:
        for notice in self.notices.decide([event]):
            if not self.wants(notice.daemon):
                continue
            if notice.kind is NoticeKind.WOKEN and self.causes is not None \
                    and self.causes.lookup(event.key) is not None:
                self._after_lookup(notice, self.causes)
            else:
                self._announce(notice)

    def _after_lookup(self, notice: Notice, causes: Causes) -> None:
        key = notice.daemon.key
        told = self._told.get(key, 0)

        async def named() -> None:
            wakers = await causes.wakers(key)
            if self._told.get(key, 0) == told:  # else a newer notice replaced it already
                self._announce(notice.with_wakers(wakers))

        task = asyncio.get_running_loop().create_task(named())
        self._waiting.add(task)
        task.add_done_callback(self._waiting.discard)

    async def settle(self) -> None:
        """Until the wakes waiting for their lookup are told (tests)."""
        while self._waiting:
            await asyncio.gather(*list(self._waiting), return_exceptions=True)

    def _announce(self, notice: Notice) -> None:
        d = notice.daemon
        self._told[d.key] = self._told.get(d.key, 0) + 1

        offered = {str(a): a for a, _label in notice.actions}

        def pressed(action_key: str) -> None:
            action = offered.get(action_key)
            if action is None:
                return  # "default" (a click on the bubble), or a key this bubble never offered
            self.press(d.manager, d.service, action)

        self.notifier.show(
            notice.title,
            notice.body,
            actions=[(str(a), label) for a, label in notice.actions],
            on_action=pressed,
            tag=key_of(d),
            critical=notice.kind is NoticeKind.FAILED,
            icon=icon(notice.status),
        )

    def on_outcome(self, outcome: Outcome) -> None:
        if outcome.asked_by_idle:
            return  # the idle watcher announces its stop itself, saying why
        key = (outcome.manager, outcome.service)
        self._told[key] = self._told.get(key, 0) + 1
        title, body = outcome_words.split(outcome)
        if outcome.warnings:
            body += "\n" + "\n".join(outcome.warnings)
        self.notifier.show(
            title,
            body,
            tag=daemon_key(outcome.manager, outcome.service),
            critical=not outcome.ok,
            icon=icon(outcome_status(outcome)),
        )


class DesktopIdleNotifier:
    """The idle watcher's notifier over desktop notifications, for the tray.

    The warning is a notification with "Keep running" and "Stop now"
    buttons (org.freedesktop.Notifications actions); no answer within the
    grace period means stop, as the text says.  Where the server has no
    buttons, or none answers and the tray's fallback shows the text, the
    stop simply follows the warning: it is still announced both times.
    """

    def __init__(self, notifier: Notify) -> None:
        self.notifier = notifier

    async def warn(self, daemon: Daemon, seconds: float) -> str:
        answer: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        def pressed(key: str) -> None:
            if key in ("keep", "hold", "stop") and not answer.done():
                answer.set_result(key)

        await self.notifier.notify(
            translate("announce", "{name} is idle").format(name=daemon.name),
            translate("announce", "It stops in {time} unless you keep it running; the next "
                      "client wakes it again.").format(time=window(seconds)),
            actions=(("keep", translate("announce", "Keep running")),
                     ("hold", translate("announce", "Until I stop it")),
                     ("stop", translate("announce", "Stop now"))),
            on_action=pressed,
            tag=key_of(daemon),
            icon=icon(TrayStatus.BUSY),
        )
        try:
            return await asyncio.wait_for(answer, seconds)
        except TimeoutError:
            return "stop"

    def announce(self, text: str) -> None:
        self.notifier.show(translate("announce", "Idle daemon stopped"), text,
                           icon=icon(TrayStatus.IDLE))

    def follow_up(self, daemon: Daemon, text: str) -> None:
        """What came of the warning about ``daemon``, in the warning's place: the same
        tag, so the notification server replaces that bubble (its replaces_id)."""
        # Titled by the daemon: the text says whether it stopped or keeps running.
        self.notifier.show(daemon.name, text, tag=key_of(daemon), icon=icon(TrayStatus.IDLE))
