"""One applet per user session: a second ``trayapp`` hands over and exits.

The first instance listens on a QLocalServer named after the application id
and the uid (in XDG_RUNTIME_DIR when there is one: a per-user 0700
directory, where nobody else can take the name).  A later instance connects,
sends one line ("show" or "window"), waits for "ok", and exits 0; the first
one then shows its menu or window.  A socket file left by a crash does not
block the next start: nobody answers on it, so it is removed.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEventLoop, QObject, QTimer
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from trayapp import APP_ID

log = logging.getLogger(__name__)

TIMEOUT_MS = 1000


def server_name(uid: int | None = None) -> str:
    uid = os.getuid() if uid is None else uid
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_dir():
        return str(Path(runtime) / f"{APP_ID}-{uid}.instance")
    return str(Path(tempfile.gettempdir()) / f"{APP_ID}-{uid}.instance")


def hand_off(name: str, message: str, timeout_ms: int = TIMEOUT_MS) -> bool:
    """Ask a running instance to act; True when one answered (then exit).

    Runs a local event loop until the answer, an error or the timeout, so it
    also works with the first instance in the same thread (the tests).
    """
    sock = QLocalSocket()
    loop = QEventLoop()
    answer: list[bool] = []
    done: list[bool] = []

    def finish() -> None:
        done.append(True)
        loop.quit()

    def read() -> None:
        if sock.canReadLine():
            answer.append(bytes(sock.readLine().data()).strip() == b"ok")
            finish()

    sock.connected.connect(lambda: sock.write(f"{message}\n".encode()))
    sock.readyRead.connect(read)
    sock.errorOccurred.connect(lambda _error: finish())
    sock.disconnected.connect(finish)
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(finish)
    timer.start(timeout_ms)
    sock.connectToServer(name)  # may fail (or connect) before exec()
    if not done:
        loop.exec()
    timer.stop()
    sock.abort()
    return answer == [True]


class InstanceServer(QObject):
    """Listens for later instances; ``on_message(text)`` for each request."""

    def __init__(self, name: str, on_message: Callable[[str], None]) -> None:
        super().__init__()
        self.name = name
        self._on_message = on_message
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._accept)

    def listen(self) -> bool:
        if self.server.listen(self.name):
            return True
        # Left over from a crashed run (hand_off() found nobody there).
        QLocalServer.removeServer(self.name)
        if self.server.listen(self.name):
            return True
        log.warning("cannot listen on %s: %s", self.name, self.server.errorString())
        return False

    def close(self) -> None:
        self.server.close()

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            sock = self.server.nextPendingConnection()
            sock.readyRead.connect(lambda s=sock: self._read(s))
            self._read(sock)  # what arrived before readyRead was connected

    def _read(self, sock: QLocalSocket) -> None:
        if not sock.canReadLine():
            return
        text = bytes(sock.readLine().data()).decode(errors="replace").strip()
        sock.write(b"ok\n")
        sock.flush()
        # One request per connection.  Deleted from here, not from its
        # `disconnected` signal: that one also fires inside the destructor
        # when the server goes first, and a deleteLater() posted then
        # crashed PySide6 6.12 at the next event loop pass.
        sock.disconnectFromServer()
        sock.deleteLater()
        try:
            self._on_message(text)
        except Exception:
            log.exception("cannot handle %r from another instance", text)
