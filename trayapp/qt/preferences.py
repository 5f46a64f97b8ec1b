"""The Preferences window: which daemons the tray shows, which of them the icon follows,
per-daemon choices, start at login.

A view over a :class:`trayapp.core.settings.Settings`: it is built from one, the
widgets hold the user's edits, and OK hands back a new Settings through the
``settings_chosen`` signal (Cancel hands back nothing).  Saving it
(``settings.save``) and applying start-at-login (``autostart.enable``) are the
caller's job::

    # The autostart file is the truth about start-at-login (the user may
    # have removed it by hand): show that, not what the settings file says.
    shown = dataclasses.replace(current, start_at_login=autostart.is_enabled())
    dialog = PreferencesDialog(shown, known_keys, validate_unit=check_unit_name)
    dialog.settings_chosen.connect(apply)
    dialog.show()   # not exec(): that would nest a Qt loop inside the asyncio one

    def apply(new: Settings) -> None:
        settings.save(new, path, check_unit_name)
        autostart.enable(new.start_at_login)   # idempotent

The dialog changes only what the user changed: a daemon whose row was left
alone keeps its entries in ``watched``/``hidden`` and its ``[daemon]`` table
(or the lack of one), so saving does not rewrite the user's file needlessly.
Whether a row is shown follows :class:`trayapp.core.watchlist.Watchlist`, the
same rule the tray uses (well-known daemons show unless hidden, others when
watched).

Daemon keys are those of the settings file: ``docker.service`` for the system
manager, ``user:gpg-agent.service`` for the user's own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTabWidget, QVBoxLayout, QWidget

from trayapp.core.keys import UnitValidator, check_key, daemon_key, parse_key
from trayapp.core.model import Manager
from trayapp.core.settings import IconFollows, Settings
from trayapp.core.status_notes import StatusNote
from trayapp.core.unitname import BadUnitName, daemon_service_name
from trayapp.core.watchlist import Watchlist

from . import cutcheck, geometry
from .daemon_rows import DaemonRow
from .icons import app_icon
from .preferences_pages import DaemonsPage, GeneralPage
from .windows import place_once

GEOMETRY = "preferences"
translate = QCoreApplication.translate


class PreferencesDialog(QDialog):
    #: Emitted with the new Settings when the user presses OK.
    settings_chosen = Signal(object)

    def __init__(
        self,
        current: Settings,
        known: Iterable[str],
        *,
        validate_unit: UnitValidator | None = None,
        notes: Sequence[StatusNote] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._current = current
        self._known = frozenset(known)
        self._validate_unit = validate_unit
        self.setWindowTitle(self.tr("trayapp Preferences"))
        self.setObjectName("preferences-window")
        self.setWindowIcon(app_icon())
        outer = QVBoxLayout(self)
        # Two pages, so the list of daemons gets the height (a laptop at 2x): the
        # daemons, and the rest (Ctrl+Tab between them).
        self.pages = QTabWidget()
        self.pages.setDocumentMode(True)
        self.pages.tabBar().setAccessibleName(self.tr("Preferences pages"))
        self.daemons = DaemonsPage()
        self._hold_daemons_page(self.daemons)
        self.pages.addTab(self.daemons, self.tr("Daemons"))
        general = GeneralPage(current.icon_follows, current.start_at_login, notes)
        self.icon_follows = general.icon_follows
        self.start_at_login = general.start_at_login
        self.notes = general.notes
        self.pages.addTab(general, self.tr("General"))
        # With TRAYAPP_CUT_CHECK=1, the page brought up is measured too.
        self.pages.currentChanged.connect(lambda _i: cutcheck.schedule(self))
        outer.addWidget(self.pages, 1)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)
        for widget, name in ((self.pages.tabBar(), "pages"),
                             (self.buttons.button(QDialogButtonBox.StandardButton.Ok), "ok"),
                             (self.buttons.button(QDialogButtonBox.StandardButton.Cancel),
                              "cancel")):
            widget.setObjectName(name)  # for the desktop tests' clicks

        watchlist = self._watchlist()
        keys = self._known | set(current.watched) | set(current.hidden) | set(current.daemons)
        for key in sorted(keys, key=_order):
            self._add_row(key, watchlist.shows_key(key))
        self._filter()

    def _hold_daemons_page(self, page: DaemonsPage) -> None:
        """The daemons page's controls as the dialog's own, wired to its filter and Add."""
        self.filter, self.plumbing, self.table = page.filter, page.plumbing, page.table
        self.count = page.count
        self.add_manager, self.add_name = page.add_manager, page.add_name
        self.add_button, self.add_error = page.add_button, page.add_error
        # Return in the name field adds; without the filter the dialog would
        # also take it as a press on OK (QLineEdit passes Return on).
        self.add_name.installEventFilter(self)
        self.filter.installEventFilter(self)  # Return goes to the rows, it does not press OK
        self.add_button.clicked.connect(self.add_from_fields)
        self.filter.textChanged.connect(self._filter)
        self.plumbing.toggled.connect(self._filter)

    # -- reading the widgets -----------------------------------------------------------

    def rows(self) -> list[DaemonRow]:
        return self.table.rows()

    def row(self, key: str) -> DaemonRow:
        for row in self.rows():
            if row.key == key:
                return row
        raise KeyError(key)

    def chosen_settings(self) -> Settings:
        """The Settings the widgets say: the current ones with the user's edits."""
        current = self._current
        before = self._watchlist()
        after = before
        chosen = current
        for row in self.rows():
            show = row.show.isChecked()
            if show != before.shows_key(row.key):
                after = after.watch(row.key) if show else after.unwatch(row.key)
            old = current.daemon(row.key)
            notify, minutes = row.notify.isChecked(), row.idle_minutes.value()
            battery = row.battery_minutes.value()
            if (notify, minutes, battery) != (old.notify, old.idle_stop_minutes,
                                              old.battery_idle_minutes):
                chosen = chosen.with_daemon(row.key, notify=notify, idle_stop_minutes=minutes,
                                            battery_idle_minutes=battery)
        return dataclasses.replace(
            chosen,
            watched=after.watched,
            hidden=after.hidden,
            start_at_login=self.start_at_login.isChecked(),
            icon_follows=IconFollows(self.icon_follows.currentData()),
        )

    # -- editing ---------------------------------------------------------------------

    def add_daemon(self, scope: str, text: str) -> str:
        """Add (or find) the row for a daemon the user names, shown; return its key.

        Raises ValueError with a message for the user when the name is bad.
        """
        key = daemon_key(scope, _service_unit(text))
        check_key(key, self._validate_unit)
        for row in self.rows():
            if row.key == key:
                row.show.setChecked(True)
                break
        else:
            self._add_row(key, shown=True)
        self.filter.clear()
        self._filter()
        r = self.table.row_index(key)
        self.table.setCurrentCell(r, 0)
        self.table.scrollTo(self.table.model().index(r, 0))
        return key

    def add_from_fields(self) -> None:
        try:
            self.add_daemon(self.add_manager.currentData(), self.add_name.text())
        except ValueError as exc:
            self.add_error.setText(self.tr("Cannot add {name!r}: {why}").format(
                name=self.add_name.text().strip(), why=exc))
            self.add_error.show()
            return
        self.add_error.hide()
        self.add_name.clear()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched in (self.add_name, self.filter)
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            if watched is self.add_name:
                self.add_from_fields()
            else:
                self.table.setFocus(Qt.FocusReason.TabFocusReason)  # on to the rows found
            return True
        return super().eventFilter(watched, event)

    def _filter(self) -> None:
        shown = self.table.filter(self.filter.text(), self.plumbing.isChecked())
        total = self.table.rowCount()
        self.count.setText(self.tr("%n of {total} daemons shown", "", shown).format(total=total)
                           if shown < total else self.tr("%n daemons", "", shown))

    def showEvent(self, event: QShowEvent) -> None:
        place_once(self, GEOMETRY)
        super().showEvent(event)

    def done(self, result: int) -> None:
        geometry.save(self, GEOMETRY)
        super().done(result)

    def accept(self) -> None:
        self.settings_chosen.emit(self.chosen_settings())
        super().accept()

    # -- building ----------------------------------------------------------------------

    def _watchlist(self) -> Watchlist:
        return Watchlist(self._current.watched, self._current.hidden)

    def _add_row(self, key: str, shown: bool) -> None:
        self.table.add_row(key, shown, self._current.daemon(key), known=key in self._known)


def _order(key: str) -> tuple[int, str]:
    manager, unit = parse_key(key)
    return (manager is Manager.USER, unit)


def _service_unit(text: str) -> str:
    """The service the user names in ``text``; ValueError with a message for them if bad."""
    text = text.strip()
    if not text:
        raise ValueError(translate("PreferencesDialog",
                                   "type the name of a service, such as podman"))
    try:
        unit = daemon_service_name(text)
    except BadUnitName as exc:
        raise ValueError(str(exc)) from None
    if not unit.endswith(".service"):
        # A socket may start a service of another name (Service=): only
        # the user knows which one they mean.
        guess = unit.removesuffix(".socket") + ".service"
        raise ValueError(translate("PreferencesDialog",
                                   "name the service that {unit} starts, such as {guess}")
                         .format(unit=unit, guess=guess))
    return unit
