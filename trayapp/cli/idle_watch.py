"""``trayapp idle-watch``: idle auto-stop and the history recorder, without the tray.

Every decision is printed (lines, or JSON lines with --json); during a
warning, "keep" and Enter on stdin keeps the daemon running ("hold": until you
stop it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from trayapp.cli import common
from trayapp.core.idle import DEFAULT_CPU_THRESHOLD, describe_window
from trayapp.core.keys import key_of
from trayapp.core.model import Daemon
from trayapp.core.settings import MAX_IDLE_MINUTES, Settings
from trayapp.core.unitname import BadUnitName, daemon_service_name

Emit = Callable[[dict[str, Any]], None]


def add_parser(sub: Any) -> None:
    w = sub.add_parser(
        "idle-watch", help="stop idle daemons after a warning, without the tray",
        description="Run the idle auto-stop and the history recorder without the tray, "
        "printing every decision. Daemons come from NAMEs with --after, or from the "
        "settings file (idle_stop_minutes). During a warning, type 'keep' and Enter to "
        "keep the daemon running.")
    w.add_argument("names", metavar="NAME", nargs="*", help="daemons to watch (docker, ...)")
    w.add_argument("--after", metavar="SECONDS", type=float,
                   help="idle window for the NAMEs (default: their idle_stop_minutes)")
    w.add_argument("--after-on-battery", metavar="SECONDS", type=float,
                   help="idle window for the NAMEs on battery (default: half of --after)")
    w.add_argument("--no-power", action="store_true",
                   help="ignore the battery (UPower) and sleep (logind)")
    w.add_argument("--grace", metavar="SECONDS", type=float, default=30.0,
                   help="warning before each stop (default 30)")
    w.add_argument("--cpu-threshold", metavar="SHARE", type=float, default=None,
                   help="idle means below this share of one CPU (default 0.01)")
    w.add_argument("--no-history", action="store_true", help="do not record the history")
    w.add_argument("--json", action="store_true", help="one JSON object per line")
    common.manager_flags(w)


async def idle_watch(args: argparse.Namespace) -> int:
    from trayapp.adapters import settings_file
    from trayapp.core.unitname import check_unit_name
    from trayapp.services import Services

    try:
        names = {daemon_service_name(n) for n in args.names}
    except BadUnitName as exc:
        print(f"trayapp: bad daemon name: {exc}", file=sys.stderr)
        return common.EXIT_BAD_INPUT
    if args.after is not None and not names:
        print("trayapp: --after needs the NAMEs it is for", file=sys.stderr)
        return common.EXIT_BAD_INPUT
    problem = out_of_range(args)
    if problem:
        print(f"trayapp: {problem}", file=sys.stderr)
        return common.EXIT_BAD_INPUT
    loaded = settings_file.load(validate_unit=check_unit_name)
    if loaded.warning:
        print(f"trayapp: {loaded.warning}", file=sys.stderr)

    emit = print_event(sys.stdout, args.json)
    services = Services(common.managers(args), loaded.settings)
    window_for = windows(names, args.after, loaded.settings,
                         lambda: services.power.on_battery, args.after_on_battery)
    try:
        cpu = args.cpu_threshold if args.cpu_threshold is not None else DEFAULT_CPU_THRESHOLD
        warning = await services.start(
            PlainNotifier(emit, await stdin_reader()), window_for,
            history=not args.no_history, power=not args.no_power, grace=args.grace,
            cpu_threshold=cpu, on_decision=lambda decision: emit(decision.as_dict()))
        common.report_problems(services.monitor.problems)
        if not services.monitor.watchers:
            return common.EXIT_FAILED
        if warning:
            print(f"trayapp: {warning}", file=sys.stderr)
        if not args.no_power:
            for feature in services.power.status():
                emit({"event": "power-feature", "feature": feature.name,
                      "available": feature.available, "text": feature.text})
        for d in services.monitor.table.daemons():
            window = window_for(d)
            if window is not None:
                emit({"event": "watching", "manager": str(d.manager), "service": d.service,
                      "state": str(d.state),
                      "text": f"{d.name} ({d.state}): stopped after {window:g} s idle"})
        emit({"event": "ready", "text": "watching for idle daemons"})
        await common.until_signalled()
        return common.EXIT_OK
    finally:
        await services.close()
        # asyncio made stdin non-blocking; a terminal shared with the shell
        # must not stay so after we exit.
        with contextlib.suppress(OSError, ValueError):
            os.set_blocking(sys.stdin.fileno(), True)


MAX_AFTER = MAX_IDLE_MINUTES * 60.0  # seconds: the Preferences window's longest, 7 days
MAX_GRACE = 24 * 3600.0
MAX_CPU_SHARE = 1024.0


def out_of_range(args: argparse.Namespace) -> str | None:
    """What is wrong with the numbers given, or None.  A timer of nan seconds fires at
    once and one of more than ~24.8 days overflows Qt's: every number is bounded."""
    limits = (("--after", args.after, MAX_AFTER, False),
              ("--after-on-battery", getattr(args, "after_on_battery", None), MAX_AFTER, False),
              ("--grace", args.grace, MAX_GRACE, True),
              ("--cpu-threshold", args.cpu_threshold, MAX_CPU_SHARE, True))
    for flag, value, high, zero in limits:
        if value is None:
            continue
        low_ok = value >= 0 if zero else value > 0
        if not (math.isfinite(value) and low_ok and value <= high):
            low = "0" if zero else "more than 0"
            return f"{flag} must be from {low} to {high:g}, got {value:g}"
    return None


