"""Faces for the frost: where they are, found by OpenCV's cascades and smoothed between runs.

* :class:`FaceDetector` runs OpenCV's bundled frontal-face and eye Haar cascades on a small grey
  copy of the frame; :class:`DetectorThread` runs it beside the stylizer, newest frame in, newest
  result out.
* :class:`FaceTracker` smooths the boxes between cascade runs and holds a lost face for a short
  while, fading, so that the frost does not flicker.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:
    from kiosk.mirror.cues import CueOptions


@dataclass(frozen=True)
class Box:
    """A box in frame pixels."""

    x: float
    y: float
    w: float
    h: float

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y + self.h / 2)

    def scaled(self, s: float) -> Box:
        return Box(self.x * s, self.y * s, self.w * s, self.h * s)

    def iou(self, other: Box) -> float:
        x0, y0 = max(self.x, other.x), max(self.y, other.y)
        x1 = min(self.x + self.w, other.x + other.w)
        y1 = min(self.y + self.h, other.y + other.h)
        inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
        union = self.w * self.h + other.w * other.h - inter
        return inter / union if union > 0 else 0.0


DEFAULT_EYES = ((0.31, 0.40), (0.69, 0.40))
"""Eye centres inside a frontal face box, as fractions of it, when the eye cascade finds none."""


@dataclass(frozen=True)
class Face:
    """One smoothed face: its box, eye centres as fractions of the box, and how sure we are."""

    box: Box
    eyes: tuple[tuple[float, float], tuple[float, float]] = DEFAULT_EYES
    strength: float = 1.0


class FaceDetector:
    """OpenCV's frontal-face and eye Haar cascades (shipped inside opencv-python)."""

    def __init__(self, detect_width: int = 200) -> None:
        root = cv2.data.haarcascades  # type: ignore[attr-defined]
        self.face = cv2.CascadeClassifier(root + "haarcascade_frontalface_default.xml")
        self.eye = cv2.CascadeClassifier(root + "haarcascade_eye.xml")
        if self.face.empty() or self.eye.empty():
            raise RuntimeError(f"OpenCV's Haar cascades are missing from {root}")
        self.detect_width = detect_width

    def detect(self, rgb: np.ndarray) -> list[Face]:
        """Faces in an RGB frame, surest first, boxes in the frame's pixels."""
        h, w = rgb.shape[:2]
        scale = min(1.0, self.detect_width / w)
        small = cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        grey = cv2.equalizeHist(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY))
        side = max(20, round(min(grey.shape) * 0.14))
        found, _, weights = self.face.detectMultiScale3(
            grey, scaleFactor=1.12, minNeighbors=4, minSize=(side, side), outputRejectLevels=True
        )
        order = sorted(range(len(found)), key=lambda i: -float(np.ravel(weights)[i]))
        full_grey: np.ndarray | None = None
        faces = []
        for i in order:
            box = Box(*(float(v) for v in found[i])).scaled(1.0 / scale)
            if full_grey is None:
                full_grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
            faces.append(Face(box, self._eyes(full_grey, box)))
        return faces

    def _eyes(self, grey: np.ndarray, box: Box) -> tuple[tuple[float, float], tuple[float, float]]:
        """Eye centres as fractions of the face box, looked for in the box's upper part at a
        size the eye cascade likes; the usual places where it finds none."""
        x0, y0 = max(0, int(box.x)), max(0, int(box.y))
        x1, y1 = int(box.x + box.w), int(box.y + box.h * 0.6)
        roi = grey[y0:y1, x0:x1]
        if roi.size == 0 or roi.shape[1] < 24:
            return DEFAULT_EYES
        k = 120.0 / roi.shape[1]
        roi = cv2.equalizeHist(cv2.resize(roi, (120, max(1, round(roi.shape[0] * k)))))
        found = self.eye.detectMultiScale(
            roi, scaleFactor=1.1, minNeighbors=4, minSize=(14, 14), maxSize=(42, 42)
        )
        left, right = DEFAULT_EYES
        for ex, ey, ew, eh in found:
            cx = (x0 + (ex + ew / 2) / k - box.x) / box.w
            cy = (y0 + (ey + eh / 2) / k - box.y) / box.h
            if not 0.25 < cy < 0.55:
                continue
            if 0.15 < cx < 0.5:
                left = (cx, cy)
            elif 0.5 <= cx < 0.85:
                right = (cx, cy)
        return (left, right)


