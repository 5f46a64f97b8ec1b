"""The idle warnings a view can see and answer (usecases/idlewarnings.py)."""

from __future__ import annotations

import asyncio

from tests.support import table_with
from trayapp.core.model import Daemon, DaemonMode, DaemonState
from trayapp.usecases.idlewarnings import IdleWarnings


class SlowNotifier:
    """A notification nobody answers: it waits for its whole grace period."""

    def __init__(self) -> None:
        self.withdrawn = 0
        self.told: list[str] = []

    async def warn(self, daemon: Daemon, seconds: float) -> str:
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            self.withdrawn += 1
            raise
        return "stop"

    def announce(self, text: str) -> None:
        self.told.append(text)


def test_keep_running_answers_the_warning_out_now() -> None:
    [d] = table_with(("docker", DaemonState.RUNNING, DaemonMode.ON_DEMAND)).daemons()
    inner = SlowNotifier()
    warnings = IdleWarnings(inner, clock=lambda: 1000.0)
    heard: list[dict[object, float]] = []
    warnings.listen(lambda: heard.append(warnings.deadlines()))

    async def scenario() -> str:
        asking = asyncio.ensure_future(warnings.warn(d, 30))
        await asyncio.sleep(0)
        assert warnings.deadlines() == {d.key: 1030.0}
        assert not warnings.answer(("nobody", "x.service"), "keep")  # type: ignore[arg-type]
        assert warnings.answer(d.key, "keep")
        return await asking

    assert asyncio.run(scenario()) == "keep"
    assert inner.withdrawn == 1  # the notification goes with the answer
    assert warnings.deadlines() == {}
    assert heard == [{d.key: 1030.0}, {}]
    assert not warnings.answer(d.key, "keep")  # nothing out any more


def test_unanswered_warning_gives_the_notifiers_answer() -> None:
    [d] = table_with(("docker", DaemonState.RUNNING, DaemonMode.ON_DEMAND)).daemons()
    warnings = IdleWarnings(SlowNotifier())
    assert asyncio.run(warnings.warn(d, 0.01)) == "stop"
    assert warnings.deadlines() == {}
