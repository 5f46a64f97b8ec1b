"""The packages: validators, the wheel in a fresh venv, the .deb in the testbed, the PKGBUILD.

Everything is built by packaging/build.sh, as a release would be, into a
temporary dist/.  Its cache (/var/cache/trayapp-build: pip's cache and a
wheelhouse of the dependencies, PySide6 among them, about 80 MB) makes every
run after the first one offline.  A missing tool fails the test, never skips
it: CI installs desktop-file-utils, appstream, dpkg-dev tools (dpkg-deb is in
dpkg), binutils and xvfb (tools/testbed/setup-host.sh).

The .deb is installed inside the testbed (its writes land in the overlay, not
on the host) and run there as the unprivileged user alice.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tarfile
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trayapp import APP_ID, __version__
from trayapp.cli import build_parser

REPO = Path(__file__).resolve().parents[1]
PACKAGING = REPO / "packaging"
BUILD = PACKAGING / "build.sh"
HOST_PYTHON = "/usr/bin/python3"
CACHE = Path(os.environ.get("TRAYAPP_BUILD_CACHE", "/var/cache/trayapp-build"))
HICOLOR_SIZES = (16, 22, 24, 32, 48, 64, 128, 256)
ARCH_DEPENDS = {
    "python", "pyside6", "python-dbus-fast", "python-qasync", "python-platformdirs",
    "python-tomlkit", "systemd", "polkit",
}  # fmt: skip


def tool(name: str, package: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is missing: apt-get install {package}", pytrace=False)
    return found


def run(argv: list[str], timeout: float = 600, **kw: Any) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    assert res.returncode == 0, f"{argv} exited {res.returncode}\n{res.stdout}\n{res.stderr}"
    return res


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without what would point Python at the checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    return env | extra


def subcommands() -> list[str]:
    parser = build_parser()
    found = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    assert len(found) == 1
    return sorted(found[0].choices)  # type: ignore[attr-defined]


# -- the files in packaging/ ---------------------------------------------------------


def test_desktop_entries_validate() -> None:
    validator = tool("desktop-file-validate", "desktop-file-utils")
    for entry in (PACKAGING / f"{APP_ID}.desktop", PACKAGING / "autostart" / f"{APP_ID}.desktop"):
        res = subprocess.run([validator, str(entry)], capture_output=True, text=True)
        # It prints warnings and hints but exits 0 for them: take any output as a failure.
        assert res.returncode == 0 and not (res.stdout + res.stderr).strip(), (
            f"{entry}:\n{res.stdout}{res.stderr}"
        )


def test_metainfo_validates_and_matches_the_release() -> None:
    appstreamcli = tool("appstreamcli", "appstream")
    metainfo = PACKAGING / f"{APP_ID}.metainfo.xml"
    res = subprocess.run(
        [appstreamcli, "validate", "--no-net", "--no-color", str(metainfo)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert res.returncode == 0, res.stdout + res.stderr
    text = metainfo.read_text()
    assert f"<id>{APP_ID}</id>" in text
    assert f'<launchable type="desktop-id">{APP_ID}.desktop</launchable>' in text
    # The newest release listed first is the one being packaged.
    first = re.search(r'<release version="([^"]+)"', text)
    assert first and first.group(1) == __version__, "add a <release> for this version"


def test_debian13_changelog_and_control_name_this_release() -> None:
    """The native Debian 13 package (issue 14; built and installed in
    tests/test_debian13_package.py) is versioned by its changelog's first entry."""
    debian = PACKAGING / "debian"
    first = (debian / "changelog").read_text().splitlines()[0]
    assert re.fullmatch(rf"trayapp \({re.escape(__version__)}-\d+\) trixie; urgency=\w+",
                        first), f"add a packaging/debian/changelog entry for {__version__}"
    control = (debian / "control").read_text()
    assert re.search(r"^Architecture: all$", control, re.M)
    for package in ("python3-pyside6.qtwidgets", "python3-dbus-fast", "python3-qasync",
                    "python3-platformdirs", "python3-tomlkit"):
        assert re.search(rf"^\s+{re.escape(package)},$", control, re.M), package


