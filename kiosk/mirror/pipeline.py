"""The mirror's workers: camera -> faces, mask and cues -> stylizer -> the newest finished frame.

Two threads do the work, one after the other on each frame but side by side across frames: the
perception worker finds the faces, the mask and the cue map of frame N+1 while the stylize worker
draws frame N; a latest-value slot hands the cues over (the stylizer always takes the newest, so
it never falls behind the camera). The screen's thread only reads
:meth:`MirrorPipeline.latest_frame` (another latest-value slot: the frame is already stylized
and scaled to the view, ready to blit) and :meth:`MirrorPipeline.status`. The camera is opened
when the mirror starts and closed when it stops, so it is on only while the mirror is on screen.
A camera that cannot be opened, or is lost mid-use, is tried again every couple of seconds; the
mirror comes back by itself when it does.

The perception models (:class:`~kiosk.mirror.cues.PerceptionModels`) are loaded once, outside;
without them (missing or broken files) the perception worker hands the stylizer no cues and the
mirror shows its plain frost grade, and :meth:`MirrorPipeline.status` says which model is
missing.

An error in the cues or the model (in either worker) is stored, stops both, and is re-raised on
the screen's thread by :meth:`MirrorPipeline.check`; a camera problem only changes the status.

While the attract loop shows, :meth:`MirrorPipeline.watch` lets a
:class:`~kiosk.mirror.presence.PresenceWatcher` glance for a visitor with the same face detector
and the camera at a low rate, and :meth:`MirrorPipeline.someone_present` says whether someone is
there. The mirror and the watcher never hold the camera together: starting the mirror stops the
watch, and the mirror's worker waits for the watcher to close the camera before opening it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from kiosk.mirror.camera import FrameSource
from kiosk.mirror.cues import CueOptions, Cues, CueTracker, PerceptionModels
from kiosk.mirror.imaging import cover
from kiosk.mirror.presence import PresenceOptions, PresenceWatcher
from kiosk.mirror.stylizer import Stylizer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MirrorFrame:
    """A stylized frame ready to blit: RGB uint8 HxWx3 (C-contiguous), its size and age."""

    data: np.ndarray
    size: tuple[int, int]
    pts: float
    index: int
    faces: int


@dataclass(frozen=True)
class MirrorStatus:
    """What the scene and the admin screen show about the mirror.

    ``state``: ``off`` (not started), ``starting``, ``running``, ``no_camera`` (never opened),
    ``lost`` (was running, the camera went away), ``error`` (the model failed; see ``error``).
    """

    state: str
    camera_on: bool
    provider: str
    fps: float
    stylize_ms: float
    cues_ms: float
    error: str | None = None
    perception: str = "ok"
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Perceived:
    """One frame with its cues, from the perception worker to the stylize worker."""

    data: np.ndarray
    index: int
    t: float
    cues: Cues


class _Slot:
    """A latest-value slot between two threads: a new item replaces one not yet taken."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: _Perceived | None = None

    def put(self, item: _Perceived) -> None:
        with self._cond:
            self._item = item
            self._cond.notify()

    def take(self, stop: threading.Event, timeout: float) -> _Perceived | None:
        with self._cond:
            self._cond.wait_for(lambda: self._item is not None or stop.is_set(), timeout)
            item, self._item = self._item, None
            return item

    def clear(self) -> None:
        with self._cond:
            self._item = None
            self._cond.notify_all()


