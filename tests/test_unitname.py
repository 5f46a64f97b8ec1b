"""Unit-name grammar, checked before any D-Bus call."""

from __future__ import annotations

import pytest

from trayapp.core.unitname import BadUnitName, check_unit_name, daemon_service_name


@pytest.mark.parametrize("name", ["docker.service", "docker.socket", "getty@tty1.service",
                                  "foo@.service", "sys-kernel-debug.mount",
                                  "a\\x2db.service", "x:y_z.socket", "a" * 247 + ".service",
                                  "a@b@c.service", "0@@.service"])
def test_valid(name: str) -> None:
    assert check_unit_name(name) == name


@pytest.mark.parametrize("name", ["", "../x", "a b.service", "a" * 300, "docker",
                                  ".service", "x.nosuchtype", "a/b.service",
                                  "@x.service", "a" * 248 + ".service", "ü.service",
                                  "0@0.mount", "a@b.slice"])
def test_invalid(name: str) -> None:
    with pytest.raises(BadUnitName):
        check_unit_name(name)


@pytest.mark.parametrize(("text", "unit"), [("docker", "docker.service"),
                                            ("docker.service", "docker.service"),
                                            ("docker.socket", "docker.socket"),
                                            ("org.foo", "org.foo.service")])
def test_daemon_name(text: str, unit: str) -> None:
    assert daemon_service_name(text) == unit


@pytest.mark.parametrize("text", ["", "../x", "a b", "x" * 300, "local-fs.target"])
def test_daemon_name_rejects(text: str) -> None:
    with pytest.raises(BadUnitName):
        daemon_service_name(text)
