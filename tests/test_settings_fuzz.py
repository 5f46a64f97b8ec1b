"""The settings parser against arbitrary files (issue 7): defaults and a warning, never a crash."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from trayapp.adapters import settings_file as cfg
from trayapp.core.settings import Settings
from trayapp.core.unitname import check_unit_name

tokens = st.sampled_from([*'[]=".\n abc_:1tfrueals#{}@', "watched", "hidden", "daemon",
                          "notify", "idle_stop_minutes", "start_at_login", "docker.service"])
toml_ish = st.lists(tokens, max_size=60).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(toml_ish, st.binary(max_size=60).map(lambda b: b.decode("latin-1"))))
def test_any_file_loads_or_falls_back_to_defaults(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "settings.toml"
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
        result = cfg.load(path, check_unit_name)
        assert isinstance(result.settings, Settings)
        if result.warning is not None:
            assert result.settings == Settings()
            assert list(Path(tmp).glob("settings.toml.broken-*")), "the bad file was not kept"
        else:
            assert path.exists()
