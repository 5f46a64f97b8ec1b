"""One action from a name to its Outcome (usecases/actions.py perform), over the fake systemd.

The plans are core/plans.py's (make_plan, as perform makes them); the calls
and replies are tests/fakes.py's stand-in for systemd (the testbed tier runs
the same actions on real systemd: test_actions_testbed.py).

perform asks whether a running service is busy before stopping it
(usecases/workload.check_busy), which reads the kernel's socket and
process tables: the tests that stop a running service replace that check
(``not_busy``/``busy``) and say so; the others keep the service inactive.
"""

from __future__ import annotations

import pytest

from tests.fakes import ACCESS_DENIED, NO_AGENT, FakeConnection, FakeUnit
from trayapp.adapters.busy import BusyReport
from trayapp.adapters.dbus.follower import JobFollower
from trayapp.core import outcome_words as words
from trayapp.core.outcome import Outcome, Status
from trayapp.core.plans import Action
from trayapp.usecases import actions

Checks = list[tuple[str, list[tuple[str, str]]]]


def daemon(service_file: str, service_active: str, socket_file: str,
           socket_active: str) -> list[FakeUnit]:
    return [
        FakeUnit("x.service", active_state=service_active, unit_file_state=service_file,
                 triggered_by=("x.socket",), also=("x.socket",)),
        FakeUnit("x.socket", active_state=socket_active, unit_file_state=socket_file,
                 triggers=("x.service",), listen=(("Stream", "/run/x.sock"),)),
    ]


async def perform(units: list[FakeUnit], action: Action, arrange: object = None
                  ) -> tuple[Outcome, FakeConnection]:
    conn = await FakeConnection.open(units)
    if callable(arrange):
        arrange(conn)
    jobs = JobFollower(conn)  # type: ignore[arg-type]
    await jobs.subscribe()
    return await actions.perform(conn, jobs, "x", action), conn  # type: ignore[arg-type]


def check_stub(monkeypatch: pytest.MonkeyPatch, reasons: list[str]) -> Checks:
    """check_busy replaced: it would read the kernel's tables for x's clients."""
    asked: Checks = []

    async def check(manager: object, service: str, listen: list[tuple[str, str]],
                    connections: object, stats: object = None) -> BusyReport:
        asked.append((service, listen))
        return BusyReport(reasons=list(reasons))

    monkeypatch.setattr(actions, "check_busy", check)
    return asked


@pytest.fixture
def not_busy(monkeypatch: pytest.MonkeyPatch) -> Checks:
    return check_stub(monkeypatch, [])


@pytest.fixture
def busy(monkeypatch: pytest.MonkeyPatch) -> Checks:
    return check_stub(monkeypatch, ["1 client connection(s) open on its sockets"])


async def test_on_demand_of_an_always_on_daemon_that_is_not_running() -> None:
    # inactive: no busy check is asked for (it would read the kernel's tables)
    outcome, conn = await perform(daemon("enabled", "inactive", "disabled", "inactive"),
                                  Action.ON_DEMAND)
    assert outcome.status is Status.DONE, outcome.message
    assert outcome.message.startswith(words.done_title(Action.ON_DEMAND, "x", True))
    assert conn.mutations() == [("DisableUnitFiles", "x.service"),
                                ("EnableUnitFiles", "x.socket"), ("Reload",),
                                ("StartUnit", "x.socket")]
    assert outcome.units["x.service"]["UnitFileState"] == "disabled"
    assert outcome.units["x.socket"] == {"UnitFileState": "enabled", "ActiveState": "active",
                                         "SubState": "listening"}
    assert outcome.steps_done == ("disable x.service", "enable x.socket", "reload",
                             "start x.socket")


async def test_on_demand_of_a_running_daemon_stops_it_once_the_socket_listens(
        not_busy: Checks) -> None:
    outcome, conn = await perform(daemon("enabled", "active", "disabled", "inactive"),
                                  Action.ON_DEMAND)
    assert outcome.status is Status.DONE, outcome.message
    assert not_busy == [("x.service", [("Stream", "/run/x.sock")])]
    assert conn.mutations()[-2:] == [("StartUnit", "x.socket"), ("StopUnit", "x.service")]
    assert conn.state("x.service") == ("disabled", "inactive")
    assert conn.state("x.socket") == ("enabled", "active")


async def test_on_demand_of_a_busy_daemon_leaves_it_running(busy: Checks) -> None:
    outcome, conn = await perform(daemon("enabled", "active", "disabled", "inactive"),
                                  Action.ON_DEMAND)
    assert outcome.status is Status.DONE, outcome.message
    assert ("StopUnit", "x.service") not in conn.mutations()
    assert conn.state("x.service") == ("disabled", "active")
    assert any("left running" in w for w in outcome.warnings), outcome.warnings


