"""The settings file: defaults, round trips, the user's own lines, bad files, crashes."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
import tomlkit

from trayapp.adapters import settings_file as st
from trayapp.core.model import Manager
from trayapp.core.settings import DaemonSettings, IconFollows, Settings
from trayapp.core.settings_values import SettingsError

REPO = Path(__file__).resolve().parents[1]

# A file as a user might keep it: comments everywhere, keys this version does
# not know at every level.
HAND_WRITTEN = """\
# trayapp settings -- edited by hand, keep this comment
watched = ["docker.service", "user:trayapp-testd.service"]  # my daemons
hidden = []
start_at_login = false
theme = "plum"  # a key from some later version

[daemon."docker.service"]
# loud about docker
notify = true
idle_stop_minutes = 15
colour = "blue"  # unknown, inside a daemon table

[window]
width = 640
"""


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "trayapp" / "settings.toml"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def backups(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.broken-*"))


# -- defaults and round trips ---------------------------------------------------


def test_missing_file_gives_defaults_and_no_warning(path: Path) -> None:
    result = st.load(path)
    assert result == (Settings(), None)
    assert result.settings.daemon("docker.service") == DaemonSettings(True, 0)
    assert result.settings.start_at_login is False
    assert not path.parent.exists()  # loading writes nothing


def test_round_trip(path: Path) -> None:
    wanted = Settings(
        watched=("docker.service", "user:trayapp-testd.service"),
        hidden=("cups.service",),
        daemons={
            "docker.service": DaemonSettings(notify=False, idle_stop_minutes=10),
            "user:trayapp-testd.service": DaemonSettings(idle_stop_minutes=1),
        },
        start_at_login=True,
    )
    st.save(wanted, path)
    assert st.load(path) == (wanted, None)
    data = tomlkit.parse(path.read_text()).unwrap()
    assert data["daemon"]["user:trayapp-testd.service"] == {"idle_stop_minutes": 1}


def test_icon_follows_on_demand_by_default_and_all_when_chosen(path: Path) -> None:
    write(path, HAND_WRITTEN)
    loaded = st.load(path).settings
    assert loaded.icon_follows is IconFollows.ON_DEMAND  # the key is absent
    st.save(replace(loaded, icon_follows=IconFollows.ALL), path)
    text = path.read_text()
    assert 'icon_follows = "all"' in text and "# loud about docker" in text
    data = tomlkit.parse(text).unwrap()
    assert data["icon_follows"] == "all"  # top level, not inside [daemon."docker.service"]
    assert st.load(path) == (replace(loaded, icon_follows=IconFollows.ALL), None)
    st.save(loaded, path)  # back to the default: the line the user now has stays, says so
    assert 'icon_follows = "on-demand"' in path.read_text()
    assert st.load(path).settings == loaded


def test_a_bad_icon_follows_names_the_choices(path: Path) -> None:
    write(path, 'icon_follows = "docker"\n')
    warning = st.load(path).warning
    assert warning is not None
    assert """icon_follows: expected "on-demand" or "all", got 'docker'""" in warning


def test_settings_are_read_only_and_deduplicated() -> None:
    s = Settings(watched=["a.service", "b.service", "a.service"])  # type: ignore[arg-type]
    assert s.watched == ("a.service", "b.service")
    with pytest.raises(TypeError):
        s.daemons["a.service"] = DaemonSettings()  # type: ignore[index]
    changed = s.with_daemon("a.service", notify=False)
    assert changed.daemon("a.service") == DaemonSettings(notify=False)
    assert s.daemons == {}


def test_idle_window_in_seconds() -> None:
    s = Settings().with_daemon("docker.service", idle_stop_minutes=15)
    s = s.with_daemon("user:podman.service", idle_stop_minutes=1)
    assert s.idle_window("docker.service") == 900.0
    assert s.idle_window((Manager.SYSTEM, "docker.service")) == 900.0
    assert s.idle_window((Manager.USER, "podman.service")) == 60.0
    assert s.idle_window("podman.service") is None  # the system one has no table
    never = s.with_daemon("docker.service", idle_stop_minutes=0)
    assert never.idle_window("docker.service") is None


# -- the user's own lines ----------------------------------------------------------


def test_save_keeps_comments_and_unknown_keys(path: Path) -> None:
    write(path, HAND_WRITTEN)
    loaded, warning = st.load(path)
    assert warning is None
    assert loaded.daemon("docker.service") == DaemonSettings(notify=True, idle_stop_minutes=15)

    changed = loaded.with_daemon("docker.service", notify=False).with_daemon(
        "cups.service", idle_stop_minutes=5
    )
    changed = Settings(
        watched=(*changed.watched, "libvirtd.service"),
        hidden=changed.hidden,
        daemons=changed.daemons,
        start_at_login=True,
    )
    st.save(changed, path)

    text = path.read_text()
    for line in (
        "# trayapp settings -- edited by hand, keep this comment",
        "# loud about docker",
        'theme = "plum"  # a key from some later version',
        'colour = "blue"  # unknown, inside a daemon table',
        "idle_stop_minutes = 15",
        "[window]",
    ):
        assert line in text
    data = tomlkit.parse(text).unwrap()
    assert data["theme"] == "plum"
    assert data["window"] == {"width": 640}
    assert data["daemon"]["docker.service"]["colour"] == "blue"
    # cups has only a non-default value, so only that line is written.
    assert data["daemon"]["cups.service"] == {"idle_stop_minutes": 5}
    assert st.load(path) == (changed, None)


def test_saving_what_was_loaded_changes_no_byte(path: Path) -> None:
    write(path, HAND_WRITTEN)
    st.save(st.load(path).settings, path)
    assert path.read_text() == HAND_WRITTEN


def test_dropping_a_daemon_keeps_its_unknown_keys(path: Path) -> None:
    write(path, HAND_WRITTEN)
    loaded = st.load(path).settings
    st.save(Settings(watched=loaded.watched), path)
    data = tomlkit.parse(path.read_text()).unwrap()
    assert data["daemon"] == {"docker.service": {"colour": "blue"}}
    assert st.load(path).settings.daemon("docker.service") == DaemonSettings()


def test_dotted_daemon_keys_do_not_swallow_later_keys(path: Path) -> None:
    # tomlkit renders a new [daemon."x"] table above `later` here, which would
    # move `later` into it; save() must notice and write the data plainly.
    write(path, 'daemon."docker.service".notify = false\nlater = 1\n')
    changed = st.load(path).settings.with_daemon("cups.service", notify=False)
    st.save(changed, path)
    data = tomlkit.parse(path.read_text()).unwrap()
    assert data["later"] == 1
    assert st.load(path) == (changed, None)


def test_save_writes_through_a_symlink_and_keeps_the_mode(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "settings.toml"
    write(real, "start_at_login = false\n")
    real.chmod(0o600)
    link = tmp_path / "config" / "settings.toml"
    link.parent.mkdir()
    link.symlink_to(real)
    st.save(Settings(start_at_login=True), link)
    assert link.is_symlink()
    assert st.load(real).settings.start_at_login is True
    assert real.stat().st_mode & 0o777 == 0o600


# -- files that are not settings ----------------------------------------------------


def test_bad_toml_is_moved_aside(path: Path) -> None:
    broken = 'watched = ["docker.service"\nnotify = \n'
    write(path, broken)
    result = st.load(path, now=lambda: 1_800_000_000.0)
    assert result.settings == Settings()
    [backup] = backups(path)
    assert backup.read_text() == broken
    assert not path.exists()
    assert result.warning is not None
    assert str(path) in result.warning and str(backup) in result.warning
    assert "defaults" in result.warning
    # The next save starts afresh and does not touch the backup.
    st.save(Settings(start_at_login=True), path)
    assert backup.read_text() == broken
    assert st.load(path) == (Settings(start_at_login=True), None)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('watched = "docker.service"\n', "watched"),
        ("watched = [1]\n", "watched[0]"),
        ('hidden = ["docker service"]\n', "hidden[0]"),
        ('watched = ["user:"]\n', "watched[0]"),
        ("start_at_login = 1\n", "start_at_login"),
        ('icon_follows = "docker"\n', "icon_follows"),
        ("icon_follows = true\n", "icon_follows"),
        ("daemon = 3\n", "daemon"),
        ('[daemon]\n"docker.service" = true\n', 'daemon."docker.service"'),
        ('[daemon."docker.service"]\nnotify = "yes"\n', 'daemon."docker.service".notify'),
        (
            '[daemon."docker.service"]\nidle_stop_minutes = true\n',
            'daemon."docker.service".idle_stop_minutes',
        ),
        (
            '[daemon."docker.service"]\nidle_stop_minutes = -5\n',
            'daemon."docker.service".idle_stop_minutes',
        ),
        (
            '[daemon."docker.service"]\nidle_stop_minutes = 2.5\n',
            'daemon."docker.service".idle_stop_minutes',
        ),
    ],
)
def test_wrong_types_are_moved_aside(path: Path, text: str, where: str) -> None:
    write(path, text)
    result = st.load(path)
    assert result.settings == Settings()
    assert result.warning is not None and f"{where}:" in result.warning
    [backup] = backups(path)
    assert backup.read_text() == text
    assert str(backup) in result.warning


def test_not_utf8_is_moved_aside(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b"watched = ['\xff']\n")
    result = st.load(path)
    assert result.settings == Settings()
    assert result.warning is not None and "UTF-8" in result.warning
    [backup] = backups(path)
    assert backup.read_bytes() == b"watched = ['\xff']\n"


def test_two_breakages_in_one_second_keep_both_backups(path: Path) -> None:
    for text in ("first = \n", "second = \n"):
        write(path, text)
        assert st.load(path, now=lambda: 1_800_000_000.0).warning is not None
    assert sorted(p.read_text() for p in backups(path)) == ["first = \n", "second = \n"]


def test_unreadable_file_is_left_alone(path: Path) -> None:
    path.mkdir(parents=True)  # a directory where the file should be
    result = st.load(path)
    assert result.settings == Settings()
    assert result.warning is not None and "Could not read" in result.warning
    assert path.is_dir() and backups(path) == []


# -- the caller's unit-name check ------------------------------------------------------


def only_services(unit: str) -> None:
    if not unit.endswith(".service"):
        raise ValueError(f"{unit!r} is not a service unit")


def test_validator_sees_unit_names_without_the_user_prefix(path: Path) -> None:
    seen: list[str] = []
    write(path, 'watched = ["user:a.service"]\n[daemon."b.service"]\nnotify = false\n')
    result = st.load(path, seen.append)
    assert result.warning is None
    assert seen == ["a.service", "b.service"]


def test_validator_message_reaches_the_warning(path: Path) -> None:
    write(path, 'watched = ["docker.socket"]\n')
    result = st.load(path, only_services)
    assert result.warning is not None
    assert "watched[0]: 'docker.socket' is not a service unit" in result.warning


def test_save_refuses_bad_values_and_writes_nothing(path: Path) -> None:
    write(path, HAND_WRITTEN)
    bad = [
        Settings(watched=("docker.socket",)),
        Settings(daemons={"docker.service": DaemonSettings(idle_stop_minutes=-1)}),
        Settings(daemons={"docker.service": DaemonSettings(notify="yes")}),  # type: ignore[arg-type]
        Settings(icon_follows="sometimes"),  # type: ignore[arg-type]
    ]
    for settings in bad:
        with pytest.raises(SettingsError) as caught:
            st.save(settings, path, only_services)
        assert caught.value.where
    assert path.read_text() == HAND_WRITTEN


# -- atomic writes ----------------------------------------------------------------

# The child stops at one point of save() and tells the parent, which kills it
# with SIGKILL: what a crash, an OOM kill or a logout at the wrong moment does.
CHILD = """
import os, sys, time
from pathlib import Path
from trayapp.adapters import settings_file as st
from trayapp.core.settings import DaemonSettings, Settings

