#!/bin/bash
# Build trayapp's packages into dist/.
#
#   packaging/build.sh          everything below
#   packaging/build.sh wheel    dist/trayapp-V-py3-none-any.whl and dist/trayapp-V.tar.gz
#   packaging/build.sh deb      dist/trayapp_V-1_ARCH.deb (builds the wheel first)
#   packaging/build.sh deb13    dist/debian13/trayapp_V-1_all.deb: the native Debian 13
#                               package (packaging/debian/), built in the Debian 13 root
#   packaging/build.sh arch     dist/arch/: PKGBUILD and the sdist; run makepkg there, on Arch
#   packaging/build.sh wheelhouse   only fill the cache's wheelhouse with the dependencies
#
# The Debian package bundles a virtualenv in /opt/trayapp, made from this
# machine's /usr/bin/python3 with the wheel and its dependencies from PyPI:
# Debian 12 packages neither PySide6 nor dbus-fast.  So build it on the
# release it is for (Debian 12 here), as root or not (dpkg-deb
# --root-owner-group needs no fakeroot).
#
# Downloads are cached in $TRAYAPP_BUILD_CACHE (default /var/cache/trayapp-build,
# or ~/.cache/trayapp-build for a user who cannot write there): a build tools
# venv, pip's cache, and a wheelhouse of the dependencies.  With a full cache
# the build needs no network.
#
# Environment: DIST (output dir, default REPO/dist), TRAYAPP_BUILD_CACHE,
# DEB_COMPRESSION (xz, the default: 53 MB in 1-3 minutes on 2 cores; zstd:
# 75 MB in seconds, which dpkg 1.21.18+ installs but Debian 12's lintian calls
# malformed), DEBFULLNAME, DEBEMAIL.
set -euo pipefail
umask 022

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dist="${DIST:-$repo/dist}"
if [ -z "${TRAYAPP_BUILD_CACHE:-}" ]; then
    if mkdir -p /var/cache/trayapp-build 2>/dev/null && [ -w /var/cache/trayapp-build ]; then
        TRAYAPP_BUILD_CACHE=/var/cache/trayapp-build
    else
        TRAYAPP_BUILD_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/trayapp-build"
    fi
fi
cache="$TRAYAPP_BUILD_CACHE"
wheels="$cache/wheels"
tools="$cache/tools"
export PIP_CACHE_DIR="$cache/pip"
export PIP_DISABLE_PIP_VERSION_CHECK=1
unset PIP_FIND_LINKS PIP_NO_INDEX  # only the links named below

app_id=io.github.trayapp.TrayApp
version="$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$repo/trayapp/__init__.py")"
[ -n "$version" ] || { echo "build.sh: no __version__ in trayapp/__init__.py" >&2; exit 1; }
debrev=1
host_python=/usr/bin/python3
maintainer="${DEBFULLNAME:-trayapp developers} <${DEBEMAIL:-trayapp@users.noreply.github.com}>"

say() { echo "build.sh: $*" >&2; }
stage=""
trap '[ -z "$stage" ] || rm -rf "$stage"' EXIT

# -- tools -------------------------------------------------------------------------

ensure_tools() {
    # build, installer and hatchling in a venv of the host's Debian python; made once.
    if [ ! -x "$tools/bin/python" ] || ! "$tools/bin/python" -c 'import build, hatchling, installer' 2>/dev/null; then
        say "making the build tools venv in $tools"
        rm -rf "$tools"
        mkdir -p "$cache"
        "$host_python" -m venv "$tools"
        "$tools/bin/python" -m pip install --quiet --upgrade pip
        "$tools/bin/python" -m pip install --quiet build installer 'hatchling>=1.21'
    fi
    # lrelease for the wheel's .qm catalogues (packaging/hatch_build.py): Qt's
    # own (qt6-l10n-tools), else PySide6's, installed here once.
    if ! "$tools/bin/python" "$repo/packaging/i18n.py" lrelease >/dev/null 2>&1; then
        say "installing PySide6-Essentials into $tools for its lrelease"
        "$tools/bin/python" -m pip install --quiet --find-links "$wheels" PySide6-Essentials
    fi
}

# -- wheel and sdist ---------------------------------------------------------------

wheel_file() { echo "$dist/trayapp-$version-py3-none-any.whl"; }
sdist_file() { echo "$dist/trayapp-$version.tar.gz"; }

build_wheel() {
    ensure_tools
    mkdir -p "$dist"
    rm -f "$(wheel_file)" "$(sdist_file)"
    # The sdist first, then the wheel built from the unpacked sdist: a file
    # missing from the sdist shows up as a broken wheel here, not at a packager's.
    # --skip-dependency-check: PySide6 is a build requirement only for its lrelease
    # (pyproject.toml), which ensure_tools provides either way.
    "$tools/bin/python" -m build --no-isolation --skip-dependency-check --outdir "$dist" "$repo" >&2
    ls -l "$(sdist_file)" "$(wheel_file)" >&2
}

