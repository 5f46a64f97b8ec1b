"""Counting client connections from the kernel's socket tables (no connect)."""

from trayapp.core.netstat import tcp_connections, tcp_port, unix_connections

UNIX = """Num       RefCount Protocol Flags    Type St Inode Path
0000000000000000: 00000002 00000000 00010000 0001 01 1001 /run/docker.sock
0000000000000000: 00000003 00000000 00000000 0001 03 1002 /run/docker.sock
0000000000000000: 00000003 00000000 00000000 0001 03 1003 /run/docker.sock
0000000000000000: 00000003 00000000 00000000 0001 03 1004
0000000000000000: 00000003 00000000 00000000 0001 03 1005 /run/other.sock
0000000000000000: 00000003 00000000 00000000 0001 03 1006 /run/docker.sock with space
"""

TCP = """  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid
   0: 0100007F:0947 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0
   1: 0100007F:0947 0100007F:D2A4 01 00000000:00000000 00:00000000 00000000     0
   2: 0100007F:D2A4 0100007F:0947 01 00000000:00000000 00:00000000 00000000  1000
   3: 0100007F:0947 0100007F:D2A6 06 00000000:00000000 00:00000000 00000000     0
"""


def test_unix_counts_accepted_connections_only() -> None:
    assert unix_connections(UNIX, "/run/docker.sock") == 2
    assert unix_connections(UNIX, "/run/docker.sock with space") == 1
    assert unix_connections(UNIX, "/run/none.sock") == 0


def test_tcp_counts_established_on_the_port() -> None:
    assert tcp_connections(TCP, 0x0947) == 1
    assert tcp_connections(TCP, 80) == 0
    assert tcp_connections("garbage\nnot a table", 80) == 0


def test_tcp_port() -> None:
    assert tcp_port("2375") == 2375
    assert tcp_port("127.0.0.1:2375") == 2375
    assert tcp_port("[::]:631") == 631
    assert tcp_port("/run/x.sock") is None
