"""The proxy's plans (issue 15, 21): set up and taken away in steps like every switch.

A daemon with no socket unit goes on demand through trayapp's proxy
(core/proxy.py).  Its plans are ordinary Plans, run by the same executor,
followed and rolled back like the others:

on-demand  a proxy on other addresses is removed first; the proxy is
           created (CREATE: one StartTransientUnit, its socket listening on
           the client addresses, its service as auxiliary unit); the
           daemon's service is disabled (one Reload), then stopped if it
           runs and is idle.  A failure removes the proxy again (the undo
           of CREATE) and undoes the rest.
always-on  the proxy is removed (REMOVE: stopping its service stops the
           daemon too, PropagatesStopTo=), the service enabled and started.
           A failure makes the saved proxy again (the undo of REMOVE).
restore    the saved proxy created again after a reboot (transient units
           live in /run).
"""

from __future__ import annotations

from .enablement import Goal
from .model import UnitInfo
from .plans import Action, Plan, Step, Transient, Verb
from .proxy import ProxySpec, proxy_service_name, service_properties, socket_name, socket_properties
from .proxy_address import ProxyRefusal

_ENABLED = frozenset({"enabled"})  # what DisableUnitFiles can undo (not /run links)
TAKEN_HINT = "is another program listening on the client address?"


def create_step(spec: ProxySpec, proxyd: str, holder: tuple[str, int] | None) -> Step:
    """Make the proxy's socket and service (``holder``: awk and the uid that must hold
    the back end, for a TCP one)."""
    units = (socket_name(spec.service), proxy_service_name(spec.service))
    return Step(Verb.CREATE, units,
                Transient((tuple(socket_properties(spec)),
                           tuple(service_properties(spec, proxyd, holder))), TAKEN_HINT))


def remove_step(service: str, again: Step | None = None) -> Step:
    """Take the proxy of ``service`` away; ``again`` (its CREATE) makes it again on undo."""
    return Step(Verb.REMOVE, (socket_name(service), proxy_service_name(service)),
                again.transient if again is not None else None)


def on_demand(service: UnitInfo, create: Step, *, old: Step | None = None,
              stop: bool) -> Plan:
    """``old``: the REMOVE of a proxy on other addresses; ``stop``: the daemon runs and
    is idle (or the user forced it)."""
    steps = [*([old] if old is not None else []), create]
    goal = None
    if service.unit_file_state in _ENABLED:
        steps += [Step(Verb.DISABLE, (service.name,)), Step(Verb.RELOAD)]
        goal = Goal(disable=frozenset({service.name}))
    if stop:
        steps.append(Step(Verb.STOP, (service.name,)))
    return Plan(Action.ON_DEMAND, service.name, tuple(steps), goal=goal)


def always_on(service: UnitInfo, remove: Step | None) -> Plan:
    """``remove``: the REMOVE of the proxy there is (None: there is none)."""
    if service.load_state == "masked" or service.unit_file_state.startswith("masked"):
        raise ProxyRefusal(f"{service.name} is masked; unmask it first (systemctl unmask)")
    steps = [remove] if remove is not None else []
    goal = None
    if service.unit_file_state == "disabled":
        steps += [Step(Verb.ENABLE, (service.name,)), Step(Verb.RELOAD)]
        goal = Goal(enable=frozenset({service.name}))
    elif service.unit_file_state not in ("enabled", "enabled-runtime"):
        raise ProxyRefusal(f"{service.name} cannot be enabled (its unit file state is "
                           f"{service.unit_file_state or 'unknown'})")
    # Removing the proxy stops the daemon with its service: it starts again here.
    if remove is not None or service.active_state != "active":
        steps.append(Step(Verb.START, (service.name,)))
    return Plan(Action.ALWAYS_ON, service.name, tuple(steps), goal=goal)


def restore(spec: ProxySpec, create: Step) -> Plan:
    return Plan(Action.ON_DEMAND, spec.service, (create,))
