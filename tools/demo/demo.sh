#!/bin/bash
# Set up a fresh Debian 12 machine (as root) and run the main job: the applet
# against the real-systemd testbed on a virtual display. Screenshots and the
# applet's log land in artifacts/.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export TRAYAPP_VENV="${TRAYAPP_VENV:-/opt/trayapp-venv}"
bash "$repo/tools/testbed/setup-host.sh"
exec "$TRAYAPP_VENV/bin/python" "$repo/tools/demo/demo.py"
