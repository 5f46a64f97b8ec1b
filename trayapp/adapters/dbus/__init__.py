"""The D-Bus adapter: connections (``bus``), systemd's reads (``units``), its
signals into the table (``watcher``), plans run as jobs (``jobs``), and desktop
notifications (``notifications``).  import-linter keeps dbus-fast in here."""
