"""The proxy's pure parts (core/proxy*.py): addresses, the kernel's table, refusals, units."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from trayapp.core import proxy, proxy_address, proxy_holder
from trayapp.core.model import DaemonMode, DaemonState, UnitInfo, classify, service_of
from trayapp.core.model import Manager as M
from trayapp.core.proxy import ProxySpec
from trayapp.core.proxy_address import Address, ProxyRefusal, parse_address
from trayapp.core.settings import DaemonSettings
from trayapp.core.settings_values import SettingsError, from_mapping


# /proc/net/tcp and tcp6 rows shaped as a Debian 12 testbed printed them (PostgreSQL as
# uid 101 on 127.0.0.1:15432 and [::1]:15432, PID 1 on 127.0.0.1:5432, a client).
def _line(local: str, remote: str, state: str, uid: int) -> str:
    """One row of /proc/net/tcp{,6} as the kernel prints it."""
    return (f"   0: {local} {remote} {state} 00000000:00000000 00:00000000 00000000 "
            f"{uid:>5}        0 2457307 1 0000000000000000 100 0 0 10 0")


V6_ANY = "0" * 32 + ":0000"
TCP = "\n".join([
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid",
    _line("0100007F:1538", "00000000:0000", "0A", 0),
    _line("0100007F:3C48", "00000000:0000", "0A", 101),
    _line("0100007F:3C48", "0100007F:D2F0", "01", 101),  # a client: not listening
    _line("00000000:18EB", "00000000:0000", "0A", 102),
    "   garbage line",
    "  sl  local_address                         remote_address                        st",
    _line("00000000000000000000000001000000:3C48", V6_ANY, "0A", 101),
    _line("0000000000000000FFFF00000100007F:1F90", V6_ANY, "0A", 101),  # ::ffff:127.0.0.1
])


def test_addresses_parse_and_print_back() -> None:
    assert str(parse_address("127.0.0.1:5432")) == "127.0.0.1:5432"
    assert str(parse_address("[::1]:5432")) == "[::1]:5432"
    assert str(parse_address("[0:0::1]:5432")) == "[::1]:5432"
    assert parse_address("5432") == Address("127.0.0.1", 5432)
    assert parse_address("/run/pg/.s.PGSQL.5432").path == "/run/pg/.s.PGSQL.5432"


@pytest.mark.parametrize("text", [
    "", "localhost:5432", "127.0.0.1:0", "127.0.0.1:65536", "::1:5432", "1.2.3.4:x",
    "/run/../etc/x", "/run//x", "relative/path", "/run/a b", "127.0.0.1:5432\n--x",
    "/run/" + "x" * 200, "--exit-idle-time=1", "300.1.1.1:5",
])
def test_bad_addresses_are_refused(text: str) -> None:
    with pytest.raises(ProxyRefusal):
        parse_address(text)


def test_listening_reads_one_users_listeners_from_the_kernel_table() -> None:
    assert proxy_address.listening(TCP, 101) == [
        Address("127.0.0.1", 8080), Address("127.0.0.1", 15432), Address("::1", 15432)]
    assert proxy_address.listening(TCP, 0) == [Address("127.0.0.1", 5432)]
    assert proxy_address.listening(TCP, 102) == [Address("0.0.0.0", 6379)]
    assert proxy_address.listening(TCP, 4242) == []


def test_covers_knows_wildcards() -> None:
    assert proxy_address.covers([Address("0.0.0.0", 6379)], Address("127.0.0.1", 6379))
    assert not proxy_address.covers([Address("0.0.0.0", 6379)], Address("::1", 6379))
    assert proxy_address.covers([Address("::", 6379)], Address("::1", 6379))
    assert not proxy_address.covers([Address("127.0.0.1", 6379)], Address("127.0.0.1", 6380))


def test_default_backend_is_ten_thousand_up() -> None:
    assert proxy_address.default_backend(Address("127.0.0.1", 5432)) == Address("127.0.0.1", 15432)
    assert proxy_address.default_backend(Address("0.0.0.0", 60000)) == Address("127.0.0.1", 50000)
    with pytest.raises(ProxyRefusal):
        proxy_address.default_backend(parse_address("/run/x.sock"))


def _spec(listen: str = "127.0.0.1:5432", backend: str = "127.0.0.1:15432") -> ProxySpec:
    return ProxySpec("postgresql@15-main.service", (parse_address(listen),),
                     parse_address(backend), 60)


@pytest.mark.parametrize(("spec", "kw", "words"), [
    (_spec(backend="127.0.0.1:5432"), {}, "is a client address"),
    (_spec(listen="0.0.0.0:5432", backend="127.0.0.1:5432"), {}, "is a client address"),
    (_spec(), {"masked": ("postgresql@15-main.service",)}, "masked"),
    (_spec(listen="/home/alice/pg.sock"), {}, "a directory the proxy cannot create"),
    # Directories where another user can make files (issue 22).
    (_spec(listen="/run/lock/pg.sock"), {}, "where other users can make files"),
    (_spec(listen="/run/user/2001/pg.sock"), {}, "where other users can make files"),
])
def test_refusals_say_why(spec: ProxySpec, kw: dict[str, tuple[str, ...]], words: str) -> None:
    with pytest.raises(ProxyRefusal, match=words):
        proxy.check_spec(spec, proxyd="/lib/systemd/systemd-socket-proxyd", **kw)


def test_missing_proxyd_is_refused() -> None:
    with pytest.raises(ProxyRefusal, match="systemd-socket-proxyd is missing"):
        proxy.check_spec(_spec(), proxyd=None)
    proxy.check_spec(_spec(), proxyd="/lib/systemd/systemd-socket-proxyd")


def test_the_proxy_service_runs_a_fixed_program_unprivileged() -> None:
    props = {name: value for name, _sig, value in
             proxy.service_properties(_spec(), "/lib/systemd/systemd-socket-proxyd")}
    assert props["ExecStart"] == [("/lib/systemd/systemd-socket-proxyd", [
        "/lib/systemd/systemd-socket-proxyd", "--exit-idle-time=60s", "127.0.0.1:15432"],
        False)]
    assert props["DynamicUser"] is True
    assert props["PropagatesStopTo"] == ["postgresql@15-main.service"]
    # It ends with the daemon however the daemon ends, and no failure of its own
    # hits a start limit (which would fail the socket: issue 22).
    assert props["BindsTo"] == props["After"] == ["postgresql@15-main.service"]
    assert props["StartLimitIntervalUSec"] == 0
    assert "ExecStartPre" not in props  # no holder given: nothing to check with
    sock = dict((n, v) for n, _s, v in proxy.socket_properties(_spec()))
    assert sock["Listen"] == [("Stream", "127.0.0.1:5432")]
    # The client address is never given up: no trigger limit, pending clients refused.
    assert sock["TriggerLimitIntervalUSec"] == 0 and sock["FlushPending"] is True
    checked = {name: value for name, _sig, value in proxy.service_properties(
        _spec(), "/lib/systemd/systemd-socket-proxyd", ("/usr/bin/awk", 101))}
    [(path, argv, ignore)] = checked["ExecStartPre"]
    assert path == argv[0] == "/usr/bin/awk" and ignore is False
    b = parse_address("127.0.0.1:15432")
    assert argv[1:13] == ["-v", "keys=" + " ".join(proxy_holder.kernel_keys(b)),
                          "-v", "holds=" + " ".join(proxy_holder.holding_keys(b)),
                          "-v", "uid=101", "-v", "shown=127.0.0.1:15432",
                          "-v", "t4=/proc/net/tcp", "-v", "t6=/proc/net/tcp6"]
    assert argv[13:] == [proxy_holder.HOLDER_CHECK]


def test_the_holder_check_survives_systemds_own_copy_of_it() -> None:
    """systemd 252 writes a transient ExecStartPre= to /run/systemd/transient and reads
    it back at each daemon-reload; a ``$`` came back as ``\\$`` and awk refused the
    program ("unexpected character"), so the proxy never started after a reload (seen
    in the testbed's Redis test).  None of the characters that copy escapes or
    splits on may be in any argument."""
    argv = proxy_holder.holder_check_argv(parse_address("[::1]:15432"), 101, "/usr/bin/awk")
    for arg in argv:
        assert not set(arg) & set("$;%\\'`\n\t"), arg


def test_kernel_keys_are_the_tables_own_spelling() -> None:
    """Each key reads back, through the table parser, as the address it stands for."""
    keys = proxy_holder.kernel_keys(parse_address("127.0.0.1:15432"))
    assert keys[0] == "0100007F:3C48" and keys[1] == "00000000:3C48"
    back = [proxy_address._hex_address(k) for k in keys]
    assert back == [Address("127.0.0.1", 15432), Address("0.0.0.0", 15432),
                    Address("127.0.0.1", 15432), Address("0.0.0.0", 15432),  # v4-mapped
                    Address("::", 15432)]
    assert keys[3] == "0000000000000000FFFF000000000000:3C48"  # ::ffff:0.0.0.0
    assert proxy_holder.holding_keys(parse_address("127.0.0.1:15432")) == keys[:4]  # not [::]
    six = proxy_holder.kernel_keys(parse_address("[::1]:6379"))
    assert [proxy_address._hex_address(k) for k in six] == [Address("::1", 6379),
                                                            Address("::", 6379)]


@pytest.mark.parametrize(("rows", "holds"), [
    ([("0100007F:3C48", 101)], True),                       # PostgreSQL alone
    ([("00000000:3C48", 101)], True),                       # on the wildcard
    ([("0100007F:3C48", 1001)], False),                     # bob took it while it slept
    ([("0100007F:3C48", 101), ("00000000000000000000000000000000:3C48", 1001)], False),
    ([("0000000000000000FFFF00000100007F:3C48", 1001)], False),  # bob, v4-mapped
    ([("00000000000000000000000001000000:3C48", 101)], False),   # [::1] only, as PG 17 with
    ([], False),                                                 # 'localhost' beside bob
    # Issue 22 review: bob on the v4-mapped wildcard gets IPv4 clients of 127.0.0.1.
    ([("00000000000000000000000000000000:3C48", 101),
      ("0000000000000000FFFF000000000000:3C48", 1001)], False),
    # ... and the daemon on [::] alone may be IPv6-only (PostgreSQL's is): not held.
    ([("00000000000000000000000000000000:3C48", 101)], False),
    ([("00000000:3C48", 101), ("00000000000000000000000000000000:3C48", 101)], True),
    ([("0100007F:3C49", 101)], False),                      # another port
])
def test_the_holder_check_passes_only_for_the_daemon_alone(
        tmp_path: Any, rows: list[tuple[str, int]], holds: bool) -> None:
    """The proxy's ExecStartPre, run here by the real awk over tables shaped as the
    kernel prints them (the testbed runs it for real: test_proxy_testbed)."""
    import shutil
    import subprocess

    awk = shutil.which("awk")
    assert awk is not None
    v4 = [_line(a, "00000000:0000", "0A", uid) for a, uid in rows if len(a) == 13]
    v6 = [_line(a, V6_ANY, "0A", uid) for a, uid in rows if len(a) > 13]
    v4.append(_line("0100007F:3C48", "0100007F:D2F0", "01", 1001))  # a client of it
    head = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid"
    (tmp_path / "tcp").write_text("\n".join([head, *v4]) + "\n")
    (tmp_path / "tcp6").write_text("\n".join([head, *v6]) + "\n")
    argv = proxy_holder.holder_check_argv(parse_address("127.0.0.1:15432"), 101, awk,
                                   (str(tmp_path / "tcp"), str(tmp_path / "tcp6")))
    res = subprocess.run(argv, capture_output=True, text=True)
    assert (res.returncode == 0) is holds, res
    assert ("not held by uid 101 alone" in res.stderr) is not holds


def test_unit_names_map_back_to_the_daemon() -> None:
    assert proxy.socket_name("postgresql@15-main.service") == \
        "trayapp-proxy-postgresql@15-main.socket"
    assert proxy.proxied_service("trayapp-proxy-redis-server.socket") == "redis-server.service"
    assert proxy.proxied_service("trayapp-proxy-redis-server.service") == "redis-server.service"
    assert proxy.proxied_service("docker.socket") is None
    assert proxy.proxied_service("trayapp-proxy-.socket") is None


def test_config_hint_names_the_file_and_setting() -> None:
    hint = proxy.config_hint("postgresql@15-main.service", Address("127.0.0.1", 15432))
    assert "port = 15432" in hint and "/etc/postgresql/15/main/postgresql.conf" in hint
    hint = proxy.config_hint("redis-server.service", Address("127.0.0.1", 16379))
    assert "port 16379" in hint and "/etc/redis/redis.conf" in hint


def test_a_proxied_daemon_is_dormant_and_on_demand_through_the_proxy() -> None:
    sock = UnitInfo(name="trayapp-proxy-redis-server.socket", load_state="loaded",
                    active_state="active", unit_file_state="transient",
                    triggers=("trayapp-proxy-redis-server.service",),
                    listen=(("Stream", "127.0.0.1:6379"),))
    service = UnitInfo(name="redis-server.service", load_state="loaded",
                       active_state="inactive", unit_file_state="disabled")
    assert service_of(sock) == "redis-server.service"
    d = classify(M.SYSTEM, service, [sock])
    assert (d.state, d.mode) == (DaemonState.DORMANT, DaemonMode.ON_DEMAND_PROXY)
    # Its stop by systemd when the proxy exits idle (a job on it) is no one else's stop.
    stopping = dataclasses.replace(service, active_state="deactivating", job=42)
    assert not classify(M.SYSTEM, stopping, [sock]).job
    assert classify(M.SYSTEM, stopping, []).job
    # Enabled at runtime only (Debian's postgresql-generator): still woken by the proxy.
    runtime = UnitInfo(name="redis-server.service", load_state="loaded",
                       active_state="active", unit_file_state="enabled-runtime")
    assert classify(M.SYSTEM, runtime, [sock]).mode is DaemonMode.ON_DEMAND_PROXY
    # Back to always-on: the proxy's socket is gone (transient units vanish), the
    # service enabled.
    enabled = dataclasses.replace(runtime, unit_file_state="enabled")
    d = classify(M.SYSTEM, enabled, [])
    assert (d.state, d.mode) == (DaemonState.RUNNING, DaemonMode.ALWAYS_ON)


def test_settings_keep_a_proxy_and_refuse_bad_ones() -> None:
    table = {"proxy_listen": ["127.0.0.1:5432"], "proxy_backend": "127.0.0.1:15432",
             "proxy_idle_seconds": 60}
    s = from_mapping({"daemon": {"postgresql@15-main.service": table}})
    d = s.daemon("postgresql@15-main.service")
    assert (d.proxy_listen, d.proxy_backend, d.proxy_idle_seconds) == (
        ("127.0.0.1:5432",), "127.0.0.1:15432", 60)
    assert s.daemon("docker.service").proxy_idle_seconds == 15 * 60
    for bad in ({"proxy_listen": ["localhost:5432"], "proxy_backend": "127.0.0.1:1"},
                {"proxy_listen": ["127.0.0.1:5432"]},
                {"proxy_listen": "127.0.0.1:5432", "proxy_backend": "127.0.0.1:1"},
                {**table, "proxy_idle_seconds": 0},
                {**table, "proxy_backend_uid": "postgres"},
                {**table, "proxy_backend_uid": True},
                {**table, "proxy_backend_uid": -2}):
        with pytest.raises(SettingsError):
            from_mapping({"daemon": {"postgresql@15-main.service": bad}})
    # Who must hold the back end is kept with it (issue 22): PostgreSQL shows its user
    # only while it runs, and the proxy is made again at login while it sleeps.
    assert d.proxy_backend_uid == -1  # not known
    held = from_mapping({"daemon": {"postgresql@15-main.service": {
        **table, "proxy_backend_uid": 101}}}).daemon("postgresql@15-main.service")
    assert held.proxy_backend_uid == 101
    from trayapp.usecases.proxy_book import saved_spec

    spec = saved_spec("postgresql@15-main.service", held)
    assert spec is not None and spec.holder_uid == 101
    assert spec == saved_spec("postgresql@15-main.service", d)  # not part of the ask


@pytest.mark.parametrize(("service", "words"), [
    ("postgresql@15-main.service; rm", "no unit name"),
    ("postgresql@15-main.socket", "is not a service"),
    ("postgresql@.service", "is not a service"),
    ("ghost.service", "has no unit file"),
    ("masked.service", "is masked"),
])
async def test_a_saved_proxy_names_only_a_real_loaded_service(
        service: str, words: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A settings key reaches Requires=/After=/PropagatesStopTo= of the proxy made at
    login: it passes the interactive path's checks, and nothing is read for a name
    without a unit file (issue 22)."""
    from trayapp.adapters.dbus.units import Stamp
    from trayapp.core.model import UnitInfo
    from trayapp.usecases import proxy as usecase

    (tmp_path / "masked.service").symlink_to("/dev/null")
    read: list[str] = []

    async def search_path(conn: Any) -> list[str]:
        return [str(tmp_path)]

    async def read_unit(conn: Any, name: str) -> tuple[UnitInfo, Stamp]:
        read.append(name)
        return UnitInfo(name=name, load_state="masked", unit_file_state="masked"), \
            Stamp(":1.1", 1)

    monkeypatch.setattr(usecase, "search_path", search_path)
    monkeypatch.setattr(usecase, "read_unit", read_unit)
    with pytest.raises(ProxyRefusal, match=words):
        await usecase._check_saved_service(object(), service)  # type: ignore[arg-type]
    assert read == (["masked.service"] if service == "masked.service" else [])


def test_who_else_could_stand_in_is_said() -> None:
    """Issue 22: a TCP back end above 1023 is anyone's while the daemon sleeps (he gets
    no client, but keeps the daemon from them); a client address beyond loopback
    brings other machines in as local.  (The other loopback family is no longer a
    risk: the proxy holds it, test_the_other_loopback_is_held_and_remote_is_a_choice.)"""
    from trayapp.core.proxy_risks import risks

    said = risks(_spec())
    assert len(said) == 1
    assert "any local user can listen on its back end 127.0.0.1:15432" in said[0]
    assert "the proxy then forwards nothing" in said[0]
    wide = risks(_spec(listen="0.0.0.0:5432"))
    assert any("0.0.0.0:5432 is reachable from other machines" in w for w in wide), wide
    both = ProxySpec("postgresql@15-main.service",
                     (parse_address("127.0.0.1:5432"), parse_address("[::1]:5432")),
                     parse_address("/run/postgresql/.s.PGSQL.15432"), 60)
    assert risks(both) == []  # a Unix back end, both loopback families held


def test_loopback_only_and_both_loopbacks() -> None:
    """Issue 22: what a wildcard or a LAN address becomes by default, and the other
    loopback family held beside each loopback address (when the machine has ::1)."""
    from trayapp.core.proxy_address import both_loopbacks, loopback_only, remote

    a = parse_address
    assert loopback_only([a("0.0.0.0:6379")]) == [a("127.0.0.1:6379")]
    assert loopback_only([a("[::]:6379")]) == [a("127.0.0.1:6379"), a("[::1]:6379")]
    assert loopback_only([a("192.168.1.5:5432"), a("127.0.0.1:5432")]) == [a("127.0.0.1:5432")]
    assert remote([a("0.0.0.0:1"), a("127.0.0.2:1"), a("[::1]:1"), a("/run/x/y")]) == \
        [a("0.0.0.0:1")]
    assert both_loopbacks([a("127.0.0.1:5432")], ipv6=True) == \
        [a("127.0.0.1:5432"), a("[::1]:5432")]
    assert both_loopbacks([a("127.0.0.1:5432")], ipv6=False) == [a("127.0.0.1:5432")]
    assert both_loopbacks([a("[::1]:5432")], ipv6=True) == [a("[::1]:5432"), a("127.0.0.1:5432")]
    held = [a("127.0.0.1:5432"), a("[::1]:5432")]
    assert both_loopbacks(held, ipv6=True) == held
    assert both_loopbacks([a("0.0.0.0:5432"), a("/run/x/y")], ipv6=True) == \
        [a("0.0.0.0:5432"), a("/run/x/y")]


@pytest.mark.parametrize(("request_", "learnt", "ipv6", "listen", "note", "refused"), [
    # asked for 127.0.0.1 alone: [::1] is held too, and the result says so
    (dict(listen=("127.0.0.1:5432",)), [], True, ["127.0.0.1:5432", "[::1]:5432"],
     "holds [::1]:5432 too", None),
    (dict(listen=("127.0.0.1:5432",)), [], False, ["127.0.0.1:5432"], None, None),
    # a LAN or wildcard client address is refused unless asked for on purpose
    (dict(listen=("0.0.0.0:5432",)), [], True, None, None, "--allow-remote"),
    (dict(listen=("192.168.1.5:5432",)), [], True, None, None, "reachable from other"),
    (dict(listen=("0.0.0.0:5432",), allow_remote=True), [], True, ["0.0.0.0:5432"],
     None, None),
    # learnt from a daemon on the wildcard: loopback only by default, said
    (dict(), ["0.0.0.0:6379", "127.0.0.1:16379"], True,
     ["127.0.0.1:6379", "[::1]:6379"], "no longer reach it", None),
    (dict(allow_remote=True), ["0.0.0.0:6379"], True, ["0.0.0.0:6379"], None, None),
])
async def test_the_other_loopback_is_held_and_remote_is_a_choice(
        monkeypatch: pytest.MonkeyPatch, request_: dict[str, Any], learnt: list[str],
        ipv6: bool, listen: list[str] | None, note: str | None, refused: str | None) -> None:
    """Issue 22, the addresses chosen (usecases/proxy_choice.py's choose).  Mocked here: the
    kernel's table (where the daemon listens) and /proc/net/if_inet6; both are read
    for real in tests/test_proxy_testbed.py."""
    from trayapp.usecases import proxy_book as book_
    from trayapp.usecases import proxy_choice as usecase

    async def listening(_conn: object, _service: str) -> tuple[int, list[Address]]:
        return 110, [parse_address(x) for x in learnt]

    monkeypatch.setattr(usecase.units, "listening", listening)
    monkeypatch.setattr(usecase, "has_ipv6_loopback", lambda: ipv6)
    service = UnitInfo(name="redis-server.service", active_state="active" if learnt else
                       "inactive", load_state="loaded")
    request = book_.ProxyRequest(**request_)
    if refused:
        with pytest.raises(ProxyRefusal, match=refused):
            await usecase.choose(object(), service, request,  # type: ignore[arg-type]
                                  DaemonSettings(), None)
        return
    spec, _learnt, notes = await usecase.choose(
        object(), service, request, DaemonSettings(), None)  # type: ignore[arg-type]
    assert [str(a) for a in spec.listen] == listen
    if note is None:
        assert notes == []
    else:
        assert len(notes) == 1 and note in notes[0], notes


async def test_a_saved_proxy_keeps_its_uid_and_the_back_end_is_never_a_client(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 22 review: switching a sleeping daemon to on-demand again from its saved
    proxy carries the uid saved with it (PostgreSQL asleep shows no user of its own,
    so without it the switch was refused); and the other loopback family is not added
    when it is the back end.  Mocked: the kernel's table and /proc/net/if_inet6."""
    from trayapp.usecases import proxy_book as book_
    from trayapp.usecases import proxy_choice as usecase

    async def listening(_conn: object, _service: str) -> tuple[None, list[Address]]:
        return None, []

    monkeypatch.setattr(usecase.units, "listening", listening)
    monkeypatch.setattr(usecase, "has_ipv6_loopback", lambda: True)
    asleep = UnitInfo(name="postgresql@15-main.service", active_state="inactive",
                      load_state="loaded")
    saved = DaemonSettings(proxy_listen=("127.0.0.1:5432", "[::1]:5432"),
                           proxy_backend="127.0.0.1:15432", proxy_backend_uid=106)
    spec, _, _ = await usecase.choose(object(), asleep,  # type: ignore[arg-type]
                                       book_.ProxyRequest(), saved, None)
    assert spec.holder_uid == 106 and spec == book_.saved_spec(asleep.name, saved)
    moved = book_.ProxyRequest(listen=("127.0.0.1:5432",), backend="127.0.0.2:15432")
    spec, _, _ = await usecase.choose(object(), asleep, moved,  # type: ignore[arg-type]
                                       saved, None)
    assert spec.holder_uid == -1  # another back end: the saved uid says nothing of it
    own = book_.ProxyRequest(listen=("127.0.0.1:5432",), backend="[::1]:5432")
    spec, _, notes = await usecase.choose(object(), asleep, own,  # type: ignore[arg-type]
                                           DaemonSettings(), None)
    assert [str(a) for a in spec.listen] == ["127.0.0.1:5432"] and notes == []


def test_on_demand_refuses_a_back_end_it_cannot_see() -> None:
    """usecases/proxy_choice.py's checks before the proxy is made: the running daemon is seen on
    the back end and off the client addresses; asleep, only the saved proxy is made again."""
    from trayapp.usecases import proxy_choice as usecase

    class Book:
        def __init__(self) -> None:
            self.proposed: list[ProxySpec] = []

        def propose(self, key: str, spec: ProxySpec) -> None:
            self.proposed.append(spec)

    a = parse_address
    service = UnitInfo(name="postgresql@15-main.service", active_state="active")
    spec = ProxySpec(service.name, (a("127.0.0.1:5432"),), a("127.0.0.1:15432"))
    book = Book()

    def check(learnt: list[Address], running: bool = True,
              saved: DaemonSettings | None = None) -> None:
        usecase.check_backend_seen("postgresql", service, spec, learnt, running,
                                    saved or DaemonSettings(), book,  # type: ignore[arg-type]
                                    "postgresql@15-main.service")

    with pytest.raises(ProxyRefusal, match=r"listens on 127\.0\.0\.1:5432, not on the back end"):
        check([a("127.0.0.1:5432")])
    assert book.proposed == [spec]
    with pytest.raises(ProxyRefusal, match="itself still listens on the client address"):
        check([a("0.0.0.0:5432"), a("127.0.0.1:15432")])
    check([a("127.0.0.1:15432")])  # seen where it should be
    with pytest.raises(ProxyRefusal, match="is not running"):
        check([], running=False)
    saved = DaemonSettings(proxy_listen=("127.0.0.1:5432",), proxy_backend="127.0.0.1:15432")
    check([], running=False, saved=saved)  # asleep: the saved proxy again


def test_the_proxys_on_demand_plan_creates_disables_and_stops_like_any_switch() -> None:
    """The proxy's plans are core Plans (issue 21): the proxy made is a CREATE step
    (its undo removes it), then the daemon disabled and, if idle, stopped."""
    from trayapp.core import proxy_plans
    from trayapp.core.plans import Action, Step, Verb

    spec = ProxySpec("pg.service", (parse_address("5432"),), parse_address("15432"))
    create = proxy_plans.create_step(spec, "/usr/lib/systemd/systemd-socket-proxyd",
                                     ("/usr/bin/awk", 107))
    assert create.units == ("trayapp-proxy-pg.socket", "trayapp-proxy-pg.service")
    assert create.transient is not None
    socket, service = (dict((n, v) for n, _sig, v in props)
                       for props in create.transient.properties)
    assert socket["Listen"] == [("Stream", "127.0.0.1:5432")] and socket["FlushPending"]
    assert service["BindsTo"] == ["pg.service"] and "ExecStartPre" in service
    assert create.undo.verb is Verb.REMOVE and create.undo.transient == create.transient
    enabled = UnitInfo(name="pg.service", unit_file_state="enabled", active_state="active")
    plan = proxy_plans.on_demand(enabled, create, stop=True)
    assert plan.action is Action.ON_DEMAND and plan.steps == (
        create, Step(Verb.DISABLE, ("pg.service",)), Step(Verb.RELOAD),
        Step(Verb.STOP, ("pg.service",)))
    assert plan.goal is not None and plan.goal.disable == frozenset({"pg.service"})
    assert str(plan.steps[0]) == "create trayapp-proxy-pg.socket"
    runtime = UnitInfo(name="pg.service", unit_file_state="enabled-runtime")
    old = proxy_plans.remove_step("pg.service", None)
    plan = proxy_plans.on_demand(runtime, create, old=old, stop=False)
    assert plan.steps == (old, create) and plan.goal is None


def test_the_proxys_always_on_plan_removes_enables_and_starts() -> None:
    from trayapp.core import proxy_plans
    from trayapp.core.plans import Step, Verb

    spec = ProxySpec("pg.service", (parse_address("5432"),), parse_address("15432"))
    again = proxy_plans.create_step(spec, "/usr/lib/systemd/systemd-socket-proxyd", None)
    remove = proxy_plans.remove_step("pg.service", again)
    assert remove.undo.verb is Verb.CREATE and remove.undo.transient == again.transient
    asleep = UnitInfo(name="pg.service", unit_file_state="disabled", active_state="inactive")
    plan = proxy_plans.always_on(asleep, remove)
    assert plan.steps == (remove, Step(Verb.ENABLE, ("pg.service",)), Step(Verb.RELOAD),
                          Step(Verb.START, ("pg.service",)))
    # Removing the proxy stops the daemon with it (PropagatesStopTo=): started again.
    running = UnitInfo(name="pg.service", unit_file_state="enabled", active_state="active")
    assert proxy_plans.always_on(running, remove).steps == (
        remove, Step(Verb.START, ("pg.service",)))
    assert proxy_plans.always_on(running, None).steps == ()
    # A refusal comes before anything is removed (the plan is made first).
    for state in ("masked", "static"):
        with pytest.raises(ProxyRefusal):
            proxy_plans.always_on(UnitInfo(name="pg.service", unit_file_state=state), remove)