# Every dependency of the wheel, as wheels for this machine's python, in $wheels.
fill_wheelhouse() {
    local python="$1"
    mkdir -p "$wheels"
    say "downloading dependencies into $wheels"
    "$tools/bin/python" -m pip --python "$python" download --quiet --only-binary=:all: \
        --dest "$wheels" --find-links "$wheels" "$(wheel_file)"
    rm -f "$wheels"/trayapp-*.whl  # installed from dist/ by its path, never from here
}

# pip install the wheel and its dependencies into the environment of $1,
# from the wheelhouse only; fill the wheelhouse first if that fails.
install_wheel() {
    local python="$1"; shift
    local cmd=("$tools/bin/python" -m pip --python "$python" install --quiet --no-index
               --find-links "$wheels" --find-links "$dist" "$@" "$(wheel_file)")
    if ! "${cmd[@]}" 2>/dev/null; then
        fill_wheelhouse "$python"
        "${cmd[@]}"
    fi
}

# -- Debian package ----------------------------------------------------------------

# The shared libraries of the bundled Qt that the xcb and Wayland platforms
# need, by Debian package (tests/test_packaging.py checks the list against
# what the libraries really link to).  libc6, libgcc-s1, libstdc++6 too: the
# wheels are built for glibc.
deb_depends=(
    "python3 (>= 3.11)" systemd "polkitd | policykit-1"
    "default-dbus-system-bus | dbus-system-bus" "default-dbus-session-bus | dbus-session-bus"
    libc6 libgcc-s1 libstdc++6 zlib1g libzstd1 libbrotli1 libglib2.0-0 libdbus-1-3
    libfontconfig1 libfreetype6 libgssapi-krb5-2 libegl1 libgl1
    libx11-6 libx11-xcb1 libxcb1 libxcb-cursor0 libxcb-glx0 libxcb-icccm4 libxcb-image0
    libxcb-keysyms1 libxcb-randr0 libxcb-render0 libxcb-render-util0 libxcb-shape0
    libxcb-shm0 libxcb-sync1 libxcb-util1 libxcb-xfixes0 libxcb-xkb1
    libxkbcommon0 libxkbcommon-x11-0
)
deb_recommends=(libwayland-client0 libwayland-cursor0 libwayland-egl1)
deb_suggests=("gnome-shell-extension-appindicator" "docker.io")

join() { local IFS=,; echo "$*" | sed 's/,/, /g'; }

