"""The service's cgroup in the kernel's hierarchy: its processes and its CPU time.

Both files are world-readable (cgroup.procs, cpu.stat): no privilege, and
the daemon is not touched.  The path comes from systemd's ControlGroup and
is still checked before it is joined to the hierarchy's root.
"""

from __future__ import annotations

import os
from pathlib import Path

from trayapp.core.idle import cpu_stat_nsec

#: The unified hierarchy: /sys/fs/cgroup on a cgroup-v2 system, .../unified on a hybrid one.
CGROUP_ROOTS = (Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup"))
MAX_PIDS = 4096


def pids(control_group: str, roots: tuple[Path, ...] = CGROUP_ROOTS) -> list[int]:
    """Every process in the cgroup and below it (cgroup.procs is world-readable).
    Raises OSError when no hierarchy has it."""
    _check(control_group)
    for root in roots:
        top = root / control_group.lstrip("/")
        if not (top / "cgroup.procs").is_file():
            continue
        found: list[int] = []
        for where, _dirs, _files in os.walk(top):
            with open(os.path.join(where, "cgroup.procs")) as f:
                found += [int(x) for x in f.read().split() if x.isdigit()]
            if len(found) > MAX_PIDS:
                break
        return found
    raise OSError(f"no cgroup {control_group} in {', '.join(map(str, roots))}")


def cpu_nsec(control_group: str, roots: tuple[Path, ...] = CGROUP_ROOTS) -> int | None:
    """The cgroup's CPU time from its cpu.stat, for when systemd does not report it.
    cgroup v2 keeps usage_usec in every cgroup whether the cpu controller is
    enabled or not."""
    try:
        _check(control_group)
    except OSError:
        return None
    for root in roots:
        try:
            text = (root / control_group.lstrip("/") / "cpu.stat").read_text()
        except OSError:
            continue
        found = cpu_stat_nsec(text)
        if found is not None:
            return found
    return None


def _check(control_group: str) -> None:
    if not control_group.startswith("/") or ".." in control_group.split("/"):
        raise OSError(f"not a cgroup path: {control_group!r}")
