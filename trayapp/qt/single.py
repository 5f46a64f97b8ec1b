"""One applet per user session: a second ``trayapp`` hands over and exits.

The first instance listens on a Unix socket named after the application id
and the uid, in a directory nobody else can enter: XDG_RUNTIME_DIR when it is
one (ours, 0700), else a private 0700 directory of ours in the temporary
directory or the user's cache (never a shared, guessable name in /tmp, where
another user could take the name first or answer in our place).  When no
such directory can be had, there is no single-instance socket at all.  A later instance connects,
sends one line ("show" or "window"), waits for "ok", and exits 0; the first
one then shows its menu or window.  ``trayapp --background`` (the start at
login) sends "background" instead: the first one shows nothing, and the
second exits quietly.  A socket file left by a crash does not
block the next start: nobody answers on it, so it is removed.

Plain stdlib sockets watched by a QSocketNotifier: QtNetwork's QLocalServer
would do the same and cost some 3 MiB of resident memory for the whole run.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from platformdirs import user_cache_dir
from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, QSocketNotifier

from trayapp import APP_ID
from trayapp.adapters import private

log = logging.getLogger(__name__)

TIMEOUT_MS = 1000
BACKGROUND = "background"  # what a copy started with --background says: nothing to show


MAX_SOCKET_PATH = 107  # sun_path's 108 bytes, with the terminating NUL


def server_name() -> str | None:
    """The socket's path, in the first private directory of ours; None: no safe place."""
    uid = os.getuid()
    places = [Path(tempfile.gettempdir()) / f"{APP_ID}-{uid}", Path(user_cache_dir(APP_ID))]
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_absolute():
        places.insert(0, Path(runtime))
    for place in places:
        name = str(place / f"{APP_ID}-{uid}.instance")
        if len(os.fsencode(name)) <= MAX_SOCKET_PATH and private.owned_dir(place):
            return name
        log.info("not a private directory of ours, or too long a path: %s", place)
    log.warning("no private directory for the single-instance socket: none is used")
    return None


def hand_off(name: str | None, message: str, timeout_ms: int = TIMEOUT_MS) -> bool:
    """Ask a running instance to act; True when one answered (then exit).

    While waiting for the answer it lets Qt process events, so it also works
    with the first instance in the same thread (the tests).
    """
    if name is None:
        return False
    deadline = time.monotonic() + timeout_ms / 1000
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        try:
            sock.connect(name)
            sock.sendall(f"{message}\n".encode())
        except OSError:
            return False
        sock.setblocking(False)
        answer = b""
        while b"\n" not in answer and time.monotonic() < deadline:
            try:
                chunk = sock.recv(64)
            except BlockingIOError:
                if QCoreApplication.instance() is not None:
                    QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
                else:
                    time.sleep(0.02)
                continue
            except OSError:
                return False
            if not chunk:
                break
            answer += chunk
        return answer.strip() == b"ok"


def already_running(name: str | None) -> bool:
    """Does an instance answer in this session?  Asked by ``trayapp --background`` (the
    login's start), which then exits quietly: the running one shows nothing."""
    return hand_off(name, BACKGROUND)


class InstanceServer(QObject):
    """Listens for later instances; ``on_message(text)`` for each request."""

    def __init__(self, name: str | None, on_message: Callable[[str], None]) -> None:
        super().__init__()
        self.name = name
        self._on_message = on_message
        self._sock: socket.socket | None = None
        self._notifier: QSocketNotifier | None = None

    def listen(self) -> bool:
        if self.name is None:
            return False
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            try:
                sock.bind(self.name)
            except OSError:
                # Left over from a crashed run (hand_off() found nobody there).
                with contextlib.suppress(OSError):
                    os.unlink(self.name)
                sock.bind(self.name)
            os.chmod(self.name, 0o600)
            sock.listen(4)
        except OSError as exc:
            log.warning("cannot listen on %s: %s", self.name, exc)
            sock.close()
            return False
        sock.setblocking(False)
        self._sock = sock
        self._notifier = QSocketNotifier(sock.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._accept)
        return True

    def close(self) -> None:
        if self._notifier is not None:
            self._notifier.setEnabled(False)
        if self._sock is not None and self.name is not None:
            self._sock.close()
            with contextlib.suppress(OSError):
                os.unlink(self.name)
            self._sock = None

    def _accept(self) -> None:
        if self._sock is None:
            return
        try:
            conn, _ = self._sock.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(TIMEOUT_MS / 1000)  # one short line from a local peer
            try:
                text = conn.recv(256).split(b"\n", 1)[0].decode(errors="replace").strip()
                conn.sendall(b"ok\n")
            except OSError as exc:
                log.info("a later instance went away mid-request: %s", exc)
                return
        if text in ("", BACKGROUND):
            return  # a copy started at login (--background) only asked whether we run
        try:
            self._on_message(text)
        except Exception:
            log.exception("cannot handle %r from another instance", text)
