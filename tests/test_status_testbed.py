"""``trayapp status`` against the real systemd testbed (issue 2).

Each test puts the units it needs into a known state as root first, since the
testbed is shared by the whole session.
"""

from __future__ import annotations

import json
import subprocess
import time
from datetime import datetime
from itertools import pairwise
from typing import Any

from tests.support import (
    TESTD,
    TESTD_SOCK,
    TESTD_SOCKET,
    Event,
    WatchProc,
    model_from,
    on_demand_testd,
    staged,
    where,
)

SIGLOG = staged("siglog.py")


def status(tb: Any, *args: str, user: str = "alice") -> list[dict[str, Any]]:
    res = tb.run(tb.trayapp_argv("status", "--json", *args), user=user)
    data = json.loads(res.stdout)
    assert isinstance(data, list)
    return data


def entry(data: list[dict[str, Any]], service: str, manager: str = "system") -> dict[str, Any]:
    found = [d for d in data if d["service"] == service and d["manager"] == manager]
    assert len(found) == 1, f"{service} ({manager}) not exactly once in {data}"
    return found[0]


def history_of(events: list[Event], service: str = TESTD) -> list[tuple[str, str, str]]:
    """(event, state, mode) of each watch line about ``service``, in order."""
    return [(e["event"], e["state"], e["mode"]) for e in events if where(service)(e)]


def activations(tb: Any, socket: str, service: str) -> tuple[str, str]:
    """The socket's NAccepted and the service's last activation time.

    NAccepted only counts for Accept=yes sockets (systemd increments it when
    it accepts a connection itself), so the service's ActiveEnterTimestamp is
    the real witness that nothing started it.
    """
    accepted = tb.run(["systemctl", "show", "-P", "NAccepted", socket]).stdout.strip()
    entered = tb.run(["systemctl", "show", "-P", "ActiveEnterTimestampMonotonic",
                      service]).stdout.strip()
    return accepted, entered


def test_docker_classic_recipe_dormant_then_running_then_always_on(testbed: Any) -> None:
    tb = testbed
    tb.run("systemctl disable --now docker.service; systemctl enable --now docker.socket")
    d = entry(status(tb), "docker.service")
    assert (d["state"], d["mode"]) == ("dormant", "on-demand")
    assert d["sockets"] == ["docker.socket"]
    assert d["memory_bytes"] is None
    assert d["since"] and "T" in d["since"]

    tb.run(["/usr/bin/docker", "info"], timeout=60)  # a client wakes it
    d = entry(status(tb), "docker.service")
    assert (d["state"], d["mode"]) == ("running", "on-demand")

    tb.run("systemctl enable docker.service")
    d = entry(status(tb), "docker.service")
    assert (d["state"], d["mode"]) == ("running", "always-on")


def test_every_field_of_the_json_contract(testbed: Any) -> None:
    on_demand_testd(testbed)
    d = entry(status(testbed, "--system"), TESTD)
    assert set(d) >= {"service", "sockets", "manager", "state", "mode", "since", "memory_bytes"}
    assert (d["state"], d["mode"], d["sockets"]) == ("dormant", "on-demand", [TESTD_SOCKET])
    assert all(x["manager"] == "system" for x in status(testbed, "--system"))


def test_human_table(testbed: Any) -> None:
    on_demand_testd(testbed)
    out = testbed.run(testbed.trayapp_argv("status", "--system"), user="alice").stdout
    line = next(x for x in out.splitlines() if " trayapp-testd " in f" {x} ")
    assert "dormant" in line and "on-demand" in line and TESTD_SOCKET in line


def test_user_sockets_appear_under_the_user_manager(testbed: Any) -> None:
    data = status(testbed, "--user")
    assert {d["manager"] for d in data} == {"user"}
    gpg = entry(data, "gpg-agent.service", "user")
    assert set(gpg["sockets"]) >= {"gpg-agent.socket", "gpg-agent-ssh.socket"}
    testd = entry(data, TESTD, "user")
    assert testd["mode"] == "on-demand"
    both = status(testbed)
    assert {d["manager"] for d in both} == {"system", "user"}