async def test_always_on_of_a_dormant_daemon() -> None:
    outcome, conn = await perform(daemon("disabled", "inactive", "enabled", "active"),
                                  Action.ALWAYS_ON)
    assert outcome.status is Status.DONE, outcome.message
    assert outcome.message.startswith(words.done_title(Action.ALWAYS_ON, "x", True))
    # Enabling x.service follows its Also=: x.socket was enabled already, so no change.
    assert conn.mutations() == [("EnableUnitFiles", "x.service"), ("Reload",),
                                ("StartUnit", "x.service")]
    assert conn.state("x.service") == ("enabled", "active")
    assert conn.state("x.socket") == ("enabled", "active")


async def test_stop_of_a_running_daemon_keeps_its_socket(not_busy: Checks) -> None:
    outcome, conn = await perform(daemon("disabled", "active", "enabled", "active"),
                                  Action.STOP)
    assert outcome.status is Status.DONE, outcome.message
    assert not_busy == [("x.service", [("Stream", "/run/x.sock")])]
    assert conn.mutations() == [("StopUnit", "x.service")]
    assert outcome.units["x.service"]["ActiveState"] == "inactive"
    assert outcome.units["x.socket"]["ActiveState"] == "active"


async def test_stop_of_a_busy_daemon_is_refused_before_any_call(busy: Checks) -> None:
    outcome, conn = await perform(daemon("disabled", "active", "enabled", "active"),
                                  Action.STOP)
    assert outcome.status is Status.FAILED
    assert "1 client connection(s) open on its sockets" in outcome.message
    assert conn.mutations() == []


async def test_a_failed_start_is_rolled_back_and_says_so() -> None:
    outcome, conn = await perform(
        daemon("disabled", "inactive", "enabled", "active"), Action.ALWAYS_ON,
        lambda c: c.fail("StartUnit", "x.service", result="failed"))
    assert outcome.status is Status.FAILED
    why = words.step_failed("start x.service", "the start job of x.service ended with 'failed'")
    assert words.failed(Action.ALWAYS_ON, "x", why) in outcome.message
    assert words.rolled_back(2) in outcome.message  # the enable and its reload
    assert words.nothing_had_changed() not in outcome.message
    assert conn.state("x.service") == ("disabled", "inactive")  # as before
    assert conn.state("x.socket") == ("enabled", "active")
    assert "x.service: disabled, inactive" in outcome.message  # what holds now


async def test_a_rollback_that_fails_is_told_apart() -> None:
    def arrange(conn: FakeConnection) -> None:
        conn.fail("StartUnit", "x.service", result="failed")
        conn.fail("DisableUnitFiles", "x.service", error="org.freedesktop.DBus.Error.Failed",
                  text="Read-only file system")

    outcome, conn = await perform(daemon("disabled", "inactive", "enabled", "active"),
                                  Action.ALWAYS_ON, arrange)
    assert outcome.status is Status.FAILED
    assert words.rolled_back(2) not in outcome.message
    assert "Read-only file system" in outcome.message
    assert conn.state("x.service") == ("enabled", "inactive")  # reset after its failed start


async def test_nothing_had_changed_when_the_first_step_fails() -> None:
    outcome, conn = await perform(
        daemon("enabled", "inactive", "disabled", "inactive"), Action.ON_DEMAND,
        lambda c: c.fail("DisableUnitFiles", error="org.freedesktop.DBus.Error.Failed",
                         text="Read-only file system"))
    assert outcome.status is Status.FAILED
    assert words.nothing_had_changed() in outcome.message
    assert "rolled back" not in outcome.message.lower()
    assert outcome.steps_done == ()
    assert conn.mutations() == [("DisableUnitFiles", "x.service")]
    assert conn.state("x.service") == ("enabled", "inactive")


@pytest.mark.parametrize("error", [ACCESS_DENIED, NO_AGENT])
async def test_a_refusal_by_polkit_at_the_first_step_is_not_authorised(error: str) -> None:
    outcome, conn = await perform(
        daemon("disabled", "inactive", "enabled", "active"), Action.ALWAYS_ON,
        lambda c: c.fail("EnableUnitFiles", error=error, text="Access denied"))
    assert outcome.status is Status.NOT_AUTHORISED
    expected = words.no_agent() if error == NO_AGENT else words.refused("system",
                                                                        "Access denied")
    assert outcome.message == words.not_allowed("x", expected)
    assert conn.mutations() == [("EnableUnitFiles", "x.service")]
