#!/bin/bash
# Boot the testbed: run by harness.py as
#   unshare --cgroup --pid --fork --mount --uts --ipc --net bash boot.sh STATE [LOWER]
# (in a new session, already moved into cgroups of its own). This shell is PID 1
# of the new pid namespace and ends by exec'ing systemd.
#
# STATE is a host directory (a tmpfs the harness mounted) holding:
#   upper/ work/  the overlay's writable layer: kept across a "reboot"
#   stage/        code the test users run (trayapp/, testbed/), copied before boot
#   lower/ root/  mount points used here
# LOWER is the root file system booted (read-only, under the overlay): / (the
# host's Debian 12) by default, or a directory holding another distribution's
# root (issue 14: Debian 13 from tools/testbed/trixie.sh).
#
# NEVER run systemd on the host's root: booting empties /tmp and rewrites /etc.
# Everything systemd sees is the overlay below, whose writes land in STATE/upper.
set -euo pipefail

state=${1:?usage: boot.sh STATE_DIR [LOWER_ROOT]}
lower_root=${2:-/}
# Paths inside the testbed (keep in sync with harness.py).
stage_in=/var/lib/trayapp-testbed/stage
marker=/var/lib/trayapp-testbed/configured

# Run inside, after pivot_root, on the first boot only.
configure() {
    local stage=$1
    # Its own identity, not the host's.
    tr -d - </proc/sys/kernel/random/uuid >/etc/machine-id
    echo trayapp-testbed >/etc/hostname

    # Test users: alice (allowed by a polkit rule below) and bob (no rule).
    # Lingering starts their user managers at boot, with a bus at /run/user/UID/bus.
    mkdir -p /var/lib/systemd/linger
    local u
    for u in alice:2001 bob:2002; do
        getent passwd "${u%:*}" >/dev/null ||
            useradd --uid "${u#*:}" --user-group --create-home --shell /bin/bash "${u%:*}"
        touch "/var/lib/systemd/linger/${u%:*}"
    done
    # Known root password, for the polkit agent (pkttyagent) tests; see harness.ROOT_PASSWORD.
    echo root:testroot | chpasswd

    # Trap: systemd's policy says manage-unit-files *implies* manage-units, so
    # polkit asks the rules about manage-unit-files (with the same details) when
    # checking manage-units: a bare "YES for manage-unit-files" would let alice
    # stop any unit. Hence: whenever a "unit" detail is there, filter by it.
    cat >/etc/polkit-1/rules.d/50-trayapp-testbed.rules <<'EOF'
// alice may start/stop/enable/disable the testbed's daemons without a password:
// the test daemon, Docker, and Debian's own CUPS, libvirt, avahi, podman, pcscd.
polkit.addRule(function(action, subject) {
    var ids = ["org.freedesktop.systemd1.manage-units",
               "org.freedesktop.systemd1.manage-unit-files",
               "org.freedesktop.systemd1.reload-daemon"];
    if (subject.user != "alice" || ids.indexOf(action.id) < 0)
        return polkit.Result.NOT_HANDLED;
    var daemons = /^(trayapp-testd|docker|cups|libvirtd|avahi-daemon|podman|pcscd)(-[a-z]+)?\.(service|socket|path)$/;
    // Issue 15: PostgreSQL and Redis (no sockets), and trayapp's proxies in front of them.
    // Debian 12 has PostgreSQL 15, Debian 13 has 17 (issue 14): any major version.
    var proxied = /^((trayapp-proxy-)?(postgresql@[0-9]+-main|redis-server))\.(service|socket)$/;
    var unit = action.lookup("unit");
    if (unit)
        return daemons.test(unit) || proxied.test(unit) ? polkit.Result.YES
                                                        : polkit.Result.NOT_HANDLED;
    // No unit detail: enabling/disabling unit files, daemon-reload.
    if (action.id != "org.freedesktop.systemd1.manage-units")
        return polkit.Result.YES;
    return polkit.Result.NOT_HANDLED;
});
EOF
    chmod 644 /etc/polkit-1/rules.d/50-trayapp-testbed.rules

    # Units that are useless in here, slow the boot, fail, or would touch the
    # host (kernel modules, AppArmor profiles, binfmt, udev, clock).
    for u in systemd-timesyncd.service getty@tty1.service console-getty.service cron.service \
             postgresql.service e2scrub_reap.service apparmor.service systemd-pstore.service \
             systemd-modules-load.service systemd-binfmt.service \
             proc-sys-fs-binfmt_misc.automount proc-sys-fs-binfmt_misc.mount \
             systemd-udevd.service systemd-udev-trigger.service systemd-udev-settle.service \
             systemd-journald-audit.socket systemd-networkd-wait-online.service \
             NetworkManager-wait-online.service \
             apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
             fstrim.timer man-db.timer; do
        ln -sfn /dev/null "/etc/systemd/system/$u"
    done

    # Docker: no overlay-on-overlay, no iptables or bridge in a bare net namespace.
    mkdir -p /etc/docker
    echo '{"storage-driver": "vfs", "iptables": false, "ip6tables": false, "bridge": "none"}' \
        >/etc/docker/daemon.json

    # The test daemon, system-wide: socket enabled (listening), service on demand.
    local d=/etc/systemd/system
    cat >"$d/trayapp-testd.socket" <<'EOF'
[Unit]
Description=trayapp test daemon socket

[Socket]
ListenStream=/run/trayapp-testd.sock
SocketMode=0666

[Install]
WantedBy=sockets.target
EOF
    cat >"$d/trayapp-testd.service" <<EOF
[Unit]
Description=trayapp test daemon
Requires=trayapp-testd.socket
After=trayapp-testd.socket
StartLimitIntervalSec=0

[Service]
ExecStart=/usr/bin/python3 $stage/testbed/testd.py

[Install]
WantedBy=multi-user.target
EOF
    mkdir -p "$d/sockets.target.wants"
    ln -sfn "$d/trayapp-testd.socket" "$d/sockets.target.wants/trayapp-testd.socket"

    # The same for alice's user manager.
    d=/home/alice/.config/systemd/user
    mkdir -p "$d/sockets.target.wants"
    cat >"$d/trayapp-testd.socket" <<'EOF'
[Unit]
Description=trayapp test daemon socket (user)

[Socket]
ListenStream=%t/trayapp-testd.sock

[Install]
WantedBy=sockets.target
EOF
    cat >"$d/trayapp-testd.service" <<EOF
[Unit]
Description=trayapp test daemon (user)
Requires=trayapp-testd.socket
After=trayapp-testd.socket
StartLimitIntervalSec=0

[Service]
ExecStart=/usr/bin/python3 $stage/testbed/testd.py

[Install]
WantedBy=default.target
EOF
    ln -sfn "$d/trayapp-testd.socket" "$d/sockets.target.wants/trayapp-testd.socket"
    chown -R alice:alice /home/alice/.config
}

