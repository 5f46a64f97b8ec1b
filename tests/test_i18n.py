"""Translations: every visible string goes through Qt's system, and German is complete.

The .ts sources (trayapp/i18n/) are checked as they are and against a fresh
extraction of the tree, so a string added without a translation fails here.
The .qm catalogues are compiled into a temporary directory (nothing binary is
in git) by packaging/i18n.py, the same code the wheel's build hook runs.
"""

from __future__ import annotations

import ast
import re
import shutil
import string
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import table_with
from trayapp.core import words
from trayapp.core.model import DaemonMode, DaemonState

REPO = Path(__file__).resolve().parents[1]
TS_DIR = REPO / "trayapp" / "i18n"
sys.path.insert(0, str(REPO / "packaging"))
import i18n  # noqa: E402  (packaging/i18n.py, the build's own code)

APP_ID = "io.github.trayapp.TrayApp"


def messages(ts: Path) -> Iterator[tuple[str, ET.Element]]:
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            yield name, message


def problems(ts: Path) -> list[str]:
    """Every message of ``ts`` that is not fully translated, or whose placeholders differ."""
    found = []
    for context, m in messages(ts):
        source = m.findtext("source") or ""
        t = m.find("translation")
        where = f"{ts.name}: {context}: {source!r}"
        if t is None or t.get("type") in ("unfinished", "vanished", "obsolete"):
            found.append(f"{where}: {t.get('type') if t is not None else 'missing'}")
            continue
        if m.get("numerus") == "yes":
            forms = [f.text or "" for f in t.iter("numerusform")]
        else:
            forms = [t.text or ""]
        for form in forms:
            if not form.strip():
                found.append(f"{where}: empty")
            elif fields(form) != fields(source):
                found.append(f"{where}: placeholders {fields(form)} != {fields(source)}")
    return found


def fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}


@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_message_is_translated(lang: str) -> None:
    ts = TS_DIR / f"trayapp_{lang}.ts"
    assert list(messages(ts)), "an empty catalogue proves nothing"
    assert problems(ts) == []


@pytest.mark.parametrize("lang", ["de", "en"])
def test_the_catalogue_holds_every_string_of_the_tree(lang: str, tmp_path: Path) -> None:
    """A fresh pyside6-lupdate over trayapp/ finds nothing new: no string slipped by."""
    fresh = tmp_path / f"trayapp_{lang}.ts"
    shutil.copyfile(TS_DIR / fresh.name, fresh)
    i18n.update_ts(fresh)
    assert problems(fresh) == [], "run: python packaging/i18n.py update, then translate"
    before = {(c, m.findtext("source")) for c, m in messages(TS_DIR / fresh.name)}
    after = {(c, m.findtext("source")) for c, m in messages(fresh)}
    assert after == before, "stale catalogue: python packaging/i18n.py update"


