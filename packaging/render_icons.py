#!/usr/bin/env python3
"""Render trayapp's SVG icons with Qt: a contact sheet, and the hicolor PNGs.

    render_icons.py --sheet /tmp/icons.png        # look at every icon
    render_icons.py --hicolor DIR                  # DIR/<n>x<n>/apps/<APP_ID>.png

The contact sheet has one row per icon in trayapp/icons/ and shows it at
16, 22, 32 and 48 px on a light (#f0f0f0) and a dark (#2b2b2b) panel, then the
16 and 22 px renderings blown up 4x without smoothing, so that what a panel
really shows (every pixel) can be judged on screen.  A -symbolic icon is
drawn in each panel's text colour, as Plasma and GNOME recolour it.  The
README's copy is resources/screenshots/icons.png.

--hicolor writes the application icon as PNG at the sizes desktop
environments look for, in the layout of the hicolor icon theme, plus the SVG
under scalable/apps/, and the state icons (full colour and -symbolic) under
scalable/status/; point DIR at <prefix>/share/icons/hicolor.

Uses QSvgRenderer (PySide6.QtSvg, part of PySide6-Essentials) so that the
icons are drawn by the same renderer the applet uses; needs no display
(QT_QPA_PLATFORM defaults to offscreen here).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ICONS = REPO / "trayapp" / "icons"
sys.path.insert(0, str(REPO))

from trayapp import APP_ID  # noqa: E402  (needs the sys.path line above)

HICOLOR_SIZES = (16, 22, 24, 32, 48, 64, 128, 256)
SHEET_SIZES = (16, 22, 32, 48)
# (name, background, text colour): a -symbolic icon is drawn in the panel's
# text colour, as Plasma and GNOME recolour it.
PANELS = (("light", "#f0f0f0", "#232629"), ("dark", "#2b2b2b", "#fcfcfc"))
# The colour the -symbolic SVGs carry for ColorScheme-Text (Breeze's text colour).
SYMBOLIC_COLOUR = "#232629"
ZOOM = 4
# The order of the applet's states, then the application icon.
ORDER = ("dormant", "running", "busy", "failed", "disconnected")


def icon_files() -> list[Path]:
    found = {p.stem: p for p in ICONS.glob("*.svg")}
    stems = [f"trayapp-{state}{kind}" for kind in ("", "-symbolic") for state in ORDER]
    ordered = [found.pop(stem) for stem in stems if stem in found]
    app = found.pop(APP_ID, None)
    return ordered + sorted(found.values()) + ([app] if app else [])


def render(svg: Path, size: int, background: str | None = None,
           text: str = SYMBOLIC_COLOUR):  # -> QImage
    """``svg`` at ``size`` px; a -symbolic one in the ``text`` colour."""
    from PySide6.QtCore import QByteArray, QRectF, Qt
    from PySide6.QtGui import QColor, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    data = svg.read_text(encoding="utf-8")
    if svg.stem.endswith("-symbolic"):
        data = data.replace(SYMBOLIC_COLOUR, text)
    renderer = QSvgRenderer(QByteArray(data.encode()))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: Qt cannot read this SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor(background) if background else Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def write_hicolor(out: Path) -> list[Path]:
    """The app icon as PNGs and SVG under apps/; the state icons under
    scalable/status/ (full colour and -symbolic), for panels that look
    icons up by name and recolour the -symbolic ones."""
    svg = ICONS / f"{APP_ID}.svg"
    written = []
    for state in sorted(ICONS.glob("trayapp-*.svg")):
        target = out / "scalable" / "status" / state.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(state, target)
        written.append(target)
    for size in HICOLOR_SIZES:
        target = out / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not render(svg, size).save(str(target), "PNG"):
            raise SystemExit(f"could not write {target}")
        written.append(target)
    scalable = out / "scalable" / "apps" / f"{APP_ID}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(svg, scalable)
    written.append(scalable)
    return written


def write_sheet(out: Path) -> None:
    from PySide6.QtCore import QRect, Qt
    from PySide6.QtGui import QColor, QFont, QImage, QPainter

    files = icon_files()
    pad, label_w, header_h = 12, 200, 24
    cell = max(SHEET_SIZES) + pad  # one rendering at its own size
    zoom_cells = [s * ZOOM + pad for s in (16, 22)]
    panel_w = cell * len(SHEET_SIZES) + sum(zoom_cells) + pad
    row_h = max(22 * ZOOM, max(SHEET_SIZES)) + pad
    width = label_w + panel_w * len(PANELS)
    height = header_h + row_h * len(files)

    sheet = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
    sheet.fill(QColor("#ffffff"))
    p = QPainter(sheet)
    p.setFont(QFont("DejaVu Sans", 9))
    for i, (name, colour, _text) in enumerate(PANELS):
        x0 = label_w + i * panel_w
        p.fillRect(QRect(x0, 0, panel_w, height), QColor(colour))
        p.setPen(QColor("#000000" if name == "light" else "#ffffff"))
        heads = [f"{s}px" for s in SHEET_SIZES] + [f"16px x{ZOOM}", f"22px x{ZOOM}"]
        widths = [cell] * len(SHEET_SIZES) + zoom_cells
        x = x0 + pad // 2
        for head, w in zip(heads, widths, strict=True):
            p.drawText(QRect(x, 0, w, header_h), Qt.AlignmentFlag.AlignCenter, head)
            x += w
    for row, svg in enumerate(files):
        y0 = header_h + row * row_h
        p.setPen(QColor("#000000"))
        p.drawText(
            QRect(6, y0, label_w - 12, row_h),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            svg.stem.removeprefix("trayapp-"),
        )
        for i, (_, colour, text) in enumerate(PANELS):
            x = label_w + i * panel_w + pad // 2
            for size in SHEET_SIZES:
                img = render(svg, size, colour, text)
                p.drawImage(x + (cell - size) // 2, y0 + (row_h - size) // 2, img)
                x += cell
            for size, w in zip((16, 22), zoom_cells, strict=True):
                big = render(svg, size, colour, text).scaled(
                    size * ZOOM, size * ZOOM, mode=Qt.TransformationMode.FastTransformation
                )
                p.drawImage(x + (w - big.width()) // 2, y0 + (row_h - big.height()) // 2, big)
                x += w
    p.end()
    if not sheet.save(str(out), "PNG"):
        raise SystemExit(f"could not write {out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sheet", type=Path, help="write the contact sheet PNG here")
    parser.add_argument("--hicolor", type=Path, help="write the app icon PNGs under this dir")
    args = parser.parse_args(argv)
    if not (args.sheet or args.hicolor):
        parser.error("say --sheet FILE, --hicolor DIR, or both")

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])  # fonts need one
    if args.sheet:
        write_sheet(args.sheet)
        print(args.sheet)
    if args.hicolor:
        for path in write_hicolor(args.hicolor):
            print(path)
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
