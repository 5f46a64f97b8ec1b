"""Helpers and fakes the tests share: one place, instead of a copy per file.

* Waiting: ``until`` (blocking) and ``until_async`` (in an event loop) poll a
  probe and *fail* with what they waited for when time runs out; a wait that
  ends silently on timeout lets the next assertion pass for the wrong reason.
* Unit properties (pure, for the fast tier): ``daemon_units`` builds a socket
  and its service from raw properties; ``units``/``table_with``/``set_state``
  put a daemon into a named state and mode the way systemd's properties would.
* Fakes: ``FakeNotifier`` records what the tray and the idle watcher would tell
  the user.
* The testbed side: the test daemon's names, ``on_demand_testd`` and
  ``always_on_testd`` (known state first: the testbed is shared by the
  session), ``wait_active``, ``show``, ``unit_states``, ``run_container``,
  ``wake_testd``, ``history``/``run_of`` (alice's recorded runs), and
  the readers of trayapp commands printing JSON lines (``WatchProc`` for
  ``status --watch --json``, ``IdleWatchProc`` for ``idle-watch --json``).

Nothing here boots a testbed: the fixtures are in tests/conftest.py, the
machine in tools/testbed/.
"""

from __future__ import annotations

import asyncio
import json
import queue
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from tools.testbed.harness import STAGE
from trayapp.core.model import DaemonMode, DaemonState, Manager, UnitInfo
from trayapp.core.table import DaemonTable

T = TypeVar("T")
Event = dict[str, Any]

# -- waiting ---------------------------------------------------------------------------


def until(what: str, probe: Callable[[], T], timeout: float = 10, interval: float = 0.1) -> T:
    """Call ``probe`` until it returns something true, and return that.

    On timeout: AssertionError naming ``what`` and the probe's last answer.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; "
                                 f"last answer: {value!r}")
        time.sleep(interval)


class Clock:
    """A clock for the core's injected clocks, stepped by hand (``clock.now += 5``)."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def until_async(probe: Callable[[], object], timeout: float = 2.0,
                      interval: float = 0.005, what: str = "the condition") -> None:
    """``until`` inside a running event loop (the loop keeps running while we wait)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not probe():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(interval)


# -- unit properties (pure) ------------------------------------------------------------

# (service ActiveState, socket ActiveState) for each state.
STATE_UNITS = {
    DaemonState.DORMANT: ("inactive", "active"),
    DaemonState.RUNNING: ("active", "active"),
    DaemonState.STARTING: ("activating", "active"),
    DaemonState.STOPPING: ("deactivating", "active"),
    DaemonState.FAILED: ("failed", "active"),
    DaemonState.OFF: ("inactive", "inactive"),
}
# (service UnitFileState, socket UnitFileState) for each mode.
MODE_UNITS = {
    DaemonMode.ALWAYS_ON: ("enabled", "enabled"),
    DaemonMode.ON_DEMAND: ("disabled", "enabled"),
    DaemonMode.MANUAL: ("disabled", "disabled"),
    DaemonMode.MASKED: ("masked", "enabled"),
    DaemonMode.ON_DEMAND_PROXY: ("disabled", "transient"),  # issue 15: trayapp's proxy socket
}


def daemon_units(
    name: str = "docker",
    *,
    service_active: str = "inactive",
    service_file: str = "disabled",
    socket_active: str = "active",
    socket_file: str = "enabled",
    service: dict[str, Any] | None = None,
    socket: dict[str, Any] | None = None,
) -> list[UnitInfo]:
    """``[NAME.socket, NAME.service]`` from raw properties, both loaded, the
    socket triggering the service; by default a dormant on-demand daemon.
    ``service``/``socket``: more UnitInfo fields (or overrides) for either."""
    sock = UnitInfo(**{"name": f"{name}.socket", "load_state": "loaded",
                       "active_state": socket_active, "unit_file_state": socket_file,
                       "triggers": (f"{name}.service",), **(socket or {})})
    svc = UnitInfo(**{"name": f"{name}.service", "load_state": "loaded",
                      "active_state": service_active, "unit_file_state": service_file,
                      **(service or {})})
    return [sock, svc]


def units(name: str, state: DaemonState, mode: DaemonMode, since_usec: int = 0
          ) -> list[UnitInfo]:
    """A daemon's socket and service whose properties classify as ``state``, ``mode``."""
    service_active, socket_active = STATE_UNITS[state]
    service_file, socket_file = MODE_UNITS[mode]
    proxy = {"name": f"trayapp-proxy-{name}.socket"} if mode is DaemonMode.ON_DEMAND_PROXY \
        else {}
    return daemon_units(
        name, service_active=service_active, service_file=service_file,
        socket_active=socket_active, socket_file=socket_file,
        service={"load_state": "masked" if mode is DaemonMode.MASKED else "loaded",
                 "state_change_usec": since_usec,
                 "memory_bytes": 50 * 2**20 if service_active == "active" else None},
        socket={"state_change_usec": since_usec, **proxy},
    )  # fmt: skip


