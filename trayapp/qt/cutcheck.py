"""A debug self-check: does any window or menu cut its text?

Off unless ``TRAYAPP_CUT_CHECK=1`` is in the environment (the desktop tests
set it).  Then each window or menu, once shown and laid out, is measured:
every visible label, button, check box and combo box against the width its
text needs (QFontMetrics.horizontalAdvance, the button's own size hint for
its frame and indicator), word-wrapped labels against the height their text
needs at their width, each menu item against the menu's width, and the
window or menu against the screen.  A Shift pressed in a popup is logged
(``key-probe NAME``): the desktop tests press it to learn that the menu holds
the keyboard before they press the keys that walk it.  The verdict is one log line::

    cut-check Preferences: ok (41 widgets)
    cut-check Preferences: CUT QPushButton 'Stop': 31 < 38 px; ...

Nothing here changes what the user sees.
"""

from __future__ import annotations

import logging
import os
import re

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QFontMetrics, QKeyEvent, QKeySequence, QTextDocument
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLabel,
    QMenu,
    QWidget,
)

log = logging.getLogger(__name__)
ENV = "TRAYAPP_CUT_CHECK"
DELAY_MS = 300  # after the Show: the layout and the window manager have settled


def enabled() -> bool:
    return os.environ.get(ENV) == "1"


def _plain(text: str) -> str:
    return re.sub(r"&(?!&)", "", text).replace("&&", "&")


def _needed_label(label: QLabel) -> int:
    text = label.text()
    if not text:
        return 0
    if label.textFormat() == label.textFormat().RichText or "<" in text:
        doc = QTextDocument()
        doc.setDefaultFont(label.font())
        doc.setDocumentMargin(0)
        doc.setHtml(text)
        return int(doc.idealWidth() + 0.999)
    fm = QFontMetrics(label.font())
    return max(fm.horizontalAdvance(line) for line in text.splitlines())


def problems(window: QWidget) -> tuple[list[str], int]:
    """What is cut in ``window`` (a window or a menu), and how many things were measured."""
    found: list[str] = []
    seen = 0
    screen = window.screen()
    if screen is not None:
        room = screen.geometry()
        frame = window.geometry()
        if not room.contains(frame):
            found.append(f"{type(window).__name__} runs off the screen: {frame} not in {room}")
    if isinstance(window, QMenu):
        fm = QFontMetrics(window.font())
        for act in window.actions():
            if act.isSeparator() or not act.isVisible():
                continue
            seen += 1
            need = fm.horizontalAdvance(_plain(act.text()))
            have = window.actionGeometry(act).width()
            if have < need:
                found.append(f"menu item {act.text()!r}: {have} < {need} px")
        return found, seen
    widgets = [w for w in window.findChildren(QWidget) if w.isVisible() and w.window() is window]
    for w in widgets:
        # Shown narrower than it is (a scroll area, a parent too small): its text is cut.
        shown = w.visibleRegion().boundingRect()
        if not shown.isEmpty() and shown.width() < w.width() and (
                isinstance(w, (QLabel, QAbstractButton, QComboBox))):
            text = w.currentText() if isinstance(w, QComboBox) else w.text()
            if text:
                found.append(f"{type(w).__name__} {text[:40]!r}: only {shown.width()} of "
                             f"{w.width()} px shown")
                continue
        if isinstance(w, QLabel):
            if w.pixmap() is not None and not w.pixmap().isNull():
                continue
            seen += 1
            if w.wordWrap():
                need_h = w.heightForWidth(w.width())
                if need_h > w.height():
                    found.append(f"QLabel {w.text()[:40]!r}: {w.height()} < {need_h} px high")
            else:
                need = _needed_label(w)
                if w.width() < need:
                    found.append(f"QLabel {w.text()[:40]!r}: {w.width()} < {need} px")
        elif isinstance(w, (QAbstractButton, QComboBox)):
            text = w.text() if isinstance(w, QAbstractButton) else w.currentText()
            if not text:
                continue
            seen += 1
            need = max(QFontMetrics(w.font()).horizontalAdvance(_plain(text)),
                       w.sizeHint().width())
            if w.width() < need:
                found.append(f"{type(w).__name__} {text!r}: {w.width()} < {need} px")
    return found, seen


