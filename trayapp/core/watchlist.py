"""Which daemons the tray shows: the well-known ones found, plus the user's, minus hidden.

Daemons are named by the daemon keys of trayapp.core.keys, the same strings
as in the settings file: ``docker.service`` for a unit of the system manager,
``user:gpg-agent.service`` for one of the user's own manager.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from .keys import key_of, parse_key
from .model import Daemon

# Daemons people run on demand and want to see without configuring anything.
# Matched by service name under either manager: podman and docker also run
# rootless under the user manager.  Only those present (a socket unit exists)
# are shown.
KNOWN_SERVICES = frozenset(
    {
        "docker.service",
        "podman.service",
        "containerd.service",  # no socket in most packages; shown if one ever appears
        "libvirtd.service",
        "virtqemud.service",
        "virtnetworkd.service",
        "virtstoraged.service",
        "cups.service",
        "pcscd.service",
        "snapd.service",
        "incus.service",
        "lxd.service",
    }
)


# Infrastructure every session needs and nobody switches by hand: the system's
# bus, logging, devices, logins, networking, clocks, storage helpers, and the
# user's agents.  Preferences keeps them behind "Show system plumbing".
PLUMBING_SERVICES = frozenset(
    {
        "dbus.service",
        "dbus-broker.service",
        "syslog.service",
        "rsyslog.service",
        "dm-event.service",
        "lvm2-lvmpolld.service",
        "multipathd.service",
        "iscsid.service",
        "uuidd.service",
        "virtlockd.service",
        "virtlogd.service",
        "gpg-agent.service",
        "dirmngr.service",
        "keyboxd.service",
        "ssh-agent.service",
        "p11-kit-server.service",
        "pk-debconf-helper.service",
        "pipewire.service",
        "pipewire-pulse.service",
        "wireplumber.service",
    }
)
PLUMBING_PREFIXES = ("systemd-",)  # journald, udevd, logind, networkd, resolved, initctl...


def is_plumbing(key: str) -> bool:
    """A daemon key names session or system infrastructure (see PLUMBING_SERVICES)."""
    unit = parse_key(key)[1]
    return unit in PLUMBING_SERVICES or unit.startswith(PLUMBING_PREFIXES)


@dataclass(frozen=True)
class Watchlist:
    """The user's additions and removals on top of the well-known daemons."""

    watched: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()
    known: frozenset[str] = field(default=KNOWN_SERVICES)

    def _by_default(self, key: str) -> bool:
        return parse_key(key)[1] in self.known

    def shows_key(self, key: str) -> bool:
        if key in self.hidden:
            return False
        return key in self.watched or self._by_default(key)

    def shows(self, d: Daemon) -> bool:
        return self.shows_key(key_of(d))

    def select(self, daemons: Iterable[Daemon]) -> list[Daemon]:
        return [d for d in daemons if self.shows(d)]

    def missing(self, daemons: Iterable[Daemon]) -> list[str]:
        """Keys the user asked for by hand that no daemon in the table answers to."""
        present = {key_of(d) for d in daemons}
        return [k for k in self.watched if k not in present and k not in self.hidden]

    def watch(self, key: str) -> Watchlist:
        hidden = tuple(k for k in self.hidden if k != key)
        watched = self.watched
        # A well-known daemon needs no entry of its own once it is not hidden.
        if not self._by_default(key) and key not in watched:
            watched = (*watched, key)
        return replace(self, watched=watched, hidden=hidden)

    def unwatch(self, key: str) -> Watchlist:
        """Not in the menu any more, but still known: a daemon added by hand (one with
        no socket unit is in the table only while followed) stays listed, unticked."""
        watched = tuple(k for k in self.watched if k != key)
        hidden = self.hidden if key in self.hidden else (*self.hidden, key)
        return replace(self, watched=watched, hidden=hidden)
