"""The Qt front end: renders core.summary.Snapshot values and sends intents back.

Widgets here hold no state of their own: every refresh reads a fresh
Snapshot from the composition root (trayapp/services.py) through
``TrayApp.snapshot`` (trayapp/qt/app.py).
"""
