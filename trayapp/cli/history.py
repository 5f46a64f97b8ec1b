"""``trayapp history``: when daemons woke, how long they ran, how they ended."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from trayapp.cli.common import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, manager_filter, manager_flags
from trayapp.core.report import duration, iso_time, memory, totals_line
from trayapp.core.runs import END_LABELS, Run, Totals
from trayapp.core.unitname import BadUnitName, paired_service

DAY = 86400.0


# -- parsers -------------------------------------------------------------------------


def add_parser(sub: Any) -> None:
    h = sub.add_parser("history", help="when daemons woke, how long they ran, how they ended",
                       description="The activation history this user's trayapp recorded.")
    h.add_argument("name", metavar="NAME", nargs="?", help="only this daemon (docker, ...)")
    h.add_argument("--since", metavar="DAYS", type=float, default=7.0,
                   help="the last DAYS days (default 7)")
    h.add_argument("--json", action="store_true", help="machine-readable output")
    manager_flags(h)


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


def history(args: argparse.Namespace) -> int:
    from trayapp.usecases.history_query import Found, query

    service = None
    if args.name:
        try:
            service = paired_service(args.name)
        except BadUnitName as exc:
            print(f"trayapp: bad daemon name: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    manager = manager_filter(args)
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
        print(f"No runs in the last {duration(args.since * DAY)}.")
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