# -- wheel and sdist ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    run(["bash", str(BUILD), "wheel"], env=clean_env(DIST=str(out)))
    return out


@pytest.fixture(scope="module")
def wheel(dist: Path) -> Path:
    return dist / f"trayapp-{__version__}-py3-none-any.whl"


def test_wheel_holds_the_code_the_data_and_the_command(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    data = f"trayapp-{__version__}.data/data/share"
    for module in REPO.glob("trayapp/**/*.py"):
        assert str(module.relative_to(REPO)) in names
    for icon in (REPO / "trayapp" / "icons").glob("*.svg"):
        assert f"trayapp/icons/{icon.name}" in names  # package data, not share/
    assert f"{data}/applications/{APP_ID}.desktop" in names
    assert f"{data}/metainfo/{APP_ID}.metainfo.xml" in names
    assert f"{data}/icons/hicolor/scalable/apps/{APP_ID}.svg" in names
    # Issue 13: the catalogues compiled at package time, the translated
    # desktop files, and the state icons where panels look them up by name.
    for ts in (REPO / "trayapp" / "i18n").glob("trayapp_*.ts"):
        assert f"trayapp/i18n/{ts.stem}.qm" in names
    for icon in (REPO / "trayapp" / "icons").glob("trayapp-*.svg"):
        assert f"{data}/icons/hicolor/scalable/status/{icon.name}" in names
    desktop = zipfile.ZipFile(wheel).read(f"{data}/applications/{APP_ID}.desktop").decode()
    assert "Comment[de]=" in desktop
    metainfo = zipfile.ZipFile(wheel).read(f"{data}/metainfo/{APP_ID}.metainfo.xml").decode()
    assert '<summary xml:lang="de">' in metainfo
    meta = zipfile.ZipFile(wheel).read(f"trayapp-{__version__}.dist-info/entry_points.txt")
    assert "trayapp = trayapp.entry:main" in meta.decode()


def test_sdist_holds_what_a_packager_needs(dist: Path) -> None:
    with tarfile.open(dist / f"trayapp-{__version__}.tar.gz") as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    needed = {
        "pyproject.toml", "README.md", "packaging/arch/PKGBUILD", "packaging/render_icons.py",
        "packaging/systemd/trayapp.service", f"trayapp/icons/{APP_ID}.svg", "trayapp/entry.py",
        "tests/conftest.py", "tests/support.py", "tools/__init__.py", "tools/testbed/harness.py",
        "tools/testbed/boot.sh", "tools/testbed/setup-host.sh", "tools/desktop.py",
        "tools/bench/bench.py", "tools/demo/demo.sh",
        "packaging/i18n.py", "packaging/hatch_build.py", "po/LINGUAS", "po/de.po",
        "trayapp/i18n/trayapp_de.ts",
    }  # fmt: skip
    assert needed - names == set()
    assert not [n for n in names if n.startswith((".hypothesis", "artifacts", ".git/"))]
    assert not [n for n in names if "__pycache__" in n]


def install_from_wheelhouse(python: Path, *requirements: str) -> None:
    """pip install from the build cache's wheelhouse only, filling it first
    when it lacks something: PySide6 is downloaded once per machine."""
    env = clean_env(PIP_CACHE_DIR=str(CACHE / "pip"))
    wheels = str(CACHE / "wheels")
    argv = [str(python), "-m", "pip", "install", "--quiet", "--no-index", "--find-links", wheels]
    if subprocess.run([*argv, *requirements], capture_output=True, env=env).returncode == 0:
        return
    if requirements[0].endswith(".whl"):  # trayapp's own: build.sh knows its dependencies
        dist = str(Path(requirements[0]).parent)
        run(["bash", str(BUILD), "wheelhouse"], env=env | {"DIST": dist})
    else:
        run([str(python), "-m", "pip", "download", "--quiet", "--dest", wheels, *requirements])
    run([*argv, *requirements], env=env)


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv of Debian's python with nothing but the wheel and its dependencies."""
    where = tmp_path_factory.mktemp("venv") / "trayapp"
    run([HOST_PYTHON, "-m", "venv", str(where)])
    install_from_wheelhouse(where / "bin" / "python", str(wheel))
    return where


def test_wheel_in_a_fresh_venv_answers_version_and_help(venv: Path, tmp_path: Path) -> None:
    trayapp = str(venv / "bin" / "trayapp")
    env = clean_env()
    res = run([trayapp, "--version"], env=env, cwd=tmp_path)
    assert res.stdout.strip() == f"trayapp {__version__}"
    helptext = run([trayapp, "--help"], env=env, cwd=tmp_path).stdout
    commands = subcommands()
    assert {"status", "on-demand", "always-on", "stop", "start"} <= set(commands)
    for command in commands:
        assert re.search(rf"^\s+{re.escape(command)}\s", helptext, re.M), (
            f"{command} missing from --help:\n{helptext}"
        )
        res = run([trayapp, command, "--help"], env=env, cwd=tmp_path)
        assert res.stdout.startswith(f"usage: trayapp {command}")


def test_wheel_in_a_fresh_venv_finds_its_icons_and_data(venv: Path, tmp_path: Path) -> None:
    code = (
        "import json, trayapp; from trayapp import APP_ID; from trayapp.adapters import resources; "
        "print(json.dumps([trayapp.__file__, "
        "str(resources.icon_path(APP_ID))]))"
    )
    out = run([str(venv / "bin" / "python"), "-c", code], env=clean_env(), cwd=tmp_path).stdout
    module, icon = json.loads(out)
    assert module.startswith(str(venv)), "the checkout, not the wheel, was imported"
    assert (Path(module).parent / "i18n" / "trayapp_de.qm").is_file()  # issue 13
    # Package data inside the installed package, found by importlib.resources.
    assert icon == str(Path(module).parent / "icons" / f"{APP_ID}.svg")
    share = venv / "share"
    for path in (
        share / "applications" / f"{APP_ID}.desktop",
        share / "metainfo" / f"{APP_ID}.metainfo.xml",
        share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg",
    ):
        assert path.is_file(), path


def test_a_checkout_installed_as_pipx_does_speaks_german(tmp_path: Path) -> None:
    """`pipx install .` (README) is pip's isolated build of the checkout: the wheel
    made there must hold the .qm catalogues, or a German desktop gets English
    (issue 23: the hook found no lrelease and left them out).  Offline but for the
    wheelhouse: the build's requirements are fetched into it once."""
    checkout = tmp_path / "checkout"
    run(["git", "clone", "--quiet", str(REPO), str(checkout)])
    env = clean_env(PIP_CACHE_DIR=str(CACHE / "pip"))
    # The work tree's changes too, so what is tested is what is here.
    diff = subprocess.run(["git", "diff", "--binary", "HEAD"], cwd=REPO,
                          capture_output=True).stdout
    if diff:
        subprocess.run(["git", "apply", "--whitespace=nowarn"], cwd=checkout, input=diff,
                       check=True)
    wheels = CACHE / "wheels"
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    needs = project["build-system"]["requires"] + project["project"]["dependencies"]
    where = tmp_path / "venv"
    run([HOST_PYTHON, "-m", "venv", str(where)])
    python = str(where / "bin" / "python")
    install = [python, "-m", "pip", "install", "--quiet", "--no-index",
               "--find-links", str(wheels), str(checkout)]
    if subprocess.run(install, capture_output=True, env=env).returncode != 0:
        run([python, "-m", "pip", "download", "--quiet", "--only-binary=:all:",
             "--dest", str(wheels), *needs], env=env)
        run(install, env=env)
    code = ("import trayapp, pathlib; "
            "print(pathlib.Path(trayapp.__file__).parent / 'i18n' / 'trayapp_de.qm')")
    qm = Path(run([python, "-c", code], env=env, cwd=tmp_path).stdout.strip())
    assert str(qm).startswith(str(where)) and qm.is_file(), qm
    words = run([python, "-c", "import sys; from PySide6.QtCore import QTranslator; "
                 "t = QTranslator(); assert t.load(sys.argv[1]); "
                 "print(t.translate('StatusWindow', 'Start'))", str(qm)],
                env=env, cwd=tmp_path).stdout.strip()
    assert words == "Starten", words


def test_start_at_login_from_a_venv_names_the_venvs_command(venv: Path, tmp_path: Path) -> None:
    # As after `pipx install`: the login session's PATH need not reach the venv.
    env = clean_env(XDG_CONFIG_HOME=str(tmp_path / "config"), PATH="/usr/bin:/bin")
    code = ("from trayapp.adapters import autostart; autostart.enable(True); "
            "print(autostart.is_enabled())")
    assert run([str(venv / "bin" / "python"), "-c", code], env=env).stdout == "True\n"
    entry = tmp_path / "config" / "autostart" / f"{APP_ID}.desktop"
    exec_line = next(ln for ln in entry.read_text().splitlines() if ln.startswith("Exec="))
    assert exec_line == f"Exec={venv}/bin/trayapp --background"
    res = run([*exec_line.removeprefix("Exec=").split(), "--version"], env=env)
    assert res.stdout.strip() == f"trayapp {__version__}"


# -- Arch Linux ----------------------------------------------------------------------------


def pkgbuild_vars(pkgbuild: Path) -> dict[str, Any]:
    script = (
        f"set -e; source {pkgbuild}; declare -F build package >/dev/null; "
        'printf "%s\\0" pkgname "$pkgname" pkgver "$pkgver" pkgrel "$pkgrel" arch "${arch[*]}" '
        'license "${license[*]}" depends "${depends[*]}" makedepends "${makedepends[*]}" '
        'source "${source[*]}" sha256sums "${sha256sums[*]}"'
    )
    out = run(["bash", "-c", script]).stdout.split("\0")[:-1]
    return dict(zip(out[::2], out[1::2], strict=True))


def test_pkgbuild_is_bash_and_names_what_arch_needs() -> None:
    pkgbuild = PACKAGING / "arch" / "PKGBUILD"
    run(["bash", "-n", str(pkgbuild)])
    v = pkgbuild_vars(pkgbuild)
    assert (v["pkgname"], v["pkgver"], v["arch"], v["license"]) == (
        "trayapp",
        __version__,
        "any",
        "MIT",
    )
    assert set(v["depends"].split()) >= ARCH_DEPENDS
    assert set(v["makedepends"].split()) >= {"python-build", "python-installer", "python-hatchling"}
    assert v["source"] == f"trayapp-{__version__}.tar.gz"


@pytest.fixture(scope="module")
def arch_dir(dist: Path) -> Path:
    run(["bash", str(BUILD), "arch"], env=clean_env(DIST=str(dist)))
    return dist / "arch"


def test_build_sh_arch_fills_in_version_and_checksum(arch_dir: Path) -> None:
    sdist = arch_dir / f"trayapp-{__version__}.tar.gz"
    v = pkgbuild_vars(arch_dir / "PKGBUILD")
    digest = run(["sha256sum", str(sdist)]).stdout.split()[0]
    assert (v["pkgver"], v["sha256sums"]) == (__version__, digest)


def test_pkgbuild_build_and_package_run_outside_makepkg(
    arch_dir: Path, venv: Path, tmp_path: Path
) -> None:
    """makepkg's part done by hand (unpack the source, run build() then
    package() with srcdir and pkgdir set); `python` is the wheel's venv with
    the makedepends added, standing in for Arch's python and pyside6."""
    install_from_wheelhouse(venv / "bin" / "python", "build", "installer", "hatchling")
    srcdir, pkgdir = tmp_path / "src", tmp_path / "pkg"
    srcdir.mkdir()
    with tarfile.open(arch_dir / f"trayapp-{__version__}.tar.gz") as sdist:
        sdist.extractall(srcdir)  # our own sdist, just built
    script = (
        f"set -euo pipefail; source {arch_dir / 'PKGBUILD'}; "
        'cd "$srcdir"; build; cd "$srcdir"; package'
    )
    env = clean_env(srcdir=str(srcdir), pkgdir=str(pkgdir), PATH=f"{venv}/bin:/usr/bin:/bin")
    run(["bash", "-c", script], env=env)

    usr = pkgdir / "usr"
    expected = [
        usr / "bin" / "trayapp",
        usr / "share" / "applications" / f"{APP_ID}.desktop",
        usr / "share" / "metainfo" / f"{APP_ID}.metainfo.xml",
        usr / "share" / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg",
        usr / "lib" / "systemd" / "user" / "trayapp.service",
        usr / "share" / "doc" / "trayapp" / "polkit" / "50-trayapp-admins.rules.example",
    ]
    expected += [
        usr / "share" / "icons" / "hicolor" / f"{n}x{n}" / "apps" / f"{APP_ID}.png"
        for n in HICOLOR_SIZES
    ]
    assert [p for p in expected if not p.is_file()] == []
    assert list(usr.glob("lib/python3*/site-packages/trayapp/entry.py"))
    assert not [p for p in pkgdir.iterdir() if p.name != "usr"], "files outside /usr"


# -- Debian package ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def deb(dist: Path) -> Path:
    tool("dpkg-deb", "dpkg")
    # zstd: seconds instead of xz's minutes; the files inside are the same.
    run(["bash", str(BUILD), "deb"], env=clean_env(DIST=str(dist), DEB_COMPRESSION="zstd"))
    arch = run(["dpkg", "--print-architecture"]).stdout.strip()
    return dist / f"trayapp_{__version__}-1_{arch}.deb"


def control(deb: Path) -> dict[str, str]:
    text = run(["dpkg-deb", "--field", str(deb)]).stdout
    fields: dict[str, str] = {}
    key = ""
    for line in text.splitlines():
        if line.startswith(" ") and key:
            fields[key] += "\n" + line
        else:
            key, _, value = line.partition(": ")
            fields[key] = value
    return fields


def relation_names(value: str) -> set[str]:
    """Package names in a Depends-style field: 'a (>= 1), b | c' -> {a, b, c}."""
    return {re.split(r"[ (]", alt.strip())[0] for alt in re.split(r"[,|]", value) if alt.strip()}


def test_deb_control_and_contents(deb: Path) -> None:
    fields = control(deb)
    assert fields["Package"] == "trayapp"
    assert fields["Version"] == f"{__version__}-1"
    assert fields["Architecture"] == run(["dpkg", "--print-architecture"]).stdout.strip()
    depends = fields["Depends"]
    for needed in ("python3 (>= 3.11)", "systemd", "polkitd | policykit-1", "libxcb-cursor0",
                   "libxkbcommon-x11-0", "python3.11"):  # fmt: skip
        assert needed in [d.strip() for d in depends.split(",")], needed
    listing = run(["dpkg-deb", "--contents", str(deb)]).stdout
    paths = {line.split()[5].removeprefix(".") for line in listing.splitlines()}
    expected = {
        "/usr/bin/trayapp",
        "/opt/trayapp/bin/python",
        f"/usr/share/applications/{APP_ID}.desktop",
        f"/usr/share/metainfo/{APP_ID}.metainfo.xml",
        f"/usr/share/icons/hicolor/scalable/apps/{APP_ID}.svg",
        "/usr/lib/systemd/user/trayapp.service",
        "/usr/share/doc/trayapp/polkit/50-trayapp-admins.rules.example",
        "/usr/share/doc/trayapp/copyright",
        "/usr/share/doc/trayapp/changelog.Debian.gz",
    } | {f"/usr/share/icons/hicolor/{n}x{n}/apps/{APP_ID}.png" for n in HICOLOR_SIZES}
    # Issue 13: the state icons by name (full colour and -symbolic), the catalogues.
    expected |= {f"/usr/share/icons/hicolor/scalable/status/{icon.name}"
                 for icon in (REPO / "trayapp" / "icons").glob("trayapp-*.svg")}
    expected |= {f"/opt/trayapp/lib/python3.11/site-packages/trayapp/i18n/{ts.stem}.qm"
                 for ts in (REPO / "trayapp" / "i18n").glob("trayapp_*.ts")}
    assert expected - paths == set()
    assert [p for p in paths if not p.startswith(("/opt/trayapp", "/usr/", "/opt/"))] == ["/"]
    # Compiled at build time: nobody can write __pycache__ in /opt later.
    assert "/opt/trayapp/lib/python3.11/site-packages/trayapp/__pycache__/" in paths


# Run inside the testbed with Debian's python: for each bundled Qt library and
# plugin the app may load, the Debian package of every library it links to
# directly (DT_NEEDED, resolved by ldd).
LINKED_PACKAGES = r"""
import glob, json, os, re, subprocess
qt = glob.glob("/opt/trayapp/lib/python3*/site-packages/PySide6")[0]
files = [f"{qt}/Qt/lib/libQt6{m}.so.6" for m in
         ("Core", "Gui", "Widgets", "DBus", "Network", "Svg", "XcbQpa", "WaylandClient")]
files += [f"{qt}/Qt/plugins/platforms/libq{p}.so" for p in ("xcb", "wayland", "offscreen")]
files += glob.glob(f"{qt}/Qt/plugins/xcbglintegrations/*.so")
files += glob.glob(f"{qt}/Qt/plugins/imageformats/libqsvg.so")
files += glob.glob(f"{qt}/Qt/plugins/iconengines/*.so")
files += [f"{qt}/Qt{m}.abi3.so" for m in ("Core", "Gui", "Widgets", "Svg", "Network", "DBus")]
files += glob.glob(f"{qt}/../shiboken6/*.so*")
files += glob.glob(f"{qt}/../dbus_fast/**/*.so", recursive=True)
links = {}  # library file -> {needed soname: path outside the bundle}
for f in files:
    elf = subprocess.run(["readelf", "-d", f], capture_output=True, text=True, check=True)
    needed = re.findall(r"\(NEEDED\).*\[(.+)\]", elf.stdout)
    ldd = subprocess.run(["ldd", f], capture_output=True, text=True, check=True).stdout
    # "libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x...)", "/lib64/ld-linux-x86-64.so.2 (0x...)"
    resolved = dict(re.findall(r"^\s*(\S+) => (\S+)", ldd, re.M))
    resolved |= {os.path.basename(p): p for p in re.findall(r"^\s*(/\S+) \(", ldd, re.M)}
    links[os.path.basename(f)] = {
        n: resolved.get(n, "not found") for n in needed
        if not resolved.get(n, "").startswith("/opt/trayapp")
    }
# Merged /usr: dpkg knows a library as /lib/... or /usr/lib/..., depending on
# the package, and ldd may say either; so ask about every spelling, at once.
spellings = {}
for path in {p for deps in links.values() for p in deps.values() if p.startswith("/")}:
    real = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
    spellings[path] = {path, real, "/usr" + path, real.removeprefix("/usr")}
owners = {}
query = sorted(set().union(*spellings.values()))
out = subprocess.run(["dpkg", "-S", *query], capture_output=True, text=True).stdout
for line in out.splitlines():
    pkgs, _, path = line.partition(": ")
    owners[path] = pkgs.split(",")[0].split(":")[0]
found = {
    lib: {n: next((owners[s] for s in spellings.get(p, ()) if s in owners), "NOT OWNED: " + p)
          for n, p in deps.items()}
    for lib, deps in links.items()
}
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def installed_deb(testbed: Any, deb: Path) -> Iterator[Any]:
    tb = testbed
    shutil.copy(deb, tb.host_path(f"/root/{deb.name}"))
    try:
        res = tb.run(["dpkg", "-i", f"/root/{deb.name}"], timeout=300)
        assert "trayapp" in res.stdout
        yield tb
    finally:
        tb.run(["dpkg", "--purge", "trayapp"], check=False, timeout=300)
        tb.run(["rm", "-f", f"/root/{deb.name}"], check=False)


def test_deb_installs_and_runs_as_a_user(installed_deb: Any) -> None:
    tb = installed_deb
    res = tb.run(["/usr/bin/trayapp", "--version"], user="alice")
    assert res.stdout.strip() == f"trayapp {__version__}"
    # The harness sets PYTHONPATH to the staged checkout for every command:
    # the wrapper must not let it in.
    res = tb.run(["trayapp", "status", "--json"], user="alice")
    daemons = json.loads(res.stdout)
    testd = sorted(d["manager"] for d in daemons if d["service"] == "trayapp-testd.service")
    assert testd == ["system", "user"], daemons
    res = tb.run(["/opt/trayapp/bin/python", "-I", "-c", "import trayapp; print(trayapp.__file__)"],
                 user="alice")  # fmt: skip
    assert res.stdout.startswith("/opt/trayapp/lib/")
    assert "python -I" in tb.run(["cat", "/usr/bin/trayapp"]).stdout


def test_deb_depends_on_every_library_qt_links_to(installed_deb: Any) -> None:
    tb = installed_deb
    status = tb.run(["dpkg-query", "-W", "-f", "${Depends}\n${Recommends}", "trayapp"]).stdout
    depends, recommends = (relation_names(v) for v in status.split("\n", 1))
    linked = json.loads(tb.run(["/usr/bin/python3", "-c", LINKED_PACKAGES], timeout=120).stdout)
    missing = {
        f"{lib}: {name} ({pkg})"
        for lib, needs in linked.items()
        for name, pkg in needs.items()
        if pkg not in depends | recommends
    }
    assert missing == set()
    # The X11 platform must work with Depends alone; Wayland's libraries are
    # recommended (a Wayland session has them anyway).
    xcb = set(linked["libqxcb.so"].values()) | set(linked["libQt6XcbQpa.so.6"].values())
    assert xcb <= depends
    assert set(linked["libqwayland.so"].values()) <= depends | recommends


# As alice inside the testbed: an X server and a notification server (what
# any desktop has), Qt's platform, then the applet for 5 s and a SIGTERM.
X11_RUN = """
Xvfb :7 -nolisten tcp >/dev/null 2>&1 & x=$!
for i in $(seq 100); do [ -S /tmp/.X11-unix/X7 ] && break; sleep 0.1; done
export DISPLAY=:7
dunst >/dev/null 2>&1 & d=$!
/opt/trayapp/bin/python -I -c '
from PySide6.QtWidgets import QApplication
print("platform", QApplication(["t"]).platformName())'
/usr/bin/trayapp --window & p=$!
sleep 5
kill -0 $p 2>/dev/null && echo "alive after 5 s"
kill -TERM $p
for i in $(seq 100); do kill -0 $p 2>/dev/null || break; sleep 0.1; done
kill -0 $p 2>/dev/null && { echo "still running 10 s after SIGTERM"; kill -KILL $p; }
wait $p; echo "exit $?"
kill $d $x
"""


def test_deb_applet_starts_on_x11_and_user_unit_verifies(installed_deb: Any) -> None:
    tb = installed_deb
    tool("Xvfb", "xvfb")
    tool("dunst", "dunst")
    res = tb.run(X11_RUN, user="alice", check=False, timeout=60)
    assert res.stdout.splitlines() == ["platform xcb", "alive after 5 s", "exit 0"], (
        f"{res.stdout}\n{res.stderr}"
    )
    assert "Could not load the Qt platform plugin" not in res.stderr
    res = tb.run(["systemd-analyze", "--user", "verify", "/usr/lib/systemd/user/trayapp.service"],
                 user="alice", check=False)  # fmt: skip
    assert res.returncode == 0, res.stdout + res.stderr
