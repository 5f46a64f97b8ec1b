"""The words both front ends say, and the hook that translates them.

Every sentence a user reads is written in core once and used by the CLI and
the windows alike.  Core is stdlib-only, so it cannot call Qt: it marks each
text with ``translate(context, text)``, a function of the same name and
arguments as ``QCoreApplication.translate``, which ``pyside6-lupdate`` reads
when it extracts ``trayapp/i18n/*.ts`` from the source tree.  At run time
``translate`` calls the installed translator: English (the identity, with
English plurals) until the Qt applet installs Qt's (trayapp/qt/translate.py).
The CLI never installs one and stays English.

Placeholders are ``{name}`` fields, filled after translating; a count is
``%n`` with ``n`` passed, as in Qt, so a language can have its own plural
forms.  Texts built at import time (tables of labels) are ``Labels``, which
translate when looked up, not when built.
"""

from __future__ import annotations

import difflib
import string
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TypeVar

# (context, text, disambiguation, n) -> the text in the user's language.
Translator = Callable[[str, str, "str | None", int], str]


class _Plurals:
    """Marks a counted text for pyside6-lupdate, which takes a call for a
    plural ("numerus") message only when its count is a literal number."""

    @staticmethod
    def translate(context: str, text: str, disambiguation: str | None = None,
                  n: int = 0) -> str:
        return text


plural = _Plurals()
# The counted texts; say them with count(), which passes the real number.
DAYS = plural.translate("units", "%n days", None, 2)
WAKES = plural.translate("units", "%n wakes", None, 2)

# English forms for n == 1 of the counted texts (the source texts are the
# plural forms), for when no translator is installed (the CLI).  A test checks
# that every counted text core marks has one.
ENGLISH_ONE: dict[str, str] = {
    DAYS: "%n day",
    WAKES: "%n wake",
    "%n sockets": "%n socket",  # core/daemon_words.py's SOCKETS
    "The %n steps already done were rolled back.": "The step already done was rolled back.",
    "Rolling back the %n steps already done was incomplete ({errors}).":
        "Rolling back the step already done was incomplete ({errors}).",
}


def _english(context: str, text: str, disambiguation: str | None = None, n: int = -1) -> str:
    if n < 0:
        return text
    if n == 1:
        text = ENGLISH_ONE.get(text, text)
    return text.replace("%n", str(n))


_translator: Translator = _english


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # Qt's name: lupdate reads it
    """Marks ``text`` for pyside6-lupdate; translated later, where it is shown."""
    return text


def set_translator(translator: Translator | None) -> None:
    """Install the applet's translator; None: back to English."""
    global _translator
    _translator = translator or _english


def translate(context: str, text: str, disambiguation: str | None = None, n: int = -1) -> str:
    """``text`` in the user's language (a marker for pyside6-lupdate, too).

    A translator that fails or loses a placeholder gives the English text:
    a sentence in the wrong language beats a crash in a notification.
    """
    try:
        out = _translator(context, text, disambiguation, n)
    except Exception:  # a broken translation never takes a view down
        out = ""
    if not out or _fields(out) != _fields(text):
        return _english(context, text, disambiguation, n)
    return out


def _fields(text: str) -> set[str]:
    try:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    except ValueError:
        return {"\0broken"}


K = TypeVar("K")


class Labels(Mapping[K, str]):
    """A table of texts that are translated when looked up (built at import)."""

    def __init__(self, context: str, texts: Mapping[K, str]) -> None:
        self.context = context
        self._texts = dict(texts)

    def __getitem__(self, key: K) -> str:
        return translate(self.context, self._texts[key])

    def __iter__(self) -> Iterator[K]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)


# -- units ----------------------------------------------------------------------


def duration(seconds: float) -> str:
    """``42 s``, ``5 min``, ``3 h 20 min``, ``2 days``: a span as people say it."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return translate("units", "{n} s").format(n=seconds)
    minutes = seconds // 60
    if minutes < 60:
        return translate("units", "{n} min").format(n=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        if minutes:
            return translate("units", "{h} h {m} min").format(h=hours, m=minutes)
        return translate("units", "{h} h").format(h=hours)
    return count(DAYS, hours // 24)


def duration_changes_in(seconds: float) -> float:
    """Seconds until ``duration(seconds)`` reads differently: a view showing a span
    redraws then, and not before (issue 23: "running for 0 s", 20 s later)."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        step = 1
    elif seconds < 48 * 3600:
        step = 60
    else:
        step = 24 * 3600
    return step - seconds % step


def window(seconds: float) -> str:
    """An idle window or grace period: ``15 min``, ``90 s``, ``1 h 30 min``."""
    if seconds >= 60 and seconds % 60 == 0:
        return duration(seconds)
    return translate("units", "{n} s").format(n=f"{seconds:g}")


def memory(n: float | None) -> str:
    """``812 KiB``, ``3.4 MiB``, ``120 MiB``, ``1.2 GiB``; ``-`` when not known."""
    if n is None:
        return "-"
    if n < 1024:
        return translate("units", "{n} B").format(n=int(n))
    value, unit = float(n), "B"
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if value < 1024 or unit == "GiB":
            break
    number = f"{value:.1f}" if value < 10 else f"{value:.0f}"
    return f"{number} {unit}"


def count(text: str, n: int, context: str = "units") -> str:
    """``1 wake``, ``2 wakes``: a counted text (DAYS, WAKES, ...) for ``n``."""
    return translate(context, text, None, n)


def join(items: Iterable[str]) -> str:
    """``docker, cups``: a list in running text."""
    return translate("units", ", ").join(items)


# -- names ----------------------------------------------------------------------


def did_you_mean(name: str, known: Iterable[str]) -> str | None:
    """The known daemon name closest to a mistyped ``name`` (``dokcer`` -> ``docker``).

    Compares stems (``docker.service`` and ``docker.socket`` both mean
    ``docker``); None when nothing is close, or ``name`` is itself known.
    """
    def stem(text: str) -> str:
        for suffix in (".service", ".socket"):
            text = text.removesuffix(suffix)
        return text

    stems = sorted({stem(k) for k in known})
    wanted = stem(name.strip())
    if not wanted or wanted in stems:
        return None
    found = difflib.get_close_matches(wanted, stems, n=1, cutoff=0.6)
    return found[0] if found else None


def did_you_mean_text(name: str, known: Iterable[str]) -> str | None:
    """``Did you mean docker?``, or None."""
    guess = did_you_mean(name, known)
    return None if guess is None else translate("words", "Did you mean {name}?").format(name=guess)


def units_line(props: Mapping[str, str]) -> str:
    """``enabled, active (running)``: one unit's systemd states, for a details line."""
    if "error" in props:
        return props["error"]
    state = props.get("ActiveState") or "?"
    sub = props.get("SubState")
    active = f"{state} ({sub})" if sub and sub != state else state
    return f"{props.get('UnitFileState') or '?'}, {active}"
