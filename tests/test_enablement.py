"""Enablement goals against real packages' unit sets: pure core, no bus.

The unit sets are Debian 12's (cups, libvirt): the traps of issue 11.
"""

from __future__ import annotations

from trayapp.core.enablement import Difference, Goal, corrections, differences
from trayapp.core.model import DaemonMode, Manager, UnitInfo, classify
from trayapp.core.plans import Action, Step, Verb, make_plan

S = Manager.SYSTEM


def sock(name: str, state: str, active: str = "active", listen: str = "",
         service: str = "libvirtd.service") -> UnitInfo:
    address = listen or f"/run/libvirt/{name}"
    return UnitInfo(name=name, load_state="loaded", active_state=active, unit_file_state=state,
                    triggers=(service,), listen=(("Stream", address),))


def libvirtd(service_state: str = "enabled") -> tuple[UnitInfo, list[UnitInfo]]:
    service = UnitInfo(name="libvirtd.service", load_state="loaded", active_state="active",
                       unit_file_state=service_state)
    return service, [
        sock("libvirtd.socket", "enabled"),
        sock("libvirtd-ro.socket", "disabled", active="inactive"),
        sock("libvirtd-admin.socket", "enabled"),
        sock("libvirtd-tcp.socket", "disabled", "inactive", "0.0.0.0:16509"),
        sock("libvirtd-tls.socket", "disabled", "inactive", "[::]:16514"),
    ]


def test_on_demand_enables_local_client_sockets_only_and_disables_first() -> None:
    service, sockets = libvirtd()
    plan = make_plan(Action.ON_DEMAND, classify(S, service, sockets), service, sockets)
    assert plan.steps == (
        Step(Verb.DISABLE, ("libvirtd.service",)),
        Step(Verb.ENABLE, ("libvirtd-ro.socket",)),  # not -admin, never -tcp or -tls
        Step(Verb.RELOAD),
        Step(Verb.START, ("libvirtd-ro.socket",)),
        Step(Verb.STOP, ("libvirtd.service",)),
    )
    assert plan.goal == Goal(enable=frozenset({"libvirtd-ro.socket"}),
                             disable=frozenset({"libvirtd.service"}))


def test_an_admin_socket_alone_is_not_on_demand() -> None:
    service, sockets = libvirtd(service_state="disabled")
    admin_only = [s if s.name == "libvirtd-admin.socket" else
                  UnitInfo(**{**s.__dict__, "unit_file_state": "disabled"}) for s in sockets]
    assert classify(S, service, admin_only).mode is DaemonMode.MANUAL
    client = [s if s.name != "libvirtd.socket" else
              UnitInfo(**{**s.__dict__, "unit_file_state": "enabled"}) for s in admin_only]
    assert classify(S, service, client).mode is DaemonMode.ON_DEMAND
    network = [s if s.name != "libvirtd-tcp.socket" else
               UnitInfo(**{**s.__dict__, "unit_file_state": "enabled"}) for s in admin_only]
    assert classify(S, service, network).mode is DaemonMode.ON_DEMAND  # a client can wake it


def test_also_on_disable_is_found_and_put_back() -> None:
    # cups.service has Also=cups.socket cups.path: disabling it disables them.
    before = {"cups.service": "enabled", "cups.socket": "enabled", "cups.path": "enabled",
              "virtlockd.socket": "enabled", "ssh.service": "enabled", "foo.service": "static"}
    goal = Goal(disable=frozenset({"cups.service"}))
    now = {**before, "cups.service": "disabled", "cups.socket": "disabled",
           "cups.path": "disabled"}
    found = differences(goal, before, now)
    assert [d.unit for d in found] == ["cups.path", "cups.socket"]
    assert corrections(found) == (("cups.path", "cups.socket"), ())
    assert differences(goal, before, {**now, "cups.socket": "enabled",
                                      "cups.path": "enabled"}) == []


def test_an_enable_beyond_the_goal_is_disabled_again() -> None:
    before = {"libvirtd.service": "disabled", "virtlogd.socket": "disabled"}
    goal = Goal(enable=frozenset({"libvirtd.service"}))
    now = {"libvirtd.service": "enabled", "virtlogd.socket": "enabled"}
    found = differences(goal, before, now)
    assert found == [Difference("virtlogd.socket", "disabled", "enabled", wanted=False)]
    assert corrections(found) == ((), ("virtlogd.socket",))


def test_what_cannot_be_put_back_stays_a_difference() -> None:
    before = {"cups.socket": "enabled", "gone.socket": "enabled"}
    now = {"cups.socket": "masked"}
    found = differences(Goal(), before, now)
    assert {d.unit for d in found} == {"cups.socket", "gone.socket"}
    assert corrections(found) == ((), ())  # masked or gone: reported, not fought
    assert "cups.socket is masked (was enabled; should be enabled)" in [str(d) for d in found]


def test_runtime_enablement_counts_as_enabled_and_new_files_are_not_judged() -> None:
    before = {"a.socket": "enabled-runtime"}
    now = {"a.socket": "enabled", "new.service": "enabled"}
    assert differences(Goal(), before, now) == []
