"""Adapters: the only code that touches the world outside the process.

``dbus/`` speaks D-Bus (systemd's managers, the notification server) and is
the only package that imports dbus-fast.  The rest read the kernel's tables
(``busy``, ``wakers``), keep files (``history_db``/``history_schema``,
``settings_file``, ``autostart``) or find them (``resources``, ``logs``).
They import the core and yield its plain values; nothing here decides.
"""
