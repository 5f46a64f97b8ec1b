"""A second, unprivileged user poisons the kernel's socket tables (issue 12).

bob binds listening abstract Unix sockets (anyone may) whose names hold bytes
that are not UTF-8, or a newline followed by text shaped like a line of
/proc/net/unix claiming a connection on the test daemon's socket, and
connects a client to each.  alice's ``trayapp stop`` of the idle, running
test daemon must still work (it used to fail with UnicodeDecodeError, and a
forged line made the daemon look busy for ever), while a real open
connection still counts as busy.

The hostile Docker API server is tested outside the testbed, as a real
process on a temporary socket (tests/test_docker_api.py): /run/docker.sock
belongs to docker.service while it is active and cannot be faked here.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support import TESTD, TESTD_SOCK, on_demand_testd, unit_states, wait_active

FORGED_LINE = f"0000000000000000: 00000003 00000000 00000000 0001 03 4242 {TESTD_SOCK}"
BOB = f"""
import socket, sys, time
names = [b"\\0trayapp-\\xff\\xfe\\xc3(-not-utf8",
         b"\\0x\\n" + {FORGED_LINE!r}.encode(),
         b"\\0y\\nNum       RefCount Protocol Flags    Type St Inode Path\\n\\xff"]
keep = []
for name in names:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(name)
    server.listen(4)
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(name)
    keep += [server, client, server.accept()[0]]
print("ready", flush=True)
time.sleep(3600)
"""


@pytest.fixture
def poisoned(testbed: Any) -> Iterator[Any]:
    """bob's hostile sockets, alive for the test; the table shows the forgery."""
    bob = testbed.popen(["/usr/bin/python3", "-c", BOB], user="bob", stdout=subprocess.PIPE)
    try:
        assert bob.stdout is not None and bob.stdout.readline().strip() == "ready"
        table = testbed.run("cat -v /proc/net/unix", user="alice").stdout  # not UTF-8
        assert FORGED_LINE in table.splitlines()  # the attack holds: a forged line
        yield testbed
    finally:
        bob.kill()
        bob.wait()


def stop(tb: Any, *flags: str) -> tuple[int, dict[str, Any]]:
    res = tb.run(tb.trayapp_argv("stop", "trayapp-testd", "--json", *flags), user="alice",
                 check=False, timeout=120)
    assert "Traceback" not in res.stderr, res.stderr
    return res.returncode, json.loads(res.stdout)


def test_poisoned_names_neither_break_nor_fake_a_stop(poisoned: Any) -> None:
    tb = poisoned
    on_demand_testd(tb)
    tb.run(f"systemctl start {TESTD}")
    wait_active(tb, TESTD)
    code, out = stop(tb)
    assert code == 0 and out["status"] == "done", out
    assert unit_states(tb, [TESTD])[TESTD][1] == "inactive"


def test_a_real_connection_still_counts_among_poisoned_names(poisoned: Any) -> None:
    tb = poisoned
    on_demand_testd(tb)
    client = tb.popen(f"socat - UNIX-CONNECT:{TESTD_SOCK}", user="alice",
                      stdin=subprocess.PIPE)
    try:
        wait_active(tb, TESTD)
        code, out = stop(tb)
        assert code == 1 and "1 client connection(s)" in out["message"], out
        assert unit_states(tb, [TESTD])[TESTD][1] == "active"
    finally:
        client.kill()
        client.wait()
    code, out = stop(tb, "--force")
    assert code == 0, out
