"""The command line: ``trayapp status`` and friends, one module per command.

This package must not import Qt (import-linter checks it): scripts run these
commands on machines without a display.  ``trayapp`` without a command
starts the tray instead (trayapp/entry.py decides).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from trayapp import __version__
from trayapp.cli import history, idle_watch, status, switch
from trayapp.cli.common import EXIT_BAD_INPUT, EXIT_PIPE_CLOSED, quiet_stdout, run


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
    status.add_parser(sub)
    switch.add_parsers(sub)
    history.add_parser(sub)
    idle_watch.add_parser(sub)
    return parser


def run_command(args: argparse.Namespace) -> int:
    """Run the command ``args`` names; returns the exit status."""
    commands: dict[str, Callable[[argparse.Namespace], int]] = {
        "status": lambda a: run(status.status(a)),
        "history": history.history,
        "idle-watch": lambda a: run(idle_watch.idle_watch(a)),
        **{name: (lambda a: run(switch.switch(a))) for name in switch.HELP},
    }
    command = commands.get(args.command)
    if command is None:
        print(f"trayapp: unknown command {args.command}")
        return EXIT_BAD_INPUT
    try:
        code = command(args)
        sys.stdout.flush()  # here, not at exit, so that a closed pipe is caught
    except BrokenPipeError:
        quiet_stdout()
        return EXIT_PIPE_CLOSED
    return code
