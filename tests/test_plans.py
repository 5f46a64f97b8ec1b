"""Plans for each action, from daemon states: pure core, no bus."""

from __future__ import annotations

import pytest

from trayapp.core.model import Manager, UnitInfo, classify
from trayapp.core.plans import Action, Refusal, Step, Verb, allowed_actions, make_plan

S = Manager.SYSTEM


def units(service_active: str = "active", service_file: str = "enabled",
          socket_active: str = "inactive", socket_file: str = "disabled",
          **socket_kw: object) -> tuple[UnitInfo, list[UnitInfo]]:
    service = UnitInfo(name="docker.service", load_state="loaded", active_state=service_active,
                       unit_file_state=service_file)
    socket = UnitInfo(name="docker.socket", load_state="loaded", active_state=socket_active,
                      unit_file_state=socket_file, triggers=("docker.service",),
                      **socket_kw)  # type: ignore[arg-type]
    return service, [socket]


def plan(action: Action, **kw: object):  # type: ignore[no-untyped-def]
    stop = bool(kw.pop("stop", True))
    service, sockets = units(**kw)  # type: ignore[arg-type]
    return make_plan(action, classify(S, service, sockets), service, sockets,
                     stop_if_running=stop)


def test_on_demand_from_always_on_keeps_daemon_reachable() -> None:
    p = plan(Action.ON_DEMAND)
    assert p.steps == (
        Step(Verb.DISABLE, ("docker.service",)),  # first: its Also= may list the socket
        Step(Verb.ENABLE, ("docker.socket",)),
        Step(Verb.RELOAD),
        Step(Verb.START, ("docker.socket",)),
        Step(Verb.STOP, ("docker.service",)),
    )
    # The socket listens before the service stops; one Reload serves both
    # enablement changes.
    verbs = [s.verb for s in p.steps]
    assert verbs.index(Verb.START) < verbs.index(Verb.STOP)
    assert verbs.count(Verb.RELOAD) == 1
    assert p.restore_sockets == ("docker.socket",)


def test_on_demand_busy_leaves_service_running_with_a_note() -> None:
    p = plan(Action.ON_DEMAND, stop=False)
    assert Step(Verb.STOP, ("docker.service",)) not in p.steps
    assert p.notes


def test_on_demand_already_so_is_empty() -> None:
    p = plan(Action.ON_DEMAND, service_active="inactive", service_file="disabled",
             socket_active="active", socket_file="enabled")
    assert p.steps == ()


def test_always_on() -> None:
    p = plan(Action.ALWAYS_ON, service_active="inactive", service_file="disabled",
             socket_active="active", socket_file="enabled")
    assert p.steps == (Step(Verb.ENABLE, ("docker.service",)), Step(Verb.RELOAD),
                       Step(Verb.START, ("docker.service",)))


def test_always_on_refuses_static_service() -> None:
    with pytest.raises(Refusal, match="cannot be enabled"):
        plan(Action.ALWAYS_ON, service_file="static", service_active="inactive",
             socket_file="enabled", socket_active="active")


def test_stop_restores_listening_sockets() -> None:
    p = plan(Action.STOP, socket_active="active", socket_file="enabled")
    assert p.steps == (Step(Verb.STOP, ("docker.service",)),)
    assert p.restore_sockets == ("docker.socket",)


def test_start_and_noop() -> None:
    assert plan(Action.START, service_active="inactive").steps == (
        Step(Verb.START, ("docker.service",)),)
    assert plan(Action.START).steps == ()


def test_undo_inverts_each_verb() -> None:
    for verb, undo in [(Verb.ENABLE, Verb.DISABLE), (Verb.DISABLE, Verb.ENABLE),
                       (Verb.START, Verb.STOP), (Verb.STOP, Verb.START)]:
        assert Step(verb, ("a.socket",)).undo == Step(undo, ("a.socket",))


def test_refusals() -> None:
    with pytest.raises(Refusal, match="BindsTo"):
        plan(Action.ON_DEMAND, binds_to=("docker.service",))
    with pytest.raises(Refusal, match="masked"):
        plan(Action.START, service_file="masked")
    service = UnitInfo(name="x.service", active_state="active")
    with pytest.raises(Refusal, match="no socket"):
        make_plan(Action.STOP, classify(S, service, []), service, [])


def test_allowed_actions() -> None:
    service, sockets = units()
    assert allowed_actions(classify(S, service, sockets)) == {Action.ON_DEMAND, Action.STOP}
    service, sockets = units("inactive", "disabled", "active", "enabled")
    assert allowed_actions(classify(S, service, sockets)) == {Action.ALWAYS_ON, Action.START}
    service, sockets = units(binds_to=("docker.service",))
    assert Action.ON_DEMAND not in allowed_actions(classify(S, service, sockets))
    service, sockets = units(service_file="masked")
    assert allowed_actions(classify(S, service, sockets)) == frozenset()


def test_a_proxied_daemon_is_not_offered_on_demand_again() -> None:
    """Issue 15: its mode is on demand (proxy); only always-on and stop are offered."""
    service = UnitInfo(name="redis-server.service", load_state="loaded", active_state="active",
                       unit_file_state="disabled")
    proxy = UnitInfo(name="trayapp-proxy-redis-server.socket", load_state="loaded",
                     active_state="active", unit_file_state="transient",
                     triggers=("trayapp-proxy-redis-server.service",))
    d = classify(S, service, [proxy])
    assert d.mode.value == "on-demand (proxy)"
    assert allowed_actions(d) == {Action.ALWAYS_ON, Action.STOP}


def test_a_start_or_stop_of_several_units_runs_one_by_one() -> None:
    """So that a step failing at its second unit undoes exactly the first."""
    both = Step(Verb.START, ("a.socket", "b.socket"))
    assert both.one_by_one() == [Step(Verb.START, ("a.socket",)),
                                 Step(Verb.START, ("b.socket",))]
    enable = Step(Verb.ENABLE, ("a.socket", "b.socket"))  # one call: all or nothing
    assert enable.one_by_one() == [enable]