def report(window: QWidget) -> None:
    import shiboken6

    if not shiboken6.isValid(window):
        return
    if not window.isVisible():
        log.info("cut-check %s: closed before it was measured", window.objectName())
        return
    name = window.objectName() or type(window).__name__
    found, seen = problems(window)
    focus = QApplication.focusWidget()
    where = f"focus={focus.objectName() or type(focus).__name__}" if focus else "focus=none"
    if found:
        log.warning("cut-check %s: CUT %s (%s)", name, "; ".join(found), where)
    else:
        log.info("cut-check %s: ok (%d widgets, %s)", name, seen, where)
    for ref, x, y, text in places(window):
        log.info("cut-check-at %s %d %d %r", ref, x, y, text)


def places(window: QWidget) -> list[tuple[str, int, int, str]]:
    """Where a pointer finds each named control or menu item, in the screen's pixels
    (the names: objectName, or a menu action's data); for tests that click."""
    ratio = window.devicePixelRatio()
    found = []
    if isinstance(window, QMenu):
        for act in window.actions():
            if act.data() and act.isVisible():
                centre = window.mapToGlobal(window.actionGeometry(act).center())
                found.append((str(act.data()), centre, act.text()))
    else:
        for w in window.findChildren(QWidget):
            if w.objectName() and w.isVisible() and w.window() is window \
                    and not w.objectName().startswith("qt_") \
                    and not w.visibleRegion().isEmpty():  # scrolled out of sight: no place
                text = w.text() if isinstance(w, (QAbstractButton, QLabel)) else (
                    w.currentText() if isinstance(w, QComboBox) else "")
                found.append((w.objectName(), w.mapToGlobal(w.rect().center()), text))
    return [(ref, int(at.x() * ratio), int(at.y() * ratio), text) for ref, at, text in found]


class _OnShow(QObject):
    def __init__(self) -> None:
        super().__init__()
        self._last_key = -1  # the X time of the last key logged (a key propagates)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.Show and isinstance(watched, QWidget)
                and watched.isWindow() and watched.metaObject().className() not in (
                    "QSystemTrayIconSys", "QTipLabel")):
            schedule(watched)
        elif (event.type() == QEvent.Type.KeyPress and isinstance(watched, QWidget)
                and isinstance(event, QKeyEvent)
                and watched.window().windowType() == Qt.WindowType.Popup
                and event.timestamp() != self._last_key):
            self._last_key = event.timestamp()
            popup = watched.window()
            name = popup.objectName() or popup.metaObject().className()
            if event.key() == Qt.Key.Key_Shift:
                # The keyboard probe (tools/desktop.py): a popup (a menu, a combo box's
                # list) holds the keyboard once a Shift, which none acts on, reaches it.
                log.info("key-probe %s", name)
            else:  # each key the tests press in a popup, so they know it arrived
                log.info("key-in %s %s", name, QKeySequence(event.key()).toString())
        return False


_FILTER: _OnShow | None = None


def schedule(window: QWidget) -> None:
    """Check ``window`` once it has settled (nothing when the check is off)."""
    if enabled():
        QTimer.singleShot(DELAY_MS, lambda: report(window))


def install(app: QApplication) -> None:
    """Check every window and menu the applet shows (when the check is on)."""
    global _FILTER
    if enabled() and _FILTER is None:
        _FILTER = _OnShow()
        app.installEventFilter(_FILTER)
        app.focusChanged.connect(_focus_changed)


def _focus_changed(_old: QWidget | None, new: QWidget | None) -> None:
    if new is not None:
        log.info("focus-now %s in %s", new.objectName() or type(new).__name__,
                 new.window().objectName())
