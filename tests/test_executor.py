"""The executor (adapters/dbus/jobs.py run_plan) against the fake systemd of tests/fakes.py.

Fast: no bus.  What systemd's replies really look like is the testbed tier's
business (test_actions_testbed.py); here the order of the calls, their flags,
the rollback and the job results are checked.
"""

from __future__ import annotations

import asyncio

from tests.fakes import ACCESS_DENIED, FakeConnection, FakeUnit
from trayapp.adapters.dbus.bus import Connection
from trayapp.adapters.dbus.follower import JobFollower
from trayapp.adapters.dbus.jobs import Run, run_plan
from trayapp.core.enablement import Goal
from trayapp.core.plans import Action, Plan, Step, Verb

JOB_WAIT = 5.0  # a job result that is never taken hangs for JOB_TIMEOUT: fail sooner


def x_units(**service: object) -> list[FakeUnit]:
    """x.service, enabled and running, and its disabled x.socket: an always-on daemon."""
    spec: dict[str, object] = {"active_state": "active", "unit_file_state": "enabled",
                               "triggered_by": ("x.socket",)}
    spec.update(service)
    return [FakeUnit("x.service", **spec),  # type: ignore[arg-type]
            FakeUnit("x.socket", triggers=("x.service",), listen=(("Stream", "/run/x.sock"),))]


async def rig(units: list[FakeUnit]) -> tuple[FakeConnection, JobFollower]:
    conn = await FakeConnection.open(units)
    jobs = JobFollower(conn)  # type: ignore[arg-type]
    await jobs.subscribe()
    return conn, jobs


async def run(conn: FakeConnection, jobs: JobFollower, plan: Plan,
              was_active: frozenset[str] = frozenset()) -> Run:
    fake: Connection = conn  # type: ignore[assignment]
    return await asyncio.wait_for(run_plan(fake, jobs, plan, was_active), JOB_WAIT)


ON_DEMAND = Plan(Action.ON_DEMAND, "x.service", (
    Step(Verb.DISABLE, ("x.service",)), Step(Verb.ENABLE, ("x.socket",)), Step(Verb.RELOAD),
    Step(Verb.START, ("x.socket",)), Step(Verb.STOP, ("x.service",)),
), restore_sockets=("x.socket",),
    goal=Goal(enable=frozenset({"x.socket"}), disable=frozenset({"x.service"})))


async def test_steps_run_in_order_and_only_the_changes_may_ask_for_a_password() -> None:
    conn, jobs = await rig(x_units())
    result = await run(conn, jobs, ON_DEMAND, frozenset({"x.service"}))
    assert result.error is None and result.rollback_errors == []
    assert result.done == list(ON_DEMAND.steps)
    assert conn.mutations() == [
        ("DisableUnitFiles", "x.service"), ("EnableUnitFiles", "x.socket"), ("Reload",),
        ("StartUnit", "x.socket"), ("StopUnit", "x.service"),
    ]
    changes = [c for c in conn.log if c.member in ("DisableUnitFiles", "EnableUnitFiles",
                                                   "Reload", "StartUnit", "StopUnit")]
    assert all(c.interactive for c in changes)
    reads = [c for c in conn.log if c not in changes]
    assert {c.member for c in reads} >= {"ListUnitFilesByPatterns", "GetAll", "Subscribe"}
    assert not any(c.interactive for c in reads), [c for c in reads if c.interactive]
    # The bodies as systemd takes them: runtime=False, force=False; mode "replace".
    enable = next(c for c in conn.log if c.member == "EnableUnitFiles")
    assert enable.body == [["x.socket"], False, False]
    start = next(c for c in conn.log if c.member == "StartUnit")
    assert start.body == ["x.socket", "replace"]
    assert conn.state("x.service") == ("disabled", "inactive")
    assert conn.state("x.socket") == ("enabled", "active")


async def test_a_failed_step_is_undone_newest_first() -> None:
    conn, jobs = await rig([FakeUnit("a.socket"), FakeUnit("b.socket"), FakeUnit("c.socket")])
    conn.fail("StartUnit", "c.socket", result="failed")
    plan = Plan(Action.START, "a.service", (
        Step(Verb.ENABLE, ("a.socket",)), Step(Verb.RELOAD),
        Step(Verb.START, ("a.socket", "b.socket", "c.socket")),
    ))
    result = await run(conn, jobs, plan)
    assert result.error is not None
    assert result.error.step == Step(Verb.START, ("c.socket",))
    assert result.error.reason == "the start job of c.socket ended with 'failed'"
    assert result.rollback_errors == []
    assert conn.mutations() == [
        ("EnableUnitFiles", "a.socket"), ("Reload",),
        ("StartUnit", "a.socket"), ("StartUnit", "b.socket"), ("StartUnit", "c.socket"),
        ("ResetFailedUnit", "c.socket"),  # the failed start leaves it as it was
        # the undo, newest first; the Reload once, at the end
        ("StopUnit", "b.socket"), ("StopUnit", "a.socket"), ("DisableUnitFiles", "a.socket"),
        ("Reload",),
    ]
    for name in ("a.socket", "b.socket", "c.socket"):
        assert conn.state(name) == ("disabled", "inactive"), name


