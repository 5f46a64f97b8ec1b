"""Idle rules (core/idle.py) with explicit times, and the IdleWatcher's timers.

The watcher runs on a real DaemonTable and a real asyncio loop with windows
of a few tens of milliseconds; it hears the table's changes as named events
through a real EventHub whose ``ours`` is a real Ledger (as trayapp/services.py
wires them).  What systemd, the busy check and the user would answer comes
from the small fakes below (the Protocols it is given); the fake stop puts
itself on the ledger as the idle watcher's stop (why=IDLE), as
``Services.stop_idle`` does through the controller.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field

import pytest

from tests.fakes import FakeStats, virtual_time
from tests.support import FakeNotifier, set_state, table_with, until_async
from trayapp.adapters.busy import BusyReport
from trayapp.core.events import Event, EventHub, EventKind, events_of
from trayapp.core.idle import (
    TIMER_EVENTS,
    IdleRules,
    Sample,
    ServiceStats,
    TimerStep,
    cpu_share,
    cpu_stat_nsec,
    judge,
    stats_from_properties,
    timer_step,
)
from trayapp.core.keys import Key
from trayapp.core.ledger import Ledger
from trayapp.core.model import Daemon, DaemonMode, DaemonState, Manager
from trayapp.core.outcome import Outcome, Status
from trayapp.core.plans import Action
from trayapp.core.runs import EndReason
from trayapp.core.table import Change
from trayapp.usecases.idlestop import Decision, IdleWatcher

S = Manager.SYSTEM
RULES = IdleRules(window=600, cpu_threshold=0.01)

# -- judge: the rules, with a frozen clock ---------------------------------------------


def test_idle_when_nothing_happened_for_the_whole_window() -> None:
    start, end = Sample(100.0, 5_000_000, "a"), Sample(700.0, 5_000_000, "a")
    assert judge(RULES, start, end, []) == judge(RULES, start, end, ())
    assert judge(RULES, start, end, []).idle


def test_busy_reasons_from_the_connection_and_daemon_checks_are_kept() -> None:
    v = judge(RULES, Sample(0, 0, "a"), Sample(600, 0, "a"), ["1 client connection(s) open"])
    assert not v.idle and v.reasons == ("1 client connection(s) open",)


def test_cpu_at_the_threshold_is_busy_below_is_idle() -> None:
    # 1 % of a CPU over 600 s is 6 s of CPU time.
    at = judge(RULES, Sample(0, 0, "a"), Sample(600, 6_000_000_000, "a"), [])
    below = judge(RULES, Sample(0, 0, "a"), Sample(600, 5_900_000_000, "a"), [])
    assert not at.idle and "1.0% of a CPU" in at.reasons[0]
    assert below.idle


def test_unknown_cpu_is_said_not_guessed() -> None:
    v = judge(RULES, Sample(0, None, "a"), Sample(600, None, "a"), [])
    assert v.idle and "not accounted" in v.notes[0]


def test_a_restart_inside_the_window_or_a_missing_start_is_not_idle() -> None:
    assert not judge(RULES, Sample(0, 0, "a"), Sample(600, 0, "b"), []).idle
    assert not judge(RULES, None, Sample(600, 0, "b"), []).idle
    assert not judge(RULES, Sample(0, 0, "a"), Sample(100, 0, "a"), []).idle  # too early


def test_cpu_share() -> None:
    assert cpu_share(Sample(0, 0), Sample(2, 1_000_000_000)) == 0.5
    assert cpu_share(Sample(0, None), Sample(2, 1)) is None
    assert cpu_share(Sample(2, 0), Sample(2, 1)) is None


def test_stats_from_systemd_properties() -> None:
    props = {
        "ActiveState": "active",
        "InvocationID": bytes.fromhex("00112233445566778899aabbccddeeff"),
        "InactiveExitTimestamp": 1_700_000_000_000_000,
        "ActiveEnterTimestamp": 1_700_000_000_250_000,
        "InactiveExitTimestampMonotonic": 5_000_000,
        "ActiveEnterTimestampMonotonic": 5_250_000,
        "CPUUsageNSec": 2**64 - 1,  # not accounted
        "MemoryCurrent": 4096,
        "ControlGroup": "/system.slice/x.service",
    }
    s = stats_from_properties(props)
    assert s.invocation == "00112233445566778899aabbccddeeff"
    assert s.cpu_nsec is None and s.memory_bytes == 4096 and s.memory_peak is None
    assert s.startup_seconds == 0.25
    assert s.control_group == "/system.slice/x.service"
    assert stats_from_properties({"InvocationID": [0] * 16}).invocation == ""
    assert stats_from_properties({"ActiveEnterTimestamp": 0}).active_enter_usec is None


def test_cpu_stat_parsing() -> None:
    assert cpu_stat_nsec("usage_usec 1873380\nuser_usec 1839920\n") == 1_873_380_000
    assert cpu_stat_nsec("user_usec 5\n") is None


def test_timer_steps_follow_running() -> None:
    table = table_with(("x", DaemonState.DORMANT, DaemonMode.ON_DEMAND))
    hub = EventHub()
    table.listen(hub.publish)
    steps: list[TimerStep | None] = []
    hub.subscribe(EventKind, lambda event: steps.append(timer_step(event)))
    for state in (DaemonState.STARTING, DaemonState.RUNNING, DaemonState.STOPPING,
                  DaemonState.DORMANT, DaemonState.RUNNING, DaemonState.FAILED):
        set_state(table, S, "x", state)
    assert steps == [None, TimerStep.ARM, TimerStep.CANCEL, None, TimerStep.ARM,
                     TimerStep.CANCEL]
    [d] = table.daemons()
    # gone while failed: no timer either way
    assert timer_step(Event(EventKind.VANISHED, d, d, 0.0)) is None
    running = table_with(("x", DaemonState.RUNNING, DaemonMode.ON_DEMAND)).daemons()[0]
    appeared = Event(EventKind.APPEARED, running, None, 0.0)
    assert timer_step(appeared) is TimerStep.ARM  # appeared running
    vanished = Event(EventKind.VANISHED, running, running, 0.0)
    assert timer_step(vanished) is TimerStep.CANCEL  # vanished while running


def _running(d: Daemon | None) -> bool:
    return d is not None and d.state is DaemonState.RUNNING


_STATES = [None, *DaemonState]


@pytest.mark.parametrize("result", ["", "success", "signal"])
@pytest.mark.parametrize("job", [False, True])
@pytest.mark.parametrize("old", _STATES, ids=str)
def test_timer_steps_by_kind_do_what_old_and_new_running_did(
        old: DaemonState | None, job: bool, result: str) -> None:
    # Every change, named by the hub as the watcher hears it: the step by the
    # event's kind is the step that comparing running before and after gave.
    [x] = table_with(("x", DaemonState.DORMANT, DaemonMode.ON_DEMAND)).daemons()
    for new in _STATES:
        for mode in (DaemonMode.ON_DEMAND, DaemonMode.ALWAYS_ON):
            before = None if old is None else dataclasses.replace(x, state=old, job=job)
            after = None if new is None else dataclasses.replace(x, state=new, mode=mode,
                                                                 result=result)
            if before is None and after is None:
                continue
            heard = [e for e in events_of(Change(before, after, 1.0), ours=job)
                     if e.kind in TIMER_EVENTS]
            wanted = (TimerStep.ARM if _running(after) and not _running(before) else
                      TimerStep.CANCEL if _running(before) and not _running(after) else None)
            steps = {timer_step(e) for e in heard} - {None}
            # running -> starting (a reload) names no event: heard as nothing, as before
            assert steps == ({wanted} - {None} if heard else set()), (old, new, heard)
            assert len(heard) <= 1


# -- the watcher: one one-shot timer per running daemon ------------------------------------

WINDOW = 0.05


@dataclass
class FakeSystem(FakeStats):
    """What systemd (the stats reader of tests/fakes.py), busy.check and the stop
    action answer; a service counts as active only while it runs."""

    up: frozenset[DaemonState] = frozenset({DaemonState.RUNNING})
    ledger: Ledger = field(default_factory=Ledger)
    busy: list[str] = field(default_factory=list)
    busy_checks: list[str] = field(default_factory=list)
    stops: list[str] = field(default_factory=list)
    stop_ok: bool = True
    woken_during_stop: bool = False  # a client wakes it again before the stop returns

    async def busy_check(self, d: Daemon, listen: list[tuple[str, str]],
                         stats: ServiceStats) -> BusyReport:
        self.busy_checks.append(d.service)
        return BusyReport(reasons=list(self.busy))

    async def stop(self, manager: Manager, service: str) -> Outcome:
        """Services.stop_idle: the stop on the ledger as IDLE while it runs."""
        key = (manager, service)
        name = service.removesuffix(".service")
        self.stops.append(service)
        assert self.ledger.begin(key, Action.STOP, EndReason.IDLE)
        try:
            if not self.stop_ok:
                return Outcome(Action.STOP, manager, service, Status.FAILED, "it is busy")
            # systemd's signals arrive while the job runs, one loop turn apart.
            for state in (DaemonState.STOPPING, DaemonState.DORMANT):
                set_state(self.table, manager, name, state)
                await asyncio.sleep(0)
            if self.woken_during_stop:
                set_state(self.table, manager, name, DaemonState.RUNNING)
            return Outcome(Action.STOP, manager, service, Status.DONE, "Done.")
        finally:
            self.ledger.end(key)


@dataclass
class Rig:
    watcher: IdleWatcher
    system: FakeSystem
    notifier: FakeNotifier
    decisions: list[Decision]
    ledger: Ledger
    events: list[Event]  # every event the hub named, as the watcher heard them
    stats: list[tuple[Key, ServiceStats]]  # what on_stats was given (the recorder's peak)


def make(answer: str | None = "stop", grace: float = 0.05, **kw: object) -> Rig:
    table = table_with(("x", DaemonState.DORMANT, DaemonMode.ON_DEMAND),
                       ("y", DaemonState.DORMANT, DaemonMode.ON_DEMAND))
    ledger = Ledger()
    hub = EventHub(ours=lambda k: ledger.ours(k) is not None)
    table.listen(hub.publish)
    events: list[Event] = []
    hub.subscribe(EventKind, events.append)
    system = FakeSystem(table, ledger=ledger, **kw)  # type: ignore[arg-type]
    notifier = FakeNotifier(answer)
    decisions: list[Decision] = []
    stats: list[tuple[Key, ServiceStats]] = []
    watcher = IdleWatcher(
        table, system, system.stop, notifier,
        lambda d: WINDOW if d.service == "x.service" else None,
        grace=grace, busy_check=system.busy_check, ledger=ledger,
        on_stats=lambda key, s: stats.append((key, s)), on_decision=decisions.append,
        clock=lambda: asyncio.get_running_loop().time(),  # the loop's: virtual in these tests
    )
    watcher.start(hub)
    return Rig(watcher, system, notifier, decisions, ledger, events, stats)


@virtual_time
async def test_an_idle_daemon_is_warned_then_stopped_and_announced() -> None:
    r = make(answer=None)
    assert r.watcher.armed() == {}  # dormant: no timer, nothing read
    set_state(r.system.table, S, "x", DaemonState.RUNNING)
    assert r.watcher.armed() == {(S, "x.service"): WINDOW}
    await until_async(lambda: r.system.stops)
    await until_async(lambda: r.notifier.announced)
    assert r.notifier.warned == [("x.service", 0.05)]  # the warning came first
    assert "Stopped x" in r.notifier.announced[0]
    # On the loop's hand-stepped clock the window is exactly over when its timer
    # fires: one check, no retry, however loaded the machine.
    assert [d.event for d in r.decisions] == ["armed", "idle", "stopped"]
    # The stop's changes were heard as ours (the recorder calls the run's end
    # IDLE from the ledger), and the check's read went to on_stats.
    stop = [e for e in r.events if e.kind in (EventKind.STOPPING, EventKind.STOPPED_BY_US)]
    assert [(e.kind, e.ours) for e in stop] == [(EventKind.STOPPING, True),
                                                (EventKind.STOPPED_BY_US, True)]
    assert [key for key, _ in r.stats] == [(S, "x.service")]
    entry = r.ledger.ours((S, "x.service"))
    assert entry is not None and not entry.in_flight and entry.why is EndReason.IDLE
    assert r.watcher.armed() == {}


@virtual_time
async def test_keep_running_cancels_that_stop_and_asks_again_later() -> None:
    r = make(answer="keep")
    set_state(r.system.table, S, "x", DaemonState.RUNNING)
    await until_async(lambda: len(r.notifier.warned) >= 2)
    assert r.system.stops == []
    assert "keeps running" in r.notifier.announced[0]
    assert [d.event for d in r.decisions][:4] == ["armed", "idle", "kept", "armed"]
    r.watcher.close()


@virtual_time
async def test_until_i_stop_it_holds_this_run_and_watches_the_next() -> None:
    """Issue 23, finding 10: "Keep running" only snoozed; "Until I stop it" keeps the
    daemon running for this run, and the idle stop watches it again once it slept."""
    r = make(answer="hold")
    set_state(r.system.table, S, "x", DaemonState.RUNNING)
    await until_async(lambda: r.notifier.warned)
    await until_async(lambda: any(d.event == "held" for d in r.decisions))
    assert r.system.stops == [] and r.watcher.armed() == {}
    assert "until you stop it" in r.notifier.announced[0]
    await asyncio.sleep(3 * WINDOW)  # virtual time: no warning, no stop in this run
    assert len(r.notifier.warned) == 1 and r.system.stops == []
    # A re-arm within the run (what starting -> running does) keeps the hold, and the
    # stop before sleep leaves it alone too (review of issue 23's change).
    d = r.system.table.daemon(S, "x.service")
    assert d is not None
    r.watcher.arm(d, WINDOW)
    assert r.watcher.armed() == {}
    stopped: list[str] = []

    async def quiet(manager: Manager, service: str) -> object:
        stopped.append(service)
        raise AssertionError("a held daemon must not be stopped before sleep")

    r.watcher.quiet_stop = quiet
    assert await r.watcher.before_sleep() == [] and stopped == []
    set_state(r.system.table, S, "x", DaemonState.DORMANT)
    set_state(r.system.table, S, "x", DaemonState.RUNNING)  # the next run
    assert r.watcher.armed() == {(S, "x.service"): WINDOW}
    r.watcher.close()


@virtual_time
async def test_busy_rearms_without_a_warning_until_it_is_idle() -> None:
    r = make(answer="stop")
    r.system.busy = ["1 client connection(s) open on its sockets"]
    set_state(r.system.table, S, "x", DaemonState.RUNNING)
    await until_async(lambda: len(r.system.busy_checks) >= 3)
    assert r.notifier.warned == [] and r.system.stops == []
    assert {d.event for d in r.decisions} == {"armed", "busy"}
    r.system.busy = []
    await until_async(lambda: r.system.stops)
    assert r.notifier.warned


@virtual_time
async def test_cpu_use_keeps_it_running() -> None:
    r = make(answer="stop")
    set_state(r.system.table, S, "x", DaemonState.RUNNING)

    async def burn() -> None:
        while True:
            r.system.cpu += 10_000_000  # 10 ms of CPU every 5 ms: 200 % of a CPU
            await asyncio.sleep(0.005)

    task = asyncio.get_running_loop().create_task(burn())
    try:
        await until_async(lambda: sum(d.event == "busy" for d in r.decisions) >= 2)
    finally:
        task.cancel()
    assert r.system.stops == [] and r.notifier.warned == []
    assert "of a CPU" in next(d for d in r.decisions if d.event == "busy").reasons[0]
    r.watcher.close()


@virtual_time
async def test_stopping_elsewhere_cancels_the_timer_and_withdraws_a_warning() -> None:
    r = make(answer=None, grace=10.0)
    set_state(r.system.table, S, "x", DaemonState.RUNNING)
    await until_async(lambda: r.notifier.warned)
    set_state(r.system.table, S, "x", DaemonState.DORMANT)
    await until_async(lambda: r.notifier.withdrawn == 1)
    assert r.system.stops == [] and r.watcher.armed() == {}


@virtual_time
async def test_a_refused_stop_is_announced_and_rearmed() -> None:
    r = make(answer="stop", stop_ok=False)
    set_state(r.system.table, S, "x", DaemonState.RUNNING)
    await until_async(lambda: any(d.event == "not-stopped" for d in r.decisions))
    assert "Did not stop idle x" in r.notifier.announced[0]
    assert r.watcher.armed() == {(S, "x.service"): WINDOW}
    r.watcher.close()


@virtual_time
async def test_daemons_without_a_window_and_dormant_ones_are_never_read() -> None:
    r = make()
    set_state(r.system.table, S, "y", DaemonState.RUNNING)  # no idle window for y
    await asyncio.sleep(WINDOW * 4)
    assert r.system.reads == [] and r.system.busy_checks == [] and r.watcher.armed() == {}


@virtual_time
async def test_reconfigure_arms_a_daemon_already_running() -> None:
    table = table_with(("x", DaemonState.RUNNING, DaemonMode.ON_DEMAND))
    system = FakeSystem(table)
    windows: dict[str, float] = {}
    watcher = IdleWatcher(table, system, system.stop, FakeNotifier("stop"),
                          lambda d: windows.get(d.service), busy_check=system.busy_check)
    watcher.start(EventHub())
    assert watcher.armed() == {}
    windows["x.service"] = 10.0
    watcher.reconfigure()
    assert watcher.armed() == {(S, "x.service"): 10.0}
    del windows["x.service"]
    watcher.reconfigure()
    assert watcher.armed() == {}


@virtual_time
async def test_plain_notifier_reads_keep_from_its_input() -> None:
    from trayapp.cli.idle_watch import PlainNotifier

    lines: list[dict[str, object]] = []
    reader = asyncio.StreamReader()
    notifier = PlainNotifier(lines.append, reader)
    d = table_with(("x", DaemonState.RUNNING, DaemonMode.ON_DEMAND)).daemons()[0]
    reader.feed_data(b"keep\n")
    assert await notifier.warn(d, 1.0) == "keep"
    assert lines[0]["event"] == "warning"
    assert await notifier.warn(d, 0.02) == "stop"  # no answer in time
    reader.feed_eof()
    assert await notifier.warn(d, 0.02) == "stop"  # nobody left to answer


@pytest.mark.parametrize("answer", ["stop", "keep"])
@virtual_time
async def test_changes_of_other_daemons_leave_the_timer_alone(answer: str) -> None:
    r = make(answer=answer)
    set_state(r.system.table, S, "x", DaemonState.RUNNING)
    set_state(r.system.table, S, "y", DaemonState.RUNNING)
    set_state(r.system.table, S, "y", DaemonState.DORMANT)
    assert r.watcher.armed() == {(S, "x.service"): WINDOW}
    r.watcher.close()


@virtual_time
async def test_the_changes_of_its_own_stop_neither_cancel_nor_rearm_it() -> None:
    # Without the ledger's IDLE entry the stop's own "stopping" change would
    # cancel the task that awaits the stop: no announcement would follow.
    r = make(answer="stop")
    armed_during_stop: list[dict[Key, float]] = []
    r.ledger.listen(lambda key, entry: armed_during_stop.append(r.watcher.armed()))
    set_state(r.system.table, S, "x", DaemonState.RUNNING)
    await until_async(lambda: any(d.event == "stopped" for d in r.decisions))
    # Armed from the ledger's begin to its end: the changes in between left it alone.
    assert armed_during_stop == [{(S, "x.service"): WINDOW}] * 2
    assert r.notifier.withdrawn == 0 and len(r.notifier.announced) == 1
    assert r.watcher.armed() == {}


@virtual_time
async def test_a_client_that_wakes_it_during_the_stop_gets_a_new_timer() -> None:
    r = make(answer="stop", woken_during_stop=True)
    set_state(r.system.table, S, "x", DaemonState.RUNNING)
    await until_async(lambda: any(d.event == "stopped" for d in r.decisions))
    assert r.watcher.armed() == {(S, "x.service"): WINDOW}
    assert [d.event for d in r.decisions][-2:] == ["stopped", "armed"]
    r.watcher.close()


@virtual_time
async def test_a_users_stop_during_the_warning_cancels_the_idle_stop() -> None:
    # Only the watcher's own stop (why=IDLE) is let through: anyone else's,
    # even one of this process (the ledger's USER entry), ends the watch.
    r = make(answer=None, grace=10.0)
    key = (S, "x.service")
    set_state(r.system.table, S, "x", DaemonState.RUNNING)
    await until_async(lambda: r.notifier.warned)
    assert r.ledger.begin(key, Action.STOP, EndReason.USER)
    set_state(r.system.table, S, "x", DaemonState.DORMANT)
    r.ledger.end(key)
    await until_async(lambda: r.notifier.withdrawn == 1)
    assert r.system.stops == [] and r.watcher.armed() == {}
    assert [(e.kind, e.ours) for e in r.events][-1] == (EventKind.STOPPED_BY_US, True)


@virtual_time
async def test_close_unsubscribes_and_cancels_every_timer() -> None:
    r = make(answer=None, grace=10.0)
    set_state(r.system.table, S, "x", DaemonState.RUNNING)
    await until_async(lambda: r.notifier.warned)
    r.watcher.close()
    await until_async(lambda: r.notifier.withdrawn == 1)
    assert r.watcher.armed() == {}
    set_state(r.system.table, S, "x", DaemonState.DORMANT)
    set_state(r.system.table, S, "x", DaemonState.RUNNING)  # no longer heard
    assert r.watcher.armed() == {}


@virtual_time
async def test_a_daemon_that_vanishes_loses_its_timer() -> None:
    r = make()
    set_state(r.system.table, S, "x", DaemonState.RUNNING)
    assert r.watcher.armed() == {(S, "x.service"): WINDOW}
    r.system.table.remove(S, "x.socket")
    assert r.watcher.armed() == {}
    assert EventKind.VANISHED in [e.kind for e in r.events]


def test_change_kinds_used_here_come_from_the_real_table() -> None:
    # A guard for the fakes above: the table really reports these transitions.
    table = table_with(("x", DaemonState.DORMANT, DaemonMode.ON_DEMAND))
    seen: list[Change] = []
    table.listen(seen.extend)
    set_state(table, S, "x", DaemonState.RUNNING)
    assert seen and seen[-1].new is not None and seen[-1].new.state is DaemonState.RUNNING


def test_idle_watch_windows_from_names_or_settings() -> None:
    from trayapp.cli.idle_watch import windows
    from trayapp.core.settings import Settings

    table = table_with(("x", DaemonState.RUNNING, DaemonMode.ON_DEMAND),
                       ("y", DaemonState.RUNNING, DaemonMode.ON_DEMAND))
    x, y = table.daemon(S, "x.service"), table.daemon(S, "y.service")
    assert x is not None and y is not None
    chosen = Settings().with_daemon("x.service", idle_stop_minutes=15)
    by_settings = windows(set(), None, chosen)
    assert (by_settings(x), by_settings(y)) == (900.0, None)
    by_name = windows({"y.socket"}, 5.0, chosen)  # a socket name means its daemon
    assert (by_name(x), by_name(y)) == (None, 5.0)
    named_without_after = windows({"x.service", "y.service"}, None, chosen)
    assert (named_without_after(x), named_without_after(y)) == (900.0, None)


class FakeDesktop:
    """trayapp.adapters.dbus.notifications.Notifier's calls, with a user who
    presses ``press`` (or nothing)."""

    def __init__(self, press: str | None) -> None:
        self.press = press
        self.sent: list[dict[str, object]] = []

    async def notify(self, title: str, body: str, **kw: object) -> int | None:
        self.sent.append({"title": title, "body": body, **kw})
        on_action = kw.get("on_action")
        if self.press and callable(on_action):
            asyncio.get_running_loop().call_later(0.01, on_action, self.press)
        return 1

    def show(self, title: str, body: str, **kw: object) -> None:
        self.sent.append({"title": title, "body": body, **kw})


@pytest.mark.parametrize(("press", "expected"), [("keep", "keep"), ("stop", "stop"),
                                                  (None, "stop"), ("default", "stop")])
async def test_desktop_notifier_buttons(press: str | None, expected: str) -> None:
    from trayapp.usecases.announce import DesktopIdleNotifier

    desktop = FakeDesktop(press)
    d = table_with(("x", DaemonState.RUNNING, DaemonMode.ON_DEMAND)).daemons()[0]
    assert await DesktopIdleNotifier(desktop).warn(d, 0.1) == expected
    sent = desktop.sent[0]
    assert sent["actions"] == (("keep", "Keep running"), ("hold", "Until I stop it"),
                               ("stop", "Stop now"))
    assert sent["tag"] == "x.service" and "stops in 0.1 s" in str(sent["body"])


async def test_the_warning_bubble_is_replaced_by_what_came_of_it(tmp_path: object) -> None:
    """Over a real private session bus and a notification server (tests/test_notify.py's):
    the follow-up carries the warning's id as replaces_id, so no stale "is idle"
    bubble is left behind."""
    import subprocess

    from tests.test_notify import Fallback, serve
    from trayapp.adapters.dbus.notifications import Notifier
    from trayapp.usecases.announce import DesktopIdleNotifier

    daemon_bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1",
                                   f"--address=unix:path={tmp_path}/bus"],
                                  stdout=subprocess.PIPE, text=True)
    try:
        assert daemon_bus.stdout is not None
        address = daemon_bus.stdout.readline().strip()
        bus, server = await serve(address, ["actions", "body"])
        notifier = Notifier(Fallback(), address=address)
        d = table_with(("x", DaemonState.RUNNING, DaemonMode.ON_DEMAND)).daemons()[0]
        desktop = DesktopIdleNotifier(notifier)
        assert await desktop.warn(d, 0.05) == "stop"  # nobody answers
        desktop.follow_up(d, "Stopped x after 1 min without use.")
        await until_async(lambda: len(server.received) == 2, what="the follow-up")
        warning, follow = server.received
        assert "is idle" in warning["summary"] and warning["replaces"] == 0
        assert follow["replaces"] == warning["id"] and follow["body"].startswith("Stopped x")
        notifier.close()
        bus.disconnect()
    finally:
        daemon_bus.kill()
        daemon_bus.wait()


@virtual_time
async def test_the_watcher_tells_the_outcome_in_the_warnings_place() -> None:
    told: list[tuple[str, str]] = []
    r = make()
    r.watcher.follow_up = lambda d, text: told.append((d.service, text))
    set_state(r.system.table, S, "x", DaemonState.RUNNING)
    await until_async(lambda: any(dec.event == "stopped" for dec in r.decisions), timeout=3)
    assert told and told[0][0] == "x.service" and told[0][1].startswith("Stopped x")
    assert r.notifier.announced == []  # not a second, separate bubble
    r.watcher.close()
