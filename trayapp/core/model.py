"""What the applet knows about socket-activated daemons, as plain data.

A *daemon* is one service unit together with every socket unit that
triggers it (docker.service with docker.socket; gpg-agent.service with its
four sockets).  Its state and mode are derived here from the units'
properties as systemd reports them; nothing in this module talks to a bus.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from .proxy import proxied_service


class Manager(StrEnum):
    """Which systemd instance owns a unit."""

    SYSTEM = "system"
    USER = "user"


class DaemonState(StrEnum):
    DORMANT = "dormant"  # a socket listens, the service is inactive
    RUNNING = "running"
    STARTING = "starting"
    STOPPING = "stopping"
    FAILED = "failed"  # the service or one of its sockets failed
    OFF = "off"  # no socket listens and the service does not run


# The service has a process: a run goes on (the history records one, from the
# wake to the end).  STOPPING counts: the process is still there.
AWAKE = frozenset({DaemonState.STARTING, DaemonState.RUNNING, DaemonState.STOPPING})
# No process: nothing runs, whether a socket listens (DORMANT) or not (OFF).
DOWN = frozenset({DaemonState.DORMANT, DaemonState.OFF})


class DaemonMode(StrEnum):
    ON_DEMAND = "on-demand"  # a socket starts at boot, the service does not
    ALWAYS_ON = "always-on"  # the service starts at boot
    MANUAL = "manual"  # neither starts at boot
    MASKED = "masked"  # the service (or every socket) is masked
    # trayapp's proxy (core/proxy.py) listens for it and starts it; the service
    # itself does not start at boot (issue 15).
    ON_DEMAND_PROXY = "on-demand (proxy)"

    @property
    def on_demand(self) -> bool:
        """Started by a connection, through its own socket or trayapp's proxy."""
        return self in (DaemonMode.ON_DEMAND, DaemonMode.ON_DEMAND_PROXY)


# UnitFileState values (systemctl(1), "is-enabled") that start a unit at boot
# by themselves.
_ENABLED = frozenset({"enabled", "enabled-runtime"})
# Values that say nothing on their own: the unit has no [Install] section or
# is enabled through another unit.  Such a unit still starts at boot when a
# target pulls it in (dbus.socket is static and wanted by sockets.target), so
# for these we look at who wants it (WantedBy=/RequiredBy=).
_DEPENDS_ON_PULLERS = frozenset({"static", "indirect", "generated", "alias", "transient", ""})
_MASKED = frozenset({"masked", "masked-runtime"})
# Reverse dependencies that mean "started at boot" when they pull a unit in.
_BOOT_TARGETS = frozenset(
    {
        "sockets.target",
        "multi-user.target",
        "graphical.target",
        "default.target",
        "basic.target",
        "sysinit.target",
    }
)


@dataclass(frozen=True)
class UnitInfo:
    """The properties of one unit that classification needs.

    Field names follow systemd's D-Bus property names in snake case.  Values
    the adapter could not read stay at their defaults.
    """

    name: str
    load_state: str = ""  # loaded, not-found, masked, error, bad-setting
    active_state: str = ""  # active, inactive, activating, deactivating, failed, reloading
    sub_state: str = ""
    unit_file_state: str = ""  # enabled, disabled, static, masked, indirect, ...
    triggers: tuple[str, ...] = ()
    triggered_by: tuple[str, ...] = ()  # services only: the sockets that start it
    binds_to: tuple[str, ...] = ()
    wanted_by: tuple[str, ...] = ()
    required_by: tuple[str, ...] = ()
    state_change_usec: int = 0  # CLOCK_REALTIME µs of the last ActiveState change; 0 = never
    memory_bytes: int | None = None  # services only; None when systemd does not account it
    accept: bool = False  # sockets only: Accept=yes (one service instance per connection)
    listen: tuple[tuple[str, str], ...] = ()  # sockets only: (type, address)
    job: int = 0  # the id of the job systemd runs on the unit (a start, a stop); 0: none
    result: str = ""  # services only: success, exit-code, signal, core-dump, timeout...

    @property
    def is_socket(self) -> bool:
        return self.name.endswith(".socket")


def service_of(socket: UnitInfo) -> str:
    """The service a socket activates: its first Triggers= entry.

    Accept=yes sockets trigger per-connection instances of a template and
    report no Triggers; they are grouped under the template
    (``sshd.socket`` -> ``sshd@.service``).  A socket whose properties could
    not be read falls back to systemd's default, the service of the same name.
    """
    proxied = proxied_service(socket.name)
    if proxied is not None:  # trayapp's proxy: shown as the daemon it stands for
        return proxied
    for name in socket.triggers:
        if name.endswith(".service"):
            return name
    stem = socket.name.removesuffix(".socket")
    return f"{stem}@.service" if socket.accept else f"{stem}.service"


def is_admin_socket(unit: UnitInfo) -> bool:
    """A socket for the daemon's administration (libvirtd-admin.socket), not its clients."""
    return unit.name.endswith("-admin.socket")


def is_network_socket(unit: UnitInfo) -> bool:
    """A socket that listens on the network (libvirtd-tcp.socket, cups' port 631 if
    configured so): off by design on most workstations, and kept as it is."""
    return any(not address.startswith(("/", "@")) and kind != "Netlink"
               for kind, address in unit.listen)


def client_sockets(sockets: list[UnitInfo]) -> list[UnitInfo]:
    """The sockets a client of the daemon connects to: every socket but the admin ones."""
    return [s for s in sockets if not is_admin_socket(s)]


