"""``trayapp history`` and ``trayapp idle-watch``: the CLI front ends of issue 5.

Kept apart from cli.py so that file only gains two parsers and two branches.
No Qt here either.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from trayapp.core.model import Daemon, Manager
from trayapp.core.report import duration, iso_time, memory
from trayapp.core.runs import END_LABELS, Run, Totals
from trayapp.core.unitname import BadUnitName, daemon_service_name

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
DAY = 86400.0


# -- parsers -------------------------------------------------------------------------


def add_parsers(sub: Any) -> None:
    """The two subcommands, on cli.build_parser()'s subparsers."""
    h = sub.add_parser("history", help="when daemons woke, how long they ran, how they ended",
                       description="The activation history this user's trayapp recorded.")
    h.add_argument("name", metavar="NAME", nargs="?", help="only this daemon (docker, ...)")
    h.add_argument("--since", metavar="DAYS", type=float, default=7.0,
                   help="the last DAYS days (default 7)")
    h.add_argument("--json", action="store_true", help="machine-readable output")
    _manager_flags(h)

    w = sub.add_parser(
        "idle-watch", help="stop idle daemons after a warning, without the tray",
        description="Run the idle auto-stop and the history recorder without the tray, "
        "printing every decision. Daemons come from NAMEs with --after, or from the "
        "settings file (idle_stop_minutes). During a warning, type 'keep' and Enter to "
        "keep the daemon running.")
    w.add_argument("names", metavar="NAME", nargs="*", help="daemons to watch (docker, ...)")
    w.add_argument("--after", metavar="SECONDS", type=float,
                   help="idle window for the NAMEs (default: their idle_stop_minutes)")
    w.add_argument("--grace", metavar="SECONDS", type=float, default=30.0,
                   help="warning before each stop (default 30)")
    w.add_argument("--cpu-threshold", metavar="SHARE", type=float, default=None,
                   help="idle means below this share of one CPU (default 0.01)")
    w.add_argument("--no-history", action="store_true", help="do not record the history")
    w.add_argument("--json", action="store_true", help="one JSON object per line")
    _manager_flags(w)


def _manager_flags(p: argparse.ArgumentParser) -> None:
    which = p.add_mutually_exclusive_group()
    which.add_argument("--system", action="store_true", help="only the system manager")
    which.add_argument("--user", action="store_true", help="only your user manager")


def _service(name: str) -> str:
    unit = daemon_service_name(name)
    # Without a bus the socket's Triggers= is unknown: systemd's default pairing.
    return unit.removesuffix(".socket") + ".service" if unit.endswith(".socket") else unit


# -- history ---------------------------------------------------------------------------


def run_dict(r: Run, now: float) -> dict[str, Any]:
    return {
        "manager": r.manager,
        "service": r.service,
        "invocation": r.invocation,
        "woke_at": iso_time(r.woke_at),
        "woke_at_unix": r.woke_at,
        "active_at": iso_time(r.active_at),
        "startup_seconds": r.startup,
        "ended_at": iso_time(r.ended_at),
        "ran_seconds": round(r.ran_for(now), 3),
        "end": str(r.end) if r.end else None,
        "end_label": END_LABELS[r.end] if r.end else "running, or not seen ending",
        "peak_memory_bytes": r.peak_memory,
        "waker": r.waker,
    }


def totals_dict(t: Totals) -> dict[str, Any]:
    return {
        "observed_seconds": round(t.observed, 3),
        "running_seconds": round(t.running, 3),
        "dormant_share": t.dormant_share,
        "wakes": t.wakes,
        "median_startup_seconds": t.median_startup,
        "typical_memory_bytes": t.typical_memory,
        "memory_byte_hours_saved": t.memory_hours_saved,
        "ends": t.ends,
    }


def totals_line(t: Totals) -> str:
    days = t.observed / DAY
    parts = [f"{t.wakes} wake(s) in {days:.1f} day(s) recorded"]
    if t.dormant_share is not None:
        parts.append(f"not running {t.dormant_share:.1%} of the time")
    if t.median_startup is not None:
        parts.append(f"median wake-up {t.median_startup:.2f} s")
    if t.typical_memory is not None and t.memory_hours_saved is not None:
        parts.append(f"typical memory {memory(t.typical_memory)}, saved about "
                     f"{t.memory_hours_saved / 2**30:.2f} GiB-hours against always-on")
    return ", ".join(parts)


def history(args: argparse.Namespace) -> int:
    from trayapp.usecases.history_query import Found, query

    service = None
    if args.name:
        try:
            service = _service(args.name)
        except BadUnitName as exc:
            print(f"trayapp: bad daemon name: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    manager = "system" if args.system else "user" if args.user else None
    now = time.time()
    report = query(manager, service, now - args.since * DAY, now)
    if report.found is Found.NO_HISTORY:
        print(f"trayapp: {report.problem}", file=sys.stderr)
        return EXIT_OK if not args.json else _print_json({"daemons": []})
    if report.found is Found.BROKEN:
        print(f"trayapp: {report.problem}", file=sys.stderr)
        return EXIT_FAILED
    if report.warning:
        print(f"trayapp: {report.warning}", file=sys.stderr)
    if args.json:
        return _print_json({
            "path": str(report.path), "since": iso_time(report.since),
            "until": iso_time(report.until), "warning": report.warning,
            "daemons": [{"manager": d.manager, "service": d.service,
                         "totals": totals_dict(d.totals),
                         "runs": [run_dict(r, now) for r in d.runs]} for d in report.daemons],
        })
    if not report.daemons:
        print(f"No runs in the last {args.since:g} day(s).")
    for d in report.daemons:
        print(f"{d.manager} {d.service.removesuffix('.service')}: {totals_line(d.totals)}")
        for r in reversed(d.runs):
            print("  " + _run_line(r, now))
    return EXIT_OK


def _run_line(r: Run, now: float) -> str:
    woke = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.woke_at))
    startup = f"{r.startup:.2f} s" if r.startup is not None else "-"
    end = END_LABELS[r.end] if r.end else "running"
    by = f", woken by {r.waker}" if r.waker else ""
    return (f"{woke}  woke in {startup:>7}, ran {duration(r.ran_for(now)):>9}, "
            f"peak {memory(r.peak_memory):>9}, {end}{by}")


