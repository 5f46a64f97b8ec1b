"""Before sleep: the idle watcher stops the idle on-demand daemons at once.

adapters/dbus/power.py's ``SleepGuard`` holds logind's delay lock and runs
the watcher's ``before_sleep`` (usecases/power.py): it stops at once,
without a warning, the watched on-demand daemons that are idle now, with a
stop that never asks for a password (``quiet_stop``: the controller's stop,
non-interactive; a daemon whose stop would need one is left running).

It works on the watcher's state (its timers' windows and start samples).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from trayapp.core.idle import IdleRules, Sample, judge
from trayapp.core.keys import Key
from trayapp.core.model import Daemon, DaemonState
from trayapp.core.outcome import Outcome

if TYPE_CHECKING:
    from trayapp.usecases.idle_parts import Stopper, Watcher


def _held(w: Watcher, key: Key) -> bool:
    """Kept running "until I stop it": left alone before sleep too."""
    watch = w.watch(key)
    return watch is not None and watch.held


async def before_sleep(w: Watcher) -> list[Outcome]:
    """Stop, without a warning, every watched on-demand daemon that is idle now and
    that may be stopped with no prompt (``quiet_stop`` never asks).  The caller
    bounds the time
    (logind's delay): a stop cut off by it is still finished by systemd."""
    candidates = [d for key in w.watched()
                  if not _held(w, key) and (d := w.table.daemon(*key)) is not None
                  and d.state is DaemonState.RUNNING and d.mode.on_demand]
    w.decide("sleep", None, f"going to sleep: {len(candidates)} idle-watched "
             "on-demand daemon(s) running")
    quiet_stop = w.quiet_stop
    if quiet_stop is None or not candidates:
        return []
    found = await asyncio.gather(*(_sleep_stop(w, d, quiet_stop) for d in candidates))
    return [o for o in found if o is not None]


async def _sleep_stop(w: Watcher, d: Daemon, quiet_stop: Stopper) -> Outcome | None:
    watch = w.watch(d.key)
    stats = await w.reader.service(d.manager, d.service)
    listen = await w.reader.listening(d.manager, d.sockets)
    if watch is None or stats is None or stats.active_state != "active" or listen is None:
        return None
    report = await w.busy_check(d, listen, stats)
    end = Sample(w.clock(), stats.cpu_nsec, stats.invocation)
    # The window need not be over: going to sleep ends it.
    verdict = judge(IdleRules(0.0, w.cpu_threshold), watch.start, end, report.reasons)
    if not verdict.idle:
        w.decide("busy", d, f"{d.name} is busy, left running over sleep: "
                 f"{'; '.join(verdict.reasons)}", verdict.reasons, verdict.notes)
        return None
    outcome = await asyncio.shield(quiet_stop(d.manager, d.service))
    text = (f"Stopped idle {d.name} before sleep." if outcome.ok
            else f"Left idle {d.name} running over sleep: {outcome.message}")
    w.decide("stopped" if outcome.ok else "not-stopped", d, text)
    w.after_stop(d, watch.window)
    return outcome
