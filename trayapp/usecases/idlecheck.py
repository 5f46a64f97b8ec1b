"""The idle watcher's check at the end of a window, its warning and its stop.

When a daemon's timer fires (usecases/idlestop.py), ``check``:

1. reads the service's properties (still active? CPUUsageNSec now) and its
   sockets' listening addresses, fresh from systemd;
2. only while it is active: the busy check (open connections from the
   kernel's socket tables; Docker's API for running containers);
3. core.idle.judge over the window;
4. idle: ``notifier.warn(daemon, grace)``: the user may keep it running;
   without an answer within the grace period it is stopped with the
   watcher's stop, and the result is announced.  Busy, kept, or not
   stopped: the timer is armed again.

It works on the watcher's state (its table, reader, timers and decisions).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from trayapp.core.idle import IdleRules, Sample, describe_window, idle_message, judge
from trayapp.core.keys import Key
from trayapp.core.model import Daemon, DaemonState
from trayapp.core.words import translate

if TYPE_CHECKING:
    from trayapp.usecases.idle_parts import Watch, Watcher

log = logging.getLogger("trayapp.usecases.idlestop")  # the watcher's log, as it always was


async def check(w: Watcher, key: Key, watch: Watch) -> None:
    try:
        await _check_once(w, key, watch)
    except asyncio.CancelledError:
        raise
    except Exception:  # a failed check must not leave the daemon unwatched for ever
        log.exception("idle check of %s failed", key[1])
        d = w.table.daemon(*key)
        if d is not None and w.watch(key) is watch:
            w.arm(d, watch.window)


async def _check_once(w: Watcher, key: Key, watch: Watch) -> None:
    d = w.table.daemon(*key)
    if d is None or d.state is not DaemonState.RUNNING:
        return
    stats = await w.reader.service(d.manager, d.service)
    # Read fresh from systemd, never from signal-fed state: what leads to a stop is re-read.
    listen = await w.reader.listening(d.manager, d.sockets)
    if stats is None or stats.active_state != "active" or listen is None:
        # Not active (or unreadable): no busy check now (Docker's would wake it).
        w.arm(d, watch.window)
        return
    end = Sample(w.clock(), stats.cpu_nsec, stats.invocation)
    w.on_stats(key, stats)
    now = w.table.daemon(*key)
    if now is None or now.state is not DaemonState.RUNNING:
        return  # it stopped while we read (the change cancelled the rest)
    report = await w.busy_check(d, listen, stats)
    rules = IdleRules(watch.window, w.cpu_threshold)
    verdict = judge(rules, watch.start, end, report.reasons)
    if not verdict.idle:
        w.decide("busy", d, f"{d.name} is busy: {'; '.join(verdict.reasons)}",
                 verdict.reasons, verdict.notes)
        w.arm(d, watch.window, start=end)
        w.last_busy[key] = "; ".join(verdict.reasons)
        return
    if report.exits_by_itself:
        # Its own idle exit will stop it: a warning would announce a stop podman makes.
        w.decide("exits-by-itself", d, f"{d.name} is idle; {report.exits_by_itself}, "
                 "so trayapp does not stop it", notes=(report.exits_by_itself,))
        w.arm(d, watch.window, start=end)
        return
    w.last_busy.pop(key, None)
    w.decide("idle", d, idle_message(d, watch.window, w.grace), notes=verdict.notes)
    answer = await _ask(w, d)
    if answer == "keep":
        w.decide("kept", d, f"{d.name}: kept running at the user's request")
        w.tell(d, translate("idle", "{name} keeps running; trayapp asks again after "
                            "{window} more without use.").format(
            name=d.name, window=describe_window(watch.window)))
        w.arm(d, watch.window)
        return
    if answer == "hold":  # no idle stop in this run: the next one is watched again
        watch.held = True
        w.decide("held", d, f"{d.name}: kept running until the user stops it")
        w.tell(d, translate("idle", "{name} keeps running until you stop it; trayapp "
                            "watches it again once it has slept.").format(name=d.name))
        return
    await _stop(w, d, watch)


async def _ask(w: Watcher, d: Daemon) -> str:
    try:
        answer = await asyncio.wait_for(w.notifier.warn(d, w.grace), w.grace)
    except TimeoutError:
        return "stop"
    return answer if answer in ("keep", "hold") else "stop"


async def _stop(w: Watcher, d: Daemon, watch: Watch) -> None:
    # Shielded: the stop changes the table, and that change must not
    # cancel the action half way.  The stopper puts it on the ledger.
    outcome = await asyncio.shield(w.stop(d.manager, d.service))
    idle_for = describe_window(watch.window)
    if outcome.ok:
        text = translate("idle", "Stopped {name} after {window} without use. Its socket "
                         "still listens: the next client wakes it again.").format(
            name=d.name, window=idle_for)
        w.decide("stopped", d, text)
    else:
        text = translate("idle", "Did not stop idle {name}: {why}").format(
            name=d.name, why=outcome.message)
        w.decide("not-stopped", d, text)
    w.tell(d, text)
    w.after_stop(d, watch.window)
