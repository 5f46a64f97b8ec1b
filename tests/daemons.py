"""Unit properties that put a daemon into each state and mode, for the tray's tests.

The table classifies them for real (core.model.classify); nothing here builds
a Daemon by hand, so a test that asks for "dormant, on-demand" gets what
systemd's properties would give.
"""

from __future__ import annotations

from trayapp.core.model import DaemonMode, DaemonState, Manager, UnitInfo
from trayapp.core.table import DaemonTable

# (service ActiveState, socket ActiveState) for each state.
STATE_UNITS = {
    DaemonState.DORMANT: ("inactive", "active"),
    DaemonState.RUNNING: ("active", "active"),
    DaemonState.STARTING: ("activating", "active"),
    DaemonState.STOPPING: ("deactivating", "active"),
    DaemonState.FAILED: ("failed", "active"),
    DaemonState.OFF: ("inactive", "inactive"),
}
# (service UnitFileState, socket UnitFileState) for each mode.
MODE_UNITS = {
    DaemonMode.ALWAYS_ON: ("enabled", "enabled"),
    DaemonMode.ON_DEMAND: ("disabled", "enabled"),
    DaemonMode.MANUAL: ("disabled", "disabled"),
    DaemonMode.MASKED: ("masked", "enabled"),
}


def units(
    name: str, state: DaemonState, mode: DaemonMode, since_usec: int = 0
) -> list[UnitInfo]:
    service_active, socket_active = STATE_UNITS[state]
    service_file, socket_file = MODE_UNITS[mode]
    return [
        UnitInfo(name=f"{name}.socket", load_state="loaded", active_state=socket_active,
                 unit_file_state=socket_file, triggers=(f"{name}.service",),
                 state_change_usec=since_usec),
        UnitInfo(name=f"{name}.service",
                 load_state="masked" if mode is DaemonMode.MASKED else "loaded",
                 active_state=service_active, unit_file_state=service_file,
                 state_change_usec=since_usec,
                 memory_bytes=50 * 2**20 if service_active == "active" else None),
    ]  # fmt: skip


def set_state(table: DaemonTable, manager: Manager, name: str, state: DaemonState) -> None:
    """Move an existing daemon to ``state`` the way systemd's signals would."""
    service_active, socket_active = STATE_UNITS[state]
    table.update(manager, f"{name}.socket", {"active_state": socket_active})
    table.update(manager, f"{name}.service", {"active_state": service_active})


def table_with(*daemons: tuple[str, DaemonState, DaemonMode], clock: float = 1000.0,
               manager: Manager = Manager.SYSTEM) -> DaemonTable:
    table = DaemonTable(clock=lambda: clock)
    found: list[UnitInfo] = []
    for name, state, mode in daemons:
        found += units(name, state, mode)
    table.replace(manager, found)
    return table
