#!/usr/bin/python3
"""A tiny socket-activated daemon for the testbed (stdlib only).

Takes its listening sockets from systemd (LISTEN_FDS, fds 3...), answers every
line a client sends with "ok\\n", and runs until stopped: SIGTERM exits 0.

``--idle-exit SECONDS``: also exit 0 by itself once no client has been connected
for that long, as libvirtd's ``--timeout`` and podman's ``--time`` do (the
socket keeps listening, so the next client wakes it again).
"""

import argparse
import contextlib
import os
import selectors
import signal
import socket
import sys
import time

SD_LISTEN_FDS_START = 3


def listen_fds() -> list[socket.socket]:
    if os.environ.get("LISTEN_PID") != str(os.getpid()):
        sys.exit("testd: not socket-activated (LISTEN_PID does not match)")
    n = int(os.environ.get("LISTEN_FDS", "0"))
    if n < 1:
        sys.exit("testd: no LISTEN_FDS")
    return [socket.socket(fileno=fd) for fd in range(SD_LISTEN_FDS_START, SD_LISTEN_FDS_START + n)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--idle-exit", type=float, default=None, metavar="SECONDS")
    idle_exit = parser.parse_args().idle_exit
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sel = selectors.DefaultSelector()
    for s in listen_fds():
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, "listen")
    buffers: dict[socket.socket, bytes] = {}
    print(f"testd: serving (pid {os.getpid()})", flush=True)
    quiet_since = time.monotonic()
    while True:
        ready = sel.select(timeout=None if idle_exit is None else 0.1)
        if buffers:
            quiet_since = time.monotonic()
        elif idle_exit is not None and time.monotonic() - quiet_since >= idle_exit:
            print("testd: idle, exiting", flush=True)
            sys.exit(0)
        for key, _ in ready:
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            if key.data == "listen":
                try:
                    conn, _addr = sock.accept()
                except BlockingIOError:
                    continue
                conn.setblocking(True)  # replies are tiny; a blocking send is fine
                sel.register(conn, selectors.EVENT_READ, "conn")
                buffers[conn] = b""
                continue
            try:
                data = sock.recv(4096)
            except OSError:
                data = b""
            if not data:  # EOF: a last line without newline still gets its answer
                if buffers.get(sock):
                    with contextlib.suppress(OSError):
                        sock.sendall(b"ok\n")
                sel.unregister(sock)
                buffers.pop(sock, None)
                sock.close()
                continue
            buf = buffers[sock] + data
            *lines, buffers[sock] = buf.split(b"\n")
            for _line in lines:
                sock.sendall(b"ok\n")


if __name__ == "__main__":
    main()
