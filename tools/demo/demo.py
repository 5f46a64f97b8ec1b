"""The main job: the applet against the real-systemd testbed on a virtual display.

Run as root (``sudo bash tools/demo/demo.sh`` sets the machine up first).  Boots
the testbed, puts Docker on demand, starts Xvfb, trayer, dunst and trayapp
as the unprivileged user alice, then takes screenshots into artifacts/:

* demo-1-tray.png     the panel with the dormant icon;
* demo-2-menu.png     the menu: each watched daemon with its state and mode;
* demo-3-woken.png    a client woke the test daemon: the running icon and the
                      "woke up" notification with its buttons.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tools.desktop import ARTIFACTS, start_desktop  # noqa: E402
from tools.testbed.harness import Testbed  # noqa: E402


def main() -> int:
    if os.geteuid() != 0:
        print("demo.py: run as root (it boots the systemd testbed)", file=sys.stderr)
        return 2
    tb = Testbed(REPO, Path(os.environ.get("TRAYAPP_VENV", "/opt/trayapp-venv")))
    tb.boot()
    try:
        tb.run("systemctl disable --now docker.service; systemctl enable --now docker.socket; "
               "systemctl disable --now trayapp-testd.service; "
               "systemctl enable --now trayapp-testd.socket")
        tb.run("mkdir -p ~/.config/trayapp && printf '%s\\n' "
               "'watched = [\"trayapp-testd.service\", \"user:gpg-agent.service\"]' "
               "> ~/.config/trayapp/settings.toml", user="alice")
        d = start_desktop(tb, size="800x480")
        try:
            assert d.log is not None
            d.log.wait_for(r"tray status \S+ -> idle")
            print("tray:", d.screenshot("demo-1-tray"))
            d.click_icon()
            time.sleep(1)
            print("menu:", d.screenshot("demo-2-menu"))
            d.keys("Escape")
            time.sleep(6)  # past the quiet period after start-up
            tb.run("echo hi | socat - UNIX-CONNECT:/run/trayapp-testd.sock")
            d.log.wait_for(r"tray status idle -> (busy|running)")
            time.sleep(1.5)  # let dunst draw the bubble
            print("woken:", d.screenshot("demo-3-woken"))
            print(tb.run(tb.trayapp_argv("status"), user="alice").stdout)
        finally:
            d.stop()
            (ARTIFACTS / "demo.log").write_text(d.log.text() if d.log else "")
    finally:
        tb.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
