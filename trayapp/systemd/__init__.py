"""The systemd adapter: the only package that imports the D-Bus library."""
