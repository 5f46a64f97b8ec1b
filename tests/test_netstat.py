"""Counting TCP client connections from the kernel's table (no connect)."""

from trayapp.core.netstat import tcp_connections, tcp_port

TCP = """  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid
   0: 0100007F:0947 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0
   1: 0100007F:0947 0100007F:D2A4 01 00000000:00000000 00:00000000 00000000     0
   2: 0100007F:D2A4 0100007F:0947 01 00000000:00000000 00:00000000 00000000  1000
   3: 0100007F:0947 0100007F:D2A6 06 00000000:00000000 00:00000000 00000000     0
"""


def test_tcp_counts_established_on_the_port() -> None:
    assert tcp_connections(TCP, 0x0947) == 1
    assert tcp_connections(TCP, 80) == 0
    assert tcp_connections("garbage\nnot a table", 80) == 0


def test_tcp_port() -> None:
    assert tcp_port("2375") == 2375
    assert tcp_port("127.0.0.1:2375") == 2375
    assert tcp_port("[::]:631") == 631
    assert tcp_port("/run/x.sock") is None
