"""The example polkit rule (packaging/polkit/) against real polkitd and systemd.

It lets a group start and stop the units it lists without a password.  In
systemd 257 StartTransientUnit (systemd-run) asks polkit for "start" of the new
unit's name, so a listed name that no unit file holds would let a member run
a command of their own as root; the rule grants only installed units.  On
systemd 252 that request carries no unit name, and the rule never sees it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RULE = REPO / "packaging" / "polkit" / "50-trayapp-admins.rules.example"
ABSENT = "trayapp-absent.service"  # listed by the test, installed nowhere


def test_the_group_starts_listed_units_but_cannot_make_a_transient_root_unit(
        own_testbed: Any) -> None:
    tb = own_testbed
    text = RULE.read_text()
    # bob has no seat here (nsenter, not a login): drop the seat condition, and
    # list one unit that is not installed, as a rule written for another
    # machine would.
    seat = " || !(subject.local && subject.active)"
    assert seat in text
    text = text.replace(seat, "").replace('"cups.service", "cups.socket"',
                                          f'"cups.service", "cups.socket", "{ABSENT}"')
    tb.run("groupadd --system trayapp-admins && usermod -aG trayapp-admins bob")
    tb.run("cat > /etc/polkit-1/rules.d/50-trayapp-admins.rules && systemctl restart polkit",
           input=text)
    tb.run("systemctl start cups.socket")

    # Allowed: a listed, installed unit, with no password (no agent runs).
    tb.run("systemctl --no-ask-password stop cups.socket", user="bob")
    assert tb.run("systemctl is-active cups.socket", check=False).stdout.strip() == "inactive"
    tb.run("systemctl --no-ask-password start cups.socket", user="bob")

    # Refused: a transient unit under the listed but absent name, as root.
    res = tb.run(f"systemd-run --no-ask-password --unit={ABSENT} --uid=0 "
                 "/bin/touch /run/trayapp-owned", user="bob", check=False)
    assert res.returncode != 0, res.stdout + res.stderr
    assert "Access denied" in res.stderr or "Interactive authentication" in res.stderr, res.stderr
    assert tb.run("test -e /run/trayapp-owned", check=False).returncode != 0
    load = tb.run(f"systemctl show -P LoadState {ABSENT}").stdout.strip()
    assert load == "not-found"
