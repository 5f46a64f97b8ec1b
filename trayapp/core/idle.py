"""Idle rules: when a running daemon may be stopped, judged from two samples.

A daemon is idle when its service runs and, over the whole window:

* no client connection is open on any of its listening sockets (the
  kernel's socket tables, read at the end of the window);
* its cgroup used less CPU than ``cpu_threshold`` (systemd's CPUUsageNSec,
  read at the start and at the end of the window);
* its daemon-specific check agrees (Docker: no running containers).

CPU use is what catches clients that came and went inside the window: the
socket tables show only connections open now, and a served request costs
CPU.  systemd reports it as CPUUsageNSec where it accounts CPU (the default
on a unified cgroup-v2 system); on a cgroup-v1 hybrid system it does not
(CPUAccounting=no, and even with yes when cpu and cpuacct are mounted
apart), but the unified hierarchy's ``cpu.stat`` of the service's cgroup
counts the same thing and any user may read it (trayapp/usecases/stats.py).  Where
neither is there, the verdict says so and rests on the other checks.

No timer lives here: the use case (trayapp/usecases/idlestop.py) arms one one-shot
timer per running daemon for the end of its window, and asks ``judge`` when
it fires.  Pure: the caller takes the samples, time is passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from . import words
from .events import MAY_RUN_AFTER, NOT_RUNNING_AFTER, Event
from .model import Daemon, DaemonState

DEFAULT_CPU_THRESHOLD = 0.01  # 1 % of one CPU, averaged over the window

_NO_VALUE = 2**64 - 1  # systemd's "not available" for uint64 properties


@dataclass(frozen=True)
class IdleRules:
    window: float  # seconds without use before a stop is proposed
    cpu_threshold: float = DEFAULT_CPU_THRESHOLD  # share of one CPU


@dataclass(frozen=True)
class ServiceStats:
    """The never-signalled properties of a service, read in one GetAll."""

    active_state: str = ""
    invocation: str = ""  # InvocationID: one per run of the service
    inactive_exit_usec: int | None = None  # CLOCK_REALTIME µs: when it began to start
    active_enter_usec: int | None = None  # CLOCK_REALTIME µs: when it became active
    inactive_exit_mono: int | None = None  # CLOCK_MONOTONIC µs, for durations
    active_enter_mono: int | None = None
    cpu_nsec: int | None = None  # None: systemd does not account its CPU
    memory_bytes: int | None = None  # MemoryCurrent
    memory_peak: int | None = None  # MemoryPeak: systemd 255+ only, absent in 252
    control_group: str = ""  # ControlGroup: where to find cpu.stat when systemd has no CPU
    main_pid: int = 0  # MainPID: 0 when systemd knows none
    exec_argv: tuple[str, ...] = ()  # the first ExecStart= command line

    @property
    def startup_seconds(self) -> float | None:
        """How long activation took, from systemd's monotonic timestamps."""
        start, end = self.inactive_exit_mono, self.active_enter_mono
        if start is None or end is None or end < start or start == 0:
            return None
        return (end - start) / 1e6


