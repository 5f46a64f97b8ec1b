"""A throw-away machine with a real systemd as PID 1, for the tests (stdlib only).

The testbed is the host's own root file system seen through a copy-on-write
overlay whose writes land in a tmpfs, booted by the distribution's systemd in
new pid/mount/uts/ipc/net/cgroup namespaces (see boot.sh and
shared/guide/testbed.md). Inside: the system bus, logind, polkitd, Docker, a
tiny socket-activated test daemon, and two lingering users, alice (allowed by a
polkit rule to manage the test units) and bob (not).

    tb = Testbed(repo, venv)            # the host's root (Debian 12), trayapp on the venv
    tb = Testbed(repo, venv, TRIXIE)    # a Debian 13 root, trayapp on its own Python
    tb.boot()
    tb.run(["systemctl", "is-active", "docker.socket"])
    tb.run(tb.trayapp_argv("status"), user="alice")
    tb.stop()

Needs root on the host. Never point it at anything but an overlay: booting
systemd on the host's root would empty the host's /tmp and rewrite /etc.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

ROOT_PASSWORD = "testroot"  # set by boot.sh with chpasswd; for pkttyagent tests
USERS = {"alice": 2001, "bob": 2002}
STAGE = "/var/lib/trayapp-testbed/stage"  # inside: staged trayapp/ and testbed/ (read-only)
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
HOST_BASE = Path("/var/lib/trayapp-testbed")  # on the host: one tmpfs per testbed below it
HERE = Path(__file__).resolve().parent
# Issue 14: the Debian 13 root that tools/testbed/trixie.sh builds (cached there).
TRIXIE = Path(os.environ.get("TRAYAPP_TRIXIE_DIR", "/var/cache/trayapp-testbed/trixie"))
ROOT_PYTHON = "/usr/bin/python3"  # the Python a distribution root brings (3.13 on trixie)


def lower_from_env() -> Path | None:
    """The root TRAYAPP_TESTBED_ROOT names: unset or "host" -> None (the host's
    own root), "trixie" -> TRIXIE, else that directory."""
    name = os.environ.get("TRAYAPP_TESTBED_ROOT", "host")
    if name in ("", "host"):
        return None
    return TRIXIE if name == "trixie" else Path(name)


class _NsPopen(subprocess.Popen[Any]):
    """A Popen whose signals go to its whole process group.

    nsenter forks the real command into the testbed's pid namespace and does
    not forward signals, so terminate()/kill() must hit the group (the process
    is started in a session of its own).
    """

    def send_signal(self, sig: int) -> None:
        self.poll()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, sig)


class Testbed:
    __test__ = False  # not a pytest test class, despite its name

    def __init__(self, repo: Path, venv: Path, lower: Path | None = None) -> None:
        self.repo = Path(repo).resolve()
        # The overlay's lower layer: None is the host's root, whose Python libraries
        # are the venv's; another root (Debian 13) runs trayapp on its own
        # /usr/bin/python3 and the libraries its packages installed, no venv.
        self.lower = Path(lower).resolve() if lower is not None else None
        # Where trayapp's Python lives inside: the host's venv, or /usr on another
        # root (trixie.sh installs python-is-python3, so venv/bin/python works on both).
        self.venv = Path(venv) if lower is None else Path("/usr")
        # The Python (inside) that runs trayapp and the tools that import dbus_fast.
        self.python = str(self.venv / "bin" / "python") if lower is None else ROOT_PYTHON
        self.pid: int | None = None  # the testbed's PID 1, as seen from the host
        self.state: Path | None = None  # host tmpfs: overlay upper/work, stage, boot.log
        self._proc: subprocess.Popen[bytes] | None = None  # the `unshare` process
        self._cgroups: list[Path] = []
        self._atexit = False
        self.boot_seconds: float | None = None  # how long the last boot() took

    # ----------------------------------------------------------------- life cycle

    def boot(self, timeout: float = 60) -> None:
        """Boot (reusing the overlay's upper layer if there is one) and wait until
        the system and alice's and bob's user managers are up."""
        if self._proc is not None:
            raise RuntimeError("testbed already booted")
        self._preflight()
        if self.state is None:
            self.state = self._make_state()
        if not self._atexit:
            atexit.register(self.stop)  # a crashed test run must not leave a machine running
            self._atexit = True
        self._stage()
        self._cgroups = self._make_cgroups(self.state.name)
        boot_script = self.state / "stage" / "testbed" / "boot.sh"
        # Move into our own cgroups first: a cgroup namespace then shows systemd
        # only that subtree (it would otherwise take over the host's cgroup roots).
        script = 'for d in $TB_CGROUPS; do echo $$ >"$d/cgroup.procs"; done; exec "$@"'
        # If this Python process dies (a killed test run), pdeathsig kills unshare,
        # and --kill-child then kills the testbed's PID 1, hence all of it. (So boot
        # from a thread that lives as long as the testbed: pdeathsig is per thread.)
        unshare = "unshare --kill-child=SIGKILL --cgroup --pid --fork --mount --uts --ipc --net"
        cmd = ["setpriv", "--pdeathsig", "KILL", *unshare.split(), "bash", str(boot_script)]
        argv = ["sh", "-c", script, "sh", *cmd, str(self.state), str(self.lower or "/")]
        env = {"PATH": PATH, "TB_CGROUPS": " ".join(map(str, self._cgroups))}
        with open(self.state / "boot.log", "ab") as log:
            self._proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # like `setsid`: outlives a Ctrl-C to pytest
            )
        start = time.monotonic()
        try:
            self.pid = self._find_init(deadline=start + 10)
            self._wait_ready(deadline=start + timeout)
            # The lower layer is the host's root file system only, without its other mounts.
            if self.lower is None and not self.host_path(self.venv / "pyvenv.cfg").exists():
                raise RuntimeError(f"{self.venv} is not visible inside: put it on the root fs")
            if not self.host_path(self.python).exists():
                raise RuntimeError(f"no {self.python} inside the testbed")
        except BaseException:
            if not os.environ.get("TB_KEEP_ON_FAIL"):  # debugging aid: leave it up to look at
                self._kill()
            raise
        self.boot_seconds = time.monotonic() - start

    def reboot(self, timeout: float = 60) -> None:
        """Power-cycle: kill and boot again on the same upper layer, so whatever
        the tests changed on disk (unit enablement, files) persists."""
        self._kill()
        self.boot(timeout)

    def stop(self) -> None:
        """Kill the testbed and remove every trace of it from the host."""
        self._kill()
        if self.state is not None:
            state, self.state = self.state, None
            subprocess.run(["umount", str(state)], check=False, capture_output=True)
            if os.path.ismount(state):  # still busy: detach it anyway
                subprocess.run(["umount", "-l", str(state)], check=False, capture_output=True)
            try:
                state.rmdir()
                HOST_BASE.rmdir()  # only if no other testbed is using it
            except OSError:
                pass

    def __enter__(self) -> Testbed:
        self.boot()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ commands

    def host_path(self, p: str | os.PathLike[str]) -> Path:
        """Where the host sees the testbed's file `p` (an absolute path inside)."""
        return Path(f"/proc/{self._need_pid()}/root") / str(p).lstrip("/")

    def trayapp_argv(self, *args: str) -> list[str]:
        """The command that runs the app (the staged copy, see run()) inside."""
        return [self.python, "-m", "trayapp", *args]

    def popen(
        self,
        argv: list[str] | str,
        user: str | None = None,
        env: dict[str, str] | None = None,
        **kw: Any,
    ) -> subprocess.Popen[Any]:
        """Start a command inside (as root, or as `user` with their session bus).
        Text mode and stdin=/dev/null unless given. terminate()/kill() reach
        the command itself, not just nsenter."""
        cmd = ["nsenter", "-t", str(self._need_pid()), "-m", "-p", "-u", "-i", "-n"]
        full_env = {"PATH": PATH, "PYTHONPATH": STAGE, "LANG": "C.UTF-8"}
        if user is None:
            full_env |= {"HOME": "/root", "USER": "root", "LOGNAME": "root"}
        else:
            uid = USERS[user]
            full_env |= {
                "HOME": f"/home/{user}",
                "USER": user,
                "LOGNAME": user,
                "XDG_RUNTIME_DIR": f"/run/user/{uid}",
                "DBUS_SESSION_BUS_ADDRESS": f"unix:path=/run/user/{uid}/bus",
            }
            cmd += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--init-groups"]
        full_env |= env or {}
        # In HOME (nsenter's --wd would open the host's directory, not the testbed's).
        cmd += ["env", "-C", full_env["HOME"]]
        cmd += ["sh", "-c", argv] if isinstance(argv, str) else list(argv)
        kw.setdefault("stdin", subprocess.DEVNULL)
        kw.setdefault("text", True)
        return _NsPopen(cmd, env=full_env, start_new_session=True, **kw)

    def run(
        self,
        argv: list[str] | str,
        user: str | None = None,
        check: bool = True,
        timeout: float = 30,
        env: dict[str, str] | None = None,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run a command inside and capture its output (text). A str is run by
        `sh -c`. With check, a non-zero exit raises RuntimeError with its output."""
        p = self.popen(
            argv,
            user=user,
            env=env,
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            out, err = p.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            raise RuntimeError(
                f"timed out after {timeout}s inside the testbed (user={user}): {argv!r}\n"
                f"--- stdout:\n{out}--- stderr:\n{err}"
            ) from None
        res = subprocess.CompletedProcess(p.args, p.returncode, out, err)
        if check and res.returncode != 0:
            raise RuntimeError(
                f"exit {res.returncode} inside the testbed (user={user}): {argv!r}\n"
                f"--- stdout:\n{out}--- stderr:\n{err}"
            )
        return res

    def journal(self, unit: str | None = None, lines: int = 200, user_unit: bool = False) -> str:
        """The tail of the testbed's journal (of a unit; of a user unit with user_unit)."""
        argv = ["journalctl", "--no-pager", "-o", "short-monotonic", "-n", str(lines)]
        if unit:
            argv += ["--user-unit" if user_unit else "-u", unit]
        res = self.run(argv, check=False)
        return res.stdout + res.stderr

    # ------------------------------------------------------------------- helpers

    def _need_pid(self) -> int:
        if self.pid is None:
            raise RuntimeError("testbed not booted")
        return self.pid

    def _preflight(self) -> None:
        if os.geteuid() != 0:
            raise RuntimeError("the testbed needs root (unshare, mount, pivot_root)")
        for tool in ("unshare", "nsenter", "setpriv", "findmnt", "mount"):
            if shutil.which(tool, path=PATH) is None:
                raise RuntimeError(f"the testbed needs {tool} (util-linux)")
        if not Path(self.lower or "/", "lib/systemd/systemd").exists():
            raise RuntimeError(f"no systemd in the testbed's root {self.lower or '/'}"
                               + (": run tools/testbed/trixie.sh" if self.lower else ""))
        if self.lower is not None:
            if not Path(self.lower, ROOT_PYTHON.lstrip("/")).exists():
                raise RuntimeError(f"no {ROOT_PYTHON} in {self.lower}")
        elif not (self.venv / "bin" / "python").exists():
            raise RuntimeError(
                f"no virtualenv at {self.venv}: run tools/testbed/setup-host.sh (as root)"
            )

    def _make_state(self) -> Path:
        _reap_stale()
        state = HOST_BASE / f"tb-{os.getpid()}-{secrets.token_hex(3)}"
        state.mkdir(mode=0o755, parents=True)
        HOST_BASE.chmod(0o755)  # the test users traverse it inside to reach the stage
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "mode=755", "trayapp-testbed", str(state)],
            check=True,
            capture_output=True,
        )
        return state

    def _stage(self) -> None:
        """Copy the code under test where the test users can read it (before
        boot: files written on the host later need not show inside)."""
        assert self.state is not None
        stage = self.state / "stage"
        shutil.rmtree(stage, ignore_errors=True)
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(self.repo / "trayapp", stage / "trayapp", ignore=ignore)
        shutil.copytree(HERE, stage / "testbed", ignore=ignore)
        # packaging/i18n.py, whose lrelease() finds each root's Qt tool (the PyPI
        # wheel's pyside6-lrelease, Debian 13's /usr/lib/qt6/bin/lrelease).
        (stage / "packaging").mkdir()
        shutil.copy2(self.repo / "packaging" / "i18n.py", stage / "packaging" / "i18n.py")
        # Byte-compile, as an installed package is: the test users cannot write
        # __pycache__ here, and compiling on every run would cost each command
        # some 20 ms (the benchmark would measure the compiler).
        # Compiled by the Python that runs it inside (3.11 and 3.13 differ): another
        # root's, in a chroot of it, the stage bound on its /mnt in a private mount
        # namespace (nothing is written to the root).
        if self.lower is None:
            argv = [self.python, "-m", "compileall", "-q", str(stage / "trayapp")]
        else:
            script = 'mount --bind "$1" "$2/mnt" && exec chroot "$2" "$3" -m compileall -q /mnt'
            argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
                    str(stage / "trayapp"), str(self.lower), ROOT_PYTHON]
        subprocess.run(argv, check=True)
        for d, _dirs, files in os.walk(stage):
            os.chmod(d, 0o755)
            for f in files:
                os.chmod(os.path.join(d, f), 0o755 if f.endswith(".sh") else 0o644)

    @staticmethod
    def _make_cgroups(name: str) -> list[Path]:
        """Make a fresh cgroup, below our own, in every mounted hierarchy."""
        dirs = _cgroup_dirs(name)
        for d in dirs:
            d.mkdir(exist_ok=True)
            if (d.parent / "cpuset.cpus").exists():  # a v1 cpuset takes no task until set
                for f in ("cpuset.cpus", "cpuset.mems"):
                    (d / f).write_text((d.parent / f).read_text())
        return dirs

    def _find_init(self, deadline: float) -> int:
        """The host PID of the testbed's PID 1: the child of `unshare`."""
        assert self._proc is not None
        children = Path(f"/proc/{self._proc.pid}/task/{self._proc.pid}/children")
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"the testbed died at once\n{self._diagnostics()}")
            try:
                pids = children.read_text().split()
            except FileNotFoundError:
                pids = []
            # unshare is exec'd by the cgroup shell: its first child is PID 1.
            if pids and Path(f"/proc/{self._proc.pid}/comm").read_text().strip() == "unshare":
                return int(pids[0])
            time.sleep(0.02)
        raise RuntimeError(f"the testbed's PID 1 did not appear\n{self._diagnostics()}")

    def _wait_ready(self, deadline: float) -> None:
        stage = "system"
        last = ""
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise RuntimeError(f"the testbed died while booting\n{self._diagnostics()}")
            try:
                if stage == "system":
                    last = self._state_of()
                    if last in ("running", "degraded"):
                        stage = "users"
                if stage == "users":
                    states = {u: self._state_of(u) for u in USERS}
                    last = f"users: {states}"
                    buses = all(
                        self.host_path(f"/run/user/{uid}/bus").exists() for uid in USERS.values()
                    )
                    if buses and all(s in ("running", "degraded") for s in states.values()):
                        return
            except RuntimeError:  # systemd not answering yet
                pass
            time.sleep(0.1)
        raise RuntimeError(
            f"the testbed did not come up within the timeout (last state: {last})\n"
            f"{self._diagnostics()}"
        )

    def _state_of(self, user: str | None = None) -> str:
        argv = (
            ["systemctl", "is-system-running"]
            if user is None
            else ["systemctl", "--user", "is-system-running"]
        )
        return self.run(argv, user=user, check=False, timeout=10).stdout.strip()

    def _diagnostics(self) -> str:
        parts = []
        if self.state is not None:
            with contextlib.suppress(OSError):
                parts.append("--- boot.log:\n" + (self.state / "boot.log").read_text()[-5000:])
        if self.pid is not None and self._proc is not None and self._proc.poll() is None:
            for argv in (
                ["systemctl", "--failed", "--no-pager"],
                ["systemctl", "list-jobs", "--no-pager"],
            ):
                try:
                    r = self.run(argv, check=False, timeout=10)
                    parts.append(f"--- {' '.join(argv)}:\n{r.stdout}{r.stderr}")
                except RuntimeError as e:
                    parts.append(f"--- {' '.join(argv)}: {e}")
            try:  # the failed units' own lines first: Docker's chatter fills the tail
                failed = self.run(["systemctl", "--failed", "--plain", "--no-legend", "--no-pager"],
                                  check=False, timeout=10).stdout.split("\n")
                for unit in [line.split()[0] for line in failed if line.strip()][:5]:
                    parts.append(f"--- journal of {unit}:\n" + self.journal(unit, lines=30))
                parts.append("--- journal:\n" + self.journal(lines=80))
            except RuntimeError as e:
                parts.append(f"--- journal: {e}")
        return "\n".join(parts)

    def _kill(self) -> None:
        """SIGKILL the testbed's PID 1 (the kernel then kills its whole pid
        namespace), wait for it, and remove its cgroups. Nothing is lost: the
        overlay's upper layer is a tmpfs, written synchronously."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if self.pid is not None and proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
        self.pid = None
        for d in self._cgroups:
            _rmdir_cgroup(d)
        self._cgroups = []


def _rmdir_cgroup(top: Path) -> None:
    """Remove a cgroup and everything below it (rmdir, deepest first), retrying
    while the killed processes finish exiting."""
    for _ in range(100):
        if not top.exists():
            return
        for d, _dirs, _files in os.walk(top, topdown=False):
            with contextlib.suppress(OSError):
                os.rmdir(d)
        time.sleep(0.05)


def _cgroup_dirs(name: str) -> list[Path]:
    """The testbed `name`'s cgroup in every mounted hierarchy: below our own cgroup."""
    mounts = []  # (mount point, root inside the hierarchy, fs type, super options)
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, right = line.split(" - ", 1)
        f, r = left.split(), right.split()
        if r[0] in ("cgroup", "cgroup2"):
            mp = f[4].encode().decode("unicode_escape")  # \040 and friends
            mounts.append((mp, f[3], r[0], set(r[2].split(","))))
    dirs = []
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        hid, ctrls, path = line.split(":", 2)
        for mp, mroot, fstype, opts in mounts:
            if hid == "0":
                ok = fstype == "cgroup2"
            else:
                ok = fstype == "cgroup" and set(ctrls.split(",")) <= opts
            if ok and (path + "/").startswith(mroot.rstrip("/") + "/"):
                rel = path[len(mroot.rstrip("/")) :].lstrip("/")
                dirs.append(Path(mp, rel, f"trayapp-testbed-{name}"))
                break
    return dirs


def _reap_stale() -> None:
    """Remove what a killed test run left on the host: its testbed died with it
    (pdeathsig), but its tmpfs and cgroups remain. Kills nothing."""
    for state in HOST_BASE.glob("tb-*"):
        try:
            stat = Path(f"/proc/{state.name.split('-')[1]}/stat").read_text()
            if stat.rsplit(")", 1)[1].split()[0] != "Z":
                continue  # its owner still runs
        except (OSError, IndexError):
            pass
        dirs = _cgroup_dirs(state.name)
        if any(
            Path(d, "cgroup.procs").read_text().strip()
            for top in dirs
            if top.exists()
            for d, _, _ in os.walk(top)
        ):
            continue  # processes left: not ours to kill
        subprocess.run(["umount", "-l", str(state)], check=False, capture_output=True)
        shutil.rmtree(state, ignore_errors=True)  # only if the umount worked: a dir then
        for d in dirs:
            _rmdir_cgroup(d)
