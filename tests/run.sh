#!/bin/bash
# Set up a fresh Debian 12 machine (as root) and run every check and test.
# This is the test command the README gives and .ci/run calls.
#
# The tests run in two tiers (markers, see tests/conftest.py): first the fast
# one, which needs no root and boots nothing, then the testbed one. Both always
# run; the script fails if either fails, and a skipped test counts as a
# failure (nothing here may skip: a missing tool or a testbed that cannot boot
# fails its tests).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export TRAYAPP_VENV="${TRAYAPP_VENV:-/opt/trayapp-venv}"
bash "$repo/tools/testbed/setup-host.sh"
py="$TRAYAPP_VENV/bin/python"
cd "$repo"
echo "== ruff"
"$py" -m ruff check trayapp tests tools packaging
echo "== mypy (strict on the core)"
"$py" -m mypy trayapp/core
echo "== mypy (the whole package)"
"$py" -m mypy trayapp
echo "== import-linter (the layers, see ARCHITECTURE.md)"
"$TRAYAPP_VENV/bin/lint-imports"
export QT_QPA_PLATFORM=offscreen
reports="$repo/artifacts"
mkdir -p "$reports"
failed=0
echo "== pytest, fast tier (no root, no testbed)"
"$py" -m pytest -v -ra -m "not testbed" --junitxml="$reports/pytest-fast.xml" tests || failed=1
echo "== pytest, testbed tier (real systemd)"
"$py" -m pytest -v -ra -m testbed --junitxml="$reports/pytest-testbed.xml" tests || failed=1
echo "== no skips"
"$py" - "$reports/pytest-fast.xml" "$reports/pytest-testbed.xml" <<'PY' || failed=1
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