def test_a_daemon_added_by_hand_is_shown_without_a_socket(testbed: Any) -> None:
    """Issue 23 finding 1: a daemon with no socket unit that the user added (here
    polkit, as PostgreSQL in the tray) is shown with its state, in a snapshot and
    live; a name systemd does not know is not, and costs no loop of reads."""
    tb = testbed
    conf = "/home/alice/.config/trayapp/settings.toml"
    tb.run(f"cp -a {conf} {conf}.kept 2>/dev/null || true; mkdir -p $(dirname {conf}) && "
           f"printf 'watched = [\"polkit.service\", \"nosuch-daemon.service\"]\\n' "
           f"> {conf}", user="alice")
    tb.run("systemctl start polkit")
    watch = None
    try:
        data = status(tb, "--system")
        polkit = entry(data, "polkit.service")
        assert (polkit["state"], polkit["sockets"]) == ("running", []), polkit
        assert not [d for d in data if d["service"] == "nosuch-daemon.service"]
        watch = WatchProc(tb, "--system")
        watch.wait_for(where("polkit.service", state="running"), timeout=20)
        tb.run("systemctl stop polkit")
        watch.wait_for(where("polkit.service", state="off"), timeout=20)
        tb.run("systemctl start polkit")
        watch.wait_for(where("polkit.service", state="running"), timeout=20)
    finally:
        if watch is not None:
            watch.stop()
        tb.run(f"rm -f {conf}; mv {conf}.kept {conf} 2>/dev/null || true", user="alice")
        tb.run("systemctl start polkit")


def test_missing_user_manager_is_a_clear_error(testbed: Any) -> None:
    res = testbed.run(testbed.trayapp_argv("status", "--user"), user="alice", check=False,
                      env={"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/bus"})
    assert res.returncode == 1
    assert "session bus" in res.stderr and "Traceback" not in res.stderr
    res = testbed.run(testbed.trayapp_argv("status", "--system", "--json"), user="alice",
                      check=False,
                      env={"DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent/system"})
    assert res.returncode == 1
    assert "system bus" in res.stderr and "Traceback" not in res.stderr


def test_watch_reports_wake_and_enablement_as_systemd_signals_them(testbed: Any) -> None:
    """Every change, in order, with what it was before; no timing asserted here
    (the signal-to-line latency is the benchmark's figure, tools/bench/bench.py)."""
    tb = testbed
    on_demand_testd(tb)
    siglog = tb.popen([str(tb.venv / "bin/python"), SIGLOG, "system", TESTD, TESTD_SOCKET],
                      stdout=subprocess.PIPE)
    assert json.loads(siglog.stdout.readline()) == {"ready": True}
    watch = WatchProc(tb, "--system")
    try:
        watch.wait_for(where(TESTD, state="dormant"))  # the initial snapshot line
        tb.run(f"echo hi | socat - UNIX-CONNECT:{TESTD_SOCK}")
        woke = watch.wait_for(where(TESTD, state="running"))
        tb.run(f"systemctl enable {TESTD}")
        enabled = watch.wait_for(where(TESTD, mode="always-on"))
        tb.run(f"systemctl disable {TESTD}")
        disabled = watch.wait_for(where(TESTD, mode="on-demand", state="running"))
    finally:
        events = watch.stop()
        siglog.terminate()
    signals = [json.loads(x) for x in siglog.stdout.read().splitlines() if x.strip()]
    # The wake was a real PropertiesChanged from systemd, which the watcher followed.
    assert any(s["unit"] == TESTD and s.get("ActiveState") in ("activating", "active")
               for s in signals), signals
    assert woke["previous_state"] in ("dormant", "starting")
    # In the core's words (core/events.py), as the tray and the history hear them.
    assert woke["event"] in ("woke", "became-active") and enabled["event"] == "mode-changed"
    assert woke["mode"] == "on-demand"  # waking changes the state, never the mode
    # Enablement is never signalled as a property (UnitFilesChanged and Reloading
    # are): the mode follows anyway, and the state stays.
    assert (enabled["previous_mode"], enabled["state"]) == ("on-demand", "running")
    assert disabled["previous_mode"] == "always-on"
    # The whole story, in order: each line's "previous" is the line before it.
    told = [e for e in events if where(TESTD)(e)]
    assert told[0]["event"] == "appeared" and told[0]["state"] == "dormant"
    for before, after in pairwise(told):
        assert after["event"] not in ("appeared", "vanished"), told
        assert (after["previous_state"], after["previous_mode"]) == (
            before["state"], before["mode"]), told
    assert [e["mode"] for e in told if e["state"] == "running"][-2:] == ["always-on",
                                                                          "on-demand"]
    assert [_epoch(e["at"]) for e in told] == sorted(_epoch(e["at"]) for e in told)
    on_demand_testd(tb)


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def test_watching_a_dormant_daemon_for_a_minute_never_wakes_it(testbed: Any) -> None:
    tb = testbed
    on_demand_testd(tb)
    tb.run("systemctl disable --now docker.service; systemctl enable --now docker.socket")
    before = (activations(tb, TESTD_SOCKET, TESTD),
              activations(tb, "docker.socket", "docker.service"))
    assert before[0][0] == before[1][0] == "0"
    watch = WatchProc(tb)  # both managers
    try:
        watch.wait_for(where(TESTD, state="dormant"))
        deadline = time.monotonic() + 60
        # Exercise every re-read path while we wait: reloads, enablement changes.
        tb.run("systemctl daemon-reload")
        tb.run("systemctl enable trayapp-testd.service; systemctl disable trayapp-testd.service")
        while time.monotonic() < deadline:
            time.sleep(5)
            assert watch.proc.poll() is None, "the watcher exited"
        watch.drain()
    finally:
        watch.stop()
    after = (activations(tb, TESTD_SOCKET, TESTD),
             activations(tb, "docker.socket", "docker.service"))
    assert after == before
    assert tb.run(["systemctl", "is-active", TESTD], check=False).stdout.strip() == "inactive"
    assert tb.run(["systemctl", "is-active", "docker.service"],
                  check=False).stdout.strip() == "inactive"


