"""Where proxies are kept and what the user asked for (issue 15).

``ProxyBook`` keeps each daemon's proxy across reboots (the user's settings,
usecases/settings_change.py's SettingsBook), ``Proposals`` the addresses a
refusal proposed for this process's life, ``NoBook`` stands for no settings file at all.
``saved_spec`` reads a kept proxy back, refusing what does not parse.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

from trayapp.core import proxy as core
from trayapp.core import proxy_address as addr
from trayapp.core.proxy_address import ProxyRefusal
from trayapp.core.settings import DaemonSettings


@dataclass(frozen=True)
class ProxyRequest:
    """What the user asked for; empty fields take the saved or learnt values."""

    listen: tuple[str, ...] = ()
    backend: str = ""
    idle_seconds: int | None = None
    allow_remote: bool = False  # a client address other machines reach, on purpose


class ProxyBook(Protocol):
    """Where the proxies are kept across reboots (the user's settings)."""

    def get(self, key: str) -> DaemonSettings: ...

    def put(self, key: str, spec: core.ProxySpec | None) -> str | None:
        """Keep (None: forget) one daemon's proxy; returns a problem for the user."""

    def propose(self, key: str, spec: core.ProxySpec) -> None: ...

    def proposal(self, key: str) -> core.ProxySpec | None: ...


class Proposals:
    """The addresses a refusal proposed, for this process's life (the last 32): the
    tray's next click, once the user changed the daemon's configuration, uses them
    (it listens on the back end by then, so they can no longer be learnt)."""

    MAX = 32

    def __init__(self) -> None:
        self._proposed: OrderedDict[str, core.ProxySpec] = OrderedDict()

    def propose(self, key: str, spec: core.ProxySpec) -> None:
        self._proposed.pop(key, None)
        self._proposed[key] = spec
        while len(self._proposed) > self.MAX:
            self._proposed.popitem(last=False)

    def proposal(self, key: str) -> core.ProxySpec | None:
        return self._proposed.get(key)


class NoBook(Proposals):
    """No settings to keep them in: the proxy lasts until the next reboot."""

    def get(self, key: str) -> DaemonSettings:
        return DaemonSettings()

    def put(self, key: str, spec: core.ProxySpec | None) -> str | None:
        return "trayapp has no settings file here, so the proxy lasts until the next reboot"


def saved_spec(service: str, saved: DaemonSettings) -> core.ProxySpec | None:
    if not saved.proxy_listen or not saved.proxy_backend:
        return None
    try:
        return core.ProxySpec(service, tuple(addr.parse_address(a) for a in saved.proxy_listen),
                              addr.parse_address(saved.proxy_backend), saved.proxy_idle_seconds,
                              saved.proxy_backend_uid)
    except ProxyRefusal:
        return None