@dataclass
class _Track:
    face: Face
    missed: int = 0


class FaceTracker:
    """Smooths detections between cascade runs and holds a lost face for a moment, fading."""

    def __init__(self, options: CueOptions) -> None:
        self.options = options
        self.tracks: list[_Track] = []

    def update(self, detections: list[Face] | None) -> list[Face]:
        """Feed a detection result (None on frames without a cascade run); get smoothed faces."""
        opt = self.options
        if detections is not None:
            matched: list[_Track] = []
            unused = list(self.tracks)
            for det in detections[: opt.max_faces]:
                best = max(unused, key=lambda tr: tr.face.box.iou(det.box), default=None)
                if best is not None and best.face.box.iou(det.box) > 0.2:
                    unused.remove(best)
                    matched.append(_Track(self._blend(best.face, det)))
                else:
                    matched.append(_Track(Face(det.box, det.eyes, 0.6)))
            for tr in unused:
                tr.missed += 1
                if tr.missed <= opt.hold_frames // max(1, opt.detect_every):
                    matched.append(tr)
            self.tracks = matched[: opt.max_faces]
        out = []
        for tr in self.tracks:
            held = max(1, opt.hold_frames // max(1, opt.detect_every))
            fade = 1.0 - tr.missed / (held + 1)
            out.append(Face(tr.face.box, tr.face.eyes, tr.face.strength * fade))
        return out

    def _blend(self, old: Face, new: Face) -> Face:
        a = self.options.smoothing
        b0, b1 = old.box, new.box
        box = Box(
            b0.x + a * (b1.x - b0.x),
            b0.y + a * (b1.y - b0.y),
            b0.w + a * (b1.w - b0.w),
            b0.h + a * (b1.h - b0.h),
        )
        eyes = tuple(
            (e0[0] + a * (e1[0] - e0[0]), e0[1] + a * (e1[1] - e0[1]))
            for e0, e1 in zip(old.eyes, new.eyes, strict=True)
        )
        return Face(box, (eyes[0], eyes[1]), min(1.0, old.strength + 0.4))


class DetectorThread:
    """Runs the cascades off the worker's thread: newest frame in, newest result out.

    The cascades take longer than a frame's budget; here they run beside the stylizer, and the
    tracker smooths between results. An exception is stored and re-raised by :meth:`poll`.
    """

    def __init__(self, detector: FaceDetector) -> None:
        self.detector = detector
        self._cond = threading.Condition()
        self._job: np.ndarray | None = None
        self._result: list[Face] | None = None
        self._busy = False
        self._error: BaseException | None = None
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="mirror-faces", daemon=True)
        self._thread.start()

    @property
    def idle(self) -> bool:
        with self._cond:
            return not self._busy and self._job is None

    def submit(self, rgb: np.ndarray) -> None:
        with self._cond:
            self._job = rgb
            self._cond.notify_all()

    def poll(self) -> list[Face] | None:
        with self._cond:
            if self._error is not None:
                raise RuntimeError(f"face detection failed: {self._error}") from self._error
            result, self._result = self._result, None
            return result

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._job is None and not self._stop:
                    self._cond.wait()
                if self._stop:
                    return
                job, self._job, self._busy = self._job, None, True
            assert job is not None  # the wait above ends only with a job or a stop
            try:
                faces = self.detector.detect(job)
            except Exception as exc:
                with self._cond:
                    self._error, self._busy = exc, False
                return
            with self._cond:
                self._result, self._busy = faces, False

    def close(self) -> None:
        with self._cond:
            self._stop = True
            self._job = None
            self._cond.notify_all()
        self._thread.join(timeout=5.0)