build_deb() {
    [ -f "$(wheel_file)" ] || build_wheel
    command -v dpkg-deb >/dev/null || { say "dpkg-deb is missing"; exit 1; }
    local arch pyver python root venv started
    started=$SECONDS
    arch="$(dpkg --print-architecture)"
    pyver="$("$host_python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    # The venv's python is this exact version (its site-packages and compiled
    # extensions are): depend on it, not on whatever python3 becomes.
    python="/usr/bin/python$pyver"
    stage="$(mktemp -d "$cache/deb.XXXXXX")"
    root="$stage/root"
    venv="$root/opt/trayapp"

    say "making /opt/trayapp (python $pyver) in $stage"
    "$python" -m venv --without-pip "$venv"
    # No byte-compiling here: pip would record the staging paths in the .pyc files.
    install_wheel "$venv/bin/python" --no-compile
    # A venv is not relocatable: its scripts and pyvenv.cfg name the path it
    # was made at.  Make them name /opt/trayapp.
    grep -rlI --null -F "$root" "$venv" | xargs -0 -r sed -i "s|$root||g"
    if grep -rqI -F "$stage" "$venv"; then
        say "staging path left in:"; grep -rlI -F "$stage" "$venv" >&2; exit 1
    fi
    # Compiled once here, as a system package is: users cannot write
    # __pycache__ in /opt.  checked-hash: valid whatever the files' mtimes.
    # PySide6's developer tools (designer, uic, ...): commands nobody on the
    # PATH can reach and nothing here runs.
    rm -f "$venv"/bin/pyside6-*
    # Debian policy: shared libraries, modules and data are not executable;
    # only programs (PySide6's own, not on any PATH) and scripts keep the bit.
    "$venv/bin/python" -I - "$venv/lib" <<'EOF'
import os, re, sys
for top, _dirs, files in os.walk(sys.argv[1]):
    for name in files:
        path = os.path.join(top, name)
        if os.path.islink(path) or not os.stat(path).st_mode & 0o111:
            continue
        with open(path, "rb") as f:
            head = f.read(4)
        library = re.search(r"\.so(\.|$)", name) or name.endswith(".py")
        if library or not (head == b"\x7fELF" or head.startswith(b"#!")):
            os.chmod(path, 0o644)
EOF
    # PySide6's deployment templates (*.tmpl.py) are not Python.
    "$venv/bin/python" -m compileall -q -j 0 --invalidation-mode checked-hash \
        -x '\.tmpl\.py$' -s "$root" "$venv/lib" >/dev/null

    # The command: -I ignores PYTHONPATH and ~/.local, which could shadow the bundle.
    install -d "$root/usr/bin"
    cat >"$root/usr/bin/trayapp" <<'EOF'
#!/bin/sh
# trayapp runs in its own Python environment in /opt/trayapp (Debian 12 has
# no PySide6 or dbus-fast packages).  -I: PYTHONPATH and the user's
# site-packages must not shadow what is bundled there.
exec /opt/trayapp/bin/python -I -m trayapp "$@"
EOF
    chmod 755 "$root/usr/bin/trayapp"

    # The desktop entry and metainfo with the po/ translations merged (msgfmt).
    "$host_python" "$repo/packaging/i18n.py" desktop "$stage/i18n" >/dev/null
    install -Dm644 "$stage/i18n/$app_id.desktop" "$root/usr/share/applications/$app_id.desktop"
    install -Dm644 "$stage/i18n/$app_id.metainfo.xml" "$root/usr/share/metainfo/$app_id.metainfo.xml"
    QT_QPA_PLATFORM=offscreen "$venv/bin/python" -I "$repo/packaging/render_icons.py" \
        --hicolor "$root/usr/share/icons/hicolor" >/dev/null
    install -Dm644 "$repo/packaging/systemd/trayapp.service" "$root/usr/lib/systemd/user/trayapp.service"
    local doc="$root/usr/share/doc/trayapp"
    install -Dm644 "$repo/packaging/polkit/50-trayapp-admins.rules.example" \
        "$doc/polkit/50-trayapp-admins.rules.example"
    install -Dm644 "$repo/packaging/polkit/README.md" "$doc/polkit/README.md"
    install -Dm644 "$repo/README.md" "$doc/README.md"
    write_copyright "$venv/bin/python" >"$doc/copyright"
    write_changelog | gzip -9n >"$doc/changelog.Debian.gz"
    chmod 644 "$doc/changelog.Debian.gz"

    install -d "$root/DEBIAN"
    (cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z |
        xargs -0 md5sum) >"$root/DEBIAN/md5sums"
    local size
    size="$(du -sk --exclude=DEBIAN "$root" | cut -f1)"
    cat >"$root/DEBIAN/control" <<EOF
Package: trayapp
Version: $version-$debrev
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: $(join "${deb_depends[@]}" "python$pyver")
Recommends: $(join "${deb_recommends[@]}")
Suggests: $(join "${deb_suggests[@]}")
Section: admin
Priority: optional
Homepage: https://github.com/trayapp/trayapp
Description: tray applet for socket-activated systemd daemons
 trayapp shows which socket-activated daemons (Docker, Podman, libvirt,
 CUPS, your own user units) are dormant and which are running, tells you
 when something wakes one, and switches a daemon between always-on and
 on-demand through systemd's polkit-authorised D-Bus methods.
 .
 This package bundles its own Python environment in /opt/trayapp, with
 PySide6 (Qt 6), dbus-fast, qasync, platformdirs and tomlkit from PyPI.
EOF
    chmod -R u+rwX,go+rX,go-w "$root"
    local deb="$dist/trayapp_${version}-${debrev}_${arch}.deb"
    rm -f "$deb"
    say "dpkg-deb (${DEB_COMPRESSION:-xz})"
    dpkg-deb --root-owner-group -Z"${DEB_COMPRESSION:-xz}" --build "$root" "$deb" >&2
    ls -l "$deb" >&2
    say "deb built in $((SECONDS - started)) s"
}

write_copyright() {
    local python="$1"
    cat <<'EOF'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: trayapp
Source: https://github.com/trayapp/trayapp

Files: *
Copyright: 2026 trayapp developers
License: MIT

Files: opt/trayapp/lib/*
Copyright: the authors of each bundled Python distribution
License: various
 The Python distributions below are bundled from PyPI; each one's license
 text is in its *.dist-info directory under
 /opt/trayapp/lib/python3.*/site-packages/.
EOF
    "$python" -I - <<'EOF'
from importlib.metadata import distributions
for d in sorted(distributions(), key=lambda d: d.metadata["Name"].lower()):
    m = d.metadata
    lic = m.get("License-Expression") or ""
    if not lic:
        classifiers = [c.split(" :: ")[-1] for c in m.get_all("Classifier") or []
                       if c.startswith("License ::")]
        lic = ", ".join(classifiers) or (m.get("License") or "see its dist-info").splitlines()[0]
    print(f" .\n {m['Name']} {m['Version']}: {lic}")
EOF
    cat <<'EOF'

License: MIT
 Permission is hereby granted, free of charge, to any person obtaining a copy
 of this software and associated documentation files (the "Software"), to deal
 in the Software without restriction, including without limitation the rights
 to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
 copies of the Software, and to permit persons to whom the Software is
 furnished to do so, subject to the following conditions:
 .
 The above copyright notice and this permission notice shall be included in
 all copies or substantial portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
 IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
 FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
 AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
 LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
 OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN
 THE SOFTWARE.
EOF
}