def _print_json(data: object) -> int:
    print(json.dumps(data, indent=2))
    return EXIT_OK


# -- idle-watch ---------------------------------------------------------------------------


def idle_watch(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_idle_watch(args))
    except KeyboardInterrupt:
        return EXIT_OK


async def _idle_watch(args: argparse.Namespace) -> int:
    from trayapp.adapters import settings_file as settings
    from trayapp.usecases.controller import Controller
    from trayapp.core.idle import DEFAULT_CPU_THRESHOLD
    from trayapp.core.plans import Action
    from trayapp.core.unitname import check_unit_name
    from trayapp.adapters.history_db import open_store
    from trayapp.usecases.idlestop import IdleWatcher, PlainNotifier, print_event, stdin_reader
    from trayapp.usecases.monitor import Monitor, default_managers
    from trayapp.usecases.recorder import Recorder
    from trayapp.usecases.stats import MonitorStats

    try:
        names = {daemon_service_name(n) for n in args.names}
    except BadUnitName as exc:
        print(f"trayapp: bad daemon name: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.after is not None and (not names or args.after <= 0):
        print("trayapp: --after needs a positive number of seconds and the NAMEs it is for",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    loaded = settings.load(validate_unit=check_unit_name)
    if loaded.warning:
        print(f"trayapp: {loaded.warning}", file=sys.stderr)

    window_for = windows(names, args.after, loaded.settings)
    emit = print_event(sys.stdout, args.json)
    managers = ([Manager.SYSTEM] if args.system else [Manager.USER] if args.user
                else default_managers())
    monitor = Monitor(managers)
    controller = Controller(monitor)
    reader = MonitorStats(monitor)
    store = None
    if not args.no_history:
        store, warning = open_store()
        if warning:
            print(f"trayapp: {warning}", file=sys.stderr)
    recorder = None
    try:
        await monitor.watch()
        for manager, text in monitor.problems.items():
            print(f"trayapp: {manager} manager: {text}", file=sys.stderr)
        if not monitor.watchers:
            return EXIT_FAILED
        if store is not None:
            recorder = Recorder(store, monitor.table, reader,
                                pending=lambda: controller.pending.keys())
            recorder.start()
        watcher = IdleWatcher(
            monitor.table, reader,
            lambda m, s: controller.request(m, s, Action.STOP),
            PlainNotifier(emit, await stdin_reader()),
            window_for,
            grace=args.grace,
            cpu_threshold=(args.cpu_threshold if args.cpu_threshold is not None
                           else DEFAULT_CPU_THRESHOLD),
            recorder=recorder,
            on_decision=lambda decision: emit(decision.as_dict()),
        )
        watcher.start()
        for d in monitor.table.daemons():
            if window_for(d) is not None:
                emit({"event": "watching", "manager": str(d.manager), "service": d.service,
                      "state": str(d.state), "text": f"{d.name} ({d.state}): stopped after "
                      f"{window_for(d):g} s idle"})
        emit({"event": "ready", "text": "watching for idle daemons"})
        await _until_signalled()
        watcher.close()
        return EXIT_OK
    finally:
        if recorder is not None:
            recorder.close()
        with contextlib.suppress(Exception):
            if recorder is not None:
                await asyncio.wait_for(recorder.settle(), 5)
        monitor.close()
        if store is not None:
            store.close()
        # asyncio made stdin non-blocking; a terminal shared with the shell
        # must not stay so after we exit.
        with contextlib.suppress(OSError, ValueError):
            os.set_blocking(sys.stdin.fileno(), True)


def windows(names: set[str], after: float | None, chosen: Any) -> Callable[[Daemon], float | None]:
    """Each daemon's idle window in seconds (None: never stopped).

    With NAMEs only those (by service or socket name), for ``after`` seconds
    or their idle_stop_minutes; without, every daemon whose settings
    (``chosen``, a trayapp.settings.Settings) ask for it.
    """
    from trayapp.core.watchlist import daemon_key

    def window_for(d: Daemon) -> float | None:
        if names and not ({d.service, *d.sockets} & names):
            return None
        if after is not None:
            return float(after)
        minutes: int = chosen.daemon(daemon_key(d.manager, d.service)).idle_stop_minutes
        return minutes * 60.0 if minutes > 0 else None

    return window_for


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


# -- for cli._act: stops the user asked for, as history intents -------------------------------


@contextlib.contextmanager
def user_action(action: object, manager: Manager, name: str) -> Iterator[None]:
    """Around an action from the CLI: a stop it makes is recorded as the user's."""
    if str(action) not in ("stop", "on-demand"):
        yield
        return
    from trayapp.adapters.history_db import user_stop

    try:
        unit = _service(name)
    except BadUnitName:
        yield
        return
    with user_stop(str(manager), unit):
        yield
