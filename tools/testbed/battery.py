"""A real upowerd over an emulated laptop power supply (issue 16), run as root inside.

    umockdev-wrapper /usr/bin/python3 battery.py

umockdev (Debian's, through its GObject bindings) gives upowerd a mocked
/sys with a mains adapter and a battery, and delivers uevents to it; upowerd
is the distribution's own (/usr/libexec/upowerd), owning org.freedesktop.UPower
on the real system bus.  Lines on stdin switch the supply: ``battery`` (unplug:
mains offline, battery discharging) and ``ac`` (plug in); each prints
``switched <what>`` once the uevent is sent.  ``ready`` is printed once upowerd
owns its name.  End of input ends upowerd.
"""

from __future__ import annotations

import subprocess
import sys

import gi

gi.require_version("UMockdev", "1.0")
from gi.repository import Gio, GLib, UMockdev  # noqa: E402

UPOWERD = "/usr/libexec/upowerd"
UPOWER = "org.freedesktop.UPower"


def wait_for_owner(pid: int, seconds: int = 20) -> bool:
    """Until the process ``pid`` owns UPower's name: GLib's name watcher, no polling."""
    loop = GLib.MainLoop()
    found = []

    def appeared(conn: Gio.DBusConnection, name: str, owner: str) -> None:
        reply = conn.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus",
                               "org.freedesktop.DBus", "GetConnectionUnixProcessID",
                               GLib.Variant("(s)", (owner,)), None,
                               Gio.DBusCallFlags.NONE, -1, None)
        if reply.unpack()[0] == pid:
            found.append(owner)
            loop.quit()

    watch = Gio.bus_watch_name(Gio.BusType.SYSTEM, UPOWER, Gio.BusNameWatcherFlags.NONE,
                               appeared, None)
    GLib.timeout_add_seconds(seconds, loop.quit)
    loop.run()
    Gio.bus_unwatch_name(watch)
    return bool(found)


def main() -> int:
    bed = UMockdev.Testbed.new()
    ac = bed.add_device("power_supply", "AC", None, ["type", "Mains", "online", "1"], [])
    bat = bed.add_device(
        "power_supply", "BAT0", None,
        ["type", "Battery", "present", "1", "status", "Charging",
         "energy_full", "60000000", "energy_full_design", "80000000",
         "energy_now", "48000000", "voltage_now", "12000000"],
        ["POWER_SUPPLY_ONLINE", "1"])
    # -r: replace any upowerd that owns the name already.
    daemon = subprocess.Popen([UPOWERD, "-r"], stdin=subprocess.DEVNULL)
    try:
        if not wait_for_owner(daemon.pid):
            print(f"upowerd (PID {daemon.pid}) did not take {UPOWER}", flush=True)
            return 1
        print("ready", flush=True)
        for line in sys.stdin:
            word = line.strip()
            if word == "battery":
                bed.set_attribute(ac, "online", "0")
                bed.set_attribute(bat, "status", "Discharging")
            elif word == "ac":
                bed.set_attribute(ac, "online", "1")
                bed.set_attribute(bat, "status", "Charging")
            else:
                continue
            bed.uevent(ac, "change")
            bed.uevent(bat, "change")
            print(f"switched {word}", flush=True)
    finally:
        daemon.terminate()
        daemon.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