def pause():
    print("paused", flush=True)
    time.sleep(60)

if sys.argv[2] == "mid-write":
    def half_then_pause(f, text):
        f.write(text[: len(text) // 2])
        f.flush()
        os.fsync(f.fileno())
        pause()
    st._write_text = half_then_pause
else:
    real_replace = os.replace
    def replace_after_pause(src, dst):
        pause()
        real_replace(src, dst)
    st.os.replace = replace_after_pause

new = Settings(
    watched=tuple(f"new-{i}.service" for i in range(200)),
    daemons={"docker.service": DaemonSettings(notify=False, idle_stop_minutes=99)},
)
st.save(new, Path(sys.argv[1]))
print("finished", flush=True)
"""


@pytest.mark.parametrize("stop_at", ["mid-write", "before-rename"])
def test_a_save_killed_midway_leaves_the_old_file(path: Path, stop_at: str) -> None:
    write(path, HAND_WRITTEN)
    old = st.load(path).settings

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(CHILD), str(path), stop_at],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        ready, _, _ = select.select([child.stdout], [], [], 30)
        assert ready, "the child never reached the pause"
        line = child.stdout.readline()  # type: ignore[union-attr]
        assert line == "paused\n", child.stderr.read()  # type: ignore[union-attr]

        # The half-written file exists beside the settings, not in their place.
        [tmp] = path.parent.glob(f".{path.name}.*.tmp")
        written = tmp.read_text()
        assert "new-0.service" in written
        if stop_at == "mid-write":
            assert "new-199.service" not in written
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        child.stdout.close()  # type: ignore[union-attr]
        child.stderr.close()  # type: ignore[union-attr]
    assert child.returncode == -signal.SIGKILL

    assert path.read_text() == HAND_WRITTEN
    assert st.load(path) == (old, None)
    assert backups(path) == []

    # The stale temp file does not get in the way of the next save.
    st.save(old.with_daemon("docker.service", notify=False), path)
    assert st.load(path).settings.daemon("docker.service").notify is False


def test_a_failed_write_removes_its_temp_file(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(path, HAND_WRITTEN)

    def disk_full(f: object, text: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(st, "_write_text", disk_full)
    with pytest.raises(OSError, match="No space"):
        st.save(Settings(start_at_login=True), path)
    assert path.read_text() == HAND_WRITTEN
    assert sorted(p.name for p in path.parent.iterdir()) == ["settings.toml"]


def test_a_window_saving_its_choices_keeps_the_proxies_the_cli_set_up(tmp_path: Path) -> None:
    """Issue 15: the tray read its settings before `trayapp on-demand redis-server`
    wrote a proxy to the file; saving Preferences must not drop that proxy."""
    from trayapp.adapters import settings_file
    from trayapp.services import Services

    path = tmp_path / "settings.toml"
    services = Services([])
    services.settings = settings_file.load(path).settings  # read at start: empty
    cli = services.settings.with_daemon(
        "redis-server.service", proxy_listen=("127.0.0.1:6379",),
        proxy_backend="127.0.0.1:16379")
    settings_file.save(cli, path)  # what the CLI wrote while the tray ran
    prefs = services.settings.with_daemon("docker.service", idle_stop_minutes=5)
    assert services.change_settings(prefs, path, login=False) == []
    saved = settings_file.load(path).settings
    assert saved.daemon("redis-server.service").proxy_listen == ("127.0.0.1:6379",)
    assert saved.daemon("docker.service").idle_stop_minutes == 5
    # A proxy's own change (the tray's controller removing it) is written as asked.
    gone = saved.with_daemon("redis-server.service", proxy_listen=(), proxy_backend="")
    assert services.change_settings(gone, path, login=False, proxies=True) == []
    assert settings_file.load(path).settings.daemon("redis-server.service").proxy_listen == ()


def test_followed_are_the_daemons_added_by_hand_and_the_proxied_ones() -> None:
    """Settings.followed: what the table reads though no socket unit triggers it; a
    well-known daemon unticked is only hidden, one added by hand stays followed."""
    from trayapp.core.settings import DaemonSettings, Settings

    s = Settings(watched=("postgresql@15-main.service",),
                 hidden=("cups.service", "user:mine.service"),
                 daemons={"redis-server.service": DaemonSettings(
                     proxy_listen=("127.0.0.1:6379",))})
    assert s.followed() == ("postgresql@15-main.service", "user:mine.service",
                            "redis-server.service")