def test_daemon_reload_and_removed_unit_file_leave_the_model_correct(testbed: Any) -> None:
    tb = testbed
    unit = "/etc/systemd/system/trayapp-extra"
    tb.run(f"printf '[Socket]\\nListenStream=/run/trayapp-extra.sock\\n' > {unit}.socket; "
           f"printf '[Service]\\nExecStart=/bin/true\\n' > {unit}.service")
    watch = WatchProc(tb, "--system")
    try:
        watch.wait_for(where(TESTD))
        tb.run("systemctl daemon-reload && systemctl start trayapp-extra.socket")
        watch.wait_for(where("trayapp-extra.service", state="dormant"))
        tb.run(f"systemctl stop trayapp-extra.socket; rm {unit}.socket {unit}.service; "
               "systemctl daemon-reload")
        watch.wait_for(where("trayapp-extra.service", event="vanished"))
        # The live model now equals a fresh one-shot read.
        time.sleep(0.5)
        live = model_from(watch.drain())
    finally:
        events = watch.stop()
    fresh = {(d["manager"], d["service"]): (d["state"], d["mode"])
             for d in status(tb, "--system")}
    assert live == fresh
    # The extra daemon came and went once: appeared, dormant while its socket
    # listened, vanished last.
    extra = history_of(events, "trayapp-extra.service")
    kinds = [x[0] for x in extra]
    assert kinds[0] == "appeared" and kinds.count("appeared") == 1, extra
    assert "dormant" in [x[1] for x in extra], extra
    assert kinds[-1] == "vanished" and kinds.count("vanished") == 1, extra
    assert ("system", "trayapp-extra.service") not in live


def test_repeated_flips_are_reported_in_order(testbed: Any) -> None:
    """Five wakes and stops: each one reported, in order, none lost, the last
    state dormant. (How fast is the benchmark's figure, never asserted.)"""
    tb = testbed
    on_demand_testd(tb)
    watch = WatchProc(tb, "--system")
    try:
        watch.wait_for(where(TESTD, state="dormant"))
        for _ in range(5):
            tb.run(f"systemctl start {TESTD}")
            watch.wait_for(where(TESTD, state="running"))
            tb.run(f"systemctl stop {TESTD}")
            watch.wait_for(where(TESTD, state="dormant"))
        time.sleep(0.5)  # anything late (a spurious change) shows up now
    finally:
        events = watch.stop()
    told = [e for e in events if where(TESTD)(e)]
    states = [e["state"] for e in told]
    # Collapse the transient states: what a user sees settle, in order.
    settled = [s for s in states if s in ("dormant", "running")]
    assert settled == ["dormant"] + ["running", "dormant"] * 5, states
    assert set(states) <= {"dormant", "starting", "running", "stopping"}, states
    for before, after in pairwise(told):
        assert after["previous_state"] == before["state"], told
    assert all(e["mode"] == "on-demand" for e in told), told
