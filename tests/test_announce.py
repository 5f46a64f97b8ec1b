"""The notification policy (usecases/announce.py): events and outcomes, with a fake notifier.

A real table feeds a real EventHub whose ``ours`` is a real Ledger, as in
trayapp/services.py; only the desktop notifier is a fake (tests/support.py).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.support import Clock, FakeNotifier, set_state, table_with
from trayapp.core.events import EventHub
from trayapp.core.keys import Key
from trayapp.core.ledger import Ledger
from trayapp.core.model import DaemonMode, DaemonState, Manager
from trayapp.core.notices import Notices
from trayapp.core.outcome import Outcome, Status
from trayapp.core.plans import Action
from trayapp.core.runs import EndReason
from trayapp.core.table import DaemonTable
from trayapp.usecases.announce import Announcer, outcome_title

S = Manager.SYSTEM
X: Key = (S, "x.service")
D = DaemonState


class Desktop(FakeNotifier):
    """The desktop notifier (usecases.announce.Notify); the policy only calls ``show``."""

    async def notify(self, title: str, body: str, **kw: Any) -> int | None:
        raise AssertionError("the policy shows, it does not wait for an id")


@dataclass
class Rig:
    table: DaemonTable
    ledger: Ledger
    notifier: Desktop
    announcer: Announcer
    shown: set[str] = field(default_factory=lambda: {"x.service"})
    pressed: list[tuple[Manager, str, Action]] = field(default_factory=list)


def make(state: DaemonState = D.DORMANT, mode: DaemonMode = DaemonMode.ON_DEMAND) -> Rig:
    clock = Clock()
    table = table_with(("x", state, mode), ("y", D.DORMANT, DaemonMode.ON_DEMAND))
    ledger = Ledger(clock=clock)
    hub = EventHub(ours=lambda k: ledger.ours(k) is not None)
    table.listen(hub.publish)
    notifier = Desktop()
    shown = {"x.service"}
    pressed: list[tuple[Manager, str, Action]] = []
    announcer = Announcer(notifier, lambda d: d.service in shown,
                          lambda m, s, a: pressed.append((m, s, a)), Notices(clock=clock))
    announcer.start(hub)
    return Rig(table, ledger, notifier, announcer, shown, pressed)


def test_a_wake_is_one_notification_with_stop_and_keep_buttons() -> None:
    r = make()
    set_state(r.table, S, "x", D.STARTING)
    set_state(r.table, S, "x", D.RUNNING)  # the same wake
    [shown] = r.notifier.shown
    assert shown["title"] == "x woke up"
    assert shown["actions"] == [("stop", "Stop now"), ("always-on", "Keep always on")]
    assert shown["tag"] == "x.service" and shown["critical"] is False


@pytest.mark.parametrize("action", [Action.STOP, Action.ALWAYS_ON])
def test_a_button_press_is_the_intent_it_stands_for(action: Action) -> None:
    r = make()
    set_state(r.table, S, "x", D.RUNNING)
    [shown] = r.notifier.shown
    shown["on_action"]("default")  # a click on the bubble itself: no intent
    assert r.pressed == []
    shown["on_action"](str(action))
    assert r.pressed == [(S, "x.service", action)]


def test_a_key_the_bubble_never_offered_does_nothing() -> None:
    """Only the buttons this notification showed act: "start" or "on-demand" keys
    (another bubble's, or a restarted server's reused id) are ignored."""
    r = make()
    set_state(r.table, S, "x", D.RUNNING)
    [shown] = r.notifier.shown
    for key in ("start", "on-demand", "Stop", ""):
        shown["on_action"](key)
    assert r.pressed == []


def test_a_change_of_ours_is_no_news() -> None:
    r = make()
    r.ledger.begin(X, Action.START)
    set_state(r.table, S, "x", D.RUNNING)
    r.ledger.end(X)
    set_state(r.table, S, "x", D.DORMANT)  # systemd's late signal, within the grace
    assert r.notifier.shown == []


def test_a_daemon_the_user_does_not_want_to_hear_of_is_not_announced() -> None:
    r = make()
    r.shown.clear()
    set_state(r.table, S, "x", D.RUNNING)
    assert r.notifier.shown == []


def test_only_the_daemon_wanted_is_announced() -> None:
    r = make()
    set_state(r.table, S, "y", D.RUNNING)
    set_state(r.table, S, "x", D.RUNNING)
    assert [s["tag"] for s in r.notifier.shown] == ["x.service"]


def test_a_crash_is_critical_with_a_start_again_button() -> None:
    r = make(D.RUNNING, DaemonMode.ALWAYS_ON)
    set_state(r.table, S, "x", D.FAILED)
    [shown] = r.notifier.shown
    assert shown["title"] == "x failed" and shown["critical"] is True
    assert shown["actions"] == [("start", "Start again")]


def test_mode_changes_and_stops_are_not_announced_as_news() -> None:
    r = make(D.RUNNING, DaemonMode.ALWAYS_ON)
    r.table.update(S, "x.service", {"unit_file_state": "disabled"})  # now on-demand
    set_state(r.table, S, "x", D.STOPPING)
    assert r.notifier.shown == []
    set_state(r.table, S, "x", D.DORMANT)
    [shown] = r.notifier.shown
    assert shown["title"] == "x was stopped"


# -- outcomes of actions ---------------------------------------------------------------


def outcome(action: Action = Action.STOP, status: Status = Status.DONE,
            warnings: tuple[str, ...] = ()) -> Outcome:
    return Outcome(action, S, "x.service", status, "Done.", warnings=warnings,
                   steps_done=("a step",))


def test_an_idle_stops_outcome_is_left_to_the_idle_watcher() -> None:
    r = make(D.RUNNING)
    r.announcer.on_outcome(dataclasses.replace(outcome(), asked_by_idle=True))
    assert r.notifier.shown == []


def test_a_users_stop_refused_during_an_idle_stop_is_still_told() -> None:
    """The idle watcher's stop is on the ledger; the user's click on Stop is
    refused ("another action is still running"): that refusal is the user's
    to see (found in review)."""
    r = make(D.RUNNING)
    r.ledger.begin(X, Action.STOP, EndReason.IDLE)
    refused = outcome(status=Status.BAD_INPUT)
    r.announcer.on_outcome(refused)
    assert [s["critical"] for s in r.notifier.shown] == [True]


def test_a_user_stops_outcome_is_announced() -> None:
    r = make(D.RUNNING)
    r.ledger.begin(X, Action.STOP, EndReason.USER)
    r.ledger.end(X)
    r.announcer.on_outcome(outcome(warnings=("x.socket still listens",)))
    [shown] = r.notifier.shown
    assert shown["title"] == "x stopped" and shown["critical"] is False
    assert shown["body"] == "Done.\nx.socket still listens"
    assert shown["tag"] == "x.service"


def test_an_idle_entry_does_not_hide_other_actions_outcomes() -> None:
    r = make(D.RUNNING)
    r.ledger.begin(X, Action.STOP, EndReason.IDLE)
    r.ledger.end(X)
    r.announcer.on_outcome(outcome(Action.ALWAYS_ON))
    assert [s["title"] for s in r.notifier.shown] == ["x is now always-on"]


def test_an_outcome_without_any_entry_is_announced() -> None:
    r = make(D.RUNNING)
    r.announcer.on_outcome(outcome(Action.START))
    assert [s["title"] for s in r.notifier.shown] == ["x started"]


def test_a_failed_outcome_is_critical() -> None:
    r = make(D.RUNNING)
    r.ledger.begin(X, Action.ON_DEMAND)
    r.ledger.end(X)
    r.announcer.on_outcome(outcome(Action.ON_DEMAND, Status.FAILED))
    [shown] = r.notifier.shown
    assert shown["critical"] is True
    assert shown["title"] == "Could not switch x to on-demand"


def test_outcome_titles() -> None:
    assert outcome_title(outcome(Action.STOP)) == "x stopped"
    assert outcome_title(outcome(Action.ON_DEMAND)) == "x is now on-demand"
    assert outcome_title(outcome(Action.START, Status.NOT_AUTHORISED)) == "Not allowed to change x"
    nothing = dataclasses.replace(outcome(Action.ON_DEMAND), steps_done=())
    assert outcome_title(nothing) == "x was already on-demand"


def test_a_run_begun_after_a_crash_ends_with_its_sleep_told() -> None:
    """The announcer hears every event that begins or ends a run (NOTICE_EVENTS), not
    only the news: a run started after a crash (STARTED, no news) is one it saw
    begin, so its sleep is told (review: subscribed to NEWS alone, it was not)."""
    r = make(D.RUNNING)
    r.table.update(S, "x.service", {"result": "signal"})
    set_state(r.table, S, "x", D.FAILED, "signal")
    set_state(r.table, S, "x", D.RUNNING)  # started again
    r.notifier.shown.clear()
    r.announcer.notices.quiet = 0  # no burst folding in the way
    set_state(r.table, S, "x", D.DORMANT, "success")
    assert [s["title"] for s in r.notifier.shown] == ["x went back to sleep"]
