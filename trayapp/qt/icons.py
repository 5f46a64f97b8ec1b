"""The tray icon for each TrayStatus: our SVGs, or a Qt style icon if one is missing.

Which set (core.summary.wants_symbolic): on KDE and GNOME the monochrome
``-symbolic`` glyphs, looked up by name in the icon theme when the package
installed them in hicolor (the panel then loads and recolours them itself),
else our file drawn in the palette's text colour; elsewhere the full-colour
ones.  Every state has its own shape, so neither set relies on colour alone.
"""

from __future__ import annotations

import logging
import os
from functools import cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QGuiApplication, QIcon, QImage, QPainter, QPixmap, QPixmapCache
from PySide6.QtWidgets import QApplication, QStyle

from trayapp.adapters import resources
from trayapp.core.summary import TrayStatus, icon_name, wants_symbolic

log = logging.getLogger(__name__)

# Stand-ins every Qt style has, close enough in meaning.
_STYLE_FALLBACK = {
    TrayStatus.IDLE: QStyle.StandardPixmap.SP_MediaPause,
    TrayStatus.SOME_RUNNING: QStyle.StandardPixmap.SP_MediaPlay,
    TrayStatus.BUSY: QStyle.StandardPixmap.SP_BrowserReload,
    TrayStatus.FAILED: QStyle.StandardPixmap.SP_MessageBoxCritical,
    TrayStatus.DISCONNECTED: QStyle.StandardPixmap.SP_MessageBoxWarning,
}

# Sizes panels ask for (16 and 22 px panels, 24/32 on HiDPI, 48/64 for menus).
SIZES = (16, 22, 24, 32, 48, 64)
# The text colour the -symbolic SVGs carry (Breeze's), replaced by the palette's.
SYMBOLIC_COLOUR = "#232629"


def symbolic() -> bool:
    """The rule of core.summary.wants_symbolic, for this session."""
    return wants_symbolic(os.environ.get("XDG_CURRENT_DESKTOP", ""),
                          os.environ.get("TRAYAPP_ICONS", ""))


def _rendered(svg: QIcon) -> QIcon:
    """The SVG drawn once at each size, as a plain pixmap icon.

    An SVG QIcon renders on demand and keeps its pixmaps in QPixmapCache,
    whose flush timer then wakes an idle applet every 30 s; fixed pixmaps
    need neither.
    """
    icon = QIcon()
    for size in SIZES:
        icon.addPixmap(svg.pixmap(size, size))
    QPixmapCache.clear()
    return icon


def _recoloured(path: Path) -> QIcon:
    """A -symbolic SVG drawn in the palette's text colour, at each size."""
    from PySide6.QtSvg import QSvgRenderer

    colour = QGuiApplication.palette().windowText().color().name()
    data = path.read_text(encoding="utf-8").replace(SYMBOLIC_COLOUR, colour)
    renderer = QSvgRenderer(QByteArray(data.encode()))
    icon = QIcon()
    if not renderer.isValid():
        return icon
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        icon.addPixmap(QPixmap.fromImage(image))
    return icon


@cache
def status_icon(status: TrayStatus) -> QIcon:
    mono = symbolic()
    name = icon_name(status, mono)
    if mono and QIcon.hasThemeIcon(name):
        # By name: a StatusNotifierItem passes the name, and the panel loads
        # and recolours the installed icon itself.  (Qt may still draw it for
        # the SNI's pixmap, through QPixmapCache: the price of recolouring.)
        return QIcon.fromTheme(name)
    path = resources.icon_path(name)
    if path is not None:
        icon = _recoloured(path) if mono else _rendered(QIcon(str(path)))
        # QIcon accepts any path; without the SVG plugin it renders nothing.
        if not icon.pixmap(22, 22).isNull():
            return icon
        log.warning("cannot render %s (is Qt's SVG image plugin installed?)", path)
    else:
        log.warning("icon %s.svg not found in %s", name, resources.candidates())
    style = QApplication.style()
    return style.standardIcon(_STYLE_FALLBACK[status])


def app_icon() -> QIcon:
    from trayapp import APP_ID

    path = resources.icon_path(APP_ID)
    return QIcon(str(path)) if path is not None else status_icon(TrayStatus.IDLE)
