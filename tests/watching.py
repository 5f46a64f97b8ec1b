"""Reading long-running trayapp commands that print JSON lines inside the testbed."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

Event = dict[str, Any]


class JsonLinesProc:
    """A trayapp command inside the testbed printing JSON lines, read by threads."""

    def __init__(self, testbed: Any, argv: list[str], user: str = "alice") -> None:
        self.proc = testbed.popen(argv, user=user, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.events: list[Event] = []
        self._queue: queue.Queue[Event] = queue.Queue()
        self._stderr: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                self._stderr.append(f"(stdout) {line}")
                continue
            event["_received"] = time.time()
            self._queue.put(event)

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self._stderr.append(line)

    def stderr_text(self) -> str:
        return "".join(self._stderr)

    def wait_for(self, pred: Callable[[Event], bool], timeout: float = 15) -> Event:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching event in {timeout}s; got {self.events!r}\n"
                                     f"stderr: {self.stderr_text()}")
            try:
                event = self._queue.get(timeout=left)
            except queue.Empty:
                continue
            self.events.append(event)
            if pred(event):
                return event

    def answer(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def drain(self) -> list[Event]:
        while True:
            try:
                self.events.append(self._queue.get_nowait())
            except queue.Empty:
                return self.events

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        time.sleep(0.2)  # let the readers take the last lines


class WatchProc(JsonLinesProc):
    """``trayapp status --watch --json``."""

    def __init__(self, testbed: Any, *args: str, user: str = "alice") -> None:
        super().__init__(testbed, testbed.trayapp_argv("status", "--watch", "--json", *args),
                         user)


def where(service: str, manager: str = "system", **fields: str) -> Callable[[Event], bool]:
    def pred(e: Event) -> bool:
        return (
            e.get("service") == service
            and e.get("manager") == manager
            and all(e.get(k) == v for k, v in fields.items())
        )

    return pred


def model_from(events: list[Event]) -> dict[tuple[str, str], tuple[str, str]]:
    """(manager, service) -> (state, mode) after replaying watch events in order."""
    states: dict[tuple[str, str], tuple[str, str]] = {}
    for e in events:
        key = (e["manager"], e["service"])
        if e["event"] == "removed":
            states.pop(key, None)
        else:
            states[key] = (e["state"], e["mode"])
    return states