write_changelog() {
    cat <<EOF
trayapp ($version-$debrev) unstable; urgency=medium

  * trayapp $version, with its own Python environment in /opt/trayapp.

 -- $maintainer  $(date -R)
EOF
}

# -- Debian 13 package (native: Debian's Python libraries) ---------------------------

# Built the Debian way (dpkg-buildpackage, debhelper, pybuild from pyproject.toml)
# from the sdist with packaging/debian/ as its debian/, in a throw-away overlay
# of the Debian 13 root tools/testbed/trixie.sh builds (which holds the build
# dependencies), chrooted in a private mount namespace: nothing is written to
# the root, no network. Needs root. Then lintian; its output is kept beside.
build_deb13() {
    [ "$(id -u)" = 0 ] || { say "deb13: run as root (chroot into the Debian 13 root)"; exit 1; }
    local trixie="${TRAYAPP_TRIXIE_DIR:-/var/cache/trayapp-testbed/trixie}" out="$dist/debian13"
    [ -x "$trixie/usr/bin/dpkg-buildpackage" ] ||
        { say "deb13: no Debian 13 root with build tools in $trixie: run tools/testbed/trixie.sh"; exit 1; }
    build_wheel  # always: the sdist carries packaging/debian/ as the build's debian/
    local started=$SECONDS
    stage="$(mktemp -d "$cache/deb13.XXXXXX")"
    mkdir -p "$stage"/{upper,work,root,build}
    tar -xzf "$(sdist_file)" -C "$stage/build"
    cp -r "$stage/build/trayapp-$version/packaging/debian" "$stage/build/trayapp-$version/debian"
    # shellcheck disable=SC2016  # expanded by the inner shell
    unshare --mount --pid --fork --propagation private sh -euc '
        mount -t overlay overlay -o "lowerdir=$1,upperdir=$2/upper,workdir=$2/work" "$2/root"
        mount -t proc proc "$2/root/proc"
        mount --rbind /dev "$2/root/dev"
        mkdir -p "$2/root/build"
        mount --bind "$2/build" "$2/root/build"
        exec chroot "$2/root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8             sh -euc "cd /build/trayapp-$3 && dpkg-buildpackage -b -us -uc >&2
                     lintian --info --fail-on error ../trayapp_$3-1_all.deb >../lintian.txt                          || { cat ../lintian.txt >&2; exit 1; }"
    ' sh "$trixie" "$stage" "$version"
    mkdir -p "$out"
    cp "$stage/build/trayapp_${version}-1_all.deb" "$stage/build/lintian.txt" "$out/"
    say "lintian: $(grep -c '^E:' "$out/lintian.txt" || true) errors, $(grep -c '^W:' "$out/lintian.txt" || true) warnings"
    ls -l "$out/trayapp_${version}-1_all.deb" >&2
    say "deb13 built in $((SECONDS - started)) s"
}

# -- Arch Linux --------------------------------------------------------------------

build_arch() {
    [ -f "$(sdist_file)" ] || build_wheel
    local out="$dist/arch" sum
    rm -rf "$out"
    mkdir -p "$out"
    cp "$(sdist_file)" "$out/"
    sum="$(sha256sum "$(sdist_file)" | cut -d' ' -f1)"
    sed -e "s/^pkgver=.*/pkgver=$version/" -e "s/^sha256sums=.*/sha256sums=('$sum')/" \
        "$repo/packaging/arch/PKGBUILD" >"$out/PKGBUILD"
    say "Arch: cd $out && makepkg -si   (on Arch Linux; not built here)"
}

# ----------------------------------------------------------------------------------

case "${1:-all}" in
    wheel) build_wheel ;;
    deb) build_deb ;;
    deb13) build_deb13 ;;
    arch) build_arch ;;
    wheelhouse) [ -f "$(wheel_file)" ] || build_wheel; ensure_tools; fill_wheelhouse "$host_python" ;;
    all) build_wheel; build_deb; build_arch ;;
    *) echo "usage: $0 [wheel|deb|deb13|arch|wheelhouse|all]" >&2; exit 2 ;;
esac
