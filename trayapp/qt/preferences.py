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
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from trayapp.core.keys import UnitValidator, check_key, daemon_key, parse_key
from trayapp.core.model import Manager
from trayapp.core.settings import IconFollows, Settings
from trayapp.core.status_notes import StatusNote
from trayapp.core.unitname import BadUnitName, daemon_service_name
from trayapp.core.watchlist import Watchlist

from . import cutcheck, geometry, nowheel
from .daemon_rows import DaemonRow, DaemonRowsTable
from .icons import app_icon
from .status_notes import StatusNotes
from .windows import fit_to_screen

GEOMETRY = "preferences"


def login_hint() -> str:
    return QCoreApplication.translate(
        "PreferencesDialog",
        "Starts trayapp from your desktop's autostart folder. The alternative is "
        "the systemd user unit (systemctl --user enable trayapp.service); "
        "use one or the other: with both, the second copy only finds the first and exits.")


def follows_labels() -> dict[IconFollows, str]:
    """The icon_follows choices as the dialog offers them."""
    return {
        IconFollows.ON_DEMAND: QCoreApplication.translate(
            "PreferencesDialog", "the on-demand daemons (always-on ones running is normal)"),
        IconFollows.ALL: QCoreApplication.translate(
            "PreferencesDialog", "every daemon shown in the menu"),
    }


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
        box = QWidget()
        inner = QVBoxLayout(box)
        find = QHBoxLayout()
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(self.tr("Filter by name"))
        self.filter.setAccessibleName(self.tr("Filter daemons by name"))
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._filter)
        find.addWidget(self.filter, 1)
        self.plumbing = QCheckBox(self.tr("Show system plumbing"))
        self.plumbing.setToolTip(self.tr(
            "Infrastructure such as dbus, journald and udevd, which nobody switches by hand"))
        self.plumbing.toggled.connect(self._filter)
        find.addWidget(self.plumbing)
        inner.addLayout(find)
        self.table = DaemonRowsTable()
        inner.addWidget(self.table, 1)
        self.count = QLabel()
        self.count.setEnabled(False)
        inner.addWidget(self.count)

        add = QHBoxLayout()
        add_label = QLabel(self.tr("Add:"))
        add.addWidget(add_label)
        self.add_manager = QComboBox()
        self.add_manager.addItem(self.tr("system"), "system")
        self.add_manager.addItem(self.tr("yours (--user)"), "user")
        self.add_manager.setAccessibleName(self.tr("Manager of the daemon to add"))
        add.addWidget(self.add_manager)
        self.add_name = QLineEdit()
        self.add_name.setPlaceholderText(self.tr("a service, such as podman or cups.service"))
        self.add_name.setAccessibleName(self.tr("Name of the daemon to add"))
        add_label.setBuddy(self.add_name)
        # Return in the name field adds; without the filter the dialog would
        # also take it as a press on OK (QLineEdit passes Return on).
        self.add_name.installEventFilter(self)
        self.filter.installEventFilter(self)  # Return goes to the rows, it does not press OK
        add.addWidget(self.add_name, 1)
        self.add_button = QPushButton(self.tr("Add"))
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(self.add_from_fields)
        add.addWidget(self.add_button)
        inner.addLayout(add)
        self.add_error = QLabel()
        self.add_error.setWordWrap(True)
        self.add_error.hide()
        inner.addWidget(self.add_error)
        follows = QHBoxLayout()
        follows_label = QLabel(self.tr("The icon shows running for:"))
        follows.addWidget(follows_label)
        self.icon_follows = nowheel.guard(QComboBox())
        for choice, label in follows_labels().items():
            self.icon_follows.addItem(label, str(choice))
        self.icon_follows.setCurrentIndex(self.icon_follows.findData(str(current.icon_follows)))
        self.icon_follows.setToolTip(self.tr(
            "With no on-demand daemon shown, the icon follows them all. "
            "Failures show whichever you choose."))
        self.icon_follows.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        follows_label.setBuddy(self.icon_follows)
        self.icon_follows.setAccessibleName(follows_label.text())
        follows.addWidget(self.icon_follows)
        follows.addStretch(1)
        self.pages.addTab(box, self.tr("Daemons"))

        general = QWidget()
        rest = QVBoxLayout(general)
        rest.addLayout(follows)
        self.start_at_login = QCheckBox(self.tr("Start trayapp when I log in"))
        self.start_at_login.setChecked(current.start_at_login)
        self.start_at_login.setToolTip(login_hint())
        rest.addWidget(self.start_at_login)
        hint = QLabel(login_hint())
        hint.setWordWrap(True)
        hint.setEnabled(False)  # greyed: a note, not a control
        rest.addWidget(hint)
        # What works here and what does not: power features, the history (issue 16).
        self.notes = StatusNotes()
        self.notes.show_notes(notes)
        rest.addWidget(self.notes)
        rest.addStretch(1)
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
        for widget, name in ((self.filter, "filter"), (self.plumbing, "plumbing"),
                             (self.table, "table"), (self.add_name, "add-name"),
                             (self.pages.tabBar(), "pages"), (general, "general"),
                             (self.buttons.button(QDialogButtonBox.StandardButton.Ok), "ok"),
                             (self.buttons.button(QDialogButtonBox.StandardButton.Cancel),
                              "cancel")):
            widget.setObjectName(name)  # for the desktop tests' clicks

        watchlist = self._watchlist()
        keys = self._known | set(current.watched) | set(current.hidden) | set(current.daemons)
        for key in sorted(keys, key=_order):
            self._add_row(key, watchlist.shows_key(key))
        self._filter()
        self._placed = False

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
        text = text.strip()
        if not text:
            raise ValueError(self.tr("type the name of a service, such as podman"))
        try:
            unit = daemon_service_name(text)
        except BadUnitName as exc:
            raise ValueError(str(exc)) from None
        if not unit.endswith(".service"):
            # A socket may start a service of another name (Service=): only
            # the user knows which one they mean.
            guess = unit.removesuffix(".socket") + ".service"
            raise ValueError(self.tr("name the service that {unit} starts, such as {guess}")
                             .format(unit=unit, guess=guess))
        key = daemon_key(scope, unit)
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
        if not self._placed:
            self._placed = True
            if not geometry.restore(self, GEOMETRY):
                fit_to_screen(self)
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
