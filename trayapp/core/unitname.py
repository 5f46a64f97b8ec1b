"""systemd unit-name grammar, checked before anything reaches a bus.

Follows unit_name_is_valid() in systemd's src/basic/unit-name.c: at most
255 characters, a prefix of ``[A-Za-z0-9:_.\\-]``, optionally ``@`` and an
instance (which may itself contain ``@``; empty for a template), and a known
type suffix.
"""

from __future__ import annotations

import string

UNIT_NAME_MAX = 255
_VALID_CHARS = frozenset(string.ascii_letters + string.digits + ":-_.\\")
UNIT_TYPES = frozenset(
    {"service", "socket", "target", "device", "mount", "automount", "swap", "timer", "path",
     "slice", "scope"}
)

# unit_type_may_template() in systemd: the other types have no "@" names.
_MAY_TEMPLATE = frozenset({"service", "socket", "target", "timer", "path"})


class BadUnitName(ValueError):
    """A name that systemd would reject; the message says why."""


def check_unit_name(name: str) -> str:
    """Return ``name`` if it is a valid unit name, else raise BadUnitName."""
    if not name:
        raise BadUnitName("empty unit name")
    if len(name) > UNIT_NAME_MAX:
        raise BadUnitName(f"unit name longer than {UNIT_NAME_MAX} characters ({len(name)})")
    stem, dot, suffix = name.rpartition(".")
    if not dot or suffix not in UNIT_TYPES:
        raise BadUnitName(f"{name!r} has no unit type suffix such as .service or .socket")
    prefix, _, instance = stem.partition("@")
    if instance and suffix not in _MAY_TEMPLATE:
        raise BadUnitName(f"{name!r}: .{suffix} units cannot have instances")
    if not prefix:
        raise BadUnitName(f"{name!r} has an empty name before the suffix")
    # The first "@" ends the prefix; an instance may contain more of them
    # (systemd's VALID_CHARS_WITH_AT), the prefix may not.
    bad = sorted({c for c in stem if c not in _VALID_CHARS and c != "@"})
    if bad:
        raise BadUnitName(
            f"{name!r} contains characters not allowed in unit names: {''.join(bad)!r}"
        )
    return name


def daemon_service_name(text: str) -> str:
    """The unit a user means by ``docker``, ``docker.service`` or ``docker.socket``.

    Returns a service or socket unit name (a socket is resolved to the
    service it triggers by whoever knows the units); raises BadUnitName.
    """
    name = text if "." in text and text.rpartition(".")[2] in UNIT_TYPES else f"{text}.service"
    check_unit_name(name)
    if not name.endswith((".service", ".socket")):
        raise BadUnitName(f"{text!r} is not a service or socket unit")
    return name


def paired_service(text: str) -> str:
    """The service a user means by ``docker``, ``docker.service`` or ``docker.socket``,
    without asking systemd: a socket's own Triggers= may name another one, so
    this is systemd's default pairing, for records kept before the units are read."""
    unit = daemon_service_name(text)
    return unit.removesuffix(".socket") + ".service" if unit.endswith(".socket") else unit
