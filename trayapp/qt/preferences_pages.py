"""The Preferences window's two pages: the daemons, and the rest ("General").

The daemons get a page of their own so their list gets the height (a laptop
at 2x): a filter by name, "Show system plumbing", the table of daemons, how
many are shown, and a line to add a daemon by name.  The General page holds
what the icon follows, start at login with its hint, and the status notes.

The pages only build and hold their widgets; filtering, adding a daemon and
what the user's edits mean (the new Settings) are the dialog's
(preferences.py), which also holds the counted texts: lupdate takes a plural
only from tr() with a variable count.  The texts keep the translation context
``PreferencesDialog``, so the catalogue's entries for the dialog still apply.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from trayapp.core.settings import IconFollows
from trayapp.core.status_notes import StatusNote

from . import nowheel
from .daemon_rows import DaemonRowsTable
from .status_notes import StatusNotes

translate = QCoreApplication.translate


def login_hint() -> str:
    return translate(
        "PreferencesDialog",
        "Starts trayapp from your desktop's autostart folder. The alternative is "
        "the systemd user unit (systemctl --user enable trayapp.service); "
        "use one or the other: with both, the second copy only finds the first and exits.")


def follows_labels() -> dict[IconFollows, str]:
    """The icon_follows choices as the dialog offers them."""
    return {
        IconFollows.ON_DEMAND: translate(
            "PreferencesDialog", "the on-demand daemons (always-on ones running is normal)"),
        IconFollows.ALL: translate(
            "PreferencesDialog", "every daemon shown in the menu"),
    }


class DaemonsPage(QWidget):
    """The daemons: filter, table, count, and the line to add one by name."""

    def __init__(self) -> None:
        super().__init__()
        inner = QVBoxLayout(self)
        find = QHBoxLayout()
        self.filter = QLineEdit()
        self.filter.setObjectName("filter")  # names for the desktop tests' clicks
        self.filter.setPlaceholderText(translate("PreferencesDialog", "Filter by name"))
        self.filter.setAccessibleName(translate("PreferencesDialog", "Filter daemons by name"))
        self.filter.setClearButtonEnabled(True)
        find.addWidget(self.filter, 1)
        self.plumbing = QCheckBox(translate("PreferencesDialog", "Show system plumbing"))
        self.plumbing.setObjectName("plumbing")
        self.plumbing.setToolTip(translate(
            "PreferencesDialog",
            "Infrastructure such as dbus, journald and udevd, which nobody switches by hand"))
        find.addWidget(self.plumbing)
        inner.addLayout(find)
        self.table = DaemonRowsTable()
        self.table.setObjectName("table")
        inner.addWidget(self.table, 1)
        self.count = QLabel()
        self.count.setEnabled(False)
        inner.addWidget(self.count)
        inner.addLayout(self._add_line())
        self.add_error = QLabel()
        self.add_error.setWordWrap(True)
        self.add_error.hide()
        inner.addWidget(self.add_error)

    def _add_line(self) -> QHBoxLayout:
        """Add: [manager] [name] [Add]."""
        add = QHBoxLayout()
        add_label = QLabel(translate("PreferencesDialog", "Add:"))
        add.addWidget(add_label)
        self.add_manager = QComboBox()
        self.add_manager.addItem(translate("PreferencesDialog", "system"), "system")
        self.add_manager.addItem(translate("PreferencesDialog", "yours (--user)"), "user")
        self.add_manager.setAccessibleName(
            translate("PreferencesDialog", "Manager of the daemon to add"))
        add.addWidget(self.add_manager)
        self.add_name = QLineEdit()
        self.add_name.setObjectName("add-name")
        self.add_name.setPlaceholderText(
            translate("PreferencesDialog", "a service, such as podman or cups.service"))
        self.add_name.setAccessibleName(
            translate("PreferencesDialog", "Name of the daemon to add"))
        add_label.setBuddy(self.add_name)
        add.addWidget(self.add_name, 1)
        self.add_button = QPushButton(translate("PreferencesDialog", "Add"))
        self.add_button.setAutoDefault(False)
        add.addWidget(self.add_button)
        return add


class GeneralPage(QWidget):
    """The rest: what the icon follows, start at login, the status notes."""

    def __init__(self, icon_follows: IconFollows, start_at_login: bool,
                 notes: Sequence[StatusNote]) -> None:
        super().__init__()
        self.setObjectName("general")
        follows = QHBoxLayout()
        follows_label = QLabel(translate("PreferencesDialog", "The icon shows running for:"))
        follows.addWidget(follows_label)
        self.icon_follows = nowheel.guard(QComboBox())
        for choice, label in follows_labels().items():
            self.icon_follows.addItem(label, str(choice))
        self.icon_follows.setCurrentIndex(self.icon_follows.findData(str(icon_follows)))
        self.icon_follows.setToolTip(translate(
            "PreferencesDialog",
            "With no on-demand daemon shown, the icon follows them all. "
            "Failures show whichever you choose."))
        self.icon_follows.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        follows_label.setBuddy(self.icon_follows)
        self.icon_follows.setAccessibleName(follows_label.text())
        follows.addWidget(self.icon_follows)
        follows.addStretch(1)
        rest = QVBoxLayout(self)
        rest.addLayout(follows)
        self.start_at_login = QCheckBox(translate("PreferencesDialog",
                                                  "Start trayapp when I log in"))
        self.start_at_login.setChecked(start_at_login)
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
