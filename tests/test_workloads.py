"""What a daemon carries (issue 16): the pure rules, the CUPS spool parser, the cgroup
reader and the busy check's workload branches, with the sources it would ask given as
plain answers (the testbed tests ask the real machined, systemd and podman)."""

from __future__ import annotations

import asyncio
import os
import random
import struct
from collections.abc import Sequence
from pathlib import Path

import pytest

from trayapp.adapters import busy, cgroups, cups_spool
from trayapp.core.idle import stats_from_properties
from trayapp.core.model import Manager
from trayapp.core.workloads import (
    GUESTS_SERVICE,
    Kind,
    kind_of,
    libvirt_guests,
    other_processes,
    podman_containers,
    podman_exit_time,
    stop_reaches,
)

S, U = Manager.SYSTEM, Manager.USER


def test_kinds() -> None:
    assert kind_of("libvirtd.service") is Kind.LIBVIRT
    assert kind_of("virtqemud.service") is Kind.LIBVIRT
    assert kind_of("virtnetworkd.service") is Kind.LIBVIRT
    assert kind_of("virtualbox.service") is Kind.GENERIC  # not a libvirt daemon name
    assert kind_of("podman.service") is Kind.PODMAN
    assert kind_of("docker.service") is Kind.DOCKER
    assert kind_of("cups.service") is Kind.CUPS
    assert kind_of("avahi-daemon.service") is Kind.GENERIC


def test_guests_from_machined_and_scopes() -> None:
    rows = [(".host", "host", ""), ("qemu-1-tiny", "vm", "libvirt-qemu"),
            ("nspawn-box", "container", "systemd-nspawn")]
    scopes = ["machine-qemu\\x2d1\\x2dtiny.scope", "machine-qemu\\x2d2\\x2dlost.scope"]
    # The nspawn container is not libvirt's; a scope machined forgot still counts.
    assert libvirt_guests(rows, scopes) == ["qemu-1-tiny", "qemu-2-lost"]
    assert libvirt_guests([], []) == []


def test_podman_containers_leave_out_conmon() -> None:
    cid = "4eda20360773d29e7931becbbdc55256cbdf2f6944ed7be25f6d4b433b06e743"
    assert podman_containers([f"libpod-{cid}.scope", f"libpod-conmon-{cid}.scope"]) == \
        [cid[:12]]
    assert podman_containers([f"libpod-conmon-{cid}.scope"]) == []


@pytest.mark.parametrize(("argv", "seconds"), [
    (["/usr/bin/podman", "$LOGGING", "system", "service"], 5),  # Debian's unit
    (["podman", "system", "service", "--time=60"], 60),
    (["podman", "system", "service", "-t", "10"], 10),
    (["podman", "system", "service", "--time", "0"], None),  # never exits by itself
    (["podman", "system", "service", "--time=5m"], None),  # unreadable: assume it stays
    (["/usr/bin/dockerd"], None),
])
def test_podman_exit_time(argv: list[str], seconds: int | None) -> None:
    assert podman_exit_time(argv) == seconds


def test_stop_reaches_along_requires_binds_partof() -> None:
    assert stop_reaches({"RequiredBy": [GUESTS_SERVICE]}, GUESTS_SERVICE)
    assert stop_reaches({"BoundBy": [GUESTS_SERVICE]}, GUESTS_SERVICE)
    assert stop_reaches({"ConsistsOf": [GUESTS_SERVICE]}, GUESTS_SERVICE)
    assert not stop_reaches({"WantedBy": [GUESTS_SERVICE]}, GUESTS_SERVICE)  # Wants: no
    assert not stop_reaches({"RequiredBy": "libvirt-guests.service x"}, GUESTS_SERVICE)


def test_other_processes_and_the_properties_they_come_from() -> None:
    assert other_processes([10, 11, 10, 12], 10) == [11, 12]
    stats = stats_from_properties({
        "MainPID": 10, "ControlGroup": "/system.slice/x.service",
        "ExecStart": [("/usr/bin/podman", ["/usr/bin/podman", "system", "service"], False,
                       0, 0, 0, 0, 0, 0, 0)]})
    assert stats.main_pid == 10 and stats.exec_argv == ("/usr/bin/podman", "system", "service")
    hostile = stats_from_properties({"MainPID": True, "ExecStart": [("x", "not a list")]})
    assert hostile.main_pid == 0 and hostile.exec_argv == ()


