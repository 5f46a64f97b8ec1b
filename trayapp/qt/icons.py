"""The tray icon for each TrayStatus: our SVGs, or a Qt style icon if one is missing."""

from __future__ import annotations

import logging
from functools import cache

from PySide6.QtGui import QIcon, QPixmapCache
from PySide6.QtWidgets import QApplication, QStyle

from trayapp.adapters import resources
from trayapp.core.summary import ICON_NAMES, TrayStatus

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


@cache
def status_icon(status: TrayStatus) -> QIcon:
    path = resources.icon_path(ICON_NAMES[status])
    if path is not None:
        svg = QIcon(str(path))
        # QIcon accepts any path; without the SVG plugin it renders nothing.
        if not svg.pixmap(22, 22).isNull():
            return _rendered(svg)
        log.warning("cannot render %s (is Qt's SVG image plugin installed?)", path)
    else:
        log.warning("icon %s.svg not found in %s", ICON_NAMES[status], resources.candidates())
    style = QApplication.style()
    return style.standardIcon(_STYLE_FALLBACK[status])


def app_icon() -> QIcon:
    from trayapp import APP_ID

    path = resources.icon_path(APP_ID)
    return QIcon(str(path)) if path is not None else status_icon(TrayStatus.IDLE)
