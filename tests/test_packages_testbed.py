"""Switches on Debian's own packages, as alice through polkit, in the real testbed.

cups, libvirtd, avahi-daemon, docker, podman and pcscd with their units as
Debian 12 ships them (tools/testbed/setup-host.sh installs them): their
[Install] Also= lists sockets (cups, avahi, libvirt) and sockets of other
daemons (libvirtd: virtlockd.socket, virtlogd.socket), libvirtd has -ro,
-admin, -tcp and -tls sockets, pcscd is on demand by design (its service has
only Also=). After each switch, systemctl must show exactly the asked mode,
no other unit file may have changed, and `trayapp status --json` must agree
with systemctl's own account of every socket-activated daemon.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.support import until

# name -> (the service, the sockets a client uses, the command of a real client)
PACKAGES = {
    "cups": ("cups.service", ["cups.socket"], "lpstat -r"),
    "libvirtd": ("libvirtd.service", ["libvirtd.socket", "libvirtd-ro.socket"],
                 "virsh -c qemu:///system list"),
    # avahi-browse speaks D-Bus, whose activation name goes with the service's
    # enablement (Alias=dbus-org.freedesktop.Avahi.service, see the README);
    # nss-mdns's protocol on the socket is what wakes it on demand.
    "avahi-daemon": ("avahi-daemon.service", ["avahi-daemon.socket"],
                     "printf 'RESOLVE-HOSTNAME trayapp.local\\n' | "
                     "socat -t 3 - UNIX-CONNECT:/run/avahi-daemon/socket"),
    "docker": ("docker.service", ["docker.socket"], "docker info"),
    "podman": ("podman.service", ["podman.socket"], "podman --remote info"),
    "pcscd": ("pcscd.service", ["pcscd.socket"],
              "socat -t 1 - UNIX-CONNECT:/run/pcscd/pcscd.comm </dev/null"),
}
ALIASES = {"avahi-daemon": ("dbus-org.freedesktop.Avahi.service",)}
# cups.path (PathExists= of a file cupsd leaves behind) would start cups at every boot.
PATHS = {"cups": ("cups.path",)}
BOOT_TARGETS = {"sockets.target", "multi-user.target", "graphical.target", "default.target",
                "basic.target", "sysinit.target"}
ENABLED = {"enabled", "enabled-runtime"}


def unit_files(tb: Any) -> dict[str, str]:
    out = tb.run("systemctl list-unit-files --no-legend --no-pager").stdout
    return {line.split()[0]: line.split()[1] for line in out.splitlines() if line.strip()}


def changed(before: dict[str, str], after: dict[str, str]) -> dict[str, tuple[Any, Any]]:
    return {n: (before.get(n), after.get(n)) for n in sorted(set(before) | set(after))
            if before.get(n) != after.get(n)}


def props(tb: Any, unit: str, *names: str) -> dict[str, str]:
    if unit.endswith("@.service"):
        # The template of an Accept=yes socket (systemd 257 has several: systemd-creds,
        # -sysext, -pcrlock): systemctl cannot show it. Active while an instance
        # is; never started at boot itself.
        pattern = unit.replace("@.", "@*.")
        running = tb.run(["systemctl", "list-units", "--plain", "--no-legend",
                          "--state=active", pattern]).stdout.strip()
        return {n: "" for n in names} | {"ActiveState": "active" if running else "inactive"}
    out = tb.run(["systemctl", "show", unit, *(f"-p{n}" for n in names)]).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def systemctl_account(tb: Any, service: str, sockets: list[str]) -> tuple[str, str]:
    """State and mode as systemctl tells them, by the rules of the README's table."""
    def starts_at_boot(unit: str) -> bool:
        p = props(tb, unit, "UnitFileState", "WantedBy", "RequiredBy")
        if p["UnitFileState"] in ENABLED:
            return True
        pullers = set(p["WantedBy"].split()) | set(p["RequiredBy"].split())
        return p["UnitFileState"] in {"static", "indirect", "generated", "alias", "transient",
                                      ""} and bool(pullers & BOOT_TARGETS)

    active = {u: props(tb, u, "ActiveState")["ActiveState"] for u in (service, *sockets)}
    if active[service] == "failed" or "failed" in active.values():
        state = "failed"
    elif active[service] in ("active", "reloading"):
        state = "running"
    elif active[service] == "activating":
        state = "starting"
    elif active[service] == "deactivating":
        state = "stopping"
    else:
        state = "dormant" if "active" in [active[s] for s in sockets] else "off"
    clients = [s for s in sockets if not s.endswith("-admin.socket")]
    def masked(unit: str) -> bool:
        return props(tb, unit, "UnitFileState")["UnitFileState"] in ("masked", "masked-runtime")

    if masked(service) or (sockets and all(masked(s) for s in sockets)):
        mode = "masked"  # the testbed masks udevd and journald's audit socket
    elif starts_at_boot(service):
        mode = "always-on"
    elif any(starts_at_boot(s) for s in clients):
        mode = "on-demand"
    else:
        mode = "manual"
    return state, mode


