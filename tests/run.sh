#!/bin/bash
# Set up a fresh Debian 12 machine (as root) and run every check and test.
# This is the test command the README gives and .ci/run calls.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export TRAYAPP_VENV="${TRAYAPP_VENV:-/opt/trayapp-venv}"
bash "$repo/tests/testbed/setup-host.sh"
py="$TRAYAPP_VENV/bin/python"
cd "$repo"
echo "== ruff"
"$py" -m ruff check trayapp tests packaging
echo "== mypy (strict on the core)"
"$py" -m mypy trayapp/core
echo "== pytest"
export QT_QPA_PLATFORM=offscreen
"$py" -m pytest -v -ra tests