async def test_units_that_the_failure_took_down_are_started_again() -> None:
    # x.service Requires= x.socket: when the socket's start fails, systemd stops the
    # service too.  Nothing was done to undo, but the service ran before.
    units = x_units(requires=("x.socket",))
    conn, jobs = await rig(units)
    conn.fail("StartUnit", "x.socket", result="failed", times=1)
    plan = Plan(Action.START, "x.service", (Step(Verb.START, ("x.socket",)),))
    result = await run(conn, jobs, plan, frozenset({"x.service"}))
    assert result.error is not None and result.done == []
    assert conn.mutations() == [("StartUnit", "x.socket"), ("ResetFailedUnit", "x.socket"),
                                ("StartUnit", "x.service")]
    assert conn.state("x.service") == ("enabled", "active")
    assert result.rollback_errors == []


async def test_a_restart_that_fails_is_a_rollback_error() -> None:
    conn, jobs = await rig(x_units(requires=("x.socket",)))
    conn.fail("StartUnit", "x.socket", result="failed")
    conn.fail("StartUnit", "x.service", result="timeout")
    plan = Plan(Action.START, "x.service", (Step(Verb.START, ("x.socket",)),))
    result = await run(conn, jobs, plan, frozenset({"x.service"}))
    [error] = result.rollback_errors
    assert error.step == Step(Verb.START, ("x.service",))
    assert error.reason == "the start job of x.service ended with 'timeout'"


async def test_a_job_end_heard_before_the_reply_is_kept() -> None:
    conn, jobs = await rig(x_units(active_state="inactive"))
    conn.jobs_before_reply = True  # dbus-fast may hand the signal over first
    conn.fail("StartUnit", "x.socket", result="dependency", times=1)
    plan = Plan(Action.START, "x.service", (Step(Verb.START, ("x.service", "x.socket")),))
    result = await run(conn, jobs, plan)
    # The service's "done" and the socket's "dependency" were both taken: not lost
    # (a hang until JOB_WAIT), nor mixed up.
    assert result.done == [Step(Verb.START, ("x.service",))]
    assert result.error is not None
    assert result.error.reason == "the start job of x.socket ended with 'dependency'"


async def test_a_job_end_from_another_sender_is_not_heard() -> None:
    conn, jobs = await rig(x_units(active_state="inactive"))
    conn.forge(":1.99")  # says "done" for every job, before systemd says anything
    conn.fail("StartUnit", "x.service", result="failed", times=1)
    plan = Plan(Action.START, "x.service", (Step(Verb.START, ("x.service",)),))
    result = await run(conn, jobs, plan)
    assert result.error is not None
    assert result.error.reason == "the start job of x.service ended with 'failed'"
    assert conn.gate.drops.dropped >= 1


async def test_what_an_also_changed_beyond_the_goal_is_put_back() -> None:
    # x.service's [Install] Also= names another daemon's socket: disabling x.service
    # disables y.socket too.  y.socket must end as it began, enabled.
    units = [*x_units(also=("x.socket", "y.socket")),
             FakeUnit("y.socket", unit_file_state="enabled", active_state="active")]
    conn, jobs = await rig(units)
    result = await run(conn, jobs, ON_DEMAND, frozenset({"x.service", "y.socket"}))
    assert result.error is None and result.unmet == []
    assert [d.unit for d in result.repaired] == ["y.socket"]
    assert conn.state("y.socket") == ("enabled", "active")
    assert conn.state("x.socket") == ("enabled", "active")
    assert conn.state("x.service") == ("disabled", "inactive")
    assert conn.mutations()[-2:] == [("EnableUnitFiles", "y.socket"), ("Reload",)]


async def test_a_refused_change_is_undone_with_the_enablement_as_before() -> None:
    conn, jobs = await rig(x_units())
    conn.fail("EnableUnitFiles", "x.socket", error=ACCESS_DENIED, text="Access denied", times=1)
    result = await run(conn, jobs, ON_DEMAND, frozenset({"x.service"}))
    assert result.error is not None and result.error.step == Step(Verb.ENABLE, ("x.socket",))
    assert result.error.reason == "Access denied"
    assert result.done == [Step(Verb.DISABLE, ("x.service",))]
    assert conn.state("x.service") == ("enabled", "active")
    assert conn.state("x.socket") == ("disabled", "inactive")
    assert result.rollback_errors == []


async def test_a_socket_that_stopped_with_its_service_listens_again() -> None:
    # Some packages' PartOf= takes the socket down with the service (modelled as the
    # socket requiring it): the stop plan names the sockets that must listen after it.
    units = [FakeUnit("x.service", active_state="active", triggered_by=("x.socket",)),
             FakeUnit("x.socket", active_state="active", unit_file_state="enabled",
                      triggers=("x.service",), requires=("x.service",))]
    conn, jobs = await rig(units)
    plan = Plan(Action.STOP, "x.service", (Step(Verb.STOP, ("x.service",)),),
                restore_sockets=("x.socket",))
    result = await run(conn, jobs, plan)
    assert result.error is None
    assert conn.mutations() == [("StopUnit", "x.service"), ("StartUnit", "x.socket")]
    assert conn.state("x.socket") == ("enabled", "active")
    assert conn.state("x.service") == ("disabled", "inactive")