def set_state(table: DaemonTable, manager: Manager, name: str, state: DaemonState,
              result: str = "") -> None:
    """Move an existing daemon to ``state`` the way systemd's signals would; ``result``:
    the service's Result= ("success" with no job: it ended by itself; "": not known,
    which counts as someone's stop)."""
    service_active, socket_active = STATE_UNITS[state]
    table.update(manager, f"{name}.socket", {"active_state": socket_active})
    table.update(manager, f"{name}.service", {"active_state": service_active,
                                               **({"result": result} if result else {})})


def listening_in(table: DaemonTable, manager: Manager, sockets: list[str]
                 ) -> list[tuple[str, str]]:
    """The sockets' listening addresses as the table has them (a fake's fresh read)."""
    return [a for s in sockets if (u := table.unit(manager, s)) for a in u.listen]


def table_with(*daemons: tuple[str, DaemonState, DaemonMode], clock: float = 1000.0,
               manager: Manager = Manager.SYSTEM) -> DaemonTable:
    """A table holding these daemons (name, state, mode) of one manager."""
    table = DaemonTable(clock=lambda: clock)
    found: list[UnitInfo] = []
    for name, state, mode in daemons:
        found += units(name, state, mode)
    table.replace(manager, found)
    return table


# -- fakes -----------------------------------------------------------------------------


class FakeNotifier:
    """Records what would be shown: the tray's ``show`` and the idle watcher's
    ``warn``/``announce``. ``answer`` is what ``warn`` returns (None: the user
    never answers, and the warning waits until it is withdrawn)."""

    def __init__(self, answer: str | None = "stop") -> None:
        self.answer = answer
        self.shown: list[dict[str, Any]] = []
        self.warned: list[tuple[str, float]] = []
        self.announced: list[str] = []
        self.withdrawn = 0

    def show(self, title: str, body: str, **kw: Any) -> None:
        self.shown.append({"title": title, "body": body, **kw})

    async def warn(self, daemon: Any, seconds: float) -> str:
        self.warned.append((daemon.service, seconds))
        try:
            if self.answer is None:
                await asyncio.sleep(3600)
            return self.answer or "stop"
        except asyncio.CancelledError:
            self.withdrawn += 1
            raise

    def announce(self, text: str) -> None:
        self.announced.append(text)


# -- the testbed's test daemon and units -----------------------------------------------

TESTD = "trayapp-testd.service"
TESTD_SOCKET = "trayapp-testd.socket"
TESTD_SOCK = "/run/trayapp-testd.sock"  # the system one's listening path
USER_TESTD_SOCK = "/run/user/2001/trayapp-testd.sock"  # alice's
TESTD_DROPIN = "/run/systemd/system/trayapp-testd.service.d"  # tests' drop-ins go here


def staged(script: str) -> str:
    """Where a script of tools/testbed/ is, inside the testbed."""
    return f"{STAGE}/testbed/{script}"


