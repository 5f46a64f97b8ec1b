"""Bounded background work: however many signals ask for it, one run in flight, one queued."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Coalescer:
    """Runs ``work`` when asked: a request while it runs queues exactly one more run.

    A burst of any size (a genuine daemon-reload storm, or a flood of forged
    signals) costs at most two runs, never one per request.
    """

    def __init__(self, work: Callable[[], Awaitable[None]], what: str) -> None:
        self.work = work
        self.what = what
        self.runs = 0
        self._task: asyncio.Task[None] | None = None
        self._again = False

    @property
    def busy(self) -> bool:
        return self._task is not None and not self._task.done()

    def request(self) -> None:
        if self.busy:
            self._again = True
            return
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            self._again = False
            self.runs += 1
            try:
                await self.work()
            except Exception:
                log.exception("%s failed", self.what)
            if not self._again:
                return

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
