"""``trayapp on-demand | always-on | stop | start NAME``: one action, its verified outcome."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from trayapp.cli.common import EXIT_FAILED, manager, manager_flags
from trayapp.core.outcome import Outcome, Status
from trayapp.core.plans import Action
from trayapp.core.unitname import BadUnitName, daemon_service_name
from trayapp.core.words import units_line

HELP = {
    "on-demand": "sockets enabled and listening, service disabled (and stopped if idle); "
                 "a daemon with no socket unit goes behind a proxy (systemd-socket-proxyd)",
    "always-on": "service enabled and started; sockets stay enabled (a proxy goes away)",
    "stop": "stop the service now; its sockets keep listening and wake it again",
    "start": "start the service now",
}


def add_parsers(sub: Any) -> None:
    for name, text in HELP.items():
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("name", metavar="NAME", help="docker, docker.service or docker.socket")
        manager_flags(p, one=True)
        p.add_argument("--json", action="store_true", help="machine-readable result")
        p.add_argument("--stats", action="store_true",
                       help="print the D-Bus calls made and the time taken to stderr")
        if name == "on-demand":  # a daemon with no socket unit: through a proxy (issue 15)
            p.add_argument("--listen", metavar="ADDRESS", action="append", default=[],
                           help="no socket unit: where clients connect (127.0.0.1:5432, "
                           "[::1]:5432, /run/x.sock; again for more); default: where it "
                           "listens now")
            p.add_argument("--backend", metavar="ADDRESS", default="",
                           help="no socket unit: where the daemon itself listens (set in its "
                           "own configuration); default: the client port + 10000")
            p.add_argument("--allow-remote", action="store_true",
                           help="no socket unit: let --listen name an address other machines "
                           "reach (the daemon then sees their clients as local ones)")
            p.add_argument("--proxy-idle", metavar="SECONDS", type=int, default=None,
                           help="no socket unit: the proxy exits and stops the daemon after "
                           "this long without connections (default 900)")
        if name in ("stop", "on-demand"):
            p.add_argument("--force", action="store_true",
                           help="even if it is busy (running containers, open connections)")
        else:
            p.set_defaults(force=False)


async def switch(args: argparse.Namespace) -> int:
    from trayapp.services import Services

    action = Action(args.command)
    which = manager(args)
    try:  # bad names never reach a bus
        daemon_service_name(args.name)
    except BadUnitName as exc:
        return finish(args, Outcome(action, which, args.name, Status.BAD_INPUT,
                                    f"Bad daemon name: {exc}."))
    from trayapp.adapters import settings_file
    from trayapp.core.unitname import check_unit_name
    from trayapp.usecases.proxy_book import ProxyRequest

    loaded = settings_file.load(validate_unit=check_unit_name)
    services = Services([which], loaded.settings)  # a proxy's addresses are kept there
    proxy = ProxyRequest(tuple(getattr(args, "listen", ())), getattr(args, "backend", ""),
                         getattr(args, "proxy_idle", None),
                         getattr(args, "allow_remote", False))
    try:
        await services.connect()
        if which in services.monitor.problems:
            print(f"trayapp: {services.monitor.problems[which]}", file=sys.stderr)
            return EXIT_FAILED
        services.open_history(record=False)  # a stop of ours: other recorders must know
        started = time.perf_counter()
        outcome = await services.controller.request(which, args.name, action, force=args.force,
                                                    proxy=proxy)
        if outcome.status is Status.BAD_INPUT and outcome.service == args.name:
            outcome = await _with_guess(services, outcome, args.name)
        if args.stats:
            calls = services.monitor.calls()
            print(f"trayapp: {sum(calls.values())} D-Bus calls, action and read-back in "
                  f"{(time.perf_counter() - started) * 1000:.1f} ms; "
                  f"{services.monitor.dropped()} signals dropped", file=sys.stderr)
    finally:
        await services.close()
    return finish(args, outcome)


async def _with_guess(services: Any, outcome: Outcome, name: str) -> Outcome:
    """A name not found gets "Did you mean docker?" from the daemons the manager has."""
    import dataclasses

    from trayapp.core.words import did_you_mean_text

    await services.monitor.snapshot()
    guess = did_you_mean_text(name, (d.service for d in services.monitor.table.daemons()))
    if guess is None:
        return outcome
    return dataclasses.replace(outcome, message=f"{outcome.message} {guess}")


def finish(args: argparse.Namespace, outcome: Outcome) -> int:
    if args.json:
        print(json.dumps(outcome.as_dict(), indent=2))
    else:
        stream = sys.stdout if outcome.ok else sys.stderr
        print(outcome.message, file=stream)
        for warning in outcome.warnings:
            print(f"warning: {warning}", file=stream)
        if getattr(args, "verbose", False):  # the details: what systemd now says of each unit
            for unit, props in sorted(outcome.units.items()):
                print(f"  {unit}: {units_line(props)}", file=stream)
    return int(outcome.status)
