"""Frame sources for the mirror: a camera through OpenCV, a video file, a still picture.

Each source reads in its own thread and keeps only the newest frame (latest frame wins: a slow
consumer skips frames rather than falling behind). Frames are delivered as RGB uint8 at the fixed
capture size, mirrored if asked, ready for the cues and the model. A source opened with
``max_fps`` reads no faster than that (the attract loop's glance for a visitor needs a few frames
a second, and a camera asked for a low rate draws less power and decodes less).

Frames live in memory only. Nothing here writes a file, logs a picture or keeps more than the
newest frame.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from kiosk.mirror.devices import is_camera_spec
from kiosk.mirror.imaging import cover

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}


@dataclass(frozen=True)
class Frame:
    """One captured frame: RGB uint8 HxWx3, its number, and when it was captured (monotonic)."""

    data: np.ndarray
    index: int
    captured: float


class SourceError(Exception):
    """A source that cannot be opened or has stopped delivering."""


def fit(frame_bgr: np.ndarray, width: int, height: int, flip: bool) -> np.ndarray:
    """A captured BGR frame as RGB at exactly width x height (centre crop, no stretching)."""
    h, w = frame_bgr.shape[:2]
    if (w, h) != (width, height):
        frame_bgr = cover(frame_bgr, width, height)
    rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
    if flip:
        rgb = cv2.flip(rgb, 1)
    return np.ascontiguousarray(rgb)


class FrameSource:
    """A reader thread and a latest-frame slot; subclasses implement ``_open`` and ``_read``.

    ``state`` is ``opening``, ``running``, ``ended`` (a file without looping, or closed) or
    ``failed``; ``error`` holds what went wrong. :meth:`close` stops and joins the thread and
    releases the device; :attr:`camera_on` is True exactly while a camera device is open.
    """

    def __init__(
        self,
        width: int,
        height: int,
        flip: bool = False,
        name: str = "source",
        lockstep: bool = False,
        max_fps: float = 0.0,
    ) -> None:
        self.width, self.height, self.flip = width, height, flip
        self.name = name
        self.lockstep = lockstep
        self.max_fps = max_fps
        self._taken = threading.Event()
        self._taken.set()
        self.state = "opening"
        self.error: BaseException | None = None
        self._cond = threading.Condition()
        self._latest: Frame | None = None
        self._count = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def camera_on(self) -> bool:
        return False

    def start(self) -> FrameSource:
        """Open the source (raises :class:`SourceError`) and start reading."""
        self._open()
        self.state = "running"
        self._thread = threading.Thread(target=self._loop, name=f"mirror-{self.name}", daemon=True)
        self._thread.start()
        return self

    def _open(self) -> None:
        raise NotImplementedError

    def _read(self) -> np.ndarray | None:
        """The next frame as RGB at the capture size; None when the source has ended."""
        raise NotImplementedError

    def _release(self) -> None:
        """Give the device or file back (called on the reader thread when it ends)."""

    def _loop(self) -> None:
        try:
            while not self._stop.is_set():
                if self.lockstep:
                    # Lock-step: read the next frame only once the last one was taken, so a
                    # test sees every frame in order and the bench measures the consumer.
                    while not self._taken.wait(0.1):
                        if self._stop.is_set():
                            return
                    self._taken.clear()
                started = time.monotonic()
                data = self._read()
                if data is None:
                    break
                self._publish(data)
                if self.max_fps > 0:
                    # A slow reader: the frames in between are never decoded.
                    rest = 1.0 / self.max_fps - (time.monotonic() - started)
                    if rest > 0 and self._stop.wait(rest):
                        break
            if self.state == "running":
                self.state = "ended"
        except Exception as exc:  # stored: the pipeline reports it and reopens the source
            self.error = exc
            self.state = "failed"
        finally:
            self._release()
            with self._cond:
                self._cond.notify_all()

    def _publish(self, data: np.ndarray) -> None:
        with self._cond:
            self._count += 1
            self._latest = Frame(data, self._count, time.monotonic())
            self._cond.notify_all()

    def latest(self, after: int = 0, timeout: float = 1.0) -> Frame | None:
        """The newest frame numbered above ``after``, waiting up to ``timeout`` s for one."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._latest is None or self._latest.index <= after:
                if self.state != "running":
                    return None
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)
            self._taken.set()
            return self._latest

    @property
    def alive(self) -> bool:
        return self.state in ("opening", "running")

    def close(self) -> None:
        """Stop reading, join the thread, release the device, forget the last frame."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=5.0)
            if thread.is_alive():  # pragma: no cover - a driver stuck in read()
                log.warning("%s: reader thread did not stop in 5 s", self.name)
        else:
            self._release()
        with self._cond:
            self._latest = None
            if self.state in ("opening", "running"):
                self.state = "ended"
            self._cond.notify_all()


class CameraSource(FrameSource):
    """A camera through OpenCV: fixed capture size, newest frame only, exposure locked if it can.

    Auto exposure is left on for the first second (so the camera finds the room's light) and then
    locked at what it found, so a visitor stepping in does not change the brightness of the empty
    scene behind them, which the person mask depends on. Cameras that refuse keep auto exposure.
    """

    def __init__(
        self,
        index: int,
        width: int,
        height: int,
        flip: bool = True,
        lock_after_s: float = 1.0,
        max_fps: float = 0.0,
    ) -> None:
        super().__init__(width, height, flip, name=f"camera{index}", max_fps=max_fps)
        self.index = index
        self.lock_after_s = lock_after_s
        self._cap: cv2.VideoCapture | None = None
        self._opened_at = 0.0
        self._locked = False
        self._failures = 0

    @property
    def camera_on(self) -> bool:
        return self._cap is not None

    def _open(self) -> None:
        api = cv2.CAP_V4L2 if sys.platform.startswith("linux") else cv2.CAP_ANY
        cap = cv2.VideoCapture(self.index, api)
        if not cap.isOpened():
            cap.release()
            raise SourceError(f"camera {self.index} cannot be opened")
        cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG"))
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        if self.max_fps > 0:
            # The camera picks its nearest rate (often 5 fps): less power, less USB traffic.
            cap.set(cv2.CAP_PROP_FPS, self.max_fps)
        self._cap = cap
        self._opened_at = time.monotonic()
        got = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        log.info("camera %d open at %dx%d (asked %dx%d)", self.index, *got, self.width, self.height)

    def _lock_exposure(self) -> None:
        cap = self._cap
        if cap is None:
            return
        self._locked = True
        exposure = cap.get(cv2.CAP_PROP_EXPOSURE)
        # V4L2 says 1 for manual exposure; other back-ends use 0.25 (the DirectShow convention).
        for manual in (1.0, 0.25):
            if cap.set(cv2.CAP_PROP_AUTO_EXPOSURE, manual):
                cap.set(cv2.CAP_PROP_EXPOSURE, exposure)
                log.info("camera %d: exposure locked at %s", self.index, exposure)
                return
        log.info("camera %d: exposure cannot be locked; left on auto", self.index)

    def _read(self) -> np.ndarray | None:
        cap = self._cap
        if cap is None:
            return None
        while True:
            ok, frame = cap.read()
            if ok and frame is not None:
                break
            self._failures += 1
            if self._failures >= 10:
                raise SourceError(f"camera {self.index} stopped delivering frames")
            if self._stop.wait(0.05):
                return None
        self._failures = 0
        if not self._locked and time.monotonic() - self._opened_at > self.lock_after_s:
            self._lock_exposure()
        return fit(frame, self.width, self.height, self.flip)

    def _release(self) -> None:
        cap, self._cap = self._cap, None
        if cap is not None:
            cap.release()


class VideoSource(FrameSource):
    """A video file, for tests and demonstrations: paced at its frame rate or lock-step.

    ``realtime=False`` hands over every frame in order (lock-step: the reader waits for each to
    be taken), so a test sees the same frames on every run.
    """

    def __init__(
        self,
        path: Path,
        width: int,
        height: int,
        flip: bool = False,
        loop: bool = True,
        realtime: bool = True,
        max_fps: float = 0.0,
    ) -> None:
        super().__init__(
            width, height, flip, name=f"video:{path.name}", lockstep=not realtime, max_fps=max_fps
        )
        self.path, self.loop, self.realtime = path, loop, realtime
        self._cap: cv2.VideoCapture | None = None
        self._interval = 1 / 25
        self._next = 0.0

    def _open(self) -> None:
        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            cap.release()
            raise SourceError(f"{self.path}: cannot be opened as a video")
        fps = cap.get(cv2.CAP_PROP_FPS)
        self._interval = 1.0 / fps if fps and 1 <= fps <= 240 else 1 / 25
        self._cap = cap
        self._next = time.monotonic()

    def _read(self) -> np.ndarray | None:
        cap = self._cap
        if cap is None:
            return None
        if self.realtime:
            delay = self._next - time.monotonic()
            if delay > 0 and self._stop.wait(delay):
                return None
            self._next = max(self._next + self._interval, time.monotonic() - self._interval)
        ok, frame = cap.read()
        if not ok:
            if not self.loop:
                return None
            cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = cap.read()
            if not ok:
                raise SourceError(f"{self.path}: no frames")
        return fit(frame, self.width, self.height, self.flip)

    def _release(self) -> None:
        cap, self._cap = self._cap, None
        if cap is not None:
            cap.release()


class StillSource(FrameSource):
    """One picture, delivered again and again at ``fps`` (0 = lock-step: as fast as taken).

    ``jitter`` moves the picture by a pixel or two each frame, like a person breathing, so the
    pipeline does real work on every frame instead of seeing the same bytes.
    """

    def __init__(
        self,
        image: np.ndarray | Path,
        width: int,
        height: int,
        flip: bool = False,
        fps: float = 30.0,
        jitter: bool = False,
        max_fps: float = 0.0,
    ) -> None:
        super().__init__(width, height, flip, name="still", lockstep=fps <= 0, max_fps=max_fps)
        self._source = image
        self.fps = fps
        self.jitter = jitter
        self._base: np.ndarray | None = None
        self._n = 0

    def _open(self) -> None:
        if isinstance(self._source, Path):
            bgr = cv2.imread(str(self._source), cv2.IMREAD_COLOR)
            if bgr is None:
                raise SourceError(f"{self._source}: cannot be read as a picture")
        else:
            bgr = cv2.cvtColor(self._source, cv2.COLOR_RGB2BGR)
        self._base = fit(bgr, self.width, self.height, self.flip)

    def _read(self) -> np.ndarray | None:
        base = self._base
        if base is None:
            return None
        if self.fps > 0 and self._stop.wait(1.0 / self.fps):
            return None
        self._n += 1
        if not self.jitter:
            return base
        dx, dy = round(2 * np.sin(self._n * 0.3)), round(np.sin(self._n * 0.17))
        m = np.array([[1, 0, dx], [0, 1, dy]], np.float32)
        return cv2.warpAffine(base, m, (self.width, self.height), borderMode=cv2.BORDER_REPLICATE)


def source_factory(
    spec: str, width: int, height: int, flip: bool = True, max_fps: float = 0.0
) -> Callable[[], FrameSource]:
    """A function that opens the configured source: a camera index, a video, or a picture;
    ``max_fps`` > 0 reads at most that many frames a second."""
    spec = spec.strip()

    def open_source() -> FrameSource:
        if is_camera_spec(spec):
            return CameraSource(int(spec), width, height, flip, max_fps=max_fps).start()
        path = Path(spec)
        if not path.is_file():
            raise SourceError(f"{spec}: no such camera or file")
        if path.suffix.lower() in IMAGE_SUFFIXES:
            return StillSource(path, width, height, flip, max_fps=max_fps).start()
        return VideoSource(path, width, height, flip, max_fps=max_fps).start()

    return open_source
