"""The state icons: one shape per state, monochrome variants panels recolour,
the rule that picks a set, and notifications whose icon matches the event."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path

import pytest

from tests.support import set_state
from tests.test_announce import make
from trayapp.core.model import DaemonState, Manager
from trayapp.core.outcome import Outcome, Status
from trayapp.core.plans import Action
from trayapp.core.summary import ICON_NAMES, TrayStatus, icon_name, wants_symbolic

ICONS = Path(__file__).resolve().parents[1] / "trayapp" / "icons"
STATES = list(TrayStatus)


def mask(path: Path, size: int) -> list[bool]:
    """Which pixels the icon covers at ``size`` px (alpha over half), or for a
    full-colour icon, which are its white glyph."""
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(path))
    assert renderer.isValid(), path
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    symbolic = path.stem.endswith("-symbolic")
    out = []
    for y in range(size):
        for x in range(size):
            c = image.pixelColor(x, y)
            out.append(c.alpha() > 128 if symbolic else min(c.red(), c.green(), c.blue()) > 200)
    return out


def overlap(a: list[bool], b: list[bool]) -> float:
    """Intersection over union of two masks: 1.0 means the same shape."""
    union = sum(x or y for x, y in zip(a, b, strict=True))
    return sum(x and y for x, y in zip(a, b, strict=True)) / union if union else 1.0


@pytest.mark.usefixtures("qapp")
@pytest.mark.parametrize("size", [16, 22, 32])
@pytest.mark.parametrize("symbolic", [True, False])
def test_every_state_has_its_own_shape(size: int, symbolic: bool) -> None:
    """Shape, not only colour: at panel sizes no two glyphs cover nearly the same pixels."""
    masks = {s: mask(ICONS / f"{icon_name(s, symbolic)}.svg", size) for s in STATES}
    for a, b in combinations(STATES, 2):
        assert overlap(masks[a], masks[b]) < 0.6, (a, b, size, overlap(masks[a], masks[b]))


@pytest.mark.parametrize("status", STATES)
def test_symbolic_icons_are_one_colour_that_plasma_recolours(status: TrayStatus) -> None:
    text = (ICONS / f"{ICON_NAMES[status]}-symbolic.svg").read_text()
    assert '<style id="current-color-scheme"' in text and ".ColorScheme-Text" in text
    assert 'class="ColorScheme-Text"' in text
    # Every colour in it is the stylesheet's one text colour or currentColor.
    colours = set(re.findall(r"#[0-9a-fA-F]{3,6}\b", text))
    assert colours == {"#232629"}, colours
    paints = set(re.findall(r'(?:fill|stroke)="([^"]+)"', text)) - {"none"}
    assert paints == {"currentColor"}, paints


@pytest.mark.parametrize(("desktop", "override", "symbolic"), [
    ("KDE", "", True), ("GNOME", "", True), ("ubuntu:GNOME", "", True), ("kde", "", True),
    ("XFCE", "", False), ("X-Cinnamon", "", False), ("", "", False), ("LXQt", "", False),
    ("GNOME-Flashback:GNOME", "", True), ("KDE", "colour", False), ("XFCE", "symbolic", True),
])  # fmt: skip
def test_the_rule_that_picks_the_set(desktop: str, override: str, symbolic: bool) -> None:
    assert wants_symbolic(desktop, override) is symbolic


@pytest.fixture
def icon_env() -> Iterator[None]:
    from trayapp.qt import icons

    saved = {k: os.environ.get(k) for k in ("XDG_CURRENT_DESKTOP", "TRAYAPP_ICONS")}
    icons.status_icon.cache_clear()
    yield
    icons.status_icon.cache_clear()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.mark.usefixtures("qapp", "icon_env")
def test_on_kde_the_tray_draws_the_symbolic_glyph_in_the_palette_text_colour() -> None:
    """Not installed in the icon theme here, so the file is recoloured."""
    from PySide6.QtGui import QGuiApplication

    from trayapp.qt import icons

    os.environ["XDG_CURRENT_DESKTOP"] = "KDE"
    os.environ.pop("TRAYAPP_ICONS", None)
    image = icons.status_icon(TrayStatus.FAILED).pixmap(22, 22).toImage()
    text = QGuiApplication.palette().windowText().color()
    opaque = {image.pixelColor(x, y).name() for x in range(22) for y in range(22)
              if image.pixelColor(x, y).alpha() == 255}
    assert opaque == {text.name()}, opaque
    os.environ["XDG_CURRENT_DESKTOP"] = "XFCE"
    icons.status_icon.cache_clear()
    image = icons.status_icon(TrayStatus.FAILED).pixmap(22, 22).toImage()
    reds = [image.pixelColor(x, y) for x in range(22) for y in range(22)]
    assert any(c.red() > 180 and c.green() < 90 for c in reds)  # the full-colour one


def test_a_crash_notification_shows_the_failed_glyph_and_a_wake_the_running_one() -> None:
    r = make(DaemonState.DORMANT)
    set_state(r.table, Manager.SYSTEM, "x", DaemonState.RUNNING)
    set_state(r.table, Manager.SYSTEM, "x", DaemonState.FAILED)
    icons = [Path(n["icon"]).name for n in r.notifier.shown]
    assert icons == ["trayapp-running.svg", "trayapp-failed.svg"], r.notifier.shown
    r.announcer.on_outcome(Outcome(Action.STOP, Manager.SYSTEM, "x.service", Status.DONE,
                                   "x stopped.", steps_done=("stop",)))
    r.announcer.on_outcome(Outcome(Action.START, Manager.SYSTEM, "x.service", Status.FAILED,
                                   "Could not start x: boom."))
    icons = [Path(n["icon"]).name for n in r.notifier.shown[2:]]
    assert icons == ["trayapp-dormant.svg", "trayapp-failed.svg"]