class MirrorPipeline:
    """Runs the mirror in a worker thread. Start, read, stop; :meth:`close` joins everything."""

    def __init__(
        self,
        open_source: Callable[[], FrameSource],
        stylizer: Stylizer,
        perception: PerceptionModels | None = None,
        cue_options: CueOptions | None = None,
        retry_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        watch_source: Callable[[], FrameSource] | None = None,
        presence: PresenceOptions | None = None,
    ) -> None:
        self.open_source = open_source
        self.stylizer = stylizer
        self.perception = perception or PerceptionModels(
            problems={"perception": "no perception models were loaded"}
        )
        self.cue_options = cue_options or CueOptions()
        self.retry_s = retry_s
        self.clock = clock
        self._lock = threading.Lock()
        self._latest: MirrorFrame | None = None
        self._view_size: tuple[int, int] | None = None
        self._state = "off"
        self._camera_on = False
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._styler: threading.Thread | None = None
        self._handover = _Slot()
        self._shown = 0
        self._times: deque[float] = deque(maxlen=30)
        self._stylize_ms: deque[float] = deque(maxlen=30)
        self._cues_ms: deque[float] = deque(maxlen=30)
        # The attract loop's glance for a visitor: only with a face detector and a way to open
        # the camera at a low rate (``watch_source``); without them nobody is ever "present".
        self.watcher: PresenceWatcher | None = None
        if watch_source is not None and self.perception.detector is not None:
            self.watcher = PresenceWatcher(
                watch_source, self.perception.detector, presence, clock=clock
            )

    # ---- the screen's side ----
    def describe(self) -> dict[str, object]:
        """The style model and the perception models, for the admin screen and the health file."""
        return {**self.stylizer.describe(), "perception": self.perception.describe()}

    def start(self) -> None:
        """Open the camera and start stylizing (no-op when already running); stops a watch."""
        if self._thread is not None:
            return
        if self.watcher is not None:
            self.watcher.stop()  # the worker waits for it to close the camera
        self._stop.clear()
        with self._lock:
            self._state, self._error, self._latest = "starting", None, None
        self._handover.clear()
        self._thread = threading.Thread(target=self._run, name="mirror-pipeline", daemon=True)
        self._styler = threading.Thread(target=self._stylize, name="mirror-stylize", daemon=True)
        self._thread.start()
        self._styler.start()

    def watch(self, on: bool) -> None:
        """Glance for a visitor (camera at a low rate) while ``on``; never while the mirror
        runs. Returns at once: the watcher opens and closes the camera in its own thread."""
        if self.watcher is None:
            return
        if on and self._thread is None:
            self.watcher.start()
        else:
            self.watcher.stop()

    def someone_present(self) -> bool:
        """Whether the watch sees someone in front of the kiosk now (False when not watching)."""
        return self.watcher is not None and self.watcher.present()

    def stop(self) -> None:
        """Stop, close the camera (its light goes off), forget every frame; ends a watch too."""
        if self.watcher is not None:
            self.watcher.join()
        self._stop.set()
        self._handover.clear()
        threads = (self._thread, self._styler)
        self._thread = self._styler = None
        for thread in threads:
            if thread is not None:
                thread.join(timeout=10.0)
                if thread.is_alive():  # pragma: no cover
                    log.warning("%s did not stop in 10 s", thread.name)
        with self._lock:
            self._latest = None
            self._camera_on = False
            if self._state != "error":
                self._state = "off"

    close = stop

    def set_view_size(self, size: tuple[int, int] | None) -> None:
        """Deliver frames scaled (and centre-cropped) to fill this size; None = capture size."""
        with self._lock:
            self._view_size = size

    def latest_frame(self) -> MirrorFrame | None:
        with self._lock:
            return self._latest

    @property
    def frames_shown(self) -> int:
        """Stylized frames handed to the screen since the pipeline was made (for the bench)."""
        with self._lock:
            return self._shown

    def status(self) -> MirrorStatus:
        with self._lock:
            times = list(self._times)
            fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
            if times and self.clock() - times[-1] > 1.0:
                fps = 0.0
            return MirrorStatus(
                state=self._state,
                camera_on=self._camera_on,
                provider=self.stylizer.provider,
                fps=round(fps, 1),
                stylize_ms=round(float(np.median(self._stylize_ms)), 2) if self._stylize_ms else 0,
                cues_ms=round(float(np.median(self._cues_ms)), 2) if self._cues_ms else 0.0,
                error=str(self._error) if self._error else None,
                perception=self.perception.state,
                problems=tuple(f"{k}: {v}" for k, v in self.perception.problems.items()),
            )

    def check(self) -> None:
        """Re-raise, on the caller's thread, an error that stopped the worker."""
        with self._lock:
            error = self._error
        if error is not None:
            raise RuntimeError(f"frost mirror stopped: {error}") from error

    # ---- the worker's side ----
    def _set(self, state: str, camera_on: bool | None = None) -> None:
        with self._lock:
            if state != self._state:
                log.info("frost mirror: %s", state)
            self._state = state
            if camera_on is not None:
                self._camera_on = camera_on
            if state != "running":
                self._latest = None

    def _run(self) -> None:
        source: FrameSource | None = None
        ever_opened = False
        tracker = CueTracker(self.perception, self.cue_options)
        started, last = self.clock(), 0
        if self.watcher is not None:
            self.watcher.join()  # the attract loop's watch lets go of the camera first
        try:
            while not self._stop.is_set():
                if source is None:
                    try:
                        source = self.open_source()
                    except Exception as exc:
                        log.info("frost mirror: camera not available: %s", exc)
                        self._set("lost" if ever_opened else "no_camera", camera_on=False)
                        self._stop.wait(self.retry_s)
                        continue
                    ever_opened = True
                    tracker.reset()  # a new session: nobody is remembered from the last one
                    self._handover.clear()
                    started = self.clock()
                    last = 0
                    self._set("running", camera_on=True)  # any open source counts as "camera on"
                frame = source.latest(after=last, timeout=1.0)
                if frame is None:
                    if not source.alive:
                        log.warning("frost mirror: camera lost: %s", source.error or source.state)
                        source.close()
                        source = None
                        self._set("lost", camera_on=False)
                        self._stop.wait(self.retry_s)
                    continue
                last = frame.index
                t = self.clock() - started
                t0 = time.perf_counter()
                cues = tracker.update(frame.data, t)
                with self._lock:
                    self._cues_ms.append((time.perf_counter() - t0) * 1000)
                self._handover.put(_Perceived(frame.data, frame.index, t, cues))
        except Exception as exc:
            self._fail(exc)
        finally:
            tracker.close()
            if source is not None:
                source.close()
            with self._lock:
                self._camera_on = False

    def _fail(self, exc: BaseException) -> None:
        """Either worker: keep the error for :meth:`check` and stop both."""
        log.exception("frost mirror stopped")
        with self._lock:
            if self._error is None:
                self._error = exc
        self._set("error")
        self._stop.set()
        self._handover.clear()

    def _stylize(self) -> None:
        """The stylize worker: the newest frame's cues in, a frame ready to blit out."""
        try:
            while not self._stop.is_set():
                item = self._handover.take(self._stop, timeout=0.5)
                if item is not None:
                    self._publish(item)
        except Exception as exc:
            self._fail(exc)

    def _publish(self, item: _Perceived) -> None:
        cues = item.cues
        t0 = time.perf_counter()
        image = self.stylizer.run(item.data, cues.mask, cues.cue_map, item.t)
        t1 = time.perf_counter()
        with self._lock:
            view = self._view_size
        if view is not None and view != (image.shape[1], image.shape[0]):
            image = cover(image, *view, enlarge=cv2.INTER_LINEAR)
        faces = sum(f.strength > 0.5 for f in cues.faces)
        frame = MirrorFrame(image, (image.shape[1], image.shape[0]), item.t, item.index, faces)
        with self._lock:
            # Not after a stop, nor over a camera just lost (that screen has no picture).
            if self._stop.is_set() or self._state != "running":
                return
            self._latest = frame
            self._shown += 1
            self._times.append(self.clock())
            self._stylize_ms.append((t1 - t0) * 1000)
