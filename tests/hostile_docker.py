"""A hostile Docker API server on a Unix socket: ``python -m tests.hostile_docker MODE PATH``.

A real process, serving each connection in a thread, with one way of
answering badly per MODE (see ``REPLIES``); ``good`` and ``empty`` answer as
Docker does.  It prints "ready" once it listens.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time

ID = "a" * 64
GOOD_LIST = [{"Id": ID, "Names": ["/web"], "State": "running"},
             {"Id": "b" * 64, "Names": ["/old"], "State": "exited"}]
GOOD_DETAIL = {"Id": ID, "HostConfig": {"RestartPolicy": {"Name": "always"}}}


def http(body: bytes, status: str = "200 OK", extra: str = "") -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{extra}\r\n").encode() + body


def reply(mode: str, url: str) -> bytes:
    listing = url.startswith("/containers/json")
    if mode == "good":
        return http(json.dumps(GOOD_LIST if listing else GOOD_DETAIL).encode())
    if mode == "empty":
        return http(b"[]")
    if mode == "types":  # every field of the wrong type
        return http(json.dumps([{"Id": ID, "Names": 5, "State": ["running"]}]).encode())
    if mode == "detail-types":
        return http(json.dumps(GOOD_LIST if listing else {"HostConfig": []}).encode())
    if mode == "object":  # an object where the API documents a list
        return http(b'{"message": "no containers"}')
    if mode == "bad-id":
        return http(json.dumps([{"Id": "../../info", "Names": [], "State": "x"}]).encode())
    if mode == "nesting":
        return http(b"[" * 100_000 + b"]" * 100_000)
    if mode == "values":  # small in bytes, huge once parsed
        return http(b"[" + b"{}," * 1_000_000 + b"{}]")
    if mode == "status":
        return http(b"[]", "500 Internal Server Error")
    if mode == "short":  # announces more than it sends
        return http(b"[]")[:-1]
    raise SystemExit(f"unknown mode {mode}")


def serve(conn: socket.socket, mode: str) -> None:
    with conn:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(4096)
            if not chunk:
                return
            request += chunk
        url = request.split(b" ", 2)[1].decode()
        try:
            if mode == "trickle":  # a valid reply, one byte every 2 s
                for byte in http(b"[]"):
                    conn.sendall(bytes([byte]))
                    time.sleep(2)
            elif mode == "huge":  # 100 MB announced and sent
                size = 100 * 1000 * 1000
                conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n".encode())
                block = b"[" + b"0," * (1 << 19)
                for _ in range(size // len(block)):
                    conn.sendall(block)
            else:
                conn.sendall(reply(mode, url))
        except OSError:
            pass  # the client gave up: that is the point


def main() -> None:
    mode, path = sys.argv[1], sys.argv[2]
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(16)
    print("ready", flush=True)
    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve, args=(conn, mode), daemon=True).start()


if __name__ == "__main__":
    main()
