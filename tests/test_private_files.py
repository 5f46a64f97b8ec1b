"""The applet's files are its user's alone: history, settings, single-instance socket.

Real files and sockets, under the usual umask 022 (which would leave them
readable by everyone).
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from trayapp.adapters import settings_file
from trayapp.adapters.history_db import Store
from trayapp.core.runs import EndReason
from trayapp.core.settings import Settings
from trayapp.qt import single


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_history_and_its_wal_are_the_owners_alone(tmp_path: Path) -> None:
    path = tmp_path / "data" / "trayapp" / "history.sqlite"
    store = Store(path)
    store.note_intent("system", "x.service", EndReason.USER, 10.0)  # the WAL exists now
    for name in ("history.sqlite", "history.sqlite-wal", "history.sqlite-shm"):
        assert mode(path.parent / name) == 0o600, name
    assert mode(path.parent) == 0o700 and mode(path.parent.parent) == 0o700
    store.close()


def test_an_older_readable_history_is_made_the_owners_alone(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    Store(path).close()
    for name in ("history.sqlite", "history.sqlite-wal", "history.sqlite-shm"):
        side = tmp_path / name
        if side.exists():
            os.chmod(side, 0o644)
    store = Store(path)
    assert mode(path) == 0o600
    store.close()


def test_a_new_settings_file_is_the_owners_alone(tmp_path: Path) -> None:
    path = tmp_path / "config" / "trayapp" / "settings.toml"
    settings_file.save(Settings(watched=("docker.service",)), path)
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700 and mode(path.parent.parent) == 0o700


# -- the single-instance socket ----------------------------------------------------------


@pytest.fixture
def no_runtime_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No XDG_RUNTIME_DIR; a temporary directory and a cache of the test's own."""
    with tempfile.TemporaryDirectory(prefix="si") as tmp:
        monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
        monkeypatch.setattr(tempfile, "tempdir", f"{tmp}/tmp")
        monkeypatch.setenv("XDG_CACHE_HOME", f"{tmp}/cache")
        os.mkdir(f"{tmp}/tmp", 0o777)
        os.chmod(f"{tmp}/tmp", 0o1777)
        yield Path(tmp)


def test_without_a_runtime_dir_the_socket_is_in_a_private_dir(no_runtime_dir: Path) -> None:
    name = single.server_name()
    assert name is not None
    place = Path(name).parent
    assert place.parent == no_runtime_dir / "tmp"  # not a shared name in /tmp itself
    assert mode(place) == 0o700 and os.lstat(place).st_uid == os.getuid()
    server = single.InstanceServer(name, lambda text: None)
    try:
        assert server.listen()
        assert stat.S_ISSOCK(os.lstat(name).st_mode) and mode(Path(name)) == 0o600
    finally:
        server.close()


@pytest.mark.parametrize("squat", ["open", "link", "file", "other-user"])
def test_a_dir_someone_else_made_first_is_not_used(no_runtime_dir: Path, squat: str) -> None:
    """Another user may create the guessable directory first, or a link to theirs."""
    guessed = no_runtime_dir / "tmp" / f"{single.APP_ID}-{os.getuid()}"
    theirs = no_runtime_dir / "theirs"
    theirs.mkdir(mode=0o700)
    if squat == "open":
        guessed.mkdir()
        os.chmod(guessed, 0o777)
    elif squat == "link":
        guessed.symlink_to(theirs)
    elif squat == "file":
        guessed.write_text("")
    else:
        if os.getuid() != 0:
            pytest.skip("needs root to give a directory to another user")
        guessed.mkdir(mode=0o700)
        os.chown(guessed, 65534, 65534)
    name = single.server_name()
    assert name is not None and not name.startswith(str(guessed))
    assert Path(name).parent == no_runtime_dir / "cache" / single.APP_ID
    assert mode(Path(name).parent) == 0o700


def test_no_private_dir_means_no_socket(no_runtime_dir: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(single.private, "owned_dir", lambda path: False)
    assert single.server_name() is None
    assert not single.hand_off(None, "show")
    assert not single.InstanceServer(None, lambda text: None).listen()


def test_a_runtime_dir_not_ours_is_not_used(no_runtime_dir: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    shared = no_runtime_dir / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(shared))
    name = single.server_name()
    assert name is not None and not name.startswith(str(shared))
    mine = no_runtime_dir / "mine"
    mine.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(mine))
    assert single.server_name() == str(mine / f"{single.APP_ID}-{os.getuid()}.instance")
