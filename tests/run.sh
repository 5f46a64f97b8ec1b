#!/bin/bash
# Set up a fresh Debian 12 machine (as root) and run every check and test.
# This is the test command the README gives and .ci/run calls.
#
# The tests run in two tiers (markers, see tests/conftest.py): first the fast
# one, which needs no root and boots nothing, then the testbed one, twice
# (issue 14): pass 1 boots the host's root (Debian 12, systemd 252, trayapp on
# the venv), pass 2 the Debian 13 root tools/testbed/trixie.sh builds or reuses
# (systemd 257, trayapp on Debian's own Python 3.13, PySide6, dbus-fast, qasync).
# Each pass first prints those versions, as trayapp sees them inside. Everything
# always runs; the script fails if anything fails, and a skipped test counts as
# a failure (nothing here may skip: a missing tool or a testbed that cannot boot
# fails its tests).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export TRAYAPP_VENV="${TRAYAPP_VENV:-/opt/trayapp-venv}"
# stage NAME: ends the stage before (its time is printed) and starts NAME.
stage_name="" stage_started=$SECONDS
stage() {
    [ -z "$stage_name" ] || echo "== $stage_name: $((SECONDS - stage_started)) s (${SECONDS} s in all)"
    stage_name="$1" stage_started=$SECONDS
    [ -z "$1" ] || echo "== $1"
}
trap 'stage ""' EXIT
stage "set-up of this machine (Debian packages, the venv)"
bash "$repo/tools/testbed/setup-host.sh"
stage "the Debian 13 root (built when missing or its package list changed)"
bash "$repo/tools/testbed/trixie.sh"
py="$TRAYAPP_VENV/bin/python"
cd "$repo"
stage "ruff"
"$py" -m ruff check trayapp tests tools packaging
stage "mypy (strict on the core)"
"$py" -m mypy trayapp/core
stage "mypy (the whole package)"
"$py" -m mypy trayapp
stage "import-linter (the layers, see ARCHITECTURE.md)"
"$TRAYAPP_VENV/bin/lint-imports"
export QT_QPA_PLATFORM=offscreen
reports="$repo/artifacts"
mkdir -p "$reports"
failed=0
stage "pytest, fast tier (no root, no testbed)"
"$py" -m pytest -v -ra -m "not testbed" --junitxml="$reports/pytest-fast.xml" tests || failed=1
# testbed_pass ROOT EXCLUDED_MARKER REPORT: the testbed tier on one root.
testbed_pass() {
    local versions
    versions="$(TRAYAPP_TESTBED_ROOT=$1 "$py" -m tools.testbed.versions)" || failed=1
    echo "== testbed on: $versions"
    TRAYAPP_TESTBED_ROOT=$1 "$py" -m pytest -v -ra -m "testbed and not $2" \
        --junitxml="$reports/$3" tests || failed=1
}
stage "pytest, testbed tier, pass 1: the host's Debian 12 (systemd 252)"
testbed_pass host debian13 pytest-testbed.xml
stage "pytest, testbed tier, pass 2: Debian 13 (systemd 257, Debian's libraries)"
testbed_pass trixie debian12 pytest-testbed-debian13.xml
stage "no skips"
"$py" - "$reports/pytest-fast.xml" "$reports/pytest-testbed.xml" \
    "$reports/pytest-testbed-debian13.xml" <<'PY' || failed=1
import sys
import xml.etree.ElementTree as ET

bad = 0
for path in sys.argv[1:]:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        print(f"{path}: no report ({e})")
        bad += 1
        continue
    for suite in root.iter("testsuite"):
        tests, skipped = int(suite.get("tests", 0)), int(suite.get("skipped", 0))
        print(f"{path}: {tests} tests, {skipped} skipped")
        bad += tests == 0 or skipped > 0
sys.exit(1 if bad else 0)
PY
exit "$failed"