def unmarked_constants(source: str) -> list[str]:
    """The module constants handed to ``tr()`` or ``translate()`` that are not marked
    with QT_TRANSLATE_NOOP: pyside6-lupdate reads only literals and marks, so their
    text would stay English in every language."""
    tree = ast.parse(source)
    marked = {t.id for node in tree.body if isinstance(node, ast.Assign)
              and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name)
              and node.value.func.id == "QT_TRANSLATE_NOOP"
              for t in node.targets if isinstance(t, ast.Name)}
    constants = {t.id for node in tree.body if isinstance(node, ast.Assign)
                 for t in node.targets if isinstance(t, ast.Name)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
        text = (node.args[0] if name == "tr" and node.args else
                node.args[1] if name == "translate" and len(node.args) > 1 else None)
        if isinstance(text, ast.Name) and text.id in constants and text.id not in marked:
            found.append(f"line {node.lineno}: {text.id}")
    return found


def test_unmarked_constants_are_seen() -> None:
    assert unmarked_constants('A = "x"\nself.tr(A)\n') == ["line 2: A"]
    assert unmarked_constants('A = QT_TRANSLATE_NOOP("C", "x")\nself.tr(A)\n') == []


@pytest.mark.parametrize("path", sorted((REPO / "trayapp").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(REPO)))
def test_every_constant_shown_translated_is_marked(path: Path) -> None:
    """The History window's legend once said "running / not seen ending" in German."""
    assert unmarked_constants(path.read_text(encoding="utf-8")) == []


def test_german_covers_the_core_words_and_the_windows() -> None:
    contexts = {c for c, _ in messages(TS_DIR / "trayapp_de.ts")}
    assert {"summary", "notices", "outcome", "units"} <= contexts  # core, through the marker
    assert any(c[:1].isupper() for c in contexts)  # and the Qt classes' own tr()


def test_english_plurals_match_core() -> None:
    """core.words says "1 wake" without Qt; the English catalogue says the same with it."""
    core = 0
    for context, m in messages(TS_DIR / "trayapp_en.ts"):
        if context[:1].isupper():
            continue  # a Qt class's tr(), never said without Qt
        one, many = [f.text for f in m.iter("numerusform")]
        source = m.findtext("source") or ""
        assert (one, many) == (words.ENGLISH_ONE[source], source)
        core += 1
    assert core == len(words.ENGLISH_ONE)


@pytest.fixture
def catalogues(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The .qm files compiled as the build does, where the applet looks first."""
    i18n.build_qm(tmp_path / "i18n")
    monkeypatch.setenv("TRAYAPP_RESOURCES", str(tmp_path))
    return tmp_path


@pytest.mark.usefixtures("qapp")
def test_the_applet_speaks_german(catalogues: Path) -> None:
    from PySide6.QtCore import QCoreApplication, QLocale
    from PySide6.QtWidgets import QDialogButtonBox

    from trayapp.core.daemon_words import mode_label, state_label
    from trayapp.core.summary import row, tooltip_text
    from trayapp.qt import translate

    app = QCoreApplication.instance()
    assert app is not None
    loaded = translate.install(app, QLocale("de_DE"))
    try:
        assert [Path(p).name for p in loaded] == ["trayapp_de.qm", "qtbase_de.qm"]
        [d] = table_with(("docker", DaemonState.DORMANT, DaemonMode.ON_DEMAND)).daemons()
        r = row(d, 0)
        assert r.title == "docker: schläft, bei Bedarf", r.title
        assert [i.label for i in r.items][:2] == ["Auf „bei Bedarf“ umschalten",
                                                  "Auf „immer an“ umschalten"]
        assert words.count(words.WAKES, 1) == "1 Weckruf"
        assert words.duration(3 * 86400) == "3 Tagen"  # dative: "seit 3 Tagen", "in 3 Tagen"
        assert tooltip_text([], 0) == "Keine Dienste angezeigt"
        # The menu's and the window's words, derived in core once.
        assert state_label(DaemonState.DORMANT) == "schläft"
        assert [mode_label(m) for m in (DaemonMode.ALWAYS_ON, DaemonMode.ON_DEMAND,
                                        DaemonMode.ON_DEMAND_PROXY)] == [
            "Immer an", "Bei Bedarf", "Bei Bedarf (Proxy)"]
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        assert box.buttons()[0].text() == "Abbrechen"  # Qt's own catalogue
    finally:
        translate.uninstall(app)
    assert row(d, 0).title == "docker: dormant, on-demand"  # English again


@pytest.mark.usefixtures("qapp")
def test_a_language_without_a_catalogue_stays_english(catalogues: Path) -> None:
    from PySide6.QtCore import QCoreApplication, QLocale
    from PySide6.QtWidgets import QDialogButtonBox

    from trayapp.core.summary import tooltip_text
    from trayapp.qt import translate

    app = QCoreApplication.instance()
    assert app is not None
    try:
        loaded = translate.install(app, QLocale("en_GB"))
        assert [Path(p).name for p in loaded][:1] == ["trayapp_en.qm"]
        assert tooltip_text([], 0) == "No daemons shown"
        assert words.count(words.WAKES, 1) == "1 wake"
        # French: no trayapp catalogue, so no Qt one either (one language throughout).
        assert translate.install(app, QLocale("fr_FR")) == []
        assert words.count(words.WAKES, 1) == "1 wake"  # core's English, not Qt's "1 wakes"
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        assert box.buttons()[0].text() == "Cancel"
    finally:
        translate.uninstall(app)


# -- the desktop entry and the metainfo (gettext) -----------------------------------------


def test_po_files_are_complete() -> None:
    for lang in i18n.po_languages():
        res = subprocess.run(["msgfmt", "--check", "--statistics", "-o", "/dev/null",
                              str(REPO / "po" / f"{lang}.po")],
                             capture_output=True, text=True, check=False)
        assert res.returncode == 0, res.stderr
        assert re.fullmatch(r"\d+ translated messages?\.\n", res.stderr), res.stderr


def test_translated_desktop_files_validate(tmp_path: Path) -> None:
    desktop, metainfo = i18n.merge_desktop_files(tmp_path)
    text = desktop.read_text(encoding="utf-8")
    assert "Comment[de]=" in text and "GenericName[de]=Dienstüberwachung" in text
    res = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True,
                         text=True, check=False)
    assert res.returncode == 0 and not (res.stdout + res.stderr).strip(), res.stdout + res.stderr
    xml = metainfo.read_text(encoding="utf-8")
    assert '<summary xml:lang="de">' in xml and '<li xml:lang="de">' in xml
    assert '<name xml:lang="de">' not in xml  # the name is not translated
    res = subprocess.run(["appstreamcli", "validate", "--no-net", "--no-color", str(metainfo)],
                         capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
