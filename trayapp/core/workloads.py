"""What a daemon carries: the work that stopping it would lose or disturb.  Pure rules.

Each daemon is judged by its kind (``kind_of``):

* LIBVIRT (``libvirtd`` and the modular ``virt*d`` daemons): running guests,
  from systemd-machined's machines registered by libvirt and from the
  ``machine-qemu*``/``machine-lxc*`` scopes of ``machine.slice``; never by
  asking libvirt.  Guests of a user's own libvirt (qemu:///session) are not
  registered anywhere systemd can show: "cannot tell".
* PODMAN: running containers, the ``libpod-<id>.scope`` units of its
  manager (``libpod-conmon-<id>.scope`` is the monitor beside each one).
  ``podman system service`` exits by itself after ``--time`` seconds
  without clients (5 by default): trayapp leaves that stop to podman.
* DOCKER: running containers, from Docker's API (adapters/busy.py).
* CUPS: pending print jobs, from the spool's job control files.
* GENERIC, every other daemon: processes in its cgroup besides the main one
  (and the helpers the main one forked as it started, within STARTUP_SLACK).

Open connections and CPU count for every kind (core/idle.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum


class Kind(StrEnum):
    LIBVIRT = "libvirt"
    PODMAN = "podman"
    DOCKER = "docker"
    CUPS = "cups"
    GENERIC = "generic"


_LIBVIRT = re.compile(r"(libvirtd|virt[a-z]+d)\.service")

#: machine.slice scopes of libvirt's guests: machine-qemu\x2d1\x2dname.scope.
GUEST_SCOPES = ("machine-qemu*.scope", "machine-lxc*.scope")
#: podman's containers under its manager (rootful: machine.slice; rootless: the user's).
CONTAINER_SCOPES = ("libpod-*.scope",)
_CONMON = "libpod-conmon-"

PODMAN_DEFAULT_TIME = 5  # seconds: podman-system-service(1)'s --time default


def kind_of(service: str) -> Kind:
    if _LIBVIRT.fullmatch(service):
        return Kind.LIBVIRT
    if service == "podman.service":
        return Kind.PODMAN
    if service == "docker.service":
        return Kind.DOCKER
    if service == "cups.service":
        return Kind.CUPS
    return Kind.GENERIC


def libvirt_guests(machines: Iterable[tuple[str, str, str]], scopes: Iterable[str]) -> list[str]:
    """Names of the running guests: machined's (name, class, service) rows registered
    by libvirt (service ``libvirt-qemu``, ``libvirt-lxc``...), and the guest scopes
    (a guest whose registration machined lost still has its scope)."""
    named = {name for name, _cls, service in machines if service.startswith("libvirt")}
    seen = {_scope_machine(s) for s in scopes}
    return sorted(named | {s for s in seen if s})


def _scope_machine(scope: str) -> str:
    # machine-qemu\x2d1\x2dtiny.scope -> qemu-1-tiny, the name machined gives it.
    if not scope.startswith("machine-") or not scope.endswith(".scope"):
        return ""
    return scope[len("machine-"):-len(".scope")].replace("\\x2d", "-")


def podman_containers(scopes: Iterable[str]) -> list[str]:
    """Short ids of the containers whose scope runs (the conmon scopes left out)."""
    ids = set()
    for scope in scopes:
        if scope.startswith("libpod-") and not scope.startswith(_CONMON) \
                and scope.endswith(".scope"):
            ids.add(scope[len("libpod-"):-len(".scope")][:12])
    return sorted(ids)


def podman_exit_time(argv: Sequence[str]) -> int | None:
    """Seconds after which ``podman system service`` exits by itself without clients;
    None when it never does (``--time 0``) or the command line is not that service."""
    words = list(argv)
    if "system" not in words or "service" not in words:
        return None
    seconds: str | None = None
    for i, word in enumerate(words):
        if word in ("-t", "--time") and i + 1 < len(words):
            seconds = words[i + 1]
        elif word.startswith("--time="):
            seconds = word.split("=", 1)[1]
        elif word.startswith("-t") and word[2:].isdigit():
            seconds = word[2:]
    if seconds is None:
        return PODMAN_DEFAULT_TIME
    if not seconds.isdigit():
        return None  # a duration we cannot read: do not assume it exits
    return int(seconds) or None


#: A process that began this close to the main one is a helper it forked as it started
#: (avahi-daemon's chroot helper), not work in progress.
STARTUP_SLACK = 2.0


def other_processes(pids: Iterable[int], main_pid: int,
                    started: Mapping[int, float] | None = None) -> list[int]:
    """The processes of a service's cgroup besides its main one and the helpers it
    started with.  ``started`` gives each process's start time (seconds, one clock for
    all: /proc's); a process whose start is unknown counts."""
    started = started or {}
    main_start = started.get(main_pid)

    def helper(pid: int) -> bool:
        begun = started.get(pid)
        return main_start is not None and begun is not None \
            and abs(begun - main_start) <= STARTUP_SLACK

    return sorted(p for p in set(pids) if p != main_pid and not helper(p))


GUESTS_SERVICE = "libvirt-guests.service"
#: Reverse dependencies along which a stop of a unit reaches another.
_STOP_FOLLOWS = ("RequiredBy", "BoundBy", "RequisiteOf", "ConsistsOf")


def stop_reaches(props: Mapping[str, object], unit: str) -> bool:
    """Would stopping the unit with these properties stop ``unit`` too (it Requires=,
    BindsTo=, Requisite= or is PartOf= it)?"""
    for name in _STOP_FOLLOWS:
        value = props.get(name)
        if isinstance(value, list) and unit in value:
            return True
    return False


GUESTS_REASON = ("libvirt-guests.service depends on it: stopping it stops libvirt-guests, "
                 "whose stop shuts down (or suspends) every running guest")
