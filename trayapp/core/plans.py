"""What each action does, as ordered steps over systemd's manager methods.

A plan is pure data: the executor in the systemd adapter runs the steps in
order, follows each job to its end, and on a failure runs the undo of every
step already done, newest first.  Plans are made from the daemon as the
table sees it, so they only contain steps that change something.

on-demand  the service disabled, then its local client sockets enabled (one
           Reload for both), then those sockets started, then the service
           stopped if it is idle: the daemon stays reachable at every moment
           (a client arriving mid-way finds a socket or the running service).
           The disable comes first because it follows the service's Also=,
           which often lists the very sockets (cups, avahi, libvirt).
           Admin sockets (``-admin``) and network sockets (libvirtd-tcp,
           -tls) keep their enablement: they are off by design.  Path units
           that start the service (cups.path: PathExists= of a file cupsd
           leaves behind, so it starts cups at every boot) are disabled and
           stopped with it: on demand means only a client wakes it.
always-on  the service enabled and started; its sockets stay enabled, and its
           path units are enabled and started again.

Each switch carries its ``goal`` for enablement (core/enablement.py): the
executor holds every other unit file to its state before the switch, puts
back what systemd's calls changed beyond the goal, and fails (rolling back)
when the goal does not hold at the end.
stop       the service stopped; its sockets keep listening, so the next
           client wakes it.  Some packages' PartOf= takes a socket down with
           the service: the executor checks the sockets afterwards and
           starts again the ones that listened before (``restore_sockets``).
start      the service started now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from .enablement import Goal
from .model import (
    Daemon,
    DaemonMode,
    DaemonState,
    UnitInfo,
    binding_warning,
    client_sockets,
    is_network_socket,
)
from .unit_properties import Property
from .words import QT_TRANSLATE_NOOP, Labels, join, translate


class Action(StrEnum):
    ON_DEMAND = "on-demand"
    ALWAYS_ON = "always-on"
    STOP = "stop"
    START = "start"


class Verb(StrEnum):
    ENABLE = "enable"  # EnableUnitFiles
    DISABLE = "disable"  # DisableUnitFiles
    RELOAD = "reload"  # Reload (after enablement changes, so properties are fresh)
    START = "start"  # StartUnit, job followed to JobRemoved
    STOP = "stop"  # StopUnit, job followed to JobRemoved
    CHECK = "check"  # not a call: the goal is compared with what holds (nothing to undo)
    CREATE = "create"  # StartTransientUnit: the first unit, the others as its auxiliary units
    REMOVE = "remove"  # StopUnit of each transient unit (ResetFailedUnit if failed): gone


_UNDO = {
    Verb.ENABLE: Verb.DISABLE,
    Verb.DISABLE: Verb.ENABLE,
    Verb.START: Verb.STOP,
    Verb.STOP: Verb.START,
    Verb.RELOAD: Verb.RELOAD,
    Verb.CHECK: Verb.CHECK,
    Verb.CREATE: Verb.REMOVE,
    Verb.REMOVE: Verb.CREATE,
}



@dataclass(frozen=True)
class Transient:
    """What a CREATE step makes (and the undo of a REMOVE makes again): one list of
    properties per unit of the step, and what a failed start most likely means."""

    properties: tuple[tuple[Property, ...], ...]
    hint: str = ""


@dataclass(frozen=True)
class Step:
    verb: Verb
    units: tuple[str, ...] = ()
    # CREATE: the units' definition; REMOVE: the one to make again on undo (None: unknown)
    transient: Transient | None = field(default=None, compare=False, hash=False, repr=False)

    @property
    def undo(self) -> Step:
        return Step(_UNDO[self.verb], self.units, self.transient)

    def one_by_one(self) -> list[Step]:
        """A start or stop of several units as one step per unit (each undone alone)."""
        if self.verb in (Verb.START, Verb.STOP) and len(self.units) > 1:
            return [Step(self.verb, (unit,)) for unit in self.units]
        return [self]

    def __str__(self) -> str:
        units = self.units[:1] if self.verb in (Verb.CREATE, Verb.REMOVE) else self.units
        return f"{self.verb} {' '.join(units)}".strip()


@dataclass(frozen=True)
class Plan:
    action: Action
    service: str
    steps: tuple[Step, ...]
    # Sockets that listened before a stop and must listen after it.
    restore_sockets: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())
    # The enablement the switch means to reach (None: it changes none).
    goal: Goal | None = None
    # False: no call may make polkit ask for a password (the stop before sleep:
    # nobody is there to answer); polkit then says yes or no at once.
    interactive: bool = True


class Refusal(Exception):
    """The action cannot be done for this daemon; the message explains why."""


_ENABLED = frozenset({"enabled", "enabled-runtime"})
_ENABLEABLE = frozenset({"disabled"})  # static/indirect units cannot be enabled
# Why a unit file state cannot be enabled, in words (translated when looked up).
_NOT_ENABLEABLE: Labels[str] = Labels("plans", {
    "indirect": QT_TRANSLATE_NOOP(
        "plans", "its unit file only names other units to enable (Also=), and they start it"),
    "static": QT_TRANSLATE_NOOP(
        "plans", "its unit file has no [Install] section: other units pull it in"),
    "generated": QT_TRANSLATE_NOOP("plans", "a generator made it"),
    "transient": QT_TRANSLATE_NOOP("plans", "it is a transient unit"),
})


def allowed_actions(d: Daemon) -> frozenset[Action]:
    """The actions that make sense now (the tray greys out the others)."""
    if d.mode is DaemonMode.MASKED:
        return frozenset()
    allowed = set()
    if not d.mode.on_demand and not d.bound_by:
        allowed.add(Action.ON_DEMAND)
    if d.mode is not DaemonMode.ALWAYS_ON:
        allowed.add(Action.ALWAYS_ON)
    if d.state in (DaemonState.RUNNING, DaemonState.STARTING):
        allowed.add(Action.STOP)
    if d.state in (DaemonState.DORMANT, DaemonState.OFF, DaemonState.FAILED):
        allowed.add(Action.START)
    return frozenset(allowed)


def make_plan(
    action: Action,
    daemon: Daemon,
    service: UnitInfo,
    sockets: list[UnitInfo],
    *,
    stop_if_running: bool = True,
    paths: list[UnitInfo] | tuple[UnitInfo, ...] = (),
) -> Plan:
    """The steps for ``action``; raises Refusal when it cannot work."""
    if daemon.mode is DaemonMode.MASKED:
        raise Refusal(translate("plans", "{service} is masked; unmask it first (systemctl "
                                "unmask)").format(service=daemon.service))
    if not sockets:
        raise Refusal(translate("plans", "{service} has no socket unit, so it cannot be started "
                                "on demand").format(service=daemon.service))
    if action is Action.ON_DEMAND:
        return _on_demand(daemon, service, sockets, stop_if_running, list(paths))
    if action is Action.ALWAYS_ON:
        return _always_on(daemon, service, list(paths))
    if action is Action.STOP:
        listening = tuple(s.name for s in sockets if s.active_state == "active")
        steps = () if daemon.state is DaemonState.DORMANT else (Step(Verb.STOP, (service.name,)),)
        if daemon.state is DaemonState.OFF:
            steps = ()
        return Plan(action, service.name, steps, restore_sockets=listening)
    steps = () if daemon.state is DaemonState.RUNNING else (Step(Verb.START, (service.name,)),)
    return Plan(action, service.name, steps)


def _on_demand(d: Daemon, service: UnitInfo, sockets: list[UnitInfo], stop: bool,
               paths: list[UnitInfo]) -> Plan:
    if d.bound_by:
        raise Refusal(translate("plans", "cannot make {service} on-demand: {why}").format(
            service=d.service, why=binding_warning(d.bound_by[0], d.service)))
    clients = client_sockets(sockets)
    to_enable = tuple(s.name for s in clients
                      if s.unit_file_state in _ENABLEABLE and not is_network_socket(s))
    listening = [s for s in clients if s.unit_file_state in _ENABLED or s.name in to_enable
                 or s.wanted_by or s.required_by]
    if not listening:
        raise Refusal(translate(
            "plans", "none of {sockets} can wake it after a reboot (no local client socket "
            "with an [Install] section), so nothing would listen").format(
            sockets=join(s.name for s in clients) or translate("plans", "its sockets")))
    to_start = tuple(s.name for s in listening if s.active_state != "active")
    to_disable = tuple(u.name for u in (service, *paths) if u.unit_file_state in _ENABLED)
    to_stop = tuple(p.name for p in paths if p.active_state == "active")
    # Enablement only matters at the next boot, so both changes share one
    # Reload (each Reload costs PID 1 a full re-read, and polkit a check).
    # What keeps the daemon reachable now is the order of the runtime steps:
    # the sockets listen before the service stops.
    steps: list[Step] = []
    if to_disable:
        steps.append(Step(Verb.DISABLE, to_disable))
    if to_enable:
        steps.append(Step(Verb.ENABLE, to_enable))
    if to_enable or to_disable:
        steps.append(Step(Verb.RELOAD))
    if to_start:
        steps.append(Step(Verb.START, to_start))
    notes: list[str] = []
    if to_stop:
        steps.append(Step(Verb.STOP, to_stop))
    running = d.state in (DaemonState.RUNNING, DaemonState.STARTING)
    if running and stop:
        steps.append(Step(Verb.STOP, (service.name,)))
    elif running:
        notes.append(translate("plans", "{service} keeps running until it is stopped; it will "
                               "not start at boot").format(service=d.service))
    restore = tuple(s.name for s in listening) if running and stop else ()
    goal = Goal(enable=frozenset(to_enable), disable=frozenset(to_disable)) \
        if to_enable or to_disable else None
    return Plan(Action.ON_DEMAND, service.name, tuple(steps), restore, tuple(notes), goal)


def _always_on(d: Daemon, service: UnitInfo, paths: list[UnitInfo]) -> Plan:
    steps: list[Step] = []
    path_names = tuple(p.name for p in paths if p.unit_file_state in _ENABLEABLE)
    if service.unit_file_state not in _ENABLED | _ENABLEABLE:
        state = service.unit_file_state
        why = _NOT_ENABLEABLE[state] if state in _NOT_ENABLEABLE else translate(
            "plans", "its unit file state is {state}").format(state=state or "unknown")
        raise Refusal(translate("plans", "{service} cannot be enabled to start at boot: {why}"
                                ).format(service=d.service, why=why))
    to_enable = (service.name,) if service.unit_file_state not in _ENABLED else ()
    if to_enable or path_names:
        steps += [Step(Verb.ENABLE, (*to_enable, *path_names)), Step(Verb.RELOAD)]
    to_start = tuple(p.name for p in paths if p.active_state != "active" and
                     (p.name in path_names or p.unit_file_state in _ENABLED))
    if d.state is not DaemonState.RUNNING:
        to_start = (service.name, *to_start)
    if to_start:
        steps.append(Step(Verb.START, to_start))
    goal = Goal(enable=frozenset((*to_enable, *path_names))) if steps and \
        steps[0].verb is Verb.ENABLE else None
    return Plan(Action.ALWAYS_ON, service.name, tuple(steps), goal=goal)