def _counter(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value < _NO_VALUE else None


def _stamp(value: Any) -> int | None:
    found = _counter(value)
    return found if found else None  # 0 means "never happened"


def _invocation(value: Any) -> str:
    # InvocationID is an "ay" of 16 bytes (all zero while it never ran).
    if isinstance(value, (bytes, bytearray)) or (
        isinstance(value, list) and all(isinstance(b, int) for b in value)
    ):
        raw = bytes(value)
        return raw.hex() if any(raw) else ""
    return value if isinstance(value, str) else ""


def stats_from_properties(props: dict[str, Any]) -> ServiceStats:
    """ServiceStats from unwrapped systemd properties (as read_properties returns)."""
    state = props.get("ActiveState")
    return ServiceStats(
        active_state=state if isinstance(state, str) else "",
        invocation=_invocation(props.get("InvocationID")),
        inactive_exit_usec=_stamp(props.get("InactiveExitTimestamp")),
        active_enter_usec=_stamp(props.get("ActiveEnterTimestamp")),
        inactive_exit_mono=_stamp(props.get("InactiveExitTimestampMonotonic")),
        active_enter_mono=_stamp(props.get("ActiveEnterTimestampMonotonic")),
        cpu_nsec=_counter(props.get("CPUUsageNSec")),
        memory_bytes=_counter(props.get("MemoryCurrent")),
        memory_peak=_counter(props.get("MemoryPeak")),
        control_group=group if isinstance(group := props.get("ControlGroup"), str) else "",
        main_pid=pid if isinstance(pid := props.get("MainPID"), int)
        and not isinstance(pid, bool) and 0 < pid <= 2**22 else 0,  # pid_max is 2^22 at most
        exec_argv=_exec_argv(props.get("ExecStart")),
    )


def _exec_argv(value: Any) -> tuple[str, ...]:
    # ExecStart is a(sasbttttuii): (path, argv, ignore-failure, timestamps, pid, status).
    if not isinstance(value, list) or not value:
        return ()
    first = value[0]
    if not isinstance(first, (list, tuple)) or len(first) < 2 or not isinstance(first[1], list):
        return ()
    return tuple(a for a in first[1][:256] if isinstance(a, str))


def cpu_stat_nsec(text: str) -> int | None:
    """CPU time in ns from a cgroup-v2 ``cpu.stat`` (its ``usage_usec`` line)."""
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key == "usage_usec" and value.strip().isdigit():
            return int(value) * 1000
    return None


@dataclass(frozen=True)
class Sample:
    """One look at a running service, for the start or the end of a window."""

    at: float  # monotonic seconds
    cpu_nsec: int | None
    invocation: str = ""


@dataclass(frozen=True)
class Verdict:
    idle: bool
    reasons: tuple[str, ...] = ()  # why it is busy
    notes: tuple[str, ...] = ()  # what could not be judged, said out loud


def cpu_share(start: Sample, end: Sample) -> float | None:
    """Average share of one CPU used between the samples; None when unknown."""
    if start.cpu_nsec is None or end.cpu_nsec is None or end.at <= start.at:
        return None
    return max(0, end.cpu_nsec - start.cpu_nsec) / 1e9 / (end.at - start.at)


def judge(rules: IdleRules, start: Sample | None, end: Sample, busy: Sequence[str]) -> Verdict:
    """Is the daemon idle over the window from ``start`` to ``end``?

    ``busy`` holds the reasons the connection and daemon-specific checks
    found at the end of the window (trayapp.busy.check).
    """
    reasons = list(busy)
    notes: list[str] = []
    if start is None:
        # The start could not be read (the bus was busy or gone): no window yet.
        reasons.append("no reading from the start of the window")
    elif start.invocation and end.invocation and start.invocation != end.invocation:
        reasons.append("it was restarted during the window")
    elif end.at - start.at < rules.window * 0.99:
        reasons.append("the window is not over yet")
    else:
        share = cpu_share(start, end)
        if share is None:
            notes.append("its CPU use is not accounted (neither CPUUsageNSec nor its "
                         "cgroup's cpu.stat), so CPU was not judged")
        elif share >= rules.cpu_threshold:
            reasons.append(f"it used {share:.1%} of a CPU (idle means below "
                           f"{rules.cpu_threshold:.1%})")
    return Verdict(not reasons, tuple(reasons), tuple(notes))


class TimerStep(StrEnum):
    ARM = "arm"  # it started running: arm the timer for the end of its window
    CANCEL = "cancel"  # it stopped running (or is gone): no timer


#: The named events the idle watcher's timers follow.
TIMER_EVENTS = MAY_RUN_AFTER | NOT_RUNNING_AFTER


def timer_step(event: Event) -> TimerStep | None:
    """What one named event (core/events.py) means for the daemon's idle timer."""
    if event.kind in MAY_RUN_AFTER:
        # The kind says it may run now; its state says whether it does.  None
        # of these kinds follows a running daemon, so running now means it began.
        return TimerStep.ARM if event.daemon.state is DaemonState.RUNNING else None
    if event.kind in NOT_RUNNING_AFTER:
        # The kind says it no longer runs; the timer is cancelled when it was
        # running before, as always.  (Only a running daemon is armed; one that
        # was starting keeps a timer only from before a reload, running ->
        # starting, which names no event, and that timer is left as it was.)
        before = event.previous
        running = before is not None and before.state is DaemonState.RUNNING
        return TimerStep.CANCEL if running else None
    return None


def describe_window(seconds: float) -> str:
    """``15 min``, ``90 s``, ``1 h 30 min``: how long a window is, for messages."""
    return words.window(seconds)


def idle_message(d: Daemon, window: float, grace: float) -> str:
    return words.translate(
        "idle", "{name} has been idle for {window}: it stops in {grace} unless you keep it "
        "running. Its socket keeps listening, so the next client wakes it again.").format(
        name=d.name, window=describe_window(window), grace=describe_window(grace))
