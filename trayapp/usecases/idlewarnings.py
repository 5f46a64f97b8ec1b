"""The idle warnings on screen now: a view can show their countdown and answer one.

Wraps the idle watcher's notifier.  While a warning is out, ``deadlines()``
says when each daemon stops (wall clock), and ``answer(key, "keep")`` keeps
it running, as the notification's own "Keep running" button would; the
notification is withdrawn then.  Listeners hear each warning come and go.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from trayapp.core.keys import Key
from trayapp.core.model import Daemon
from trayapp.usecases.idle_parts import IdleNotifier


class IdleWarnings:
    def __init__(self, inner: IdleNotifier | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.inner = inner  # set by Services.start_idle
        self.clock = clock
        self._pending: dict[Key, tuple[float, asyncio.Future[str]]] = {}
        self._listeners: list[Callable[[], None]] = []

    def listen(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def deadlines(self) -> dict[Key, float]:
        """The daemons warned about now, and when each stops (``clock`` time)."""
        return {key: at for key, (at, _) in self._pending.items()}

    def answer(self, key: Key, answer: str) -> bool:
        """Answer the warning of ``key`` ("keep", "hold" or "stop"); False when none is out."""
        found = self._pending.get(key)
        if found is None or found[1].done() or answer not in ("keep", "hold", "stop"):
            return False
        found[1].set_result(answer)
        return True

    async def warn(self, daemon: Daemon, seconds: float) -> str:
        assert self.inner is not None
        mine: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._pending[daemon.key] = (self.clock() + seconds, mine)
        self._changed()
        asked = asyncio.ensure_future(self.inner.warn(daemon, seconds))
        try:
            await asyncio.wait({asked, mine}, return_when=asyncio.FIRST_COMPLETED)
            return mine.result() if mine.done() else asked.result()
        finally:
            if not asked.done():
                asked.cancel()  # the notification is withdrawn with it
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asked
            if self._pending.get(daemon.key, (0.0, None))[1] is mine:
                del self._pending[daemon.key]
            self._changed()

    def announce(self, text: str) -> None:
        assert self.inner is not None
        self.inner.announce(text)

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()
