"""Docker's API, asked one question: which containers run, and which Docker restarts.

Asked only while docker.service is active (connecting to its socket would
wake a dormant Docker), over the API's Unix socket, with a plain HTTP/1.0
GET per request.  Whoever answers on that socket is not trusted to answer
well: the whole question has one deadline (not one per read), a reply is
read up to ``MAX_REPLY`` bytes and parsed only if its JSON holds at most
``MAX_VALUES`` values, and every field is checked against the API's
documented types.  Anything else raises :class:`DockerUnknown`: the caller
cannot tell whether containers run, which is never "no containers".
"""

from __future__ import annotations

import json
import re
import socket
import time
from dataclasses import dataclass

DEADLINE = 5.0  # seconds for the whole question, every request included
MAX_REPLY = 4 << 20  # bytes of one reply, headers included
MAX_VALUES = 300_000  # JSON values in one reply (what its parse may allocate)
MAX_CONTAINERS = 2_000  # containers whose restart policy is asked
_ID = re.compile(r"[0-9a-f]{12,64}")
_RESTARTED = ("always", "unless-stopped")


class DockerUnknown(Exception):
    """Docker's answer could not be had or is not what its API documents."""


@dataclass(frozen=True)
class Containers:
    running: list[str]  # names of the running containers
    restarting: list[str]  # "name (restart=always)": Docker starts them when it starts


def containers(api_socket: str, deadline: float = DEADLINE) -> Containers:
    """Ask Docker at ``api_socket``; raises DockerUnknown (PermissionError: not allowed)."""
    end = time.monotonic() + deadline
    listed = get(api_socket, "/containers/json?all=1", end)
    if not isinstance(listed, list):
        raise DockerUnknown("the list of containers is not a list")
    if len(listed) > MAX_CONTAINERS:
        raise DockerUnknown(f"more than {MAX_CONTAINERS} containers")
    running: list[str] = []
    restarting: list[str] = []
    for entry in listed:
        ident, name, state = _summary(entry)
        if state == "running":
            running.append(name)
        policy = _restart_policy(get(api_socket, f"/containers/{ident}/json", end))
        if policy in _RESTARTED:
            restarting.append(f"{name} (restart={policy})")
    return Containers(running, restarting)


def _summary(entry: object) -> tuple[str, str, str]:
    """(Id, name, State) of one entry of /containers/json."""
    if not isinstance(entry, dict):
        raise DockerUnknown("a container is not an object")
    ident, names, state = entry.get("Id"), entry.get("Names"), entry.get("State")
    if not isinstance(ident, str) or not _ID.fullmatch(ident):
        raise DockerUnknown("a container without a valid Id")
    if not isinstance(state, str):
        raise DockerUnknown(f"container {ident[:12]}: State is not a string")
    if names is None:
        return ident, ident[:12], state
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise DockerUnknown(f"container {ident[:12]}: Names is not a list of strings")
    return ident, (names[0].lstrip("/") if names else ident[:12]), state


def _restart_policy(detail: object) -> str:
    if not isinstance(detail, dict):
        raise DockerUnknown("a container's details are not an object")
    host = detail.get("HostConfig")
    policy = host.get("RestartPolicy", {}) if isinstance(host, dict) else None
    name = policy.get("Name", "") if isinstance(policy, dict) else None
    if not isinstance(name, str):
        raise DockerUnknown("a container's restart policy is not what the API documents")
    return name


# -- one request -------------------------------------------------------------------


def get(path: str, url: str, end: float) -> object:
    """GET ``url`` from the HTTP server at Unix socket ``path``, parsed as JSON, by ``end``
    (time.monotonic())."""
    raw = _exchange(path, f"GET {url} HTTP/1.0\r\nHost: docker\r\n\r\n".encode(), end)
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        raise DockerUnknown(f"{url}: no complete HTTP header")
    lines = head.decode("latin-1").split("\r\n")
    status = lines[0].split()
    if len(status) < 2 or not status[0].startswith("HTTP/") or status[1] != "200":
        raise DockerUnknown(f"{url}: {lines[0][:80]!r}")
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
    if headers.get("transfer-encoding", "identity").lower() != "identity":
        body = _dechunk(body)
    elif (length := headers.get("content-length")) is not None and (
            not length.isdigit() or int(length) != len(body)):
        raise DockerUnknown(f"{url}: the reply's length is not what it announced")
    return _json(body, url)


def _exchange(path: str, request: bytes, end: float) -> bytes:
    """Send ``request``, read until the server closes, by ``end``, at most MAX_REPLY bytes."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        try:
            sock.settimeout(_left(end))
            sock.connect(path)
            sock.sendall(request)
            chunks: list[bytes] = []
            size = 0
            while True:
                sock.settimeout(_left(end))
                chunk = sock.recv(min(1 << 16, MAX_REPLY + 1 - size))
                if not chunk:
                    return b"".join(chunks)
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_REPLY:
                    raise DockerUnknown(f"a reply larger than {MAX_REPLY >> 20} MiB")
        except PermissionError:
            raise
        except TimeoutError:
            raise DockerUnknown(f"no complete answer within {DEADLINE:g} s") from None
        except OSError as exc:
            raise DockerUnknown(f"{path}: {exc.strerror or exc}") from None


def _left(end: float) -> float:
    left = end - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left


def _dechunk(body: bytes) -> bytes:
    """A chunked body (a server may send one even to HTTP/1.0)."""
    out: list[bytes] = []
    at = 0
    while True:
        line_end = body.find(b"\r\n", at)
        size_text = body[at:line_end].split(b";", 1)[0].strip() if line_end >= 0 else b""
        try:
            size = int(size_text, 16)
        except ValueError:
            raise DockerUnknown("a garbled chunked reply") from None
        if size < 0 or line_end + 2 + size > len(body):
            raise DockerUnknown("a truncated chunked reply")
        if size == 0:
            return b"".join(out)
        out.append(body[line_end + 2 : line_end + 2 + size])
        at = line_end + 2 + size + 2


def _json(body: bytes, url: str) -> object:
    # Each value is separated by a comma or opens a container: this bounds what
    # parsing may allocate (it over-counts commas in strings: fail closed).
    values = body.count(b",") + body.count(b"[") + body.count(b"{")
    if values > MAX_VALUES:
        raise DockerUnknown(f"{url}: a reply of more than {MAX_VALUES} values")
    try:
        return json.loads(body)
    except RecursionError:
        raise DockerUnknown(f"{url}: a reply nested too deep") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise DockerUnknown(f"{url}: not JSON ({exc})") from None
