"""The status window shows each daemon's last cause (issue 11), read from the causes
use case through the composition root (Services.cause_line), offscreen."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QLabel

from tests.fakes import Intents
from tests.support import table_with
from trayapp.core.causes import Cause, Client, Wakers
from trayapp.core.events import EventKind
from trayapp.core.model import Daemon, DaemonMode, DaemonState
from trayapp.core.summary import Snapshot
from trayapp.qt.window import StatusWindow
from trayapp.services import Services


def test_the_window_shows_the_last_cause_per_daemon(qapp: QApplication) -> None:
    table = table_with(("docker", DaemonState.RUNNING, DaemonMode.ON_DEMAND),
                       ("podman", DaemonState.DORMANT, DaemonMode.ON_DEMAND))
    services = Services([])
    docker, podman = table.daemons()
    services.causes._last[docker.key] = Cause(  # what on_event would have kept
        EventKind.WOKE, 1_700_000_000.0, Wakers(1, (Client(4242, "docker", "alice"),)))
    causes_seen: list[Daemon] = []

    def cause_line(d: Daemon) -> str | None:
        causes_seen.append(d)
        return services.cause_line(d)

    win = StatusWindow(lambda: Snapshot(daemons=(docker, podman), now=2000.0), Intents(),
                       causes=cause_line)
    win.present()
    texts = [label.text() for label in win.findChildren(QLabel)]
    assert any("woken by docker (PID 4242, alice) at " in t for t in texts), texts
    assert not any("podman" in t and "woken" in t for t in texts)
    assert {d.service for d in causes_seen} == {"docker.service", "podman.service"}
    win.close()
