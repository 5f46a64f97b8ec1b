"""Client connections from the kernel's socket tables, against names another user chose.

Real sockets and the real sock_diag netlink interface: an abstract socket
may be bound with any bytes as its name (not UTF-8; a newline followed by
text shaped like a line of /proc/net/unix claiming a connection on our
path).  None of them may raise, add a connection, or hide one.
"""

from __future__ import annotations

import os
import socket
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from trayapp.adapters import busy, socktables, wakers

NOT_UTF8 = b"\0trayapp-test-\xff\xfe\xc3("


def forged(path: str) -> bytes:
    """An abstract name whose /proc/net/unix line ends, then claims a connection on ``path``."""
    return b"\0x\n0000000000000000: 00000003 00000000 00000000 0001 03 4242 " + path.encode()


@pytest.fixture
def listener() -> Iterator[tuple[str, socket.socket]]:
    """A listening socket at a short path (a forged line naming it must fit in 108 bytes)."""
    with tempfile.TemporaryDirectory(prefix="tk") as tmp, \
            socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        path = f"{tmp}/d.sock"
        sock.bind(path)
        sock.listen(8)
        yield path, sock


@pytest.fixture
def hostile_names(listener: tuple[str, socket.socket]) -> Iterator[list[socket.socket]]:
    """Listening abstract sockets with hostile names (what another user can bind),
    each with a connected client, so that they are in every table."""
    path = listener[0]
    socks: list[socket.socket] = []
    for name in (NOT_UTF8 + str(os.getpid()).encode(), forged(path), b"\0" + path.encode()):
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(name)
        server.listen(2)
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.connect(server.getsockname())
        socks += [server, client, server.accept()[0]]
    yield socks
    for s in socks:
        s.close()


def test_proc_net_unix_shows_the_forgery(hostile_names: list[socket.socket],
                                         listener: tuple[str, socket.socket]) -> None:
    """The attack is real here: the text table holds bytes that are not UTF-8 and a
    line that claims a connection on our path."""
    raw = Path("/proc/net/unix").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode()
    assert b" 03 4242 " + listener[0].encode() in raw


def test_hostile_names_neither_raise_nor_count(hostile_names: list[socket.socket],
                                               listener: tuple[str, socket.socket]) -> None:
    path, _ = listener
    assert busy.open_connections([("Stream", path)]) == 0
    assert busy.unix_connections([path]) == 0
    assert wakers.unix_peers([path]) == set()


def test_real_connections_count_queued_and_accepted(
        hostile_names: list[socket.socket], listener: tuple[str, socket.socket]) -> None:
    path, server = listener
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as queued, \
            socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as accepted:
        queued.connect(path)
        assert busy.open_connections([("Stream", path)]) == 1  # waiting in the queue
        accepted.connect(path)
        conn, _ = server.accept()
        with conn:
            assert busy.open_connections([("Stream", path), ("Datagram", path)]) == 2
            assert len(wakers.unix_peers([path])) == 2


def test_the_same_name_on_another_file_does_not_count(tmp_path: Path) -> None:
    """A socket of another mount namespace may carry our path as its name: only the
    one bound to the file at that path counts."""
    path = str(tmp_path / "real.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as real:
        real.bind(path)
        real.listen(2)
        here = socktables.file_id(path)
        record = next(s for s in socktables.dump() if s.name == path.encode())
        assert record.vfs == here  # the kernel's (inode, device) matches stat's
        other = socktables.UnixSocket(1, socket.SOCK_STREAM, socktables.TCP_ESTABLISHED,
                                      path.encode(), (here[0] + 1, here[1]) if here else None)
        assert not socktables.bound_to(other, path.encode(), here)
        assert socktables.bound_to(record, path.encode(), here)


def test_garbled_netlink_records_are_skipped_not_raised() -> None:
    assert socktables.parse(b"") is None
    assert socktables.parse(b"\x01" * 3) is None
    head = struct.pack("=BBBBIII", socket.AF_UNIX, 1, 1, 0, 7, 0, 0)
    # An attribute claiming more than there is, one too short, a truncated name.
    for tail in (struct.pack("=HH", 200, 0) + b"ab", struct.pack("=HH", 2, 0),
                 struct.pack("=HH", 7, 0) + b"\xff\n\0", struct.pack("=HH", 6, 2) + b"\x01"):
        record = socktables.parse(head + tail)
        assert record is not None and record.inode == 7
    with pytest.raises(OSError):
        list(socktables._messages(struct.pack("=IHHII", 100, 20, 0, 1, 0)))


def test_no_netlink_means_cannot_tell(monkeypatch: pytest.MonkeyPatch,
                                      listener: tuple[str, socket.socket]) -> None:
    import asyncio

    def refused(*_: object) -> Iterator[socktables.UnixSocket]:
        raise OSError("sock_diag refused the dump")

    monkeypatch.setattr(socktables, "dump", refused)
    report = asyncio.run(busy.check("x.service", [("Stream", listener[0])]))
    assert report.busy and "cannot tell" in report.reasons[0]


@pytest.mark.parametrize("listen", [("Stream", "@an-abstract-name"),
                                    ("SequentialPacket", "/run/some.seqpacket")])
def test_sockets_whose_clients_are_not_counted_cannot_tell(listen: tuple[str, str]) -> None:
    """A quiet client of an abstract or sequential-packet socket is not seen:
    the check must not call the daemon idle (found in review)."""
    import asyncio

    report = asyncio.run(busy.check("x.service", [listen]))
    assert report.busy and "cannot tell whether clients are connected" in report.reasons[0]
    assert listen[1] in report.reasons[0]
