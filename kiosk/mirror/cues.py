"""Where the frost goes: face and eye boxes, the face-cue map, and the person mask.

* Faces and eyes come from OpenCV's bundled Haar cascades, run on a small grey copy of the frame
  every few frames; between runs, and for a short while after a face is lost, the boxes are
  smoothed and held so that the frost does not flicker.
* The face-cue map (:data:`CUE_CHANNELS`) is drawn from those boxes at a quarter of the frame's
  size: soft gaussians at the brows, lashes, hairline, moustache and beard (where the rime grows),
  the face itself, the mouth (breath), the cheeks, and the face's polar coordinates for the ruff.
* The person mask comes from a model of the empty scene, learned while nobody stands there and
  frozen while somebody does; until it has seen the empty scene there is no mask and the effect
  covers the whole frame.

Everything here is numpy and OpenCV: no camera, no threads, no drawing on screen.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

CUE_CHANNELS = ("rime", "face", "hood_r", "hood_a", "breath", "cheeks")
"""The face-cue map's channels, in order (the frost model reads them by position)."""

NO_FACE_RADIUS = 9.0
"""hood_r where there is no face: far outside any ruff."""

F32 = NDArray[np.float32]


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


@dataclass(frozen=True)
class CueOptions:
    """How the cues are found.

    Attributes:
        detect_every: run the cascades on every n-th frame; boxes are smoothed in between.
        detect_width: width of the grey copy the cascades see (smaller is faster, finds less).
        hold_frames: frames a lost face is kept, fading, before it is dropped.
        smoothing: weight of a new detection against the smoothed box (0..1; 1 = no smoothing).
        map_scale: size of the cue map and mask relative to the frame.
        max_faces: at most this many faces get frost and a ruff.
        learn_rate: how fast the empty-scene model follows the scene while nobody is there.
        learn_frames: frames of empty scene needed before the mask is used.
    """

    detect_every: int = 3
    detect_width: int = 200
    hold_frames: int = 15
    smoothing: float = 0.45
    map_scale: float = 0.25
    max_faces: int = 3
    learn_rate: float = 0.08
    learn_frames: int = 20


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


def empty_cue_map(width: int, height: int) -> F32:
    """A cue map with no face in it."""
    cue = np.zeros((len(CUE_CHANNELS), height, width), np.float32)
    cue[2] = NO_FACE_RADIUS
    return cue


def render_cue_map(faces: list[Face], width: int, height: int, scale: float) -> F32:
    """Draw the face-cue map (channels :data:`CUE_CHANNELS`) at ``width`` x ``height``.

    ``scale`` turns frame pixels into map pixels (0.25 for a map a quarter of the frame's size).
    Each face is drawn only in the window its ruff and breath can reach.
    """
    cue = empty_cue_map(width, height)
    for face in faces:
        b = face.box.scaled(scale)
        s = float(np.clip(face.strength, 0.0, 1.0))
        if s <= 0.01 or b.w < 2:
            continue
        cx, cy = b.x + 0.5 * b.w, b.y + 0.5 * b.h
        x0, x1 = max(0, int(cx - 1.4 * b.w)), min(width, int(cx + 1.4 * b.w) + 1)
        y0, y1 = max(0, int(cy - 1.7 * b.h)), min(height, int(cy + 1.8 * b.h) + 1)
        if x0 >= x1 or y0 >= y1:
            continue
        ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        win = cue[:, y0:y1, x0:x1]

        def blob(
            fx: float, fy: float, sx: float, sy: float, b: Box = b, xs: F32 = xs, ys: F32 = ys
        ) -> F32:
            gx = (xs - (b.x + fx * b.w)) / (sx * b.w)
            gy = (ys - (b.y + fy * b.h)) / (sy * b.h)
            return np.exp(-(gx * gx + gy * gy))

        (lx, ly), (rx, ry) = face.eyes
        rime = np.zeros_like(xs)
        for ex, ey in ((lx, ly), (rx, ry)):
            rime = np.maximum(rime, blob(ex, ey - 0.11, 0.15, 0.045))  # brow
            rime = np.maximum(rime, 0.85 * blob(ex, ey - 0.02, 0.1, 0.035))  # lashes
        rime = np.maximum(rime, 0.75 * blob(0.5, 0.77, 0.2, 0.05))  # moustache
        rime = np.maximum(rime, 0.6 * blob(0.5, 0.98, 0.28, 0.09))  # beard, chin
        # The hairline: a band along the top of the head's ellipse, and down the temples.
        dx, dy = (xs - cx) / (0.5 * b.w), (ys - (b.y + 0.55 * b.h)) / (0.62 * b.h)
        er = np.sqrt(dx * dx + dy * dy)
        hair = np.exp(-(((er - 0.95) / 0.14) ** 2)) * np.clip(-dy * 1.4, 0.0, 1.0)
        rime = np.maximum(rime, 0.7 * hair)
        face_w = np.clip((1.05 - er) * 4.0, 0.0, 1.0)

        # The ruff: elliptical radius and angle round the face (0 at the top, +-1 at the chin).
        # A fading face's ruff slides outward and off, rather than snapping away.
        qx, qy = (xs - cx) / (0.62 * b.w), (ys - cy) / (0.8 * b.h)
        radius = np.sqrt(qx * qx + qy * qy) - (1.0 - s) * 2.5
        angle = np.arctan2(qx, -qy) * (1.0 / math.pi)
        nearer = radius < win[2]
        win[2] = np.where(nearer, radius, win[2])
        win[3] = np.where(nearer, angle, win[3])

        np.maximum(win[0], rime * s, out=win[0])
        np.maximum(win[1], face_w * s, out=win[1])
        np.maximum(win[4], blob(0.5, 1.12, 0.32, 0.2) * s, out=win[4])
        cheeks = np.maximum(blob(lx - 0.04, 0.66, 0.11, 0.08), blob(rx + 0.04, 0.66, 0.11, 0.08))
        np.maximum(win[5], cheeks * s, out=win[5])
    return cue


