"""The applet in the user's language: Qt's translators, and core's words through them.

``install()`` loads, for the session's locale (QLocale.system(): LANGUAGE,
LC_ALL, LC_MESSAGES, LANG), our ``trayapp/i18n/trayapp_<lang>.qm`` (built
from the ``.ts`` sources at package time, see packaging/i18n.py) and Qt's
own ``qtbase_<lang>.qm`` in the same language (the standard buttons and
dialogs), then hands ``QCoreApplication.translate`` to core
(core.words.set_translator), so that the texts core builds for the windows,
menu and notifications come out translated too.  A locale with no
catalogue stays English.  The CLI never calls this: it stays English.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from trayapp.adapters import resources
from trayapp.core import words

log = logging.getLogger(__name__)

#: The translators installed, kept alive as long as the application.
_installed: list[QTranslator] = []


def catalogue_dirs() -> list[Path]:
    """Directories that may hold ``trayapp_<lang>.qm``, first match wins."""
    return [base / "i18n" for base in resources.candidates()]


def _translate(context: str, text: str, disambiguation: str | None, n: int) -> str:
    return QCoreApplication.translate(context, text, disambiguation, n)


def install(app: QCoreApplication, locale: QLocale | None = None) -> list[str]:
    """Install the translators for ``locale`` (the system's); returns the files loaded."""
    locale = locale or QLocale.system()
    uninstall(app)
    loaded: list[str] = []
    for directory in catalogue_dirs():
        ours = QTranslator(app)
        if directory.is_dir() and ours.load(locale, "trayapp", "_", str(directory)):
            app.installTranslator(ours)
            _installed.append(ours)
            loaded.append(ours.filePath())
            break
    # Qt's buttons in the language ours came in, and none without ours: one
    # language throughout (LANGUAGE=fr:de without a French trayapp is German,
    # LANG=fr_FR English), never a French "OK" under German or English text.
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    qt = QTranslator(app)
    ours_in = Path(loaded[0]).stem.removeprefix("trayapp_") if loaded else ""
    if ours_in and qt.load(f"qtbase_{ours_in}", qt_dir):
        app.installTranslator(qt)
        _installed.append(qt)
        loaded.append(qt.filePath())
    # Without a catalogue of ours, Qt would answer "1 wakes": core stays English.
    words.set_translator(_translate if ours_in else None)
    log.debug("translations for %s: %s", locale.name(), loaded or "none (English)")
    return loaded


def uninstall(app: QCoreApplication) -> None:
    """Back to English (tests switch languages)."""
    while _installed:
        app.removeTranslator(_installed.pop())
    words.set_translator(None)
