"""The yardstick for the applet's memory: the least a PySide6 tray icon costs.

One QApplication, one QSystemTrayIcon with a QMenu of one action, nothing
else: no asyncio, no D-Bus, no timers.  Run with the applet's own Python and
display (``python mintray.py [ICON]``); ICON is an image file (the applet's
SVG, so the same image plugin loads), else a drawn pixmap.  Prints "ready"
once the event loop runs, then sleeps in it until killed (SIGTERM: no handler of its own).
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon


def main() -> int:
    app = QApplication([sys.argv[0]])
    app.setQuitOnLastWindowClosed(False)
    if len(sys.argv) > 1:
        icon = QIcon(sys.argv[1])
    else:
        pixmap = QPixmap(22, 22)
        pixmap.fill(QColor("steelblue"))
        icon = QIcon(pixmap)
    menu = QMenu()
    menu.addAction("Quit", app.quit)
    tray = QSystemTrayIcon(icon)
    tray.setContextMenu(menu)
    tray.setToolTip("mintray")
    tray.show()
    QTimer.singleShot(0, lambda: print("ready", flush=True))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
