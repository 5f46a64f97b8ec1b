"""Property-based tests of unit-name validation against systemd's own verdict (issue 7)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import staged
from trayapp.core.unitname import BadUnitName, check_unit_name

NAMECHECK = staged("namecheck.py")
SUFFIXES = [".service", ".socket", ".target", ".mount", ".timer", ".bogus", "", "."]
# Mostly the characters that matter to the grammar, some that never belong.
ALPHABET = st.sampled_from([*"abcXYZ019:-_.\\@ /", "é", "\t", "*", "'", "ü"])

names = st.builds(
    lambda stem, suffix: stem + suffix,
    st.text(ALPHABET, min_size=0, max_size=12) | st.text(ALPHABET, min_size=240, max_size=260),
    st.sampled_from(SUFFIXES),
)


def ours(name: str) -> str:
    try:
        check_unit_name(name)
    except BadUnitName:
        return "invalid"
    instance = name.rpartition(".")[0].partition("@")[2]
    return "template" if "@" in name and not instance else "valid"


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(batch=st.lists(names, min_size=80, max_size=80))
def test_unit_names_agree_with_systemd(testbed: Any, batch: list[str]) -> None:
    res = testbed.run([testbed.python, NAMECHECK], input=json.dumps(batch))
    theirs = json.loads(res.stdout)
    disagree = [(n, ours(n), t) for n, t in zip(batch, theirs, strict=True) if ours(n) != t]
    assert not disagree, disagree
