"""The applet's windows, each made when first asked for: the status window, History
(one per daemon) and Preferences; from the first one on, sizes and places are kept.

They are imported only when made (each costs about 1 MiB).  What a window
shows is passed in; nothing here refers back to the applet.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from trayapp.core.keys import Key
from trayapp.core.model import Daemon, Manager
from trayapp.core.settings import Settings
from trayapp.core.status_notes import StatusNote
from trayapp.core.unitname import check_unit_name
from trayapp.qt.view import Intents, Source
from trayapp.qt.windows import OpenWindows

if TYPE_CHECKING:
    from trayapp.qt.window import StatusWindow

PREFERENCES = "preferences"  # the key of the Preferences dialog among the open windows


class Openers:
    def __init__(self) -> None:
        self.status: StatusWindow | None = None  # made when first shown (about 1 MiB)
        self.windows = OpenWindows()  # History (one per daemon) and Preferences
        #: Sizes and places kept in the state directory (set at start(): not in tests).
        self.remember_geometry = False

    def status_window(self, source: Source, intents: Intents, *,
                      causes: Callable[[Daemon], str | None],
                      warnings: Callable[[], Mapping[Key, float]],
                      notes: Callable[[], Sequence[StatusNote]]) -> StatusWindow:
        """The status window, made over these the first time."""
        if self.status is None:
            from trayapp.qt.window import StatusWindow

            self._made()
            self.status = StatusWindow(source, intents, causes=causes, warnings=warnings,
                                       notes=notes)
        return self.status

    def history(self, path: Path, manager: Manager, service: str) -> None:
        from trayapp.qt.history_window import HistoryWindow  # lazily: QPainter code, ~1 MiB

        self._made()
        self.windows.show((manager, service), lambda: HistoryWindow(path, manager, service))

    def preferences(self, settings: Settings, known: Callable[[], Iterable[str]],
                    notes: Callable[[], Sequence[StatusNote]],
                    chosen: Callable[[Settings], None]) -> None:
        """Preferences over ``settings``; OK hands the new ones to ``chosen``."""
        self._made()
        self.windows.show(PREFERENCES, lambda: self._make_preferences(
            settings, known(), notes(), chosen))

    def _make_preferences(self, settings: Settings, known: Iterable[str],
                          notes: Sequence[StatusNote],
                          chosen: Callable[[Settings], None]) -> QWidget:
        from trayapp.adapters import autostart
        from trayapp.qt.preferences import PreferencesDialog

        # What the desktop will do at login, not what the file last said: an
        # administrator's entry or the user's desktop settings may differ.
        current = dataclasses.replace(settings, start_at_login=autostart.is_enabled())
        dialog = PreferencesDialog(current, known, validate_unit=check_unit_name, notes=notes)
        dialog.settings_chosen.connect(chosen)
        dialog.finished.connect(lambda _=0: self.windows.forget(PREFERENCES))
        return dialog

    def _made(self) -> None:
        """A window is made: from now on sizes and places are kept (imported only now)."""
        if self.remember_geometry:
            from trayapp.qt import geometry

            geometry.use(geometry.default_path())
