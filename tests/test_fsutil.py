"""The one atomic file write: old or new content, never half; nothing left behind on failure."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kiosk.fsutil import atomic_stream, atomic_write


def test_replaces_whole_and_reports_each_step(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(b"old")
    steps: list[str] = []
    atomic_write(path, b"new", mode=0o600, on_step=steps.append)
    assert path.read_bytes() == b"new"
    assert path.stat().st_mode & 0o777 == 0o600
    assert steps == ["state.json: written", "state.json: renamed", "state.json: folder synced"]
    assert os.listdir(tmp_path) == ["state.json"]


def test_a_failed_stream_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "big.wrpack"
    path.write_bytes(b"old pack")
    with pytest.raises(RuntimeError), atomic_stream(path) as fh:
        fh.write(b"half of a new")
        raise RuntimeError("the source changed")
    assert path.read_bytes() == b"old pack"
    assert os.listdir(tmp_path) == ["big.wrpack"]


def test_not_durable_skips_the_syncs(tmp_path: Path) -> None:
    steps: list[str] = []
    atomic_write(tmp_path / "sub" / "health.json", b"{}", durable=False, on_step=steps.append)
    assert (tmp_path / "sub" / "health.json").read_bytes() == b"{}"
    assert steps == ["health.json: written", "health.json: renamed"]


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give files to another user")
def test_root_writes_for_the_folders_owner(tmp_path: Path) -> None:
    folder = tmp_path / "kiosk"
    folder.mkdir()
    os.chown(folder, 4321, 4321)
    atomic_write(folder / "pin", b"x")
    assert (folder / "pin").stat().st_uid == 4321


def test_a_watched_folder_never_sees_the_temporary_file(tmp_path: Path) -> None:
    synced, own = tmp_path / "synced", tmp_path / ".tmp"
    synced.mkdir()
    seen: list[list[str]] = []
    with atomic_stream(synced / "stats.json", tmp_dir=own) as fh:
        fh.write(b"{}")
        seen.append(os.listdir(synced))
    assert seen == [[]] and os.listdir(synced) == ["stats.json"] and os.listdir(own) == []
