#!/bin/bash
# Build (or reuse) the Debian 13 (trixie) root the testbed can boot instead of
# the host's root (issue 14): TRAYAPP_TESTBED_ROOT=trixie.
#
#   tools/testbed/trixie.sh [DIR]      (as root; DIR defaults to $TRAYAPP_TRIXIE_DIR
#                                       or /var/cache/trayapp-testbed/trixie)
#
# Made with mmdebstrap from Debian's registry: minbase plus the packages below,
# all from Debian (trayapp's Python libraries too: nothing from PyPI). The root
# is cached: DIR/.trayapp-stamp holds the hash of this list; a missing root, a
# missing stamp or a changed list rebuilds it (into DIR.new, then renamed, so a
# half-built root is never booted). Prints DIR on its last line.
#
# Keep PACKAGES next to setup-host.sh's list (the host root, Debian 12): the
# same daemons and tools, so the same tests run on both.
set -euo pipefail

dir="${1:-${TRAYAPP_TRIXIE_DIR:-/var/cache/trayapp-testbed/trixie}}"
mirror="${TRAYAPP_TRIXIE_MIRROR:-http://deb.debian.org/debian}"

PACKAGES=(
    # the machine: systemd 257 as PID 1, the buses, polkit, users
    systemd systemd-sysv dbus dbus-user-session polkitd passwd util-linux
    # trayapp's runtime, from Debian (the second pass runs on these)
    python3 python-is-python3 python3-pyside6.qtwidgets python3-dbus-fast python3-qasync
    python3-platformdirs python3-tomlkit
    # Qt on X: the xcb platform plugin and the SVG icon plugins
    qt6-qpa-plugins qt6-svg-plugins fonts-dejavu-core
    # the desktop tests (tools/desktop.py): screen, XEmbed tray, notifications
    xvfb trayer dunst xdotool imagemagick dbus-x11
    # Docker and the tools the tests run inside
    docker.io docker-cli socat iproute2 procps busybox-static
    # Debian's socket-activated daemons (issue 11), as on the host
    cups cups-client libvirt-daemon-system libvirt-clients avahi-daemon avahi-utils
    podman pcscd
    # issue 15 (PostgreSQL 17 here, 15 on Debian 12) and issue 16
    postgresql postgresql-client redis-server redis-tools upower umockdev
    gir1.2-umockdev-1.0 python3-gi systemd-container
    # the native Debian 13 package is built in a copy of this root
    # (packaging/build.sh deb13): debhelper, dh-python, pybuild's pyproject plugin
    build-essential debhelper dh-python pybuild-plugin-pyproject python3-all
    python3-hatchling python3-pyside6.qtsvg qt6-l10n-tools gettext lintian
)

if [ "$(id -u)" != 0 ]; then
    echo "trixie.sh: must run as root" >&2
    exit 1
fi

stamp_text="$(printf '%s\n' "$mirror" "${PACKAGES[@]}" | sort | sha256sum | cut -d' ' -f1)"
if [ -x "$dir/usr/lib/systemd/systemd" ] && [ "$(cat "$dir/.trayapp-stamp" 2>/dev/null)" = "$stamp_text" ]; then
    echo "trixie.sh: reusing $dir"
    echo "$dir"
    exit 0
fi

command -v mmdebstrap >/dev/null || { echo "trixie.sh: needs mmdebstrap (setup-host.sh)" >&2; exit 1; }
echo "trixie.sh: building $dir (${#PACKAGES[@]} packages from $mirror)"
start=$(date +%s)
rm -rf "$dir.new"
mkdir -p "$(dirname "$dir")"
include="$(IFS=,; echo "${PACKAGES[*]}")"
# No Recommends (as on the host: libvirt's would pull in QEMU). Keep apt's lists
# and downloaded .debs: the package test reinstalls a dependency offline.
mmdebstrap --variant=minbase --include="$include" \
    --aptopt='APT::Install-Recommends "false"' \
    --skip=cleanup/apt/lists --skip=cleanup/apt/cache \
    trixie "$dir.new" "$mirror"
echo "$stamp_text" >"$dir.new/.trayapp-stamp"
rm -rf "$dir"
mv "$dir.new" "$dir"
echo "trixie.sh: built in $(( $(date +%s) - start )) s"
echo "$dir"