def status_agrees_with_systemctl(tb: Any, timeout: float = 30) -> None:
    """trayapp's account of every socket-activated daemon equals systemctl's, both of
    one moment (issue 20).

    A daemon may change while the two are read (podman.service exits 5 s after its
    last client by itself): systemctl is read before and after trayapp, and the
    accounts are compared only when systemctl's two reads agree, so nothing changed
    in between.  When they differ, all three are read again, until ``timeout``; a
    trayapp that disagrees with a steady systemd fails at once, with both accounts.
    """
    def trayapp() -> list[dict[str, Any]]:
        return list(json.loads(tb.run(tb.trayapp_argv("status", "--json", "--system"),
                                      user="alice").stdout))

    def systemctl(daemons: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
        return {d["service"]: systemctl_account(tb, d["service"], d["sockets"])
                for d in daemons}

    deadline = time.monotonic() + timeout
    daemons = trayapp()
    while True:
        before = systemctl(daemons)
        daemons = trayapp()
        after = systemctl(daemons)
        mine = {d["service"]: (d["state"], d["mode"]) for d in daemons}
        if before == after:
            assert {d["service"] for d in daemons} >= {p[0] for p in PACKAGES.values()}
            assert mine == after, ("trayapp, systemctl:", changed_accounts(mine, after))
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"systemd never held still for {timeout} s: "
                                 f"{changed_accounts(before, after)}")


def changed_accounts(a: dict[str, Any], b: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {n: (a.get(n), b.get(n)) for n in sorted(set(a) | set(b)) if a.get(n) != b.get(n)}


def switch(tb: Any, action: str, name: str) -> tuple[int, dict[str, Any]]:
    res = tb.run(tb.trayapp_argv(action, name, "--force", "--json") if action == "on-demand"
                 else tb.trayapp_argv(action, name, "--json"),
                 user="alice", check=False, timeout=120)
    return res.returncode, json.loads(res.stdout)


@pytest.mark.parametrize("name", list(PACKAGES))
def test_on_demand_then_always_on_changes_exactly_the_mode(module_testbed: Any,
                                                            name: str) -> None:
    tb = module_testbed
    service, sockets, _client = PACKAGES[name]
    before = unit_files(tb)
    was_always_on = before[service] in ENABLED

    code, out = switch(tb, "on-demand", name)
    assert code == 0 and out["ok"], out
    after = unit_files(tb)
    expected = {service: (before[service], "disabled")} if was_always_on else {}
    # Its client sockets not enabled yet are (Debian 13's podman.socket is not, Debian 12's is).
    expected |= {s: (before[s], "enabled") for s in sockets if before[s] != "enabled"}
    # Path units that start it are the daemon's too: on demand, only clients wake it.
    expected |= {path: ("enabled", "disabled") for path in PATHS.get(name, ())}
    # An Alias= goes with the service's enablement (systemd has no call for an
    # alias alone): the one thing beyond the mode that changes, and it is said.
    aliases = ALIASES.get(name, ())
    assert was_always_on or not aliases, "the alias case needs the package's own state"
    expected |= {alias: ("alias", None) for alias in aliases}
    for alias in aliases:
        assert any(alias in w for w in out["warnings"]), out
    # Nothing else changed: not its own sockets (Also=), not other daemons'.
    assert changed(before, after) == expected, out
    assert all(after[s] == "enabled" for s in sockets), after
    assert systemctl_account(tb, service, sockets)[1] == "on-demand"
    status_agrees_with_systemctl(tb)

    code, out = switch(tb, "always-on", name)
    if name == "pcscd":  # no [Install] of its own: on demand is all it can be
        assert code == 2 and "only names other units" in out["message"], out
        assert unit_files(tb) == before
        return
    assert code == 0 and out["ok"], out
    assert systemctl_account(tb, service, sockets)[1] == "always-on"
    assert changed(before, unit_files(tb)) == ({} if was_always_on else
                                                {service: (before[service], "enabled")}) | {
        s: (before[s], "enabled") for s in sockets if before[s] != "enabled"}  # as above
    status_agrees_with_systemctl(tb)


def test_on_demand_survives_a_reboot_and_real_clients_wake_each(module_testbed: Any) -> None:
    tb = module_testbed
    for name in PACKAGES:
        code, out = switch(tb, "on-demand", name)
        assert code == 0 and out["ok"], (name, out)
    tb.reboot()
    until("the testbed is up", lambda: tb.run("systemctl is-system-running", check=False)
          .stdout.strip() in ("running", "degraded"), timeout=60)
    for name, (service, sockets, _client) in PACKAGES.items():
        assert systemctl_account(tb, service, sockets) == ("dormant", "on-demand"), name
    status_agrees_with_systemctl(tb)
    for name, (service, _sockets, client) in PACKAGES.items():
        # Not started since the boot: nothing woke it before its client.
        assert started_at(tb, service) == "0", name
        tb.run(client, check=False, timeout=90)  # its answer does not matter: the wake does
        until(f"{client} wakes {service}", lambda s=service: started_at(tb, s) != "0",
              timeout=60)


def started_at(tb: Any, service: str) -> str:
    """When the service last began to start (monotonic µs), "0" for never since boot."""
    return props(tb, service, "InactiveExitTimestampMonotonic")["InactiveExitTimestampMonotonic"]
