"""The releases folder: install, roll back, keep, the start-up check and the watched folder.

Bad packs and the commands a curator runs are in test_packs.py; power cuts during an install in
test_packs_powercut.py.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.cli import main
from kiosk.content.validate import validate
from kiosk.delivery import releases
from kiosk.delivery.packs import PackError
from kiosk.delivery.signing import SecretKey, write_keypair
from testkit.packs import build_pack, release_is_complete, retitle


@pytest.fixture
def key() -> SecretKey:
    return SecretKey.generate()


@pytest.fixture
def src(make_collection: Callable[..., Path]) -> Path:
    return make_collection()


# --- installing -----------------------------------------------------------------------------


def test_install_switch_rollback_and_keep(src: Path, key: SecretKey, tmp_path: Path) -> None:
    root = tmp_path / "releases"
    trusted = [key.public]
    built = []
    for version in (1, 2, 3):
        retitle(src, f"Edition {version}")
        built.append(build_pack(src, tmp_path / f"v{version}.wrpack", key, version))
    first = releases.install_pack(built[0], root, trusted, keep=2)
    assert first.previous is None and first.release.version == 1
    assert os.readlink(root / "current") == f"releases/{first.release.name}"
    second = releases.install_pack(built[1], root, trusted, keep=2)
    assert second.previous == first.release
    assert releases.read_state(root).previous == first.release.name
    third = releases.install_pack(built[2], root, trusted, keep=2)
    # Two kept: the new one and the one it replaced.
    assert third.removed == (first.release.name,)
    assert [r.version for r in releases.releases(root)] == [2, 3]
    current = releases.current_release(root)
    assert current is not None and release_is_complete(current)
    assert "Edition 3" in (current.content / "collection.yaml").read_text(encoding="utf-8")
    assert validate(current.content).ok
    assert not [p for p in os.listdir(root) if p.startswith(".") and p != ".lock"]

    before, after = releases.rollback(root)
    assert (before.version, after.version) == (3, 2)
    assert releases.current_release(root) == after
    with pytest.raises(PackError, match="no earlier release"):
        releases.rollback(root)
    releases.rollback(root, to=third.release.name)
    assert releases.current_release(root) == third.release
    with pytest.raises(PackError, match="no release 'nope'"):
        releases.rollback(root, to="nope")

    # The same pack again is refused unless forced; forced, it is a fresh copy.
    with pytest.raises(PackError, match="already installed"):
        releases.install_pack(built[2], root, trusted)
    again = releases.install_pack(built[2], root, trusted, force=True)
    assert again.release.name == f"{third.release.name}-2" and release_is_complete(again.release)
    forced_down = releases.install_pack(built[0], root, trusted, force=True)
    assert releases.current_release(root) == forced_down.release


def test_install_leftovers_are_cleaned(src: Path, key: SecretKey, tmp_path: Path) -> None:
    root = tmp_path / "releases"
    (root / ".staging-dead").mkdir(parents=True)
    (root / ".staging-dead" / "half.mp4").write_bytes(b"x")
    (root / ".current-dead").symlink_to("releases/none")
    result = releases.install_pack(
        build_pack(src, tmp_path / "v.wrpack", key, 5), root, [key.public]
    )
    assert sorted(os.listdir(root)) == [".lock", "current", "releases", "state.json"]
    assert release_is_complete(result.release)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give files to another user")
def test_root_installs_for_the_kiosk_user(src: Path, key: SecretKey, tmp_path: Path) -> None:
    """A technician's sudo install leaves files the kiosk's own user can switch and remove."""
    root = tmp_path / "releases"
    root.mkdir()
    os.chown(root, 4321, 4321)
    releases.install_pack(build_pack(src, tmp_path / "v1.wrpack", key, 1), root, [key.public])
    releases.install_pack(build_pack(src, tmp_path / "v2.wrpack", key, 2), root, [key.public])
    owners = {p.lstat().st_uid for p in root.rglob("*") if p.name != ".lock"}
    assert owners == {4321}


# --- the start-up health check --------------------------------------------------------------


def test_failed_starts_return_to_the_previous_release(
    src: Path, key: SecretKey, tmp_path: Path
) -> None:
    root = tmp_path / "releases"
    assert releases.begin_boot(root) is None
    v1 = releases.install_pack(build_pack(src, tmp_path / "v1.wrpack", key, 1), root, [key.public])
    assert releases.begin_boot(root) == v1.release
    releases.confirm(root)
    assert releases.read_state(root).confirmed
    assert releases.begin_boot(root) == v1.release  # confirmed: nothing is counted
    retitle(src, "Edition 2")
    v2 = releases.install_pack(build_pack(src, tmp_path / "v2.wrpack", key, 2), root, [key.public])
    for boots in (1, 2, 3):
        assert releases.begin_boot(root, max_boots=3) == v2.release
        assert releases.read_state(root).boots == boots
    # The fourth start without a confirmation goes back to the release that worked.
    assert releases.begin_boot(root, max_boots=3) == v1.release
    assert releases.current_release(root) == v1.release
    state = releases.read_state(root)
    assert v2.release.base in state.bad and state.release == v1.release.name
    releases.confirm(root)
    assert releases.begin_boot(root) == v1.release
    with pytest.raises(PackError, match="failed its start-up check"):
        releases.install_pack(tmp_path / "v2.wrpack", root, [key.public])


def test_an_unusable_release_is_left_at_once(src: Path, key: SecretKey, tmp_path: Path) -> None:
    root = tmp_path / "releases"
    v1 = releases.install_pack(build_pack(src, tmp_path / "v1.wrpack", key, 1), root, [key.public])
    assert releases.reject(root) == v1.release  # nothing to go back to
    releases.confirm(root)
    retitle(src, "Edition 2")
    v2 = releases.install_pack(build_pack(src, tmp_path / "v2.wrpack", key, 2), root, [key.public])
    assert releases.begin_boot(root) == v2.release
    assert releases.reject(root) == v1.release
    assert releases.current_release(root) == v1.release
    assert v2.release.base in releases.read_state(root).bad


def test_boot_counting_survives_a_missing_state_update(
    src: Path, key: SecretKey, tmp_path: Path
) -> None:
    """Killed between the switch and the state write: the new release is still counted."""
    root = tmp_path / "releases"
    v1 = releases.install_pack(build_pack(src, tmp_path / "v1.wrpack", key, 1), root, [key.public])
    releases.confirm(root)
    old_state = (root / "state.json").read_bytes()
    retitle(src, "Edition 2")
    v2 = releases.install_pack(build_pack(src, tmp_path / "v2.wrpack", key, 2), root, [key.public])
    (root / "state.json").write_bytes(old_state)
    assert releases.begin_boot(root, max_boots=1) == v2.release
    assert releases.begin_boot(root, max_boots=1) == v1.release
    assert releases.current_release(root) == v1.release


# --- the watched folder (USB sticks) --------------------------------------------------------


def test_watch_folder_installs_each_new_pack_once(
    src: Path, key: SecretKey, tmp_path: Path
) -> None:
    root, stick = tmp_path / "releases", tmp_path / "usb"
    (stick / "exhibit").mkdir(parents=True)
    assert releases.scan_watch_folder(tmp_path / "absent", root, [key.public]) == []
    build_pack(src, stick / "exhibit" / "v1.wrpack", key, 1)
    build_pack(src, stick / "old.wrpack", key, 1)  # the same version again: refused
    (stick / "notes.txt").write_text("not a pack")
    now = (stick / "old.wrpack").stat().st_mtime
    assert releases.scan_watch_folder(stick, root, [key.public], now=now) == []  # still settling
    results = releases.scan_watch_folder(stick, root, [key.public], now=now + 60)
    assert [(r.path.name, r.installed) for r in results] == [
        ("v1.wrpack", True),
        ("old.wrpack", False),
    ]
    assert "already installed" in results[1].message
    assert releases.scan_watch_folder(stick, root, [key.public], now=now + 120) == []
    memory = json.loads((root / "watch.json").read_text())
    assert len(memory["tried"]) == 2
    retitle(src, "Edition 2")
    build_pack(src, stick / "v2.wrpack", key, 2)
    later = (stick / "v2.wrpack").stat().st_mtime + 60
    results = releases.scan_watch_folder(stick, root, [key.public], now=later)
    assert [(r.path.name, r.installed) for r in results] == [("v2.wrpack", True)]
    current = releases.current_release(root)
    assert current is not None and current.version == 2


def test_cli_reads_keys_and_folders_from_the_settings(
    src: Path, key: SecretKey, tmp_path: Path
) -> None:
    """Without --root and --trust, the commands use the settings file's content section."""
    machine = tmp_path / "machine"
    machine.mkdir()
    write_keypair(key, tmp_path / "curator", None)
    shutil.copy(tmp_path / "curator.pub", machine / "curator.pub")
    config = machine / "kiosk.yaml"
    config.write_text(
        "paths: {releases: releases}\n"
        f"content: {{trusted_keys: [curator.pub, {SecretKey.generate().public.to_base64()}], "
        "keep_releases: 2}\n"
    )
    runner = CliRunner()
    for version in (1, 2, 3):
        pack = build_pack(src, tmp_path / f"v{version}.wrpack", key, version)
        result = runner.invoke(
            main, ["content", "install", str(pack), "--config", str(config), "--no-media"]
        )
        assert result.exit_code == 0, result.output
    assert [r.version for r in releases.releases(machine / "releases")] == [2, 3]
    result = runner.invoke(main, ["content", "list", "--config", str(config)])
    assert result.output.splitlines()[0].startswith("* 3-"), result.output
