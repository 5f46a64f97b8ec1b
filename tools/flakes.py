"""Hunt flakes: run chosen testbed tests N times on one root and count each test's passes.

    sudo /opt/trayapp-venv/bin/python -m tools.flakes --root host --runs 20 \\
        'tests/test_packages_testbed.py::test_on_demand_then_always_on_changes_exactly_the_mode'
    sudo /opt/trayapp-venv/bin/python -m tools.flakes --root trixie --runs 3 --whole-tier

Each run is one pytest process (a testbed booted anew, as in CI), one after
another; its JUnit report says what passed.  At the end one line per test:
passes out of runs, and each failure's first line.  The exit code is 1 when
any test did not pass every time (a skip counts as not passing), so the
hunter can itself stand in a script.  Reports and logs stay in
``artifacts/flakes/``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "artifacts" / "flakes"
# The tests that cannot run on a root (tests/run.sh's passes): their marker.
EXCLUDED = {"host": "debian13", "trixie": "debian12"}


def run_once(root: str, selection: list[str], whole_tier: bool, n: int) -> Path:
    report = OUT / f"{root}-{n:03d}.xml"
    marker = f"testbed and not {EXCLUDED[root]}"
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", marker,
            f"--junitxml={report}", *(["tests"] if whole_tier else selection)]
    with (OUT / f"{root}-{n:03d}.log").open("w") as log:
        subprocess.run(argv, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                       env={**os.environ, "QT_QPA_PLATFORM": "offscreen",
                            "TRAYAPP_TESTBED_ROOT": root}, check=False)
    return report


def outcomes(report: Path) -> dict[str, str]:
    """test id -> "passed", or the first line of why not ("skipped: ...", "failed: ...")."""
    try:
        root = ET.parse(report).getroot()
    except (OSError, ET.ParseError) as e:
        return {"(the run)": f"failed: no report ({e})"}
    found = {}
    for case in root.iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        verdict = "passed"
        for kind in ("failure", "error", "skipped"):
            el = case.find(kind)
            if el is not None:
                first = (el.get("message") or el.text or "").strip().splitlines()
                verdict = f"{'skipped' if kind == 'skipped' else 'failed'}: " \
                          f"{first[0][:160] if first else ''}"
                break
        found[name] = verdict
    return found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.flakes", description=__doc__.split("\n")[0])
    ap.add_argument("--root", choices=sorted(EXCLUDED), default="host")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--whole-tier", action="store_true", help="every testbed test of the root")
    ap.add_argument("tests", nargs="*", help="pytest node ids or files")
    args = ap.parse_args(argv)
    if not args.whole_tier and not args.tests:
        ap.error("name the tests, or say --whole-tier")
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    OUT.mkdir(parents=True, exist_ok=True)
    passes: dict[str, int] = defaultdict(int)
    seen: dict[str, int] = defaultdict(int)
    why: dict[str, list[str]] = defaultdict(list)
    for n in range(1, args.runs + 1):
        started = time.monotonic()
        results = outcomes(run_once(args.root, args.tests, args.whole_tier, n))
        for name, verdict in results.items():
            seen[name] += 1
            if verdict == "passed":
                passes[name] += 1
            else:
                why[name].append(f"run {n}: {verdict}")
        bad = sum(v != "passed" for v in results.values())
        print(f"run {n}/{args.runs} on {args.root}: {len(results)} tests, {bad} not passed, "
              f"{time.monotonic() - started:.0f} s", flush=True)
    print(f"\n{'passes':>9}  test ({args.root})")
    for name in sorted(seen):
        print(f"{passes[name]:>4}/{args.runs:<4} {name}")
        for line in why[name]:
            print(f"           {line}")
    flaky = [n for n in seen if passes[n] != args.runs or seen[n] != args.runs]
    print(f"\n{len(seen)} tests, {len(flaky)} did not pass every run")
    return 1 if flaky else 0


if __name__ == "__main__":
    sys.exit(main())