def _starts_at_boot(unit: UnitInfo) -> bool:
    if unit.unit_file_state in _ENABLED:
        return True
    if unit.unit_file_state in _DEPENDS_ON_PULLERS:
        return any(t in _BOOT_TARGETS for t in (*unit.wanted_by, *unit.required_by))
    return False


def _is_masked(unit: UnitInfo) -> bool:
    return unit.load_state == "masked" or unit.unit_file_state in _MASKED


@dataclass(frozen=True)
class Daemon:
    """One socket-activated daemon as shown to the user."""

    manager: Manager
    service: str
    sockets: tuple[str, ...]
    state: DaemonState
    mode: DaemonMode
    since_usec: int | None = None
    memory_bytes: int | None = None
    warnings: tuple[str, ...] = field(default=())
    # The sockets with BindsTo= the service: they stop with it, so it cannot lie
    # dormant (a fact the planner decides on; its words are among the warnings).
    bound_by: tuple[str, ...] = ()
    # Why a run ends, not shown (same_as ignores them): a job on the service
    # (someone's stop) and the service's Result (success: a clean exit).
    job: bool = False
    result: str = ""

    @property
    def key(self) -> tuple[Manager, str]:
        return (self.manager, self.service)

    @property
    def name(self) -> str:
        """The short name a user types: ``docker`` for docker.service."""
        return self.service.removesuffix(".service")

    def same_as(self, other: Daemon | None) -> bool:
        """True when nothing a user would see differs (ignores memory)."""
        return other is not None and (
            self.state,
            self.mode,
            self.sockets,
            self.warnings,
            self.since_usec,
        ) == (other.state, other.mode, other.sockets, other.warnings, other.since_usec)


def classify_state(service: UnitInfo, sockets: list[UnitInfo]) -> DaemonState:
    if service.active_state == "failed" or any(s.active_state == "failed" for s in sockets):
        return DaemonState.FAILED
    if service.active_state == "activating":
        return DaemonState.STARTING
    if service.active_state == "deactivating":
        return DaemonState.STOPPING
    if service.active_state in ("active", "reloading"):
        return DaemonState.RUNNING
    # An inactive service: what matters is whether anything still listens.
    if any(s.active_state in ("active", "reloading") for s in sockets):
        return DaemonState.DORMANT
    return DaemonState.OFF


def classify_mode(service: UnitInfo, sockets: list[UnitInfo]) -> DaemonMode:
    if _is_masked(service) or (sockets and all(_is_masked(s) for s in sockets)):
        return DaemonMode.MASKED
    # Before always-on: a service enabled only at runtime (Debian's postgresql-generator)
    # behind trayapp's proxy is still woken by the proxy.
    if any(proxied_service(s.name) == service.name and s.load_state == "loaded"
           for s in sockets):
        return DaemonMode.ON_DEMAND_PROXY
    if _starts_at_boot(service):
        return DaemonMode.ALWAYS_ON
    # On demand means a client can wake it: an admin socket alone is not that.
    if any(_starts_at_boot(s) for s in client_sockets(sockets)):
        return DaemonMode.ON_DEMAND
    return DaemonMode.MANUAL


def bound_by(service: UnitInfo, sockets: list[UnitInfo]) -> tuple[str, ...]:
    """The sockets that stop with ``service`` (openSUSE's docker.socket has
    BindsTo=docker.service): socket activation can never keep it dormant."""
    return tuple(s.name for s in sockets if service.name in s.binds_to)


def binding_warning(socket: str, service: str) -> str:
    return (f"{socket} has BindsTo={service}: the socket stops with the service, "
            "so socket activation cannot keep it dormant")


def warnings_for(service: UnitInfo, sockets: list[UnitInfo]) -> tuple[str, ...]:
    found = [binding_warning(s, service.name) for s in bound_by(service, sockets)]
    if service.load_state == "not-found":
        found.append(f"{service.name} is not installed: its sockets cannot start it")
    elif service.load_state in ("error", "bad-setting"):
        found.append(f"{service.name} failed to load ({service.load_state})")
    for s in sockets:
        if s.load_state in ("error", "bad-setting"):
            found.append(f"{s.name} failed to load ({s.load_state})")
    return tuple(found)


def classify(manager: Manager, service: UnitInfo, sockets: list[UnitInfo]) -> Daemon:
    """Derive the daemon a user sees from its service and socket units."""
    sockets = sorted(sockets, key=lambda s: s.name)
    stamps = [u.state_change_usec for u in (service, *sockets) if u.state_change_usec > 0]
    running = service.active_state in ("active", "reloading", "deactivating")
    mode = classify_mode(service, sockets)
    return Daemon(
        manager=manager,
        service=service.name,
        sockets=tuple(s.name for s in sockets),
        state=classify_state(service, sockets),
        mode=mode,
        # The last state change of any of its units: a socket that stops
        # listening changes the daemon from dormant to off.
        since_usec=max(stamps) if stamps else None,
        memory_bytes=service.memory_bytes if running else None,
        warnings=warnings_for(service, sockets),
        bound_by=bound_by(service, sockets),
        # Behind trayapp's proxy, systemd itself stops the daemon when the proxy exits
        # idle (PropagatesStopTo=): that stop job means it went back to sleep, as a
        # socket-activated daemon's own exit does (issue 15).
        job=service.job != 0 and mode is not DaemonMode.ON_DEMAND_PROXY,
        result=service.result,
    )
