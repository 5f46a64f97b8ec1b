"""Following the jobs trayapp starts to their end, from systemd's owner only.

StartUnit/StopUnit (and StartTransientUnit) return a job path at once: the
job's real result arrives later in ``JobRemoved``, which needs
``Subscribe()`` and a match on the manager's signals.  dbus-fast runs
signal handlers as messages arrive but resumes the awaiting caller a loop
iteration later, so a JobRemoved can be seen before the StartUnit reply is
in our hands: while such a call is in flight, results are kept by job path
for a few seconds (a few dozen at most).  Only systemd's current owner is
heard (Connection.on_signal): anyone may send a JobRemoved, unicast to us.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable

from dbus_fast import Message

from .bus import MANAGER_IFACE, MANAGER_PATH, SYSTEMD, BusUnavailable, Connection

JOB_TIMEOUT = 180.0

MANAGER_SIGNALS = (
    f"type='signal',sender='{SYSTEMD}',path='{MANAGER_PATH}',interface='{MANAGER_IFACE}'"
)


class JobFollower:
    """Collects JobRemoved results, from systemd's owner only, for the jobs we start.

    A result is kept only while one of our StartUnit/StopUnit calls is in
    flight (``expect``): it may be the job that call is about to name, since
    the signal can be handed over before the reply.  Those early results are
    kept for EARLY_WINDOW seconds, EARLY_MAX at most; every other job's
    result is ignored.
    """

    EARLY_WINDOW = 5.0
    EARLY_MAX = 32

    def __init__(self, conn: Connection, clock: Callable[[], float] = time.monotonic) -> None:
        self.conn = conn
        self.clock = clock
        self._early: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._waiters: dict[str, asyncio.Future[str]] = {}
        self._expecting = 0
        conn.on_signal(SYSTEMD, self._on_signal)

    async def subscribe(self, add_match: bool = True) -> None:
        if add_match:
            await self.conn.add_match(MANAGER_SIGNALS)
        await self.conn.call("Subscribe")

    def _on_signal(self, msg: Message) -> None:
        if msg.member != "JobRemoved" or msg.path != MANAGER_PATH or len(msg.body) != 4:
            return
        _id, job, _unit, result = msg.body
        if not (isinstance(job, str) and isinstance(result, str)):
            return
        waiter = self._waiters.pop(job, None)
        if waiter is not None:
            if not waiter.done():
                waiter.set_result(result)
        elif self._expecting:
            self._keep_early(job, result)

    def _keep_early(self, job: str, result: str) -> None:
        now = self.clock()
        while self._early and (len(self._early) >= self.EARLY_MAX
                               or next(iter(self._early.values()))[0] < now - self.EARLY_WINDOW):
            self._early.popitem(last=False)
        self._early[job] = (now, result)

    @contextlib.asynccontextmanager
    async def expect(self) -> AsyncIterator[None]:
        """Around a call that starts a job: its result may arrive before the reply."""
        self._expecting += 1
        try:
            yield
        finally:
            self._expecting -= 1

    async def wait(self, job: str, timeout: float = JOB_TIMEOUT) -> str:
        early = self._early.pop(job, None)
        if early is not None and early[0] >= self.clock() - self.EARLY_WINDOW:
            return early[1]
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        self._waiters[job] = waiter
        lost = loop.create_task(self.conn.wait_closed())
        try:
            done, _ = await asyncio.wait([waiter, lost], timeout=timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
            if waiter in done:
                return str(waiter.result())
            if lost in done:
                raise BusUnavailable(f"lost the {self.conn.manager} bus while following {job}")
            raise TimeoutError
        finally:
            lost.cancel()
            self._waiters.pop(job, None)