# -- CUPS's control files ----------------------------------------------------------------


def _attr(tag: int, name: str, value: bytes) -> bytes:
    raw = name.encode()
    return bytes([tag]) + struct.pack(">H", len(raw)) + raw + struct.pack(">H", len(value)) + value


def control_file(state: int | None) -> bytes:
    """An IPP-encoded job control file as cupsd writes one (operation group, job group)."""
    body = b"\x02\x00\x00\x02\x00\x00\x00\x01\x01"
    body += _attr(0x47, "attributes-charset", b"utf-8")
    body += b"\x02" + _attr(0x21, "job-id", struct.pack(">i", 7))
    body += _attr(0x41, "job-name", b"hello") + _attr(0x41, "", b"second value")
    if state is not None:
        body += _attr(0x23, "job-state", struct.pack(">i", state))
    return body + b"\x03"


@pytest.mark.parametrize(("state", "pending"), [(3, True), (4, True), (5, True), (6, True),
                                                (7, False), (8, False), (9, False)])
def test_pending_jobs_from_the_spool(tmp_path: Path, state: int, pending: bool) -> None:
    (tmp_path / "c00007").write_bytes(control_file(state))
    (tmp_path / "d00007-001").write_bytes(b"%!PS data, not a control file")
    assert cups_spool.job_state(control_file(state)) == state
    assert cups_spool.pending_jobs(str(tmp_path)) == ([7] if pending else [])


def test_a_broken_control_file_counts_as_pending(tmp_path: Path) -> None:
    (tmp_path / "c00001").write_bytes(control_file(9)[:25])
    (tmp_path / "c00002").write_bytes(control_file(None))
    assert cups_spool.pending_jobs(str(tmp_path)) == [1, 2]


def test_hostile_control_files_never_raise() -> None:
    rnd = random.Random(16)
    for _ in range(3000):
        data = bytes(rnd.randrange(256) for _ in range(rnd.randrange(80)))
        state = cups_spool.job_state(data)
        assert state is None or isinstance(state, int)
    good = control_file(5)
    for cut in range(len(good)):
        cups_spool.job_state(good[:cut])


