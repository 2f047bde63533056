"""Someone in front of the kiosk? A glance for a face a few times a second, for the attract loop.

While the attract loop shows (and only when the mirror is switched on and its camera is there),
:class:`PresenceWatcher` opens the camera at a low rate and lets the mirror's own face detector
look at the whole frame a few times a second (:meth:`FaceDetector.glance`: one model call). The
attract loop asks :meth:`PresenceWatcher.present` and, when someone is there, invites them to the
mirror.

What it keeps: a count of glances in a row that saw a face and when one was last seen. Each frame
is looked at and dropped; nothing is written, logged or counted per person. A face must be seen
in ``confirm`` glances in a row (one odd detection invites nobody) and big enough to be someone
near (``min_face``); someone stays "present" for ``hold_s`` after the last glance that saw them,
so a head turned for a moment does not make the invitation blink.

:meth:`PresenceWatcher.stop` never blocks the screen's thread: the worker closes the camera by
itself, and whoever opens the camera next (a new watch, or the mirror) first joins the old worker
(:meth:`PresenceWatcher.join`), so the device is never opened twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.mirror.camera import FrameSource
from kiosk.mirror.perception import FaceDetector

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PresenceOptions:
    """How the attract loop watches for a visitor.

    Attributes:
        fps: glances a second (and the camera's frame rate while watching); a few are enough.
        confirm: glances in a row that must see a face before someone counts as there.
        hold_s: someone stays there this long after the last glance that saw a face.
        min_face: the smallest face that counts, as a share of the frame's width (0.05 is about
            a face 2.5 m from a webcam with a 60 degree view): far passers-by are not invited.
        retry_s: how long to wait before trying a camera that cannot be opened again.
    """

    fps: float = 4.0
    confirm: int = 2
    hold_s: float = 2.0
    min_face: float = 0.05
    retry_s: float = 5.0


class PresenceWatcher:
    """A worker that glances for a face at a low rate. Start, ask, stop; :meth:`join` at the end."""

    def __init__(
        self,
        open_source: Callable[[], FrameSource],
        detector: FaceDetector,
        options: PresenceOptions | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.open_source = open_source
        self.detector = detector
        self.options = options or PresenceOptions()
        self.clock = clock
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._seen_at: float | None = None
        self._camera_on = False

    @property
    def watching(self) -> bool:
        """Asked to watch (not stopped since); the camera may still be opening."""
        return self._thread is not None and not self._stop.is_set()

    @property
    def camera_on(self) -> bool:
        with self._lock:
            return self._camera_on

    def present(self) -> bool:
        """Whether someone stands in front of the camera now (False when not watching)."""
        if not self.watching:
            return False
        with self._lock:
            seen = self._seen_at
        return seen is not None and self.clock() - seen <= self.options.hold_s

    def start(self) -> None:
        """Start watching (no-op while watching). Returns at once."""
        if self.watching:
            return
        previous = self._thread
        self._stop = stop = threading.Event()
        with self._lock:
            self._seen_at = None
        self._thread = threading.Thread(
            target=self._run, args=(stop, previous), name="mirror-presence", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop watching and forget who was there; the worker closes the camera by itself."""
        self._stop.set()
        with self._lock:
            self._seen_at = None

    def join(self, timeout: float = 10.0) -> None:
        """Stop and wait until the worker has closed the camera (before the camera is opened
        again elsewhere, and when the kiosk quits)."""
        self.stop()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():  # pragma: no cover - a driver stuck in read()
                log.warning("presence watcher did not stop in %.0f s", timeout)

    # ---- the worker's side ----
    def _run(self, stop: threading.Event, previous: threading.Thread | None) -> None:
        if previous is not None:
            previous.join(10.0)  # the last watch may still be closing the camera
        o = self.options
        source: FrameSource | None = None
        streak = 0
        last = 0
        try:
            while not stop.is_set():
                if source is None:
                    try:
                        source = self.open_source()
                    except Exception as exc:
                        log.info("presence: camera not available: %s", exc)
                        stop.wait(o.retry_s)
                        continue
                    with self._lock:
                        self._camera_on = True
                    last = 0
                frame = source.latest(after=last, timeout=1.0)
                if frame is None:
                    if not source.alive:
                        log.info("presence: camera lost: %s", source.error or source.state)
                        source.close()
                        source = None
                        with self._lock:
                            self._camera_on = False
                        stop.wait(o.retry_s)
                    continue
                last = frame.index
                started = time.monotonic()
                width = frame.data.shape[1]
                near = any(f.width >= o.min_face * width for f in self.detector.glance(frame.data))
                del frame  # looked at, dropped
                streak = streak + 1 if near else 0
                if streak >= o.confirm and not stop.is_set():
                    with self._lock:
                        self._seen_at = self.clock()
                # Paced here too: a source that ignores its rate is still glanced at slowly.
                stop.wait(max(0.0, 1.0 / o.fps - (time.monotonic() - started)))
        except Exception:  # the invitation is a nicety: log it, never take the kiosk down
            log.exception("presence watcher stopped")
        finally:
            if source is not None:
                source.close()
            with self._lock:
                self._camera_on = False
                self._seen_at = None
