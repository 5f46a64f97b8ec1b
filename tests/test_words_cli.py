"""The CLI's manners: no traceback when the reader of its output goes away."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """``trayapp history --json | head -c0``: the reader is gone before the first write.

    The read end is closed before the command starts, so its write fails for
    sure (no race with a reader that has not yet exited).  No bus is needed:
    with an empty data directory history prints ``{"daemons": []}``.
    """
    read, write = os.pipe()
    os.close(read)
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path),
           "PYTHONPATH": str(REPO)}
    try:
        res = subprocess.run([sys.executable, "-m", "trayapp", "history", "--json"],
                             stdout=write, stderr=subprocess.PIPE, text=True, env=env,
                             timeout=60, check=False)
    finally:
        os.close(write)
    assert "Traceback" not in res.stderr and "BrokenPipeError" not in res.stderr, res.stderr
    assert res.returncode == 141, res.stderr  # as a shell reports a SIGPIPE'd process