def on_demand_testd(tb: Any, user: str | None = None) -> None:
    """The test daemon as it was installed: no drop-ins, nothing failed, the
    service disabled and stopped, the socket enabled and freshly listening.
    With ``user``: that user's own test daemon."""
    if user is not None:
        tb.run(f"systemctl --user reset-failed {TESTD} {TESTD_SOCKET} 2>/dev/null; "
               f"systemctl --user disable --now {TESTD}; "
               f"systemctl --user enable {TESTD_SOCKET}; "
               f"systemctl --user restart {TESTD_SOCKET}", user=user)
        return
    tb.run(f"if [ -e {TESTD_DROPIN} ]; then rm -rf {TESTD_DROPIN}; systemctl daemon-reload; fi; "
           f"systemctl reset-failed {TESTD} {TESTD_SOCKET} 2>/dev/null; "
           f"systemctl disable --now {TESTD}; systemctl enable {TESTD_SOCKET}; "
           f"systemctl restart {TESTD_SOCKET}")


def always_on_testd(tb: Any) -> None:
    """The test daemon always on: the service enabled and running, its socket off."""
    tb.run(f"systemctl reset-failed {TESTD} {TESTD_SOCKET} 2>/dev/null; "
           f"systemctl disable --now {TESTD_SOCKET}; systemctl enable --now {TESTD}")


def wait_active(tb: Any, unit: str, want: bool = True, user: str | None = None,
                timeout: float = 10) -> None:
    """Until ``unit`` is active (or, with ``want=False``, is not); fails on timeout."""
    scope = "--user " if user else ""
    test = "" if want else "! "
    tries = max(1, int(timeout * 10))
    res = tb.run(f"for i in $(seq {tries}); do {test}systemctl {scope}is-active -q {unit} && "
                 "exit 0; sleep 0.1; done; exit 1", user=user, check=False, timeout=timeout + 20)
    assert res.returncode == 0, (
        f"{unit} still {'not ' if want else ''}active after {timeout}s ({user or 'system'})"
    )


def show(tb: Any, unit: str, prop: str, user: str | None = None) -> str:
    """``systemctl show -P PROP UNIT`` (of a user's manager with ``user``)."""
    argv = ["systemctl", *(["--user"] if user else []), "show", "-P", prop, unit]
    return str(tb.run(argv, user=user).stdout.strip())


def unit_states(tb: Any, units: list[str], user: str | None = None
                ) -> dict[str, tuple[str, str]]:
    """unit -> (``is-enabled``, ``is-active``), which exit non-zero for "disabled"/"inactive"."""
    scope = "--user " if user else ""
    out = {}
    for unit in units:
        enabled = tb.run(f"systemctl {scope}is-enabled {unit}", user=user, check=False)
        active = tb.run(f"systemctl {scope}is-active {unit}", user=user, check=False)
        out[unit] = (enabled.stdout.strip(), active.stdout.strip())
    return out


def run_container(tb: Any, name: str = "sleeper", restart: str = "no") -> None:
    """Start Docker container ``name`` (busybox sleeping), importing a one-binary image
    if needed: made with ``docker import`` from Debian's static busybox, since the
    testbed has no network (and needs none for this)."""
    tb.run("docker image inspect tiny:1 >/dev/null 2>&1 || (rm -rf /root/rootfs && "
           "mkdir -p /root/rootfs/bin && cp /bin/busybox /root/rootfs/bin/ && "
           "ln -s busybox /root/rootfs/bin/sh && tar -C /root/rootfs -c . | "
           "/usr/bin/docker import - tiny:1)", timeout=120)
    tb.run(f"/usr/bin/docker rm -f {name} >/dev/null 2>&1; /usr/bin/docker run -d "
           f"--network none --restart {restart} --name {name} tiny:1 "
           "/bin/busybox sleep 3600", timeout=120)


def wake_testd(tb: Any, hold: float = 1.0) -> str:
    """Wake the system test daemon with a client that stays ``hold`` s; its InvocationID."""
    tb.run(f"(echo hi; sleep {hold}) | socat - UNIX-CONNECT:{TESTD_SOCK}", user="alice")
    wait_active(tb, TESTD)
    return show(tb, TESTD, "InvocationID")


def history(tb: Any, *args: str) -> dict[str, Any]:
    """``trayapp history --json ARGS`` as alice."""
    res = tb.run(tb.trayapp_argv("history", "--json", *args), user="alice")
    data = json.loads(res.stdout)
    assert isinstance(data, dict)
    return data


