"""Use cases: what the applet does, over the core and the adapters.

``monitor`` keeps the table live; ``actions``/``controller`` switch and stop
daemons; ``recorder`` writes the history; ``idlestop`` stops idle daemons;
``announce`` decides what the user is told; ``history_query`` reads the
history for both front ends; ``stats`` reads what systemd never signals.
The composition root (trayapp/services.py) builds them.
"""
