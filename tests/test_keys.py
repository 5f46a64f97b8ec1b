"""Daemon keys (trayapp/core/keys.py): the one grammar of the settings file and the watch list."""

from __future__ import annotations

import pytest

from tests.support import units
from trayapp.core.keys import DaemonKeyError, check_key, daemon_key, key_of, parse_key
from trayapp.core.model import DaemonMode, DaemonState, Manager
from trayapp.core.table import DaemonTable

S, U = Manager.SYSTEM, Manager.USER


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("docker.service", (S, "docker.service")),
        ("user:gpg-agent.service", (U, "gpg-agent.service")),
        ("user:x@.service", (U, "x@.service")),
    ],
)
def test_parse_and_write_back(text: str, key: tuple[Manager, str]) -> None:
    assert parse_key(text) == key
    assert check_key(text) == key
    assert daemon_key(*key) == text
    assert daemon_key(str(key[0]), key[1]) == text  # the manager by its value, as in the file


def test_an_unknown_manager_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown manager"):
        daemon_key("session", "x.service")


def test_key_of_a_daemon_in_the_table() -> None:
    t = DaemonTable()
    t.replace(U, units("gpg-agent", DaemonState.DORMANT, DaemonMode.ON_DEMAND))
    assert [key_of(d) for d in t.daemons()] == ["user:gpg-agent.service"]


@pytest.mark.parametrize(
    ("text", "says"),
    [("", "names no unit"), ("user:", "names no unit"), ("user: a.service", "white space"),
     ("a b.service", "white space"), ("a.service\n", "white space")],
)
def test_bad_keys_say_why(text: str, says: str) -> None:
    with pytest.raises(DaemonKeyError, match=says):
        check_key(text)


def test_the_unit_validator_sees_the_unit_and_its_message_is_kept() -> None:
    seen: list[str] = []
    assert check_key("user:a.service", seen.append) == (U, "a.service")
    assert seen == ["a.service"]

    def no_sockets(unit: str) -> None:
        if unit.endswith(".socket"):
            raise ValueError(f"{unit!r} is not a service unit")

    with pytest.raises(DaemonKeyError, match=r"'docker\.socket' is not a service unit"):
        check_key("docker.socket", no_sockets)
