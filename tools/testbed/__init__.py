"""The real-systemd testbed: harness.py boots it; the scripts here are staged inside."""
