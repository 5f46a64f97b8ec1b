"""The Qt view: renders core.summary.Snapshot values and sends intents back.

Widgets here hold no state of their own: every refresh reads a fresh
Snapshot from the composition root (trayapp/app.py).
"""
