"""Classification of daemons from unit properties: pure core, no bus."""

from __future__ import annotations

import pytest

from tests.support import daemon_units
from trayapp.core.model import DaemonMode, DaemonState, Manager, UnitInfo, classify, service_of

S = Manager.SYSTEM


def svc(active: str = "inactive", file: str = "disabled", **kw: object) -> UnitInfo:
    """docker.service with these properties."""
    return daemon_units("docker", service_active=active, service_file=file, service=kw)[1]


def sock(active: str = "active", file: str = "enabled", name: str = "docker.socket",
         **kw: object) -> UnitInfo:
    """A socket (docker.socket unless named) triggering docker.service."""
    return daemon_units("docker", socket_active=active, socket_file=file,
                        socket={"name": name, **kw})[0]


@pytest.mark.parametrize(
    ("service_state", "socket_state", "expected"),
    [
        ("inactive", "active", DaemonState.DORMANT),
        ("active", "active", DaemonState.RUNNING),
        ("reloading", "active", DaemonState.RUNNING),
        ("activating", "active", DaemonState.STARTING),
        ("deactivating", "active", DaemonState.STOPPING),
        ("failed", "active", DaemonState.FAILED),
        ("inactive", "failed", DaemonState.FAILED),
        ("inactive", "inactive", DaemonState.OFF),
        ("active", "inactive", DaemonState.RUNNING),
    ],
)
def test_state(service_state: str, socket_state: str, expected: DaemonState) -> None:
    d = classify(S, svc(service_state), [sock(socket_state)])
    assert d.state is expected


@pytest.mark.parametrize(
    ("service_file", "socket_file", "expected"),
    [
        ("disabled", "enabled", DaemonMode.ON_DEMAND),
        ("enabled", "enabled", DaemonMode.ALWAYS_ON),
        ("enabled", "disabled", DaemonMode.ALWAYS_ON),
        ("enabled-runtime", "disabled", DaemonMode.ALWAYS_ON),
        ("disabled", "disabled", DaemonMode.MANUAL),
        ("masked", "enabled", DaemonMode.MASKED),
        ("disabled", "enabled-runtime", DaemonMode.ON_DEMAND),
        # A static service (no [Install]) behind an enabled socket: on demand.
        ("static", "enabled", DaemonMode.ON_DEMAND),
        ("static", "disabled", DaemonMode.MANUAL),
    ],
)
def test_mode(service_file: str, socket_file: str, expected: DaemonMode) -> None:
    assert classify(S, svc(file=service_file), [sock(file=socket_file)]).mode is expected


def test_static_socket_pulled_in_by_sockets_target_is_on_demand() -> None:
    # dbus.socket is static, wanted by sockets.target through a distro symlink.
    socket = sock(file="static", wanted_by=("sockets.target",))
    assert classify(S, svc(file="static"), [socket]).mode is DaemonMode.ON_DEMAND


def test_static_socket_wanted_by_nothing_is_manual() -> None:
    assert classify(S, svc(file="static"), [sock(file="static")]).mode is DaemonMode.MANUAL


def test_static_service_wanted_by_multi_user_is_always_on() -> None:
    service = svc(file="static", wanted_by=("multi-user.target",))
    assert classify(S, service, [sock()]).mode is DaemonMode.ALWAYS_ON


def test_masked_by_load_state_and_all_sockets_masked() -> None:
    assert classify(S, svc(load_state="masked"), [sock()]).mode is DaemonMode.MASKED
    masked = [sock(file="masked"), sock(file="masked", name="docker-ro.socket")]
    assert classify(S, svc(), masked).mode is DaemonMode.MASKED
    one_masked = [sock(file="masked"), sock(name="docker-ro.socket")]
    assert classify(S, svc(), one_masked).mode is DaemonMode.ON_DEMAND


def test_several_sockets_one_daemon_dormant_when_any_listens() -> None:
    sockets = [sock("inactive", name="a.socket"), sock("active", name="b.socket")]
    d = classify(S, svc(), sockets)
    assert d.state is DaemonState.DORMANT
    assert d.sockets == ("a.socket", "b.socket")


def test_binds_to_warns() -> None:
    d = classify(S, svc(), [sock(binds_to=("docker.service",))])
    assert any("BindsTo=docker.service" in w for w in d.warnings)
    assert classify(S, svc(), [sock()]).warnings == ()


def test_missing_service_warns() -> None:
    d = classify(S, UnitInfo(name="docker.service", load_state="not-found"), [sock()])
    assert any("not installed" in w for w in d.warnings)


def test_since_is_latest_unit_change_and_memory_only_while_running() -> None:
    d = classify(S, svc("active", state_change_usec=5, memory_bytes=100),
                 [sock(state_change_usec=9)])
    assert d.since_usec == 9
    assert d.memory_bytes == 100
    idle = classify(S, svc("inactive", memory_bytes=100), [sock()])
    assert idle.memory_bytes is None
    assert idle.since_usec is None


def test_service_of() -> None:
    assert service_of(sock()) == "docker.service"
    assert service_of(UnitInfo(name="sshd.socket", accept=True)) == "sshd@.service"
    assert service_of(UnitInfo(name="foo.socket")) == "foo.service"
    assert service_of(UnitInfo(name="foo.socket", triggers=("bar.service",))) == "bar.service"
