"""The CLI's words against the real testbed: "did you mean", plain outcomes, details."""

from __future__ import annotations

from typing import Any

from tests.support import on_demand_testd


def test_a_near_miss_name_gets_did_you_mean(testbed: Any) -> None:
    res = testbed.run(testbed.trayapp_argv("stop", "dokcer"), user="alice", check=False,
                      timeout=120)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "no unit named dokcer" in res.stderr and res.stderr.rstrip().endswith(
        "Did you mean docker?"), res.stderr
    # A name far from every daemon gets no guess.
    res = testbed.run(testbed.trayapp_argv("stop", "zzqqxx"), user="alice", check=False,
                      timeout=120)
    assert res.returncode == 2 and "Did you mean" not in res.stderr, res.stderr


def test_a_switch_says_plain_words_and_details_only_with_verbose(testbed: Any) -> None:
    tb = testbed
    on_demand_testd(tb)
    res = tb.run(tb.trayapp_argv("on-demand", "trayapp-testd"), user="alice", check=False,
                 timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.startswith("trayapp-testd was already on-demand. Nothing changed."), \
        res.stdout
    assert ".socket" not in res.stdout  # no systemd terms in a success
    res = tb.run(tb.trayapp_argv("-v", "always-on", "trayapp-testd"), user="alice",
                 check=False, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.startswith("trayapp-testd is now always-on. It runs now and starts at "
                                 "boot."), res.stdout
    assert "  trayapp-testd.service: enabled, active (running)" in res.stdout, res.stdout
