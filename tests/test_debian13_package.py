"""The native Debian 13 package (issue 14): built the Debian way, installed with apt.

``packaging/build.sh deb13`` builds it with dpkg-buildpackage (debhelper,
dh-python, pybuild from pyproject.toml) in a throw-away overlay of the Debian 13
root (tools/testbed/trixie.sh) and runs lintian on it. Here it is installed with
apt inside a testbed booted on that root (systemd 257), after one of its
dependencies was removed, so apt has to resolve and pull it from Debian's
archive (the root keeps apt's lists and the .debs it downloaded from Debian's
registry: the testbed has no network). Then, from the installed package only
(no PYTHONPATH to the checkout): ``trayapp status --json`` as alice, and the
tray end-to-end tests of test_e2e_tray.py (real tray, real notification server,
a switch through the menu), collected again here with this module's desktop.

These tests boot the Debian 13 root whatever TRAYAPP_TESTBED_ROOT says; tests/run.sh
runs them in the Debian 13 pass (marker debian13).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import TESTD, on_demand_testd
from tests.test_e2e_tray import (  # collected here again, with the desktop below
    test_icon_shows_in_the_tray,
    test_switch_to_always_on_and_back_from_the_menu,
    write_settings,
)
from tools.desktop import ARTIFACTS, Desktop, start_desktop
from tools.testbed.harness import TRIXIE, Testbed
from trayapp import APP_ID, __version__

__all__ = ["test_icon_shows_in_the_tray", "test_switch_to_always_on_and_back_from_the_menu"]

# Root and the Debian 13 root for every test here, the build too: the testbed tier.
pytestmark = [pytest.mark.debian13, pytest.mark.testbed]
REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "packaging" / "build.sh"
DEBIAN_LIBS = ("python3-pyside6.qtwidgets", "python3-dbus-fast", "python3-qasync",
               "python3-platformdirs", "python3-tomlkit")  # fmt: skip
REMOVED = "python3-qasync"  # removed before the install: apt must pull it from Debian
HICOLOR_SIZES = (16, 22, 24, 32, 48, 64, 128, 256)


def run(argv: list[str], timeout: float = 900, **kw: Any) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    assert res.returncode == 0, f"{argv} exited {res.returncode}\n{res.stdout}\n{res.stderr}"
    return res


@pytest.fixture(scope="module")
def deb13(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    run(["bash", str(BUILD), "deb13"], env=os.environ | {"DIST": str(dist)})
    deb = dist / "debian13" / f"trayapp_{__version__}-1_all.deb"
    assert deb.is_file(), sorted(dist.rglob("*"))
    return deb


def test_lintian_reports_no_errors(deb13: Path) -> None:
    report = (deb13.parent / "lintian.txt").read_text()
    errors = [line for line in report.splitlines() if line.startswith("E:")]
    assert errors == [], report
    (ARTIFACTS / "lintian-debian13.txt").parent.mkdir(exist_ok=True)
    (ARTIFACTS / "lintian-debian13.txt").write_text(report)


def test_package_is_arch_all_on_debians_libraries_with_the_desktop_files(deb13: Path) -> None:
    fields = run(["dpkg-deb", "-f", str(deb13), "Architecture", "Depends"]).stdout
    assert re.search(r"^Architecture: all$", fields, re.M), fields
    depends = {d.strip().split()[0] for d in fields.split("Depends:", 1)[1].split(",")}
    assert set(DEBIAN_LIBS) <= depends, depends
    files = set(run(["sh", "-c", f"dpkg-deb --fsys-tarfile '{deb13}' | tar -t"]).stdout.split())
    wanted = {
        "./usr/bin/trayapp",
        "./usr/lib/python3/dist-packages/trayapp/icons/trayapp-busy.svg",
        f"./usr/share/applications/{APP_ID}.desktop",
        f"./usr/share/metainfo/{APP_ID}.metainfo.xml",
        f"./usr/share/icons/hicolor/scalable/apps/{APP_ID}.svg",
        "./usr/lib/systemd/user/trayapp.service",
        "./usr/share/doc/trayapp/polkit/50-trayapp-admins.rules.example",
        "./usr/share/doc/trayapp/copyright",
        *(f"./usr/share/icons/hicolor/{n}x{n}/apps/{APP_ID}.png" for n in HICOLOR_SIZES),
    }
    assert wanted <= files, sorted(wanted - files)
    # No bundled environment: nothing in /opt, no compiled extension of its own.
    assert not [f for f in files if f.startswith("./opt/") or f.endswith(".so")], files


class Installed(Testbed):
    """The Debian 13 testbed, where trayapp is the installed package's command."""

    __test__ = False

    def trayapp_argv(self, *args: str) -> list[str]:
        # Without PYTHONPATH, which points at the staged checkout (see Testbed.popen).
        return ["env", "-u", "PYTHONPATH", "/usr/bin/trayapp", *args]


