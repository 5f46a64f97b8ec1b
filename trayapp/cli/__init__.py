"""The command line: ``trayapp status`` and friends; no arguments starts the tray.

This module must not import Qt: scripts call it on machines without a display.
Exit status: 0 done, 1 failed (or a manager unreachable), 2 bad input,
3 not authorised.
"""

from __future__ import annotations

import sys

# trayapp speaks D-Bus over Unix sockets and never TLS, but asyncio imports
# ssl (OpenSSL: some 4 MiB resident and 7 ms at start) just to offer it.  A
# None entry makes "import ssl" fail, which asyncio and http.client treat as
# "no TLS here".  Left alone if something loaded ssl before us.
sys.modules.setdefault("ssl", None)  # type: ignore[arg-type]

import argparse
import asyncio
import json
import os
import signal
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from trayapp import __version__
from trayapp.core.model import Manager
from trayapp.core.report import change_dict, daemon_dict, table_lines
from trayapp.core.table import Change

if TYPE_CHECKING:  # the monitor (and dbus-fast) load only for commands that need them
    from trayapp.core.outcome import Outcome
    from trayapp.usecases.monitor import Monitor

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_NOT_AUTHORISED = 0, 1, 2, 3


def _managers(args: argparse.Namespace) -> list[Manager]:
    from trayapp.usecases.monitor import default_managers

    if args.system:
        return [Manager.SYSTEM]
    if args.user:
        return [Manager.USER]
    return default_managers()


def _report_problems(problems: dict[Manager, str]) -> None:
    for manager, text in problems.items():
        print(f"trayapp: {manager} manager: {text}", file=sys.stderr)


def _print_stats(monitor: Monitor, started: float) -> None:
    calls = monitor.calls()
    parts = ", ".join(f"{k}={v}" for k, v in sorted(calls.items()))
    print(
        f"trayapp: {sum(calls.values())} D-Bus calls ({parts}) "
        f"in {(time.perf_counter() - started) * 1000:.1f} ms",
        file=sys.stderr,
    )


async def _status(args: argparse.Namespace) -> int:
    from trayapp.usecases.monitor import Monitor

    started = time.perf_counter()
    monitor = Monitor(_managers(args))
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
        _report_problems(monitor.problems)
        return EXIT_FAILED if monitor.problems else EXIT_OK
    finally:
        monitor.close()


async def _watch(monitor: Monitor, args: argparse.Namespace, started: float) -> int:
    out = sys.stdout

    def show(changes: list[Change]) -> None:
        for c in changes:
            if args.json:
                out.write(json.dumps(change_dict(c)) + "\n")
            else:
                d = c.daemon
                at = time.strftime("%H:%M:%S", time.localtime(c.at))
                was = f"{c.old.state} -> " if c.old and c.old.state != d.state else ""
                out.write(f"{at} {d.manager} {d.name}: {was}{d.state} ({d.mode}) [{c.kind}]\n")
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
    _report_problems(monitor.problems)
    reported.update(monitor.problems)
    if not monitor.watchers:
        return EXIT_FAILED
    # Runs until interrupted; a lost bus is reconnected by the monitor.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    probe = _LagProbe() if os.environ.get("TRAYAPP_LAG_PROBE") else None
    await stop.wait()
    if probe:
        probe.report()
    return EXIT_OK


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


