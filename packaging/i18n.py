#!/usr/bin/env python3
"""trayapp's translations: Qt's for the applet, gettext's for the desktop files.

    i18n.py update                 # developers: re-extract the .ts and the .pot, merge the .po
    i18n.py qm DIR                 # compile trayapp/i18n/*.ts into DIR/trayapp_<lang>.qm
    i18n.py desktop DIR            # DIR/<app id>.desktop and .metainfo.xml, translations merged

The applet: ``tr()`` in trayapp/qt and ``translate(context, text)`` /
``QT_TRANSLATE_NOOP`` in trayapp/core (core/words.py) are extracted by
``pyside6-lupdate`` into ``trayapp/i18n/trayapp_<lang>.ts`` (the sources, in
git); ``lrelease`` compiles them into ``.qm`` at package time (the hatch
build hook, hatch_build.py, runs ``qm`` into the wheel; nothing binary is
committed).  ``trayapp_en.ts`` holds only the English plural forms
(lupdate -pluralonly).

The desktop entry and the AppStream metainfo: ``xgettext`` extracts their
texts into ``po/trayapp.pot``, translators fill ``po/<lang>.po`` (listed in
``po/LINGUAS``), and ``msgfmt --desktop`` / ``msgfmt --xml`` (gettext's own
ITS rules for metainfo) merge them at package time.

lrelease is found as: $TRAYAPP_LRELEASE, the lrelease bundled in an
importable PySide6 (a build requirement in pyproject.toml, so pip's isolated
build has it), pyside6-lrelease beside this Python or on PATH, or Qt's
(lrelease-qt6, /usr/lib/qt6/bin/lrelease, lrelease).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TS_DIR = REPO / "trayapp" / "i18n"
PO_DIR = REPO / "po"
APP_ID = "io.github.trayapp.TrayApp"
DESKTOP = REPO / "packaging" / f"{APP_ID}.desktop"
METAINFO = REPO / "packaging" / f"{APP_ID}.metainfo.xml"


def _tool(names: list[str], extra: list[Path]) -> str | None:
    for name in names:
        beside = Path(sys.executable).parent / name
        if beside.is_file() and os.access(beside, os.X_OK):
            return str(beside)
        found = shutil.which(name)
        if found:
            return found
    for path in extra:
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    return None


def _pyside_dir() -> list[Path]:
    try:
        import PySide6
    except ImportError:
        return []
    return [Path(PySide6.__file__).parent]


def lrelease() -> list[str]:
    """The command that compiles a .ts into a .qm."""
    if os.environ.get("TRAYAPP_LRELEASE"):
        return [os.environ["TRAYAPP_LRELEASE"]]
    # PySide6's own binary first: pip's isolated build (pipx install .) imports the
    # build environment's PySide6 (pyproject's build requirement), while the
    # pyside6-lrelease beside sys.executable is a script of a venv the isolation hides.
    found = _tool([], [d / "lrelease" for d in _pyside_dir()])
    found = found or _tool(["pyside6-lrelease"], [])
    qt6 = [Path("/usr/lib/qt6/bin/lrelease"), Path("/usr/lib/qt6/libexec/lrelease")]
    found = found or _tool(["lrelease-qt6", "lrelease6"], qt6)
    found = found or _tool(["lrelease"], [])
    if found is None:
        raise SystemExit("i18n.py: no lrelease: install PySide6 (pyside6-lrelease) or Qt's "
                         "l10n tools (Debian: qt6-l10n-tools), or set TRAYAPP_LRELEASE")
    return [found]


def lupdate() -> list[str]:
    found = _tool(["pyside6-lupdate"], [d / "lupdate" for d in _pyside_dir()])
    if found is None:
        raise SystemExit("i18n.py: no pyside6-lupdate (install PySide6)")
    return [found]


def languages() -> list[str]:
    """The languages with a .ts (English: plural forms only)."""
    return sorted(p.stem.removeprefix("trayapp_") for p in TS_DIR.glob("trayapp_*.ts"))


def po_languages() -> list[str]:
    text = (PO_DIR / "LINGUAS").read_text(encoding="utf-8")
    return [w for line in text.splitlines() for w in line.split("#")[0].split()]


def run(argv: list[str], **kw: object) -> None:
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, **kw)  # type: ignore[call-overload]


# -- the applet (Qt) ------------------------------------------------------------------


def update_ts(ts: Path | None = None, source: Path = REPO / "trayapp") -> None:
    """Re-extract every string of ``source`` into the .ts files (or only ``ts``)."""
    targets = [ts] if ts else sorted(TS_DIR.glob("trayapp_*.ts"))
    for target in targets:
        lang = target.stem.removeprefix("trayapp_")
        extra = ["-pluralonly"] if lang == "en" else []
        run([*lupdate(), "-extensions", "py", "-locations", "relative", "-no-obsolete",
             "-target-language", lang, *extra, str(source), "-ts", str(target)], cwd=REPO)


def build_qm(out: Path) -> list[Path]:
    """Compile every .ts into ``out``; returns the .qm files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for ts in sorted(TS_DIR.glob("trayapp_*.ts")):
        qm = out / f"{ts.stem}.qm"
        try:
            run([*lrelease(), "-silent", str(ts), "-qm", str(qm)])
        except subprocess.CalledProcessError as exc:
            raise SystemExit(f"i18n.py: {exc}") from None
        if not qm.is_file():
            raise SystemExit(f"i18n.py: lrelease wrote no {qm}")
        written.append(qm)
    return written


# -- the desktop entry and metainfo (gettext) ------------------------------------------


def update_po() -> None:
    pot = PO_DIR / "trayapp.pot"
    fresh = PO_DIR / "trayapp.pot.new"
    run(["xgettext", "--from-code=UTF-8", "--package-name=trayapp", "--no-wrap",
         "-o", str(fresh), str(DESKTOP.relative_to(REPO)), str(METAINFO.relative_to(REPO))],
        cwd=REPO)

    def body(path: Path) -> list[str]:  # without the date, which changes every run
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        return [line for line in lines if not line.startswith('"POT-Creation-Date:')]

    if body(fresh) == body(pot):
        fresh.unlink()
    else:
        fresh.replace(pot)
    for lang in po_languages():
        po = PO_DIR / f"{lang}.po"
        if not po.exists():
            run(["msginit", "--no-translator", "--no-wrap", "-l", f"{lang}.UTF-8", "-i", str(pot),
                 "-o", str(po)])
            continue
        run(["msgmerge", "--quiet", "--update", "--no-wrap", "--backup=none",
             str(PO_DIR / f"{lang}.po"), str(pot)])


def merge_desktop_files(out: Path) -> list[Path]:
    """The desktop entry and the metainfo with every language's texts merged in."""
    out.mkdir(parents=True, exist_ok=True)
    desktop, metainfo = out / DESKTOP.name, out / METAINFO.name
    run(["msgfmt", "--desktop", f"--template={DESKTOP}", "-d", str(PO_DIR), "-o", str(desktop)])
    run(["msgfmt", "--xml", f"--template={METAINFO}", "-d", str(PO_DIR), "-o", str(metainfo)])
    return [desktop, metainfo]


def main(argv: list[str]) -> int:
    if argv[:1] == ["update"]:
        update_ts()
        update_po()
        return 0
    if argv == ["lrelease"]:
        print(lrelease()[0])
        return 0
    if len(argv) == 2 and argv[0] == "qm":
        for path in build_qm(Path(argv[1])):
            print(path)
        return 0
    if len(argv) == 2 and argv[0] == "desktop":
        for path in merge_desktop_files(Path(argv[1])):
            print(path)
        return 0
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
