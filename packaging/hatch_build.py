"""The wheel's translations, made at package time (hatchling build hook).

Compiles trayapp/i18n/*.ts into trayapp/i18n/*.qm inside the wheel, and puts
the desktop entry and the AppStream metainfo into share/ with every po/
language merged in (packaging/i18n.py does both; it needs lrelease and
gettext's msgfmt).  The state icons go to share/icons/hicolor/scalable/status
for panels that look them up by name.  Nothing binary is kept in git.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class TranslationsHook(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        script = root / "packaging" / "i18n.py"
        spec = importlib.util.spec_from_file_location("trayapp_i18n", script)
        assert spec is not None and spec.loader is not None
        i18n = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(i18n)
        out = root / "build" / "i18n"
        # Without lrelease (or msgfmt) the wheel is still made, in English, and
        # says so: a distribution's build may lack Qt's l10n tools (Debian:
        # qt6-l10n-tools).  build.sh always has them; tests/test_packaging.py
        # checks that its wheel holds every catalogue.
        # pip's isolated build (pipx install .) has PySide6's lrelease: PySide6 is a
        # build requirement (pyproject.toml).  An editable install runs from the
        # checkout and takes no .qm along.
        editable = version == "editable"
        try:
            for qm in [] if editable else i18n.build_qm(out / "qm"):
                build_data["force_include"][str(qm)] = f"trayapp/i18n/{qm.name}"
        except SystemExit as exc:
            self.app.display_warning(f"trayapp: no translations for the applet: {exc}")
        try:
            desktop, metainfo = i18n.merge_desktop_files(out / "share")
        except FileNotFoundError as exc:  # no msgfmt
            self.app.display_warning(f"trayapp: desktop files not translated: {exc}")
            desktop, metainfo = i18n.DESKTOP, i18n.METAINFO
        shared = build_data["shared_data"]
        shared[str(desktop)] = f"share/applications/{desktop.name}"
        shared[str(metainfo)] = f"share/metainfo/{metainfo.name}"
        for icon in sorted((root / "trayapp" / "icons").glob("trayapp-*.svg")):
            shared[str(icon)] = f"share/icons/hicolor/scalable/status/{icon.name}"