@dataclass
class PersonMask:
    """A model of the empty scene; where the frame differs from it, a person stands.

    It learns (a running average) only while the scene looks empty: no face and almost nothing
    different from the model. While somebody is there it stays frozen, so a visitor who keeps
    still is not learned into the background. If the whole scene stays different for a long time
    with nobody's face in it (the light changed, the camera moved) it starts learning afresh.
    """

    learn_rate: float = 0.08
    learn_frames: int = 20
    low: float = 16.0
    high: float = 42.0
    relearn_after: int = 300
    model: F32 | None = None
    learned: int = 0
    strange: int = 0
    kernel: np.ndarray = field(
        default_factory=lambda: cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    )

    @property
    def ready(self) -> bool:
        return self.model is not None and self.learned >= self.learn_frames

    def reset(self) -> None:
        self.model, self.learned, self.strange = None, 0, 0

    def update(self, small: np.ndarray, faces: list[Face], scale: float) -> F32 | None:
        """Feed a small RGB frame; returns the mask (1 = person) or None while still learning."""
        frame = small.astype(np.float32)
        if self.model is None or self.model.shape != frame.shape:
            self.model, self.learned, self.strange = frame.copy(), 1, 0
            return None
        diff = np.abs(frame - self.model).max(axis=2)
        diff = cv2.blur(diff, (3, 3))
        raw = np.clip((diff - self.low) / (self.high - self.low), 0.0, 1.0)
        coverage = float((raw > 0.5).mean())
        if not faces and coverage < 0.03:
            cv2.accumulateWeighted(frame, self.model, self.learn_rate)
            self.learned += 1
            self.strange = 0
        elif not faces and coverage > 0.6:
            self.strange += 1
            if self.strange > self.relearn_after:
                self.reset()
                return None
        if not self.ready:
            return None
        mask = cv2.morphologyEx(raw, cv2.MORPH_CLOSE, self.kernel)
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, self.kernel)
        h, w = mask.shape
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        for face in faces:
            b = face.box.scaled(scale)
            cx, cy = b.x + b.w / 2, b.y + b.h / 2
            # The head, and the shoulders and body below it, are person even where they happen
            # to match the empty scene's colours.
            head = ((xs - cx) / (0.7 * b.w)) ** 2 + ((ys - cy) / (0.95 * b.h)) ** 2 < 1.0
            body = (ys > cy + 0.6 * b.h) & (
                np.abs(xs - cx) < b.w * (0.6 + 0.9 * np.clip((ys - cy) / b.h - 0.6, 0, 1))
            )
            prior = (head | body).astype(np.float32) * float(min(1.0, face.strength * 1.5))
            mask = np.maximum(mask, prior * 0.9)
        return cv2.GaussianBlur(mask, (0, 0), 1.2).astype(np.float32)


@dataclass(frozen=True)
class Cues:
    """What the stylizer needs for one frame, plus what a test or the admin screen may look at."""

    cue_map: F32
    mask: F32 | None
    faces: tuple[Face, ...]


class _DetectorThread:
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


class CueTracker:
    """Frame in, :class:`Cues` out: cascades every few frames, smoothing, the person mask.

    With ``asynchronous`` the cascades run in a thread of their own and their result is used when
    it arrives (a frame or two later); without, they run inline on every ``detect_every``-th
    frame, so a test sees the same cues on every run. :meth:`close` joins the thread.
    """

    def __init__(
        self,
        options: CueOptions | None = None,
        asynchronous: bool = False,
        detector: FaceDetector | None = None,
    ) -> None:
        self.options = options or CueOptions()
        # A detector may be handed on from the previous session: loading the cascades again
        # for every visitor costs time and leaves the heap more fragmented each time.
        self.detector = detector or FaceDetector(self.options.detect_width)
        self.tracker = FaceTracker(self.options)
        self.person = PersonMask(self.options.learn_rate, self.options.learn_frames)
        self.frames = 0
        self._since = 0
        self._worker = _DetectorThread(self.detector) if asynchronous else None

    def update(self, rgb: np.ndarray) -> Cues:
        h, w = rgb.shape[:2]
        opt = self.options
        detections = None
        due = self._since % max(1, opt.detect_every) == 0
        if self._worker is None:
            if due:
                detections = self.detector.detect(rgb)
        else:
            detections = self._worker.poll()
            if due and self._worker.idle:
                self._worker.submit(rgb)
            elif due:
                self._since -= 1  # still busy: ask again next frame
        self._since += 1
        self.frames += 1
        faces = self.tracker.update(detections)
        mw, mh = max(1, round(w * opt.map_scale)), max(1, round(h * opt.map_scale))
        scale = mw / w
        small = cv2.resize(rgb, (mw, mh), interpolation=cv2.INTER_AREA)
        mask = self.person.update(small, faces, scale)
        return Cues(render_cue_map(faces, mw, mh, scale), mask, tuple(faces))

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()
            self._worker = None