[ "$$" = 1 ] || { echo "boot.sh: must be PID 1 of a new pid namespace" >&2; exit 1; }
echo "boot.sh: state=$state lower=$lower_root"

# --- 1. the root: overlay of a read-only bind of / with upper+work in STATE ---
mount --make-rprivate /
mkdir -p "$state"/{lower,upper,work,root}
mount --bind -o ro "$lower_root" "$state/lower"
# An upper dir still held by the previous boot's overlay gives EBUSY: retry.
for i in $(seq 50); do
    mount -t overlay overlay \
        -o "lowerdir=$state/lower,upperdir=$state/upper,workdir=$state/work" "$state/root" && break
    [ "$i" = 50 ] && exit 1
    sleep 0.1
done
root=$state/root

# --- 2. API file systems, private to the testbed ---
mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
# Much of /proc/sys is not namespaced (kernel.*, fs.*): read-only, as nspawn does.
# /proc/sys/net is per net namespace: writable (Docker sets ip_forward).
mount --bind "$root/proc/sys" "$root/proc/sys"
mount --bind "$root/proc/sys/net" "$root/proc/sys/net"
mount -o remount,bind,ro "$root/proc/sys"
[ ! -e "$root/proc/sysrq-trigger" ] || mount --bind /dev/null "$root/proc/sysrq-trigger"

# A fresh sysfs (shows the testbed's own net namespace), read-only: systemd then
# skips udev and friends, which would otherwise poke the host's devices.
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$root/sys"
# Fresh cgroup mounts inside our cgroup namespace show only the subtree the
# harness made for us, so systemd and Docker cannot touch the host's cgroups.
mount -t tmpfs -o nosuid,nodev,noexec,mode=755 cgroup "$root/sys/fs/cgroup"
findmnt -rn -t cgroup,cgroup2 -o TARGET,FSTYPE,FS-OPTIONS | while read -r target fstype opts; do
    case $target in /sys/fs/cgroup) ;; /sys/fs/cgroup/*) ;; *) continue ;; esac
    mkdir -p "$root$target"
    mount -t "$fstype" -o "$opts,nosuid,nodev,noexec" cgroup "$root$target"
done

# A private /dev (the host's /dev/console is the machine's real console, and
# /dev/kmsg the host kernel log): a few bound device nodes and a new devpts.
mount -t tmpfs -o nosuid,mode=755 dev "$root/dev"
for n in null zero full random urandom tty fuse; do
    [ -e "/dev/$n" ] || continue
    touch "$root/dev/$n"
    mount --bind "/dev/$n" "$root/dev/$n"
done
# systemd writes its status lines to /dev/console: send them nowhere (the
# journal has everything; see Testbed.journal()). A node of its own, not a bind
# of the host's /dev/null: systemd chowns and chmods the console (0620 root:tty,
# e.g. for a unit with StandardOutput=...+console), which made the host's
# /dev/null unwritable for everyone else (PostgreSQL's start failed; issue 15).
mknod -m 666 "$root/dev/console" c 1 3
mkdir -p "$root"/dev/{pts,shm,mqueue,net}
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
mount -t tmpfs -o nosuid,nodev,mode=1777 shm "$root/dev/shm"
mount -t mqueue -o nosuid,nodev,noexec mqueue "$root/dev/mqueue"
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"

mount -t tmpfs -o nosuid,nodev,mode=755 run "$root/run"
mount -t tmpfs -o nosuid,nodev,mode=1777 tmp "$root/tmp"

# The staged code, read-only (files written on the host later need not show).
mkdir -p "$root$stage_in"
mount --bind -o ro "$state/stage" "$root$stage_in"

# --- 3. pivot_root into it; drop the host's root from this namespace ---
mkdir -p "$root/.oldroot"
cd "$root"
pivot_root . .oldroot
cd /
umount -l /.oldroot
rmdir /.oldroot
hostname trayapp-testbed

# --- 4. configure the machine, once: a reboot keeps what the tests changed ---
if [ ! -e "$marker" ]; then
    echo "boot.sh: first boot, configuring"
    configure "$stage_in"
    touch "$marker"
fi

# --- 5. systemd. Drop capabilities a container has no business with (loading
# kernel modules, setting the clock...): the kernel is the host's.
echo "boot.sh: exec systemd"
exec setpriv --bounding-set -sys_module,-sys_time,-syslog,-mac_admin,-mac_override,-wake_alarm,-block_suspend,-audit_control \
    env -i container=trayapp-testbed PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    /lib/systemd/systemd --system --unit=multi-user.target
