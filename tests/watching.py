"""Reading a long-running ``trayapp status --watch --json`` inside the testbed."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

Event = dict[str, Any]


class WatchProc:
    """Runs ``trayapp status --watch --json`` and collects its lines in a thread."""

    def __init__(self, testbed: Any, *args: str, user: str = "alice") -> None:
        self.proc = testbed.popen(
            testbed.trayapp_argv("status", "--watch", "--json", *args), user=user,
            stdout=__import__("subprocess").PIPE, stderr=__import__("subprocess").PIPE,
        )
        self.events: list[Event] = []
        self._queue: queue.Queue[Event] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            event["_received"] = time.time()
            self._queue.put(event)

    def wait_for(self, pred: Callable[[Event], bool], timeout: float = 15) -> Event:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                err = self.proc.stderr.read() if self.proc.poll() is not None else ""
                raise AssertionError(
                    f"no matching watch event in {timeout}s; got {self.events!r} {err}"
                )
            try:
                event = self._queue.get(timeout=left)
            except queue.Empty:
                continue
            self.events.append(event)
            if pred(event):
                return event

    def drain(self) -> list[Event]:
        while True:
            try:
                self.events.append(self._queue.get_nowait())
            except queue.Empty:
                return self.events

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()


def where(service: str, manager: str = "system", **fields: str) -> Callable[[Event], bool]:
    def pred(e: Event) -> bool:
        return (
            e.get("service") == service
            and e.get("manager") == manager
            and all(e.get(k) == v for k, v in fields.items())
        )

    return pred
