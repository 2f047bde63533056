"""The mirror's worker: frames flow, the camera is on only while it runs, a lost camera comes
back, an error reaches the screen's thread, and every thread is joined; the attract loop's glance
for a visitor sees someone, sees nobody at a bare wall, and hands the camera to the mirror."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from kiosk.mirror import manifest
from kiosk.mirror.camera import Frame, FrameSource, SourceError, StillSource
from kiosk.mirror.cues import PerceptionModels
from kiosk.mirror.pipeline import MirrorPipeline
from kiosk.mirror.presence import PresenceOptions
from kiosk.mirror.stylizer import Stylizer, StylizerOptions

ROOT = Path(__file__).resolve().parent.parent
PHOTO = ROOT / "tests" / "data" / "mirror" / "astronaut.jpg"


@pytest.fixture(scope="module")
def stylizer() -> Stylizer:
    found = manifest.find(ROOT / "models" / "onnx", "frost")
    return Stylizer(found, StylizerOptions(provider="cpu", threads=1, warm_up_size=(320, 240)))


def wait_for(cond: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.01)
    return False


def mirror_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("mirror")]


def test_frames_flow_at_the_view_size_and_the_camera_goes_off(stylizer: Stylizer) -> None:
    pipe = MirrorPipeline(lambda: StillSource(PHOTO, 320, 240, fps=60).start(), stylizer)
    assert pipe.status().state == "off" and not pipe.status().camera_on
    pipe.set_view_size((400, 300))
    pipe.start()
    try:
        assert wait_for(lambda: pipe.latest_frame() is not None)
        frame = pipe.latest_frame()
        assert frame is not None
        assert frame.size == (400, 300) and frame.data.shape == (300, 400, 3)
        status = pipe.status()
        assert status.state == "running" and status.camera_on and status.provider == "cpu"
        assert wait_for(lambda: pipe.status().fps > 0)
        first = frame.index
        assert wait_for(lambda: (pipe.latest_frame() or frame).index > first + 3)
    finally:
        pipe.stop()
    assert pipe.latest_frame() is None  # nothing kept once the mirror is off
    assert pipe.status().state == "off" and not pipe.status().camera_on
    assert mirror_threads() == []


def test_no_camera_then_it_comes_back(stylizer: Stylizer) -> None:
    plugged = threading.Event()

    def open_source() -> FrameSource:
        if not plugged.is_set():
            raise SourceError("camera 0 cannot be opened")
        return StillSource(PHOTO, 320, 240, fps=30).start()

    pipe = MirrorPipeline(open_source, stylizer, retry_s=0.05)
    pipe.start()
    try:
        assert wait_for(lambda: pipe.status().state == "no_camera")
        assert not pipe.status().camera_on and pipe.latest_frame() is None
        plugged.set()
        assert wait_for(lambda: pipe.latest_frame() is not None)
        assert pipe.status().state == "running"
    finally:
        pipe.stop()
    assert mirror_threads() == []


class Flaky(FrameSource):
    """Delivers a few frames, then the 'camera' is unplugged."""

    def __init__(self, frames: int) -> None:
        super().__init__(320, 240, name="flaky")
        self.left = frames

    @property
    def camera_on(self) -> bool:
        return self.state == "running"

    def _open(self) -> None:
        pass

    def _read(self) -> np.ndarray | None:
        time.sleep(0.02)
        self.left -= 1
        if self.left < 0:
            raise SourceError("camera stopped delivering frames")
        return np.full((240, 320, 3), 90, np.uint8)


def test_a_camera_lost_mid_use_is_reported_and_reopened(stylizer: Stylizer) -> None:
    opened = []

    def open_source() -> FrameSource:
        opened.append(1)
        if len(opened) == 2:
            raise SourceError("still unplugged")
        return Flaky(5).start()

    pipe = MirrorPipeline(open_source, stylizer, retry_s=0.05)
    pipe.start()
    try:
        assert wait_for(lambda: len(opened) >= 2)
        assert wait_for(lambda: pipe.status().state in ("lost", "running"))
        assert wait_for(lambda: len(opened) >= 3)  # tried again, and again
    finally:
        pipe.stop()
    assert pipe.status().error is None
    assert mirror_threads() == []


class Broken:
    provider = "cpu"

    def run(self, *args: object) -> np.ndarray:
        raise RuntimeError("the model fell over")


def test_a_model_error_is_stored_and_raised_on_the_callers_thread() -> None:
    pipe = MirrorPipeline(lambda: StillSource(PHOTO, 160, 120).start(), Broken())  # type: ignore[arg-type]
    pipe.start()
    try:
        assert wait_for(lambda: pipe.status().state == "error")
        assert "fell over" in (pipe.status().error or "")
        with pytest.raises(RuntimeError, match="fell over"):
            pipe.check()
    finally:
        pipe.stop()
    assert not pipe.status().camera_on
    assert mirror_threads() == []


def test_latest_frame_wins(stylizer: Stylizer) -> None:
    """A consumer that looks rarely sees the newest frame, never a queue of old ones."""
    pipe = MirrorPipeline(lambda: StillSource(PHOTO, 160, 120, fps=100).start(), stylizer)
    pipe.start()
    try:
        assert wait_for(lambda: pipe.latest_frame() is not None)
        time.sleep(0.5)
        a = pipe.latest_frame()
        time.sleep(0.3)
        b = pipe.latest_frame()
        assert a is not None and b is not None and b.index > a.index + 1
    finally:
        pipe.stop()


class FakeCapture:
    """Stands in for cv2.VideoCapture: a camera that gives `frames` frames, then fails."""

    frames = 30
    opened = True

    def __init__(self, *args: object) -> None:
        self.props: dict[int, float] = {}
        self.released = False
        self.n = 0

    def isOpened(self) -> bool:
        return self.opened

    def set(self, prop: int, value: float) -> bool:
        self.props[prop] = value
        return True

    def get(self, prop: int) -> float:
        return self.props.get(prop, 0.0)

    def read(self) -> tuple[bool, np.ndarray | None]:
        self.n += 1
        if self.n > self.frames:
            return False, None
        return True, np.full((720, 1280, 3), 60, np.uint8)

    def release(self) -> None:
        self.released = True


def test_camera_source_fixed_size_exposure_lock_and_loss(monkeypatch: pytest.MonkeyPatch) -> None:
    import cv2

    from kiosk.mirror.camera import CameraSource

    made: list[FakeCapture] = []

    def capture(*args: object) -> FakeCapture:
        made.append(FakeCapture())
        return made[-1]

    monkeypatch.setattr(cv2, "VideoCapture", capture)
    cam = CameraSource(0, 320, 240, lock_after_s=0.0).start()
    try:
        assert cam.camera_on
        frame = cam.latest(timeout=2.0)
        assert frame is not None and frame.data.shape == (240, 320, 3)  # fixed capture size
        cap = made[0]
        assert cap.props[cv2.CAP_PROP_FRAME_WIDTH] == 320
        assert cap.props[cv2.CAP_PROP_BUFFERSIZE] == 1
        assert wait_for(lambda: cv2.CAP_PROP_AUTO_EXPOSURE in cap.props)  # exposure locked
        assert wait_for(lambda: cam.state == "failed")  # unplugged after 30 frames
        assert "stopped delivering" in str(cam.error)
        assert wait_for(lambda: cap.released) and not cam.camera_on
    finally:
        cam.close()
    FakeCapture.opened = False
    try:
        with pytest.raises(SourceError, match="cannot be opened"):
            CameraSource(0, 320, 240).start()
    finally:
        FakeCapture.opened = True


def test_the_whole_mirror_finds_the_face_and_says_when_models_are_missing(
    stylizer: Stylizer, tmp_path: Path
) -> None:
    from kiosk.mirror.cues import PerceptionModels

    models = PerceptionModels.load(ROOT / "models" / "onnx")
    pipe = MirrorPipeline(lambda: StillSource(PHOTO, 640, 480, fps=60).start(), stylizer, models)
    pipe.start()
    try:
        assert wait_for(lambda: (f := pipe.latest_frame()) is not None and f.faces == 1)
        status = pipe.status()
        assert status.perception == "ok" and status.problems == ()
        assert pipe.describe()["perception"]["state"] == "ok"  # type: ignore[index]
    finally:
        pipe.stop()
    assert mirror_threads() == []
    # Without the perception models the mirror still runs: the plain frost grade, and why.
    missing = PerceptionModels.load(tmp_path)
    plain = MirrorPipeline(lambda: StillSource(PHOTO, 320, 240, fps=60).start(), stylizer, missing)
    plain.start()
    try:
        assert wait_for(lambda: plain.latest_frame() is not None)
        frame = plain.latest_frame()
        assert frame is not None and frame.faces == 0
        status = plain.status()
        assert status.state == "running" and status.perception == "plain"
        assert any("face_landmark" in p and "manifest" in p for p in status.problems)
    finally:
        plain.stop()


# ---- the attract loop's glance for a visitor ----


class Counted(StillSource):
    """A still picture that counts the frames it has handed over, and says when it is open."""

    def __init__(self, picture: np.ndarray | Path, log: list[str], name: str) -> None:
        super().__init__(picture, 640, 480, fps=30, jitter=True, max_fps=10)
        self.log, self.label, self.taken = log, name, 0

    def _open(self) -> None:
        self.log.append(f"open {self.label}")
        super()._open()

    def _release(self) -> None:
        self.log.append(f"close {self.label}")

    def latest(self, after: int = 0, timeout: float = 1.0) -> Frame | None:
        frame = super().latest(after, timeout)
        self.taken += frame is not None
        return frame


@pytest.fixture(scope="module")
def models() -> PerceptionModels:
    return PerceptionModels.load(ROOT / "models" / "onnx")


def test_the_watch_sees_someone_then_hands_the_camera_to_the_mirror(
    stylizer: Stylizer, models: PerceptionModels
) -> None:
    log: list[str] = []
    pipe = MirrorPipeline(
        lambda: Counted(PHOTO, log, "mirror").start(),
        stylizer,
        models,
        watch_source=lambda: Counted(PHOTO, log, "watch").start(),
        presence=PresenceOptions(fps=10, hold_s=0.5),
    )
    assert not pipe.someone_present()
    pipe.watch(True)
    try:
        assert wait_for(pipe.someone_present)  # the astronaut stands in front of the kiosk
        pipe.start()  # a visitor opens the mirror: the watch lets go of the camera first
        assert not pipe.someone_present()
        assert wait_for(lambda: pipe.latest_frame() is not None)
        assert log == ["open watch", "close watch", "open mirror"]
        pipe.watch(True)  # ignored while the mirror runs: one camera, one user
        assert not pipe.someone_present() and log[-1] == "open mirror"
        pipe.stop()
        pipe.watch(True)  # back on the attract loop
        assert wait_for(pipe.someone_present)
        pipe.watch(False)  # returns at once; the watcher closes the camera by itself
        assert not pipe.someone_present()
        assert wait_for(lambda: log[-1] == "close watch")
    finally:
        pipe.stop()
    assert mirror_threads() == []


def test_nobody_there_and_no_camera(stylizer: Stylizer, models: PerceptionModels) -> None:
    log: list[str] = []
    empty = np.full((480, 640, 3), 128, np.uint8)  # a bare wall
    sources: list[Counted] = []

    def open_empty() -> FrameSource:
        sources.append(Counted(empty, log, "watch"))
        return sources[-1].start()

    pipe = MirrorPipeline(
        lambda: Counted(PHOTO, log, "mirror").start(),
        stylizer,
        models,
        watch_source=open_empty,
        presence=PresenceOptions(fps=10),
    )
    pipe.watch(True)
    try:
        assert wait_for(lambda: bool(sources) and sources[0].taken >= 6)  # glanced six times
        assert not pipe.someone_present()
    finally:
        pipe.stop()
    assert log == ["open watch", "close watch"]

    def unplugged() -> FrameSource:
        log.append("tried")
        raise SourceError("camera 0 cannot be opened")

    pipe = MirrorPipeline(
        lambda: Counted(PHOTO, log, "mirror").start(),
        stylizer,
        models,
        watch_source=unplugged,
        presence=PresenceOptions(retry_s=0.05),
    )
    pipe.watch(True)
    try:
        assert wait_for(lambda: log.count("tried") >= 3)  # tried again and again, calmly
        assert not pipe.someone_present()
    finally:
        pipe.stop()
    assert mirror_threads() == []
    # No way to open the camera slowly, or no face detector: nobody is ever looked for.
    for watchless in (
        MirrorPipeline(lambda: Counted(PHOTO, log, "m").start(), stylizer, models),
        MirrorPipeline(
            lambda: Counted(PHOTO, log, "m").start(),
            stylizer,
            PerceptionModels(problems={"face_detection": "missing"}),
            watch_source=unplugged,
        ),
    ):
        watchless.watch(True)
        assert watchless.watcher is None and not watchless.someone_present()
    assert mirror_threads() == []


def test_a_camera_asked_for_a_low_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    import cv2

    from kiosk.mirror.camera import CameraSource

    made: list[FakeCapture] = []

    def capture(*args: object) -> FakeCapture:
        made.append(FakeCapture())
        return made[-1]

    monkeypatch.setattr(cv2, "VideoCapture", capture)
    monkeypatch.setattr(FakeCapture, "frames", 10_000)
    cam = CameraSource(0, 320, 240, max_fps=5).start()
    try:
        assert made[0].props[cv2.CAP_PROP_FPS] == 5  # the camera itself slows down
        assert wait_for(lambda: made[0].n >= 2)
        first, t0 = made[0].n, time.monotonic()
        time.sleep(0.5)
        reads, elapsed = made[0].n - first, time.monotonic() - t0
        assert reads <= elapsed * 5 + 1  # and the reader reads no faster than asked
    finally:
        cam.close()