def test_an_unreadable_spool_raises(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        cups_spool.pending_jobs(str(tmp_path / "missing"))


# -- the busy check's workload branches -------------------------------------------------


class Sources:
    def __init__(self, machines: list[tuple[str, str, str]] | None = None,
                 scopes: dict[tuple[Manager, str], list[str]] | None = None,
                 fail: Exception | None = None) -> None:
        self._machines = machines or []
        self._scopes = scopes or {}
        self.fail = fail
        self.asked: list[tuple[Manager, tuple[str, ...]]] = []

    async def machines(self) -> list[tuple[str, str, str]]:
        if self.fail:
            raise self.fail
        return self._machines

    async def scopes(self, manager: Manager, patterns: Sequence[str]) -> list[str]:
        self.asked.append((manager, tuple(patterns)))
        if self.fail:
            raise self.fail
        return [s for (m, p), found in self._scopes.items() if m is manager
                and p in patterns for s in found]


def check(service: str, ctx: busy.Context | None) -> busy.BusyReport:
    return asyncio.run(busy.check(service, [], ctx))


def test_libvirt_guests_block_and_none_do_not() -> None:
    running = Sources([("qemu-1-tiny", "vm", "libvirt-qemu")])
    report = check("libvirtd.service", busy.Context(S, running))
    assert report.reasons == ["1 running guest(s): qemu-1-tiny"]
    assert not check("virtqemud.service", busy.Context(S, Sources())).busy


def test_what_cannot_be_learnt_is_cannot_tell() -> None:
    broken = busy.Context(S, Sources(fail=OSError("machined went away")))
    assert "cannot tell" in check("libvirtd.service", broken).reasons[0]
    # A user's own libvirt: its guests are registered nowhere systemd shows.
    assert "cannot tell" in check("virtqemud.service", busy.Context(U, Sources())).reasons[0]
    assert "cannot tell" in check("podman.service", busy.Context(S, None)).reasons[0]
    assert "cannot tell" in check("libvirtd.service", None).reasons[0]  # not looked up


def test_podman_containers_of_its_own_manager() -> None:
    cid = "a" * 64
    sources = Sources(scopes={(U, "libpod-*.scope"): [f"libpod-{cid}.scope"]})
    report = check("podman.service", busy.Context(U, sources, unified=True))
    assert report.reasons == [f"1 running container(s): {cid[:12]}"]
    assert sources.asked == [(U, ("libpod-*.scope",))]
    # The system podman sees none of alice's, and exits by itself: said, not stopped.
    idle = check("podman.service", busy.Context(S, sources, exec_argv=(
        "/usr/bin/podman", "system", "service")))
    assert not idle.busy and "exits by itself after 5 s" in idle.exits_by_itself


def test_cups_jobs_block(tmp_path: Path) -> None:
    (tmp_path / "c00003").write_bytes(control_file(3))
    report = check("cups.service", busy.Context(S, spool=str(tmp_path)))
    assert report.reasons == ["1 print job(s) pending: 3"]
    denied = check("cups.service", busy.Context(S, spool=str(tmp_path / "nope")))
    assert "cannot tell" in denied.reasons[0]


def test_generic_daemons_count_processes_besides_the_main_one(tmp_path: Path) -> None:
    group = tmp_path / "system.slice" / "x.service"
    (group / "sub").mkdir(parents=True)
    (group / "cgroup.procs").write_text(f"{os.getpid()}\n")
    (group / "sub" / "cgroup.procs").write_text("4242\n")
    pids = cgroups.pids("/system.slice/x.service", (tmp_path,))
    assert sorted(pids) == sorted([os.getpid(), 4242])
    with pytest.raises(OSError):
        cgroups.pids("/system.slice/../../etc", (tmp_path,))
    with pytest.raises(OSError):
        cgroups.pids("/system.slice/gone.service", (tmp_path,))


def test_generic_check_on_this_process_cgroup() -> None:
    # This test's own cgroup, read from the real unified hierarchy.
    line = next(x for x in Path("/proc/self/cgroup").read_text().splitlines()
                if x.startswith("0::"))
    group = line[3:] or "/"
    found = cgroups.pids(group) if group != "/" else [os.getpid()]
    assert os.getpid() in found


def test_a_document_without_its_control_file_is_a_job_just_submitted(tmp_path: Path) -> None:
    # cupsd writes the control file up to 30 s later (DirtyCleanInterval); seen in the
    # testbed: d00002-001 alone right after lp, c00002 (job-state 3) half a minute later.
    (tmp_path / "d00002-001").write_bytes(b"again\n")
    (tmp_path / "d00001-001").write_bytes(b"hello\n")
    (tmp_path / "c00001").write_bytes(control_file(7))  # canceled; its document kept
    assert cups_spool.pending_jobs(str(tmp_path)) == [2]


def test_rootless_podman_on_cgroup_v1_is_cannot_tell() -> None:
    # Rootless podman uses no systemd scopes there (cgroupfs): none found means nothing.
    report = check("podman.service", busy.Context(U, Sources(), unified=False))
    assert "cannot tell" in report.reasons[0] and "cgroup-v1" in report.reasons[0]
    assert not check("podman.service", busy.Context(S, Sources(), unified=False)).busy


def test_helpers_forked_at_start_are_not_work() -> None:
    started = {10: 100.0, 11: 100.3, 12: 160.0}  # 11: a helper (avahi's chroot helper)
    assert other_processes([10, 11, 12], 10, started) == [12]
    assert other_processes([10, 11, 13], 10, started) == [13]  # 13: start unknown, counts
    assert other_processes([10, 11], 0, started) == [10, 11]  # no main PID: all count


def test_start_times_of_real_processes() -> None:
    import subprocess

    child = subprocess.Popen(["sleep", "30"])
    try:
        found = busy.start_times([os.getpid(), child.pid, 2**22 + 1])
        assert set(found) == {os.getpid(), child.pid}  # the missing one is left out
        assert found[child.pid] >= found[os.getpid()]
    finally:
        child.kill()
        child.wait()
