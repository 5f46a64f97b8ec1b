#!/bin/bash
# Prepare a fresh Debian 12 machine (as root) for the testbed and the desktop tests.
# Idempotent: safe to run again. The testbed's lower layer is this host's root,
# so everything the tests use inside must be installed here. The second root
# (Debian 13, issue 14) gets the same daemons and tools from the package list in
# tools/testbed/trixie.sh: change both lists together.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="${TRAYAPP_VENV:-/opt/trayapp-venv}"

if [ "$(id -u)" != 0 ]; then
    echo "setup-host.sh: must run as root" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y \
    docker.io polkitd dbus-user-session xvfb trayer dunst xdotool imagemagick \
    dbus-x11 python3-venv socat \
    libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0 libxcb-image0 \
    libxcb-render-util0 libxcb-xinerama0 libxcb-xkb1 libxcb-shape0 libxcb-randr0 \
    libegl1 libgl1 libfontconfig1 libdbus-1-3 fonts-dejavu-core \
    desktop-file-utils appstream iproute2 procps util-linux binutils busybox-static
# Real socket-activated daemons as Debian ships them, and their clients (issue 11:
# switches must hold on their real unit files). No recommends: libvirt's would
# pull in QEMU and a whole virtualisation stack that the tests never start.
apt-get install -y --no-install-recommends \
    cups cups-client libvirt-daemon-system libvirt-clients avahi-daemon avahi-utils \
    podman pcscd
# Issue 15: daemons without socket activation, proxied (PostgreSQL, Redis).
# Issue 16: power (UPower with an emulated battery from umockdev).
# Issue 14: the tools that build the Debian 13 root.
apt-get install -y --no-install-recommends \
    postgresql postgresql-client redis-server redis-tools upower umockdev \
    gir1.2-umockdev-1.0 mmdebstrap debootstrap
# Issue 16: a real libvirt guest (type 'qemu', software emulation, no disk: SeaBIOS
# waits) that libvirtd registers with systemd-machined (systemd-container); no
# recommends, so no KVM tools or firmware beyond SeaBIOS.
apt-get install -y --no-install-recommends qemu-system-x86 systemd-container

# The venv must come from Debian's python: a pyenv python under /root (0700)
# would make the venv unusable for the unprivileged test users.
if [ ! -x "$venv/bin/python" ] || \
   [ "$(readlink -f "$venv/bin/python")" != "$(readlink -f /usr/bin/python3)" ]; then
    rm -rf "$venv"
    /usr/bin/python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --upgrade pip
"$venv/bin/python" -m pip install -e "$repo[dev]"
chmod -R a+rX "$venv"
echo "setup-host.sh: done (venv $venv, repo $repo)"
