"""The testbed itself: a real systemd, real users, polkit, Docker, socket activation.

Tests that change the machine put it back as they found it: the testbed is
shared by the whole session.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

from tests.support import TESTD_SOCK
from tests.support import show as prop
from tools.testbed.harness import STAGE, USERS, Testbed


def state(tb: Testbed, verb: str, unit: str, user: str | None = None) -> str:
    """`systemctl is-active/is-enabled UNIT` (which exit non-zero for "inactive")."""
    argv = ["systemctl", verb, unit] if user is None else ["systemctl", "--user", verb, unit]
    return tb.run(argv, user=user, check=False).stdout.strip()


def test_systemd_is_pid1_and_running(testbed: Testbed) -> None:
    assert testbed.run("cat /proc/1/comm").stdout.strip() == "systemd"
    assert Path(f"/proc/{testbed.pid}/comm").read_text().strip() == "systemd"
    # The failed units first: "degraded" alone does not say which test left one.
    failed = testbed.run("systemctl --failed --plain --no-legend").stdout.strip()
    assert failed == "", failed
    assert testbed.run("systemctl is-system-running").stdout.strip() == "running"
    assert testbed.run("hostname").stdout.strip() == "trayapp-testbed"


def test_user_managers_run(testbed: Testbed) -> None:
    for user, uid in USERS.items():
        r = testbed.run("id -u; echo $HOME; systemctl --user is-system-running", user=user)
        assert r.stdout.split() == [str(uid), f"/home/{user}", "running"], r.stdout
        assert testbed.host_path(f"/run/user/{uid}/bus").exists()
        # The session bus answers.
        testbed.run(["busctl", "--user", "status", "--no-pager"], user=user)


def test_user_runs_staged_code_from_venv(testbed: Testbed) -> None:
    code = "import trayapp, dbus_fast, PySide6; print(trayapp.__file__)"
    r = testbed.run([str(testbed.venv / "bin" / "python"), "-c", code], user="alice")
    assert r.stdout.strip().startswith(f"{STAGE}/trayapp/"), r.stdout
    assert testbed.trayapp_argv("status")[1:] == ["-m", "trayapp", "status"]


def test_system_testd_is_socket_activated(testbed: Testbed) -> None:
    unit = "trayapp-testd"
    assert state(testbed, "is-enabled", f"{unit}.socket") == "enabled"
    assert state(testbed, "is-enabled", f"{unit}.service") == "disabled"
    assert state(testbed, "is-active", f"{unit}.socket") == "active"
    assert prop(testbed, f"{unit}.socket", "SubState") == "listening"
    assert state(testbed, "is-active", f"{unit}.service") == "inactive"
    assert prop(testbed, f"{unit}.socket", "NAccepted") == "0"

    r = testbed.run(["socat", "-", f"UNIX-CONNECT:{TESTD_SOCK}"], input="hi\n")
    assert r.stdout == "ok\n"
    assert state(testbed, "is-active", f"{unit}.service") == "active"
    assert prop(testbed, f"{unit}.socket", "SubState") == "running"

    testbed.run(["systemctl", "stop", f"{unit}.service"])
    # SIGTERM ends it cleanly, and the socket listens again.
    assert prop(testbed, f"{unit}.service", "Result") == "success"
    assert prop(testbed, f"{unit}.socket", "SubState") == "listening"


def test_user_testd_is_socket_activated(testbed: Testbed) -> None:
    unit, a = "trayapp-testd", "alice"
    assert state(testbed, "is-enabled", f"{unit}.socket", a) == "enabled"
    assert state(testbed, "is-enabled", f"{unit}.service", a) == "disabled"
    assert state(testbed, "is-active", f"{unit}.socket", a) == "active"
    assert state(testbed, "is-active", f"{unit}.service", a) == "inactive"

    sock = f"/run/user/{USERS[a]}/trayapp-testd.sock"
    r = testbed.run(["socat", "-", f"UNIX-CONNECT:{sock}"], user=a, input="hi\n")
    assert r.stdout == "ok\n"
    assert state(testbed, "is-active", f"{unit}.service", a) == "active"
    testbed.run(["systemctl", "--user", "stop", f"{unit}.service"], user=a)
    assert state(testbed, "is-active", f"{unit}.service", a) == "inactive"
    # bob has no such unit.
    assert prop(testbed, f"{unit}.socket", "LoadState", "bob") == "not-found"


def test_polkit_rule_lets_alice_manage_units_and_not_bob(testbed: Testbed) -> None:
    svc = "trayapp-testd.service"
    testbed.run(["systemctl", "start", svc])
    try:
        no_ask = ["systemctl", "--no-ask-password"]
        r = testbed.run([*no_ask, "stop", svc], user="bob", check=False)
        assert r.returncode != 0
        assert "Interactive authentication required" in r.stderr, r.stderr
        assert state(testbed, "is-active", svc) == "active"
        r = testbed.run([*no_ask, "enable", svc], user="bob", check=False)
        assert "Interactive authentication required" in r.stderr, r.stderr

        testbed.run([*no_ask, "stop", svc], user="alice")
        assert state(testbed, "is-active", svc) == "inactive"
        testbed.run([*no_ask, "enable", svc], user="alice")  # manage-unit-files
        assert state(testbed, "is-enabled", svc) == "enabled"
        testbed.run([*no_ask, "disable", svc], user="alice")
        testbed.run([*no_ask, "daemon-reload"], user="alice")  # reload-daemon
        # The rule names its units: others stay refused.
        r = testbed.run([*no_ask, "restart", "containerd.service"], user="alice", check=False)
        assert "Interactive authentication required" in r.stderr, r.stderr
    finally:
        testbed.run(["systemctl", "disable", "--now", svc])
    assert state(testbed, "is-enabled", svc) == "disabled"


def test_docker_classic_socket_activation(testbed: Testbed) -> None:
    docker = ["/usr/bin/docker", "info", "--format", "{{.ServerVersion}} {{.Driver}}"]
    # Back to how Debian installs it (other tests may have switched it; the
    # fresh state is checked in test_second_testbed_boots_and_stops_clean).
    testbed.run("systemctl disable --now docker.socket; systemctl enable --now docker.service")
    assert testbed.run(docker).stdout.split()[1] == "vfs"
    try:
        testbed.run(["systemctl", "disable", "--now", "docker.service"])
        testbed.run(["systemctl", "enable", "--now", "docker.socket"])
        assert state(testbed, "is-active", "docker.service") == "inactive"
        assert prop(testbed, "docker.socket", "SubState") == "listening"
        testbed.run(docker)  # wakes it
        assert state(testbed, "is-active", "docker.service") == "active"
    finally:
        testbed.run("systemctl enable --now docker.service")
    assert state(testbed, "is-active", "docker.service") == "active"


def test_reboot_keeps_enablement(testbed: Testbed) -> None:
    svc = "trayapp-testd.service"
    old_pid = testbed.pid
    testbed.run(["systemctl", "enable", svc])
    testbed.run("echo gone >/tmp/reboot-marker")  # the testbed's /tmp is a tmpfs
    try:
        testbed.reboot()
        assert testbed.pid != old_pid
        assert state(testbed, "is-enabled", svc) == "enabled"
        assert state(testbed, "is-active", svc) == "active"  # WantedBy=multi-user.target
        assert testbed.run("ls /tmp").stdout.split().count("reboot-marker") == 0
        assert testbed.run("systemctl is-system-running").stdout.strip() == "running"
    finally:
        testbed.run(["systemctl", "disable", "--now", svc])


def test_boot_leaves_host_untouched(testbed: Testbed) -> None:
    """systemd-tmpfiles' `D /tmp` at boot must hit the overlay, never the host."""
    marker = Path(f"/tmp/trayapp-testbed-marker-{secrets.token_hex(4)}")
    marker.write_text("still here\n")
    try:
        testbed.reboot()
        assert marker.read_text() == "still here\n"
        assert not testbed.host_path(str(marker)).exists()
        assert testbed.run("getent passwd alice").stdout.startswith("alice:x:2001:")
        assert "alice:" not in Path("/etc/passwd").read_text()
    finally:
        marker.unlink()


def test_second_testbed_boots_and_stops_clean(testbed: Testbed) -> None:
    """A second, concurrent testbed: boots, and stop() leaves nothing on the host."""

    def mounts() -> str:
        return Path("/proc/self/mountinfo").read_text()

    other = Testbed(testbed.repo, testbed.venv, testbed.lower)
    other.boot()
    try:
        pid, state_dir = other.pid, other.state
        assert pid != testbed.pid and state_dir is not None
        assert str(state_dir) in mounts()
        # A fresh machine has Docker as Debian installs it: enabled and running.
        assert state(other, "is-enabled", "docker.service") == "enabled"
        assert state(other, "is-active", "docker.service") == "active"
        testbed.run(["systemctl", "start", "docker.service"])
        other.run(["systemctl", "stop", "docker.service"])  # independent machines
        assert state(testbed, "is-active", "docker.service") == "active"
    finally:
        other.stop()
    assert not os.path.exists(f"/proc/{pid}")
    assert str(state_dir) not in mounts()
    assert not state_dir.exists()
    leftovers = subprocess.run(
        ["find", "/sys/fs/cgroup", "-maxdepth", "6", "-name", f"*{state_dir.name}*"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    assert leftovers == ""
