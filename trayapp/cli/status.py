"""``trayapp status``: the daemons with state and mode, once or as they change."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from typing import Any

from trayapp.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PIPE_CLOSED,
    manager_flags,
    managers,
    quiet_stdout,
    report_problems,
    until_signalled,
)
from trayapp.core.model import Manager
from trayapp.core.report import change_dict, change_word, daemon_dict, table_lines
from trayapp.core.table import Change
from trayapp.usecases.monitor import Monitor


def add_parser(sub: Any) -> None:
    status = sub.add_parser("status", help="list socket-activated daemons with state and mode")
    manager_flags(status)
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.add_argument("--watch", action="store_true", help="keep running and print changes")
    status.add_argument(
        "--stats", action="store_true", help="print the D-Bus calls made to stderr"
    )


async def status(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    monitor = Monitor(managers(args))
    monitor.follow(_followed())
    try:
        if args.watch:
            return await _watch(monitor, args, started)
        await monitor.snapshot()
        if args.stats:
            _print_stats(monitor, started)
        daemons = monitor.table.daemons()
        if args.json:
            print(json.dumps([daemon_dict(d) for d in daemons], indent=2))
        elif daemons:
            print("\n".join(table_lines(daemons, time.time())))
        else:
            print("No socket-activated daemons found.")
        report_problems(monitor.problems)
        return EXIT_FAILED if monitor.problems else EXIT_OK
    finally:
        monitor.close()


def _followed() -> tuple[str, ...]:
    """The daemons without a socket unit the user added (settings.toml's ``watched``,
    and those behind trayapp's proxy): shown here as in the tray."""
    from trayapp.adapters import settings_file
    from trayapp.core.unitname import check_unit_name

    loaded = settings_file.load(validate_unit=check_unit_name)
    if loaded.warning:
        print(f"trayapp: {loaded.warning}", file=sys.stderr)
    return loaded.settings.followed()


def _print_stats(monitor: Monitor, started: float) -> None:
    calls = monitor.calls()
    parts = ", ".join(f"{k}={v}" for k, v in sorted(calls.items()))
    print(
        f"trayapp: {sum(calls.values())} D-Bus calls ({parts}) "
        f"in {(time.perf_counter() - started) * 1000:.1f} ms; "
        f"{monitor.systemd_calls()} to PID 1, {monitor.dropped()} signals dropped",
        file=sys.stderr, flush=True,
    )


async def _watch(monitor: Monitor, args: argparse.Namespace, started: float) -> int:
    out = sys.stdout
    closed = asyncio.Event()  # the reader went away (``--watch --json | head -1``)

    def show(changes: list[Change]) -> None:
        try:
            _show(changes)
        except BrokenPipeError:
            quiet_stdout()
            closed.set()

    def _show(changes: list[Change]) -> None:
        for c in changes:
            if args.json:
                out.write(json.dumps(change_dict(c)) + "\n")
            else:
                d = c.daemon
                at = time.strftime("%H:%M:%S", time.localtime(c.at))
                was = f"{c.old.state} -> " if c.old and c.old.state != d.state else ""
                word = change_word(c)
                out.write(f"{at} {d.manager} {d.name}: {was}{d.state} ({d.mode}) [{word}]\n")
        out.flush()

    def connection(manager: Manager, connected: bool) -> None:
        if connected and manager in reported:
            print(f"trayapp: {manager} manager: connected again", file=sys.stderr)
        elif not connected:
            print(f"trayapp: {manager} manager: {monitor.problems.get(manager)}", file=sys.stderr)
            reported.add(manager)

    reported: set[Manager] = set()
    monitor.table.listen(show)
    monitor.on_connection(connection)
    await monitor.watch()
    if args.stats:
        _print_stats(monitor, started)
    report_problems(monitor.problems)
    reported.update(monitor.problems)
    if closed.is_set():
        return EXIT_PIPE_CLOSED
    if not monitor.watchers:
        return EXIT_FAILED
    # Runs until interrupted; a lost bus is reconnected by the monitor.
    probe = _LagProbe() if os.environ.get("TRAYAPP_LAG_PROBE") else None
    await until_signalled(closed)
    if probe:
        probe.report()
    if args.stats:  # again at exit: what the watching cost since
        _print_stats(monitor, started)
    return EXIT_PIPE_CLOSED if closed.is_set() else EXIT_OK


class _LagProbe:
    """For the benchmark only (TRAYAPP_LAG_PROBE=1): how late the event loop runs.

    A 5 ms sleep in a loop measures how long a ready callback waits while the
    loop handles signals.  It is a timer, so it is never on in normal use.
    """

    def __init__(self) -> None:
        self.lags: list[float] = []
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(0.005)
            self.lags.append(time.perf_counter() - start - 0.005)

    def report(self) -> None:
        self.task.cancel()
        lags = sorted(self.lags) or [0.0]
        p50, p99 = lags[len(lags) // 2], lags[min(len(lags) - 1, int(len(lags) * 0.99))]
        print(f"trayapp: loop lag p50 {p50 * 1000:.2f} ms p99 {p99 * 1000:.2f} ms "
              f"max {lags[-1] * 1000:.2f} ms over {len(self.lags)} samples", file=sys.stderr)
