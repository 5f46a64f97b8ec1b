"""A running Docker container inside the testbed, with no registry to pull from."""

from __future__ import annotations

from typing import Any


def run_container(tb: Any, name: str = "sleeper", restart: str = "no") -> None:
    """Start ``name`` (busybox sleeping), importing a one-binary image if needed.

    The image is made with ``docker import`` from Debian's static busybox: the
    testbed has no network, and needs none for this.
    """
    tb.run("docker image inspect tiny:1 >/dev/null 2>&1 || (rm -rf /root/rootfs && "
           "mkdir -p /root/rootfs/bin && cp /bin/busybox /root/rootfs/bin/ && "
           "ln -s busybox /root/rootfs/bin/sh && tar -C /root/rootfs -c . | "
           "/usr/bin/docker import - tiny:1)", timeout=120)
    tb.run(f"/usr/bin/docker rm -f {name} >/dev/null 2>&1; /usr/bin/docker run -d "
           f"--network none --restart {restart} --name {name} tiny:1 "
           "/bin/busybox sleep 3600", timeout=120)