def recorded_run(tb: Any, invocation: str) -> dict[str, Any] | None:
    """The run with this InvocationID as ``trayapp history`` has it now, if any."""
    runs = [r for d in history(tb)["daemons"] for r in d["runs"]]
    return next((r for r in runs if r["invocation"] == invocation), None)


def run_of(tb: Any, invocation: str, timeout: float = 10) -> dict[str, Any]:
    """The recorded run with this InvocationID, once its end is written."""

    def ended() -> dict[str, Any] | None:
        run = recorded_run(tb, invocation)
        return run if run is not None and run["end"] is not None else None

    return until(f"an ended run {invocation} in the history", ended, timeout, 0.3)


# -- trayapp commands printing JSON lines ----------------------------------------------


class JsonLinesProc:
    """A trayapp command inside the testbed printing JSON lines, read by threads.

    ``wait_for`` consumes lines up to the first match; ``events`` holds every
    line consumed so far, in order. A line that has arrived but that no
    ``wait_for`` consumed is not in ``events`` yet: call ``drain()`` (or
    ``stop()``) before asserting that something did *not* happen.
    """

    def __init__(self, testbed: Any, argv: list[str], user: str = "alice") -> None:
        self.proc = testbed.popen(argv, user=user, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.events: list[Event] = []
        self._queue: queue.Queue[Event] = queue.Queue()
        self._stderr: list[str] = []
        self._readers = [threading.Thread(target=self._read, daemon=True),
                         threading.Thread(target=self._read_err, daemon=True)]
        for reader in self._readers:
            reader.start()

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
        """Consume lines until one satisfies ``pred``; return it. Fails on timeout."""
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
        """Consume every line that has arrived; return all consumed so far."""
        while True:
            try:
                self.events.append(self._queue.get_nowait())
            except queue.Empty:
                return self.events

    def stop(self) -> list[Event]:
        """End the command, read its last lines, and return every event it printed."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=15)
        for reader in self._readers:  # its pipes are closed: the readers end
            reader.join(timeout=5)
        return self.drain()


class WatchProc(JsonLinesProc):
    """``trayapp status --watch --json``."""

    def __init__(self, testbed: Any, *args: str, user: str = "alice") -> None:
        super().__init__(testbed, testbed.trayapp_argv("status", "--watch", "--json", *args),
                         user)


class IdleWatchProc(JsonLinesProc):
    """``trayapp idle-watch ... --json``, once it said it is ready; "keep" goes to its stdin."""

    def __init__(self, tb: Any, *args: str, user: str = "alice") -> None:
        super().__init__(tb, tb.trayapp_argv("idle-watch", *args, "--json"), user)
        self.wait_for(lambda e: e["event"] == "ready", timeout=30)


def where(service: str, manager: str = "system", **fields: str) -> Callable[[Event], bool]:
    """A ``status --watch`` line about ``service`` with these field values."""

    def pred(e: Event) -> bool:
        return (
            e.get("service") == service
            and e.get("manager") == manager
            and all(e.get(k) == v for k, v in fields.items())
        )

    return pred


def of(service: str, event: str, manager: str = "system") -> Callable[[Event], bool]:
    """An ``idle-watch`` decision ``event`` about ``service``."""
    return lambda e: (e["event"] == event and e.get("service") == service
                      and e.get("manager") == manager)


def model_from(events: list[Event]) -> dict[tuple[str, str], tuple[str, str]]:
    """(manager, service) -> (state, mode) after replaying watch events in order."""
    states: dict[tuple[str, str], tuple[str, str]] = {}
    for e in events:
        key = (e["manager"], e["service"])
        if e["event"] == "vanished":
            states.pop(key, None)
        else:
            states[key] = (e["state"], e["mode"])
    return states


def fresh_model(tb: Any, *args: str) -> dict[tuple[str, str], tuple[str, str]]:
    """What a one-shot ``trayapp status --json`` says now, as ``model_from`` gives it."""
    out = tb.run(tb.trayapp_argv("status", "--json", *args), user="alice").stdout
    return {(d["manager"], d["service"]): (d["state"], d["mode"]) for d in json.loads(out)}
