"""The applet's wires to the services: what repaints the views, and what is notified.

``listen`` connects every change the views show to one repaint (Coalescer.mark);
``announce`` sets up the notification policy (usecases/announce.py) over the
services' events and outcomes; ``tell`` shows start-up problems on the desktop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from trayapp.adapters.dbus.notifications import Notifier
from trayapp.services import Services
from trayapp.usecases.announce import Announcer, Press

log = logging.getLogger(__name__)


def listen(services: Services, mark: Callable[..., None]) -> None:
    """Every change the views show marks them for one repaint."""
    services.monitor.table.listen(lambda _changes: mark())
    services.ledger.listen(lambda _key, _entry: mark())  # busy marks
    # A lost bus shows the disconnected icon until the monitor is back.
    services.monitor.on_connection(lambda _manager, _up: mark())
    services.causes.listen(lambda _key: mark())  # "woken by" learnt
    services.idle_warnings.listen(mark)  # a countdown begins or ends


def announce(services: Services, notifier: Notifier, press: Press) -> Announcer:
    """The notification policy over ``services``' events and its controller's outcomes."""
    announcer = Announcer(notifier, services.shows, press, causes=services.causes)
    announcer.start(services.events)
    services.controller.listen(announcer.on_outcome)
    return announcer


def tell(notifier: Notifier, problems: Iterable[tuple[str, str | None]]) -> None:
    """Each (title, problem) with a problem: logged, and notified as critical."""
    for title, problem in problems:
        if problem:
            log.error("%s", problem)
            notifier.show(title, problem, critical=True)