def windows(names: set[str], after: float | None, chosen: Settings,
            on_battery: Callable[[], bool] = lambda: False,
            after_battery: float | None = None) -> Callable[[Daemon], float | None]:
    """Each daemon's idle window in seconds (None: never stopped).

    With NAMEs only those (by service or socket name), for ``after`` seconds
    (on battery ``after_battery``, by default half) or their idle_stop_minutes;
    without, every daemon whose settings ask for it.
    """

    def window_for(d: Daemon) -> float | None:
        if names and not ({d.service, *d.sockets} & names):
            return None
        if after is not None:
            if not on_battery():
                return float(after)
            return float(after_battery) if after_battery is not None else after / 2
        return chosen.idle_window(key_of(d), on_battery=on_battery())

    return window_for


class PlainNotifier:
    """IdleNotifier for a terminal: warnings and announcements as lines.

    During a warning, a line "keep" on ``answers`` keeps the daemon running
    ("hold": until the user stops it; "stop" stops it at once).  Without a
    terminal (stdin is /dev/null) the grace period simply runs out and the
    daemon is stopped, as announced.
    """

    def __init__(self, emit: Emit, answers: asyncio.StreamReader | None = None) -> None:
        self.emit = emit
        self.answers = answers

    async def warn(self, daemon: Daemon, seconds: float) -> str:
        self.emit({"event": "warning", "manager": str(daemon.manager), "service": daemon.service,
                   "seconds": seconds,
                   "text": f"{daemon.name} is idle and stops in {describe_window(seconds)}; "
                           "type keep and Enter to keep it running (hold: until you stop it)"})
        if self.answers is None:
            await asyncio.sleep(seconds)
            return "stop"
        try:
            async with asyncio.timeout(seconds):
                while True:
                    line = await self.answers.readline()
                    if not line:  # end of input: nobody can answer any more
                        await asyncio.sleep(seconds)
                    word = line.decode(errors="replace").strip().lower()
                    if word in ("keep", "k"):
                        return "keep"
                    if word in ("hold", "h"):
                        return "hold"
                    if word in ("stop", "s"):
                        return "stop"
        except TimeoutError:
            return "stop"

    def announce(self, text: str) -> None:
        self.emit({"event": "announce", "text": text})


async def stdin_reader() -> asyncio.StreamReader | None:
    """stdin as a StreamReader, or None when it cannot be read that way (/dev/null)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    try:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    except (ValueError, OSError):  # a regular file or /dev/null cannot be watched
        return None
    return reader


def print_event(out: TextIO, as_json: bool) -> Emit:
    """An ``emit`` for PlainNotifier and decisions: JSON lines or readable lines."""

    def emit(event: dict[str, Any]) -> None:
        if as_json:
            out.write(json.dumps({"at": time.time(), **event}) + "\n")
        else:
            stamp = time.strftime("%H:%M:%S")
            out.write(f"{stamp} {event.get('event')}: {event.get('text', '')}\n")
        with contextlib.suppress(OSError):
            out.flush()

    return emit
