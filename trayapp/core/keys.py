"""The identity of a daemon, and the one way to write it as text.

A daemon is named by its manager and its service unit: ``Key`` is that pair.
The settings file, the watch list and notification tags write it as a
*daemon key*: the bare unit name for the system manager (``docker.service``),
the unit name after ``user:`` for the user's own manager
(``user:gpg-agent.service``, ``systemctl --user``).
"""

from __future__ import annotations

from collections.abc import Callable

from .model import Daemon, Manager

#: A daemon's identity: its manager and its service unit's name.
Key = tuple[Manager, str]

USER_PREFIX = "user:"

#: Checks one unit name (without the ``user:`` prefix) and raises ValueError,
#: with a message for the user, when it is not acceptable (for instance
#: ``trayapp.core.unitname``'s rules).
UnitValidator = Callable[[str], object]


class DaemonKeyError(ValueError):
    """A daemon key that names no usable unit; the message says why."""


def daemon_key(manager: Manager | str, service: str) -> str:
    """The text for a daemon: ``docker.service``, ``user:gpg-agent.service``.

    ``manager`` may be given as its value (``"system"``, ``"user"``); any
    other value raises ValueError.
    """
    try:
        which = Manager(manager)
    except ValueError:
        raise ValueError(f"unknown manager {manager!r}: expected 'system' or 'user'") from None
    return USER_PREFIX + service if which is Manager.USER else service


def key_of(d: Daemon) -> str:
    """The daemon key of a daemon in the table."""
    return daemon_key(d.manager, d.service)


def parse_key(text: str) -> Key:
    """Split ``"user:foo.service"`` into ``(Manager.USER, "foo.service")``.

    Only the shape is read here; :func:`check_key` says whether it is usable.
    """
    if text.startswith(USER_PREFIX):
        return Manager.USER, text[len(USER_PREFIX) :]
    return Manager.SYSTEM, text


def check_key(text: str, validate_unit: UnitValidator | None = None) -> Key:
    """The key ``text`` names; raise DaemonKeyError unless it is well formed.

    ``validate_unit``, when given, also checks the unit name; a ValueError it
    raises becomes a DaemonKeyError with the same message.
    """
    manager, unit = parse_key(text)
    if not unit:
        raise DaemonKeyError(f"{text!r} names no unit")
    if unit != unit.strip() or any(c.isspace() for c in unit):
        raise DaemonKeyError(f"{text!r} contains white space")
    if validate_unit is not None:
        try:
            validate_unit(unit)
        except DaemonKeyError:
            raise
        except ValueError as e:
            raise DaemonKeyError(str(e)) from None
    return manager, unit
