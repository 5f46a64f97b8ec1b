"""What every command shares: exit codes, the manager flags, the wait for a signal.

No Qt here, nor anywhere under trayapp/cli: scripts run these commands on
machines without a display.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Coroutine
from typing import Any

from trayapp.core.model import Manager

# Exit status: 0 done, 1 failed (or a manager unreachable), 2 bad input,
# 3 not authorised (core.outcome.Status has the same numbers).
EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_NOT_AUTHORISED = 0, 1, 2, 3
# The reader of our output went away: what a shell reports of a process that
# SIGPIPE ended (128 + 13).
EXIT_PIPE_CLOSED = 141


def manager_flags(p: argparse.ArgumentParser, *, one: bool = False) -> None:
    """--system/--user; ``one``: the command acts on one manager, the system's by default."""
    which = p.add_mutually_exclusive_group()
    if one:
        which.add_argument("--system", action="store_true", help="the system manager (default)")
        which.add_argument("--user", action="store_true", help="your user manager (no polkit)")
    else:
        which.add_argument("--system", action="store_true", help="only the system manager")
        which.add_argument("--user", action="store_true", help="only your user manager")


def managers(args: argparse.Namespace) -> list[Manager]:
    """The managers --system/--user name; without either, what systemctl would use."""
    from trayapp.usecases.monitor import default_managers

    if args.system:
        return [Manager.SYSTEM]
    if args.user:
        return [Manager.USER]
    return default_managers()


def manager(args: argparse.Namespace) -> Manager:
    """The one manager a command acts on: the system's unless --user."""
    return Manager.USER if args.user else Manager.SYSTEM


def manager_filter(args: argparse.Namespace) -> str | None:
    """The manager --system/--user names, as text; None for both."""
    return "system" if args.system else "user" if args.user else None


def report_problems(problems: dict[Manager, str]) -> None:
    for which, text in problems.items():
        print(f"trayapp: {which} manager: {text}", file=sys.stderr)


async def until_signalled(stop: asyncio.Event | None = None) -> None:
    """Wait for SIGINT or SIGTERM (a long-running command's end), or for ``stop``."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def quiet_stdout() -> None:
    """The reader of our output went away (``trayapp status --json | head``).

    Python's documented way (the signal module's "Note on SIGPIPE"): point
    stdout at /dev/null, so that nothing more, not even the flush at exit,
    raises BrokenPipeError.  SIGPIPE itself stays ignored: a D-Bus socket
    closing under us must stay an error we handle, not a silent death.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def run(main: Coroutine[Any, Any, int]) -> int:
    """Run a command's coroutine; ^C before its signal handlers exist ends it quietly."""
    try:
        return asyncio.run(main)
    except KeyboardInterrupt:
        return EXIT_OK