async def _act(args: argparse.Namespace) -> int:
    from trayapp.usecases.actions import perform
    from trayapp.cli.history import user_action
    from trayapp.core.outcome import Outcome, Status
    from trayapp.core.plans import Action
    from trayapp.core.unitname import BadUnitName, daemon_service_name
    from trayapp.adapters.dbus.bus import BusUnavailable, Connection, SystemdError
    from trayapp.adapters.dbus.jobs import JobFollower

    action = Action(args.command)
    manager = Manager.USER if args.user else Manager.SYSTEM
    try:  # bad names never reach a bus
        daemon_service_name(args.name)
    except BadUnitName as exc:
        return _finish(args, Outcome(action, manager, args.name, Status.BAD_INPUT,
                                     f"Bad daemon name: {exc}."))
    try:
        conn = await Connection.open(manager)
    except BusUnavailable as exc:
        print(f"trayapp: {exc}", file=sys.stderr)
        return EXIT_FAILED
    try:
        started = time.perf_counter()
        jobs = JobFollower(conn)
        await jobs.subscribe()
        with user_action(action, manager, args.name):  # history: a stop of the user's
            outcome = await perform(conn, jobs, args.name, action, force=args.force)
        if args.stats:
            print(f"trayapp: {sum(conn.calls.values())} D-Bus calls, action and read-back in "
                  f"{(time.perf_counter() - started) * 1000:.1f} ms", file=sys.stderr)
    except (BusUnavailable, SystemdError) as exc:
        from trayapp.usecases.monitor import explain

        print(f"trayapp: {manager} manager: {explain(manager, exc)}; the outcome is unknown",
              file=sys.stderr)
        return EXIT_FAILED
    finally:
        conn.close()
    return _finish(args, outcome)


def _finish(args: argparse.Namespace, outcome: Outcome) -> int:
    if args.json:
        print(json.dumps(outcome.as_dict(), indent=2))
    else:
        stream = sys.stdout if outcome.ok else sys.stderr
        print(outcome.message, file=stream)
        for warning in outcome.warnings:
            print(f"warning: {warning}", file=stream)
    return int(outcome.status)


ACTION_HELP = {
    "on-demand": "sockets enabled and listening, service disabled (and stopped if idle)",
    "always-on": "service enabled and started; sockets stay enabled",
    "stop": "stop the service now; its sockets keep listening and wake it again",
    "start": "start the service now",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trayapp",
        description="Show and switch socket-activated systemd daemons. "
        "Without a command, start the tray applet.",
    )
    parser.add_argument("--version", action="version", version=f"trayapp {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debugging detail")
    parser.add_argument(
        "--window", action="store_true", help="tray: show the status window (no tray needed)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    status = sub.add_parser("status", help="list socket-activated daemons with state and mode")
    which = status.add_mutually_exclusive_group()
    which.add_argument("--system", action="store_true", help="only the system manager")
    which.add_argument("--user", action="store_true", help="only your user manager")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.add_argument("--watch", action="store_true", help="keep running and print changes")
    status.add_argument(
        "--stats", action="store_true", help="print the D-Bus calls made to stderr"
    )
    for name, text in ACTION_HELP.items():
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("name", metavar="NAME", help="docker, docker.service or docker.socket")
        where = p.add_mutually_exclusive_group()
        where.add_argument("--system", action="store_true", help="the system manager (default)")
        where.add_argument("--user", action="store_true", help="your user manager (no polkit)")
        p.add_argument("--json", action="store_true", help="machine-readable result")
        p.add_argument("--stats", action="store_true",
                       help="print the D-Bus calls made and the time taken to stderr")
        if name in ("stop", "on-demand"):
            p.add_argument("--force", action="store_true",
                           help="even if it is busy (running containers, open connections)")
        else:
            p.set_defaults(force=False)
    from trayapp.cli.history import add_parsers

    add_parsers(sub)  # history, idle-watch
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from trayapp.adapters.logs import setup_logging

    setup_logging(args.verbose)
    if args.command == "status":
        try:
            return asyncio.run(_status(args))
        except KeyboardInterrupt:
            return EXIT_OK
    if args.command in ACTION_HELP:
        return asyncio.run(_act(args))
    if args.command in ("history", "idle-watch"):
        from trayapp.cli import history as cli_history

        run = cli_history.history if args.command == "history" else cli_history.idle_watch
        return run(args)
    if args.command is None:
        from trayapp.qt.app import run_tray  # Qt is imported only here

        return run_tray(args)
    parser.error(f"unknown command {args.command}")
    return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
