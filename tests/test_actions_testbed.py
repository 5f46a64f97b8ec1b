"""Mode switches, stop and start through polkit, against the real testbed (issue 3).

alice is allowed by a polkit rule in the testbed to manage the test daemon and
Docker; bob has no rule and must go through a polkit agent.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.support import (
    TESTD,
    TESTD_DROPIN,
    TESTD_SOCK,
    TESTD_SOCKET,
    always_on_testd,
    on_demand_testd,
    run_container,
    staged,
    unit_states,
    until,
    wait_active,
)
from tools.testbed.harness import ROOT_PASSWORD

AGENT_RUN = staged("agent_run.py")
UNITS = [TESTD, TESTD_SOCKET]


def act(tb: Any, *args: str, user: str = "alice", env: dict[str, str] | None = None
        ) -> tuple[int, dict[str, Any] | None, str]:
    res = tb.run(tb.trayapp_argv(*args, "--json"), user=user, check=False, timeout=120, env=env)
    try:
        data = json.loads(res.stdout)
    except ValueError:
        data = None
    return res.returncode, data, res.stderr


def test_docker_on_demand_then_always_on_survives_reboot(testbed: Any) -> None:
    tb = testbed
    # A workstation's Docker user is in the docker group (the API socket is
    # 0660): without it trayapp cannot tell whether containers run, and leaves
    # Docker running when switching it to on-demand.
    tb.run("usermod -aG docker alice; systemctl enable --now docker.service; "
           "systemctl disable docker.socket")
    code, out, err = act(tb, "on-demand", "docker")
    assert code == 0, (out, err)
    assert out and out["ok"] and out["status"] == "done"
    assert unit_states(tb, ["docker.service", "docker.socket"]) == {
        "docker.service": ("disabled", "inactive"),
        "docker.socket": ("enabled", "active"),
    }
    tb.run(["/usr/bin/docker", "info"], timeout=60)  # a client wakes it
    assert unit_states(tb, ["docker.service"])["docker.service"] == ("disabled", "active")

    code, out, err = act(tb, "always-on", "docker.socket")  # a socket name means its daemon
    assert code == 0, (out, err)
    tb.reboot()
    assert unit_states(tb, ["docker.service", "docker.socket"]) == {
        "docker.service": ("enabled", "active"),
        "docker.socket": ("enabled", "active"),
    }


def test_user_without_rule_gets_exit_3_and_nothing_changes(testbed: Any) -> None:
    tb = testbed
    always_on_testd(tb)
    before = unit_states(tb, UNITS)
    code, out, err = act(tb, "on-demand", "trayapp-testd", user="bob")
    assert code == 3, (out, err)
    assert out and out["status"] == "not-authorised"
    assert "polkit" in out["message"] and "Nothing changed" in out["message"]
    assert unit_states(tb, UNITS) == before


def test_a_refused_switch_of_a_busy_daemon_says_nothing_of_what_it_would_do(
        testbed: Any) -> None:
    """Issue 23, finding 9: bob's on-demand of a busy daemon was refused by polkit, and
    the result said "Nothing changed" and then that it "will not start at boot"."""
    tb = testbed
    on_demand_testd(tb)
    client = tb.popen(f"socat - UNIX-CONNECT:{TESTD_SOCK}", stdin=subprocess.PIPE)
    try:
        wait_active(tb, TESTD)  # woken by the client, who stays connected
        tb.run(f"systemctl enable {TESTD}")  # and now always on (root's own switch)
        before = unit_states(tb, UNITS)
        assert before[TESTD] == ("enabled", "active"), before
        code, out, err = act(tb, "on-demand", "trayapp-testd", user="bob")
        assert code == 3, (out, err)
        assert out and "Nothing changed" in out["message"]
        said = " ".join(out["warnings"])
        assert "start at boot" not in said and "left running" not in said, out["warnings"]
        assert unit_states(tb, UNITS) == before
    finally:
        client.kill()


def test_without_an_agent_the_message_names_what_to_install(testbed: Any) -> None:
    tb = testbed
    always_on_testd(tb)
    res = tb.run(tb.trayapp_argv("stop", "trayapp-testd"), user="bob", check=False)
    assert res.returncode == 3
    # systemd answers InteractiveAuthorizationRequired when polkit wanted to ask
    # and no agent was there; the message must say how to get one.
    assert "agent" in res.stderr, res.stderr
    # Issue 23: a path of the installed system, not of the source tree.
    assert "/usr/share/doc/trayapp/polkit/" in res.stderr and "packaging/" not in res.stderr
    assert "Traceback" not in res.stderr


def test_a_real_polkit_agent_answering_the_password_lets_bob_switch(testbed: Any) -> None:
    """The proof that mutating calls carry ALLOW_INTERACTIVE_AUTHORIZATION."""
    tb = testbed
    always_on_testd(tb)
    argv = ["/usr/bin/python3", AGENT_RUN, ROOT_PASSWORD, "--",
            *tb.trayapp_argv("on-demand", "trayapp-testd", "--json")]
    res = tb.run(argv, user="bob", check=False, timeout=120)
    assert "Password:" in res.stderr, res.stderr  # the agent was asked
    assert res.returncode == 0, res.stdout + res.stderr
    assert unit_states(tb, UNITS) == {TESTD: ("disabled", "inactive"),
                                      TESTD_SOCKET: ("enabled", "active")}


def test_cancelled_authorisation_changes_nothing(testbed: Any) -> None:
    tb = testbed
    always_on_testd(tb)
    before = unit_states(tb, UNITS)
    argv = ["/usr/bin/python3", AGENT_RUN, "--cancel", "--",
            *tb.trayapp_argv("on-demand", "trayapp-testd", "--json")]
    res = tb.run(argv, user="bob", check=False, timeout=120)
    assert res.returncode == 3, res.stdout + res.stderr
    assert unit_states(tb, UNITS) == before


def test_failure_half_way_is_rolled_back(testbed: Any) -> None:
    """The socket's listen path is taken: after the socket was enabled and the
    manager reloaded, starting the socket fails; both steps are undone."""
    tb = testbed
    tb.run(f"systemctl disable --now {TESTD} {TESTD_SOCKET}; rm -f {TESTD_SOCK}")
    before = unit_states(tb, UNITS)
    assert before == {TESTD: ("disabled", "inactive"), TESTD_SOCKET: ("disabled", "inactive")}
    tb.run(f"mkdir {TESTD_SOCK}")
    try:
        code, out, err = act(tb, "on-demand", "trayapp-testd")
    finally:
        tb.run(f"rmdir {TESTD_SOCK}")
    assert code == 1, (out, err)
    assert out and "rolled back" in out["message"]
    assert out["steps_done"] == ["enable trayapp-testd.socket", "reload"]
    assert unit_states(tb, UNITS) == before  # the failed socket was reset, too
    # The message says what holds now.
    assert "trayapp-testd.socket: disabled, inactive" in out["message"]
    on_demand_testd(tb)


def test_failing_service_start_is_rolled_back(testbed: Any) -> None:
    tb = testbed
    on_demand_testd(tb)
    before = unit_states(tb, UNITS)
    tb.run(f"mkdir -p {TESTD_DROPIN} && printf '[Service]\\nExecStartPre=/bin/false\\n' "
           f"> {TESTD_DROPIN}/fail.conf && systemctl daemon-reload")
    try:
        code, out, err = act(tb, "always-on", "trayapp-testd")
    finally:
        tb.run(f"rm -r {TESTD_DROPIN}; systemctl daemon-reload; systemctl reset-failed {TESTD}")
    assert code == 1, (out, err)
    assert out and "rolled back" in out["message"]
    after = unit_states(tb, UNITS)
    assert after[TESTD][0] == before[TESTD][0] == "disabled"
    assert after[TESTD_SOCKET] == before[TESTD_SOCKET]


@pytest.mark.parametrize("name", ["../x", "a b.service", "", "x" * 300, "local-fs.target"])
def test_bad_names_exit_2_before_any_dbus_call(testbed: Any, name: str) -> None:
    # Point both buses at nothing: a connection attempt would fail with exit 1.
    nowhere = {"DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent",
               "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent"}
    code, out, err = act(testbed, "stop", name, env=nowhere)
    assert code == 2, (out, err)
    assert out and out["status"] == "bad-input" and "name" in out["message"].lower()


def test_refusals_explain(testbed: Any) -> None:
    code, out, _ = act(testbed, "on-demand", "systemd-logind")  # no socket of its own
    assert code == 2 and out and "no socket" in out["message"]
    code, out, _ = act(testbed, "start", "no-such-daemon")
    assert code == 2 and out and "no unit named" in out["message"]


def test_stop_keeps_the_socket_listening_and_start_starts(testbed: Any) -> None:
    tb = testbed
    on_demand_testd(tb)
    code, out, _ = act(tb, "start", "trayapp-testd")
    assert code == 0 and unit_states(tb, [TESTD])[TESTD][1] == "active"
    code, out, _ = act(tb, "stop", "trayapp-testd")
    assert code == 0, out
    assert unit_states(tb, UNITS) == {TESTD: ("disabled", "inactive"),
                                      TESTD_SOCKET: ("enabled", "active")}


def test_open_connection_blocks_stop_unless_forced(testbed: Any) -> None:
    tb = testbed
    on_demand_testd(tb)
    client = tb.popen(f"socat - UNIX-CONNECT:{TESTD_SOCK}", stdin=subprocess.PIPE)
    try:
        wait_active(tb, TESTD)  # fails if the client never woke it
        code, out, _ = act(tb, "stop", "trayapp-testd")
        assert code == 1 and out and "busy" in out["message"] and "connection" in out["message"]
        assert unit_states(tb, [TESTD])[TESTD][1] == "active"
        code, out, _ = act(tb, "stop", "trayapp-testd", "--force")
        assert code == 0, out
    finally:
        client.kill()
    assert unit_states(tb, [TESTD])[TESTD][1] == "inactive"


def test_running_container_blocks_stop_unless_forced(testbed: Any) -> None:
    tb = testbed
    # A workstation's Docker user is in the docker group: the API socket is 0660.
    tb.run("usermod -aG docker alice; systemctl disable docker.service; "
           "systemctl enable --now docker.socket; systemctl start docker.service")
    run_container(tb, restart="unless-stopped")
    code, out, _ = act(tb, "stop", "docker")
    assert code == 1 and out and "running container" in out["message"]
    assert "sleeper" in out["message"]
    assert unit_states(tb, ["docker.service"])["docker.service"][1] == "active"

    code, out, _ = act(tb, "on-demand", "docker")  # busy: switched, left running, warned
    assert code == 0, out
    assert out and any("restart=unless-stopped" in w for w in out["warnings"])
    assert unit_states(tb, ["docker.service"])["docker.service"] == ("disabled", "active")

    code, out, _ = act(tb, "stop", "docker", "--force")
    assert code == 0, out
    assert unit_states(tb, ["docker.service", "docker.socket"]) == {
        "docker.service": ("disabled", "inactive"), "docker.socket": ("enabled", "active")}


def test_user_manager_switches_without_polkit(testbed: Any) -> None:
    tb = testbed
    code, out, err = act(tb, "always-on", "trayapp-testd", "--user")
    assert code == 0, (out, err)
    assert unit_states(tb, UNITS, user="alice")[TESTD] == ("enabled", "active")
    code, out, err = act(tb, "on-demand", "trayapp-testd", "--user")
    assert code == 0, (out, err)
    assert unit_states(tb, UNITS, user="alice") == {TESTD: ("disabled", "inactive"),
                                                    TESTD_SOCKET: ("enabled", "active")}
    assert out and out["manager"] == "user"


def test_an_end_state_that_misses_the_goal_fails_and_is_rolled_back(testbed: Any) -> None:
    """Another process rewrites the socket's unit file between two steps of bob's
    switch (bob's polkit agent holds the third password prompt, the Reload's):
    its [Install] section is gone, so it can no longer be enabled. Every step
    succeeds, but the goal (the socket enabled) does not hold at the end: the
    switch must say so, fail, and put back what it changed."""
    tb = testbed
    always_on_testd(tb)
    before = unit_states(tb, UNITS)
    unit_file = f"/etc/systemd/system/{TESTD_SOCKET}"
    tb.run(f"rm -f /tmp/agent-prompt-3 /tmp/agent-go-3; cp {unit_file} /tmp/testd-socket.bak")
    argv = ["/usr/bin/python3", AGENT_RUN, ROOT_PASSWORD, "--hold", "3", "--",
            *tb.trayapp_argv("on-demand", "trayapp-testd", "--json")]
    switch = tb.popen(argv, user="bob", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        until("the third password prompt (after disable and enable)",
              lambda: tb.run("test -e /tmp/agent-prompt-3", check=False).returncode == 0,
              timeout=60)
        assert unit_states(tb, UNITS)[TESTD_SOCKET][0] == "enabled"  # the enable was done
        # Someone else, between steps: the socket disabled, its [Install] section gone.
        tb.run(f"rm /etc/systemd/system/sockets.target.wants/{TESTD_SOCKET}; "
               f"sed -i '/^\\[Install\\]/,$d' {unit_file}")
        tb.run("touch /tmp/agent-go-3")
        out, err = switch.communicate(timeout=120)
    finally:
        if switch.poll() is None:
            switch.kill()
        tb.run(f"cp /tmp/testd-socket.bak {unit_file}; systemctl daemon-reload")
    result = json.loads(out)
    assert switch.returncode == 1 and result["status"] == "failed", (out, err)
    assert f"{TESTD_SOCKET} is static (was disabled; should be enabled)" in result["message"]
    assert "rolled back" in result["message"], result["message"]
    # What the switch changed is undone: the service enabled and running again.
    assert unit_states(tb, [TESTD]) == {TESTD: before[TESTD]}
    always_on_testd(tb)
    assert unit_states(tb, UNITS) == before


def test_what_cannot_be_seen_is_not_called_busy(testbed: Any) -> None:
    """Issue 23, finding 9: bob's ``trayapp stop cups`` said "it is busy (cannot tell
    what it carries (cups): [Errno 13] Permission denied: '/var/spool/cups')": a
    guess called busy.  CUPS's spool is root's and lp's, so bob cannot read it."""
    tb = testbed
    tb.run("systemctl start cups.service")
    try:
        code, out, err = act(tb, "stop", "cups", user="bob")
        assert code == 1 and out, (out, err)
        assert "cannot tell whether it is busy" in out["message"], out
        assert ": it is busy" not in out["message"], out
        assert "Nothing changed" in out["message"]
        assert unit_states(tb, ["cups.service"])["cups.service"][1] == "active"
    finally:
        tb.run("systemctl stop cups.service")
