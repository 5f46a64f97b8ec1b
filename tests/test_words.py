"""The words both front ends say (core/words.py, core/outcome_words.py, core/report.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import table_with
from trayapp.core import words
from trayapp.core.model import DaemonMode, DaemonState
from trayapp.core.outcome import Outcome, Status
from trayapp.core.outcome_words import split
from trayapp.core.plans import Action
from trayapp.core.report import totals_line
from trayapp.core.runs import Totals
from trayapp.core.summary import ACTION_LABELS, row
from trayapp.core.words import did_you_mean, duration, memory, translate, window

DAY = 86400


@pytest.fixture
def shouting() -> Iterator[None]:
    """A translator that shows which texts went through it (upper case, fields kept)."""

    def upper(context: str, text: str, disambiguation: str | None, n: int) -> str:
        import re

        text = text.replace("%n", str(n)) if n >= 0 else text
        return "".join(part if part.startswith("{") else part.upper()
                       for part in re.split(r"(\{\w*\})", text))

    words.set_translator(upper)
    yield
    words.set_translator(None)


@pytest.mark.parametrize(("name", "guess"), [
    ("dokcer", "docker"), ("docker.servce", "docker"), ("cpus", "cups"), ("libvirt", "libvirtd"),
    ("docker", None), ("docker.socket", None), ("zzzzzz", None), ("", None),
])  # fmt: skip
def test_did_you_mean_a_near_miss(name: str, guess: str | None) -> None:
    known = ["docker.service", "cups.service", "libvirtd.service", "pcscd.service"]
    assert did_you_mean(name, known) == guess


def test_did_you_mean_text() -> None:
    assert words.did_you_mean_text("dokcer", ["docker.service"]) == "Did you mean docker?"
    assert words.did_you_mean_text("docker", ["docker.service"]) is None


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0 s"), (59, "59 s"), (60, "1 min"), (3599, "59 min"), (3600, "1 h"),
    (3660, "1 h 1 min"), (47 * 3600, "47 h"), (2 * DAY, "2 days"), (DAY * 400, "400 days"),
    (-5, "0 s"),
])  # fmt: skip
def test_durations_in_human_units(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_one_day_and_one_wake_are_singular() -> None:
    assert words.count(words.DAYS, 1) == "1 day"
    assert words.count(words.WAKES, 1) == "1 wake"
    assert words.count(words.WAKES, 0) == "0 wakes"
    assert words.count(words.WAKES, 2) == "2 wakes"


@pytest.mark.parametrize(("n", "text"), [
    (None, "-"), (0, "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (5 * 2**20, "5.0 MiB"),
    (120 * 2**20, "120 MiB"), (3 * 2**30, "3.0 GiB"), (2000 * 2**30, "2000 GiB"),
])  # fmt: skip
def test_memory(n: int | None, text: str) -> None:
    assert memory(n) == text


def test_windows() -> None:
    assert (window(900), window(90), window(5400), window(0.5)) == (
        "15 min", "90 s", "1 h 30 min", "0.5 s")


def test_history_totals_say_plain_units() -> None:
    t = Totals(0, 3 * DAY, 3 * DAY, 3000, 1, 0.42, 120 * 2**20)
    line = totals_line(t)
    assert line.startswith("1 wake in 3 days; asleep 99% of the time")
    assert "wake(s)" not in line and "day(s)" not in line and "GiB-hours" not in line
    assert "frees about 119 MiB on average" in line
    assert totals_line(Totals(0, 600, 600, 0, 0, None, None)) == (
        "0 wakes in 10 min; asleep 100% of the time")


def test_a_notification_body_does_not_repeat_its_title() -> None:
    done = Outcome(Action.STOP, "system", "x.service", Status.DONE,  # type: ignore[arg-type]
                   "x stopped. Its socket still listens: the next client wakes it.",
                   steps_done=("stop x.service",))
    assert split(done) == ("x stopped", "Its socket still listens: the next client wakes it.")
    failed = Outcome(Action.START, "system", "x.service", Status.FAILED,  # type: ignore[arg-type]
                     "Could not start x: step 'start x.service' failed: boom.")
    assert split(failed) == ("Could not start x", "step 'start x.service' failed: boom.")


def test_units_line_for_the_details() -> None:
    assert words.units_line({"UnitFileState": "enabled", "ActiveState": "active",
                             "SubState": "listening"}) == "enabled, active (listening)"
    assert words.units_line({"error": "gone"}) == "gone"


def test_labels_translate_when_looked_up(shouting: None) -> None:
    """Tables built at import time still come out in the user's language."""
    assert ACTION_LABELS[Action.STOP] == "STOP NOW"
    [d] = table_with(("docker", DaemonState.DORMANT, DaemonMode.ON_DEMAND)).daemons()
    r = row(d, 0)
    assert r.title == "docker: DORMANT, ON-DEMAND"


def test_a_translation_that_loses_a_placeholder_falls_back_to_english() -> None:
    words.set_translator(lambda c, t, d, n: "kaputt {wrong}")
    try:
        assert translate("summary", "{name} (user)").format(name="x") == "x (user)"
    finally:
        words.set_translator(None)
    words.set_translator(lambda c, t, d, n: 1 / 0)  # type: ignore[arg-type,return-value]
    try:
        assert words.count(words.WAKES, 1) == "1 wake"
    finally:
        words.set_translator(None)


def test_a_failure_counts_its_steps_in_words() -> None:
    from trayapp.core import outcome_words as ow

    assert ow.rolled_back(1) == "The step already done was rolled back."
    assert ow.rolled_back(3) == "The 3 steps already done were rolled back."
    assert ow.rollback_incomplete(2, "boom") == (
        "Rolling back the 2 steps already done was incomplete (boom).")
    assert "(s)" not in ow.rolled_back(1) + ow.rollback_incomplete(1, "x")


def test_a_duration_changes_its_words_at_the_next_unit() -> None:
    from trayapp.core.words import duration, duration_changes_in

    for seconds in (0, 0.4, 59.9, 60, 61.5, 3599, 3600, 47 * 3600 + 59 * 60, 48 * 3600,
                    3 * 86400 + 5):
        wait = duration_changes_in(seconds)
        assert wait > 0
        assert duration(seconds + wait) != duration(seconds), seconds
        assert duration(seconds + wait - 0.01) == duration(seconds), seconds


def test_a_proxy_switch_says_where_clients_connect_in_plain_words() -> None:
    """Issue 23 finding 8: the proxy's switch said "Done: switch … Now: …: enabled-runtime,
    active; trayapp-proxy-…socket: ?, inactive", in English inside the German applet."""
    from trayapp.core import outcome_words as words

    text = words.proxy_sleeps("127.0.0.1:5432, [::1]:5432", "127.0.0.1:15432", "15 min")
    assert text == ("It sleeps until a client connects to 127.0.0.1:5432, [::1]:5432; "
                    "trayapp's proxy then wakes it, passes the connection on to "
                    "127.0.0.1:15432, and lets it sleep again after 15 min without one.")
    assert "trayapp-proxy-" not in text and "Now:" not in text