@pytest.fixture(scope="module")
def trixie_testbed(deb13: Path) -> Iterator[Installed]:
    """A Debian 13 testbed with the package installed by apt (the log kept as apt_log)."""
    tb = Installed(REPO, Path(os.environ.get("TRAYAPP_VENV", "/opt/trayapp-venv")), TRIXIE)
    try:
        tb.boot()
    except Exception as e:
        tb.stop()
        pytest.fail(f"cannot boot the Debian 13 testbed: {e}", pytrace=False)
    try:
        shutil.copy(deb13, tb.host_path(f"/root/{deb13.name}"))
        tb.run(["dpkg", "--remove", REMOVED])
        res = tb.run(["apt-get", "install", "-y", "--no-install-recommends", f"./{deb13.name}"],
                     env={"DEBIAN_FRONTEND": "noninteractive"}, timeout=300)  # fmt: skip
        tb.apt_log = res.stdout + res.stderr  # type: ignore[attr-defined]
        yield tb
    finally:
        tb.stop()


def test_apt_installs_it_pulling_only_debian_packages(trixie_testbed: Installed) -> None:
    tb = trixie_testbed
    log: str = tb.apt_log  # type: ignore[attr-defined]
    new = re.search(r"NEW packages will be installed:\n((?:  .*\n)+)", log)
    assert new is not None, log
    pulled = set(new.group(1).split()) - {"trayapp"}
    assert REMOVED in pulled, log
    for package in pulled:
        policy = tb.run(["apt-cache", "policy", package]).stdout
        assert re.search(r"\*\*\* \S+ \d+\n\s+\d+ https?://deb\.debian\.org/debian trixie/main",
                         policy), policy  # fmt: skip
    assert tb.run(["dpkg-query", "-W", "-f", "${Status}", "trayapp"]).stdout == (
        "install ok installed")
    # Debian's libraries, not a bundle or PyPI: every module from dist-packages.
    code = ("import trayapp, dbus_fast, PySide6, qasync, platformdirs, tomlkit\n"
            "for m in (trayapp, dbus_fast, PySide6, qasync, platformdirs, tomlkit):"
            " print(m.__file__)")  # fmt: skip
    out = tb.run(["env", "-u", "PYTHONPATH", "/usr/bin/python3", "-c", code], user="alice").stdout
    assert all(p.startswith("/usr/lib/python3/dist-packages/") for p in out.split()), out


def test_status_json_as_alice_from_the_package(trixie_testbed: Installed) -> None:
    tb = trixie_testbed
    res = tb.run(tb.trayapp_argv("status", "--json"), user="alice")
    daemons = {(d["manager"], d["service"]): d for d in json.loads(res.stdout)}
    assert daemons[("system", TESTD)]["mode"] == "on-demand", res.stdout
    head = tb.run(["head", "-1", "/usr/bin/trayapp"]).stdout
    assert re.match(r"#! ?/usr/bin/python3\n", head), head  # Debian's Python, no venv


@pytest.fixture(scope="module")
def desktop(trixie_testbed: Installed) -> Iterator[Desktop]:
    """As test_e2e_tray's desktop, on the Debian 13 testbed with the installed package."""
    tb = trixie_testbed
    on_demand_testd(tb)
    write_settings(tb)
    # As test_e2e_tray's: the cut check's log says when the menu holds the keyboard.
    d = start_desktop(tb, app_env={"TRAYAPP_CUT_CHECK": "1"})
    try:
        assert d.log is not None
        d.log.wait_for("first state shown")  # a click before it races the first menu
        yield d
    finally:
        d.stop()
        (ARTIFACTS / "e2e-tray-debian13.log").parent.mkdir(exist_ok=True)
        (ARTIFACTS / "e2e-tray-debian13.log").write_text(
            d.logs() + "\n--- notifications:\n" + (d.notes.text() if d.notes else ""))
        on_demand_testd(tb)
