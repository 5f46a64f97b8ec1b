"""The applet's notification decisions about one system daemon, as JSON lines.

Run inside the testbed (``python STAGE/testbed/causes_probe.py SERVICE``, as any
user): the real composition root (trayapp.services.Services: monitor, event hub,
causes) on the system bus, with the real notification policy
(usecases/announce.Announcer, no debouncing) whose notifier prints what it would
show instead of sending it.  Prints ``{"ready": true}`` once the table is read,
then one line per notice (``{"notice": {...}}``) and per change of the daemon's
last cause (``{"cause": "woken by ... at 14:02"}``).  SIGTERM ends it.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any

from trayapp.core.model import Manager
from trayapp.core.notices import Notices
from trayapp.services import Services
from trayapp.usecases.announce import Announcer


def say(**line: Any) -> None:
    print(json.dumps(line), flush=True)


class PrintNotifier:
    """usecases.announce.Notify, printing."""

    async def notify(self, title: str, body: str, *, actions: Sequence[tuple[str, str]] = (),
                     on_action: Callable[[str], None] | None = None, tag: str | None = None,
                     critical: bool = False, icon: str = "") -> int | None:
        self.show(title, body, actions=actions, tag=tag, critical=critical, icon=icon)
        return None

    def show(self, title: str, body: str, *, actions: Sequence[tuple[str, str]] = (),
             on_action: Callable[[str], None] | None = None, tag: str | None = None,
             critical: bool = False, icon: str = "") -> None:
        say(notice={"title": title, "body": body, "actions": [a for a, _ in actions],
                    "tag": tag, "critical": critical, "icon": icon})


async def main(service: str) -> None:
    services = Services([Manager.SYSTEM])
    announcer = Announcer(PrintNotifier(), lambda d: d.service == service,
                          lambda manager, name, action: None, Notices(quiet=0),
                          causes=services.causes)
    announcer.start(services.events)
    key = (Manager.SYSTEM, service)
    services.causes.listen(lambda k: k == key and say(cause=services.causes.line(k)))
    await services.watch()
    say(ready=True, state=str(d.state) if (d := services.monitor.table.daemon(*key)) else None)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await services.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
