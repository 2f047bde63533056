"""Faces followed from frame to frame, as MediaPipe's face-landmark graph follows them.

* The detector runs only when it has to: while nobody is tracked it looks at the whole frame
  (full range) every other frame and at one more region (a tile, or the short-range model) in
  between; while faces are tracked it looks at one region per frame in turn, so that a newcomer
  is found within a few frames while the tracked faces cost no detection at all.
* Each tracked face's next region comes from its last landmarks (:meth:`FaceLandmarker.track`);
  a face whose presence falls under the landmark model's threshold is lost, and the whole frame
  is looked at again on the next frame.
* The landmarks are smoothed by a One Euro filter per face (:mod:`.smoothing`), speeds measured
  in face sizes, so the frost sits still on a still face and follows a quick turn.
* Faces fade: a new face's strength rises over ``fade_in_s``, a lost one's falls over
  ``fade_out_s`` on its last landmarks; landmarks the model is unsure of fade the same way, so
  that no frost is drawn where the landmarks are not confident.

Nothing here keeps a frame: each call reads the frame it is given and keeps only landmarks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kiosk.mirror.perception.detector import MODELS, FaceDetection, FaceDetector, tile_regions
from kiosk.mirror.perception.geometry import containment, iou
from kiosk.mirror.perception.landmarker import FaceLandmarker, FaceLandmarks
from kiosk.mirror.perception.smoothing import OneEuroFilter, OneEuroOptions


@dataclass(frozen=True)
class TrackOptions:
    """How faces are followed.

    Attributes:
        max_faces: at most this many faces are tracked (the rest are not looked for).
        min_presence: landmarks less sure than this mean the face is lost (MediaPipe: 0.5).
        confident: landmarks at least this sure get the full effect; between the two it fades.
        fade_in_s, fade_out_s: how long a face takes to appear and to go.
        smoothing: the One Euro filter's parameters.
        same_face: a detection overlapping a tracked face this much (IoU, or containment of the
            smaller) is that face, not a newcomer.
    """

    max_faces: int = 6
    min_presence: float = 0.5
    confident: float = 0.75
    fade_in_s: float = 0.4
    fade_out_s: float = 0.6
    smoothing: OneEuroOptions = field(default_factory=OneEuroOptions)
    same_face: float = 0.3


@dataclass(frozen=True)
class TrackedFace:
    """One face as the frost sees it.

    Attributes:
        id: stays the same while the face is tracked.
        points: (468, 3) smoothed landmarks, frame pixels (z as the landmark model gives it).
        presence: the landmark model's confidence in this frame (0 once lost).
        strength: 0..1, how much frost this face gets now (fading in, out, or unsure).
        lost: the face is gone and fading out on its last landmarks.
    """

    id: int
    points: np.ndarray
    presence: float
    strength: float
    lost: bool = False

    @property
    def box(self) -> tuple[float, float, float, float]:
        lo = self.points[:, :2].min(axis=0)
        hi = self.points[:, :2].max(axis=0)
        return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))

    @property
    def size(self) -> float:
        x0, y0, x1, y1 = self.box
        return float(max(x1 - x0, y1 - y0, 1.0))


@dataclass
class _Track:
    id: int
    raw: FaceLandmarks
    smooth: OneEuroFilter
    points: np.ndarray
    strength: float = 0.0
    lost: bool = False
    presence: float = 0.0


def _box(points: np.ndarray) -> np.ndarray:
    return np.concatenate([points[:, :2].min(axis=0), points[:, :2].max(axis=0)]).astype(np.float64)


class FaceTracker:
    """Frame in, tracked faces out. Not thread-safe: one worker calls :meth:`update`."""

    def __init__(
        self,
        detector: FaceDetector,
        landmarker: FaceLandmarker,
        options: TrackOptions | None = None,
    ) -> None:
        self.detector = detector
        self.landmarker = landmarker
        self.options = options or TrackOptions()
        self.tracks: list[_Track] = []
        self._next_id = 1
        self._step = 0
        self._t: float | None = None
        self._look_everywhere = True
        self.detections_run = 0  # detector passes, for tests and the bench

    # ---- detection ----
    def _regions(self, width: int, height: int) -> list[tuple[int, tuple[int, int, int, int]]]:
        """The places looked at in turn: (pass index, region). The whole frame with the
        full-range model comes every other step."""
        o = self.detector.options
        whole = (0, 0, width, height)
        full = [i for i, p in enumerate(self.detector.passes) if p.spec.name == MODELS["full"].name]
        others = [(i, whole) for i, p in enumerate(self.detector.passes) if i not in full]
        first = full[0] if full else 0
        tiles = [
            (first, (x, y, s, s)) for x, y, s in tile_regions(width, height, o.tiles, o.overlap)
        ]
        out: list[tuple[int, tuple[int, int, int, int]]] = []
        for extra in others + tiles or [(first, whole)]:
            out += [(first, whole), extra]
        return out

    def _look(self, frame: np.ndarray) -> list[FaceDetection]:
        h, w = frame.shape[:2]
        regions = self._regions(w, h)
        if self._look_everywhere:
            # Nobody yet, or somebody just lost: the whole frame now, the rest in turn after.
            index, region = 0, (0, 0, w, h)
            self._step = 1
        else:
            index, region = regions[self._step % len(regions)]
            self._step += 1
        self.detections_run += 1
        return self.detector.detect_in(frame, index, region)

    def _is_tracked(self, det: FaceDetection) -> bool:
        live = [t for t in self.tracks if not t.lost]
        if not live:
            return False
        boxes = np.array([_box(t.raw.points) for t in live])
        box = np.array(det.box)
        same = self.options.same_face
        return bool(iou(box, boxes).max() > same or containment(box, boxes).max() > 0.5)

    def _adopt(self, frame: np.ndarray, det: FaceDetection, t: float, strength: float) -> None:
        found = self.landmarker.run(frame, self.landmarker.roi_from_detection(det))
        if found.presence < self.options.min_presence:
            return
        smooth = OneEuroFilter(self.options.smoothing)
        points = smooth(found.points, t)
        self.tracks.append(
            _Track(self._next_id, found, smooth, points, strength, presence=found.presence)
        )
        self._next_id += 1

    # ---- per frame ----
    def seed(self, frame: np.ndarray, t: float = 0.0) -> tuple[TrackedFace, ...]:
        """Every face in a still picture, at full strength: the detector's every pass and tile
        (it takes longer than a frame), then the landmarks refined once from their own region."""
        self.tracks = []
        for det in self.detector.detect(frame)[: self.options.max_faces]:
            if not self._is_tracked(det):
                self._adopt(frame, det, t, 1.0)
        for tr in self.tracks:
            again = self.landmarker.track(frame, tr.raw)
            if again is not None:
                tr.raw, tr.presence = again, again.presence
                tr.smooth.reset()
                tr.points = tr.smooth(again.points, t)
        self._drop_duplicates()
        for tr in self.tracks:
            tr.strength = self._confidence(tr.presence)
        self._t = t
        self._look_everywhere = not self.tracks
        return self.faces()

    def update(self, frame: np.ndarray, t: float) -> tuple[TrackedFace, ...]:
        """Follow the faces into this frame (time ``t`` in seconds) and look for newcomers."""
        dt = 0.0 if self._t is None else max(0.0, t - self._t)
        self._t = t
        o = self.options
        for tr in self.tracks:
            if tr.lost:
                continue
            found = self.landmarker.track(frame, tr.raw)
            if found is None:
                tr.lost, tr.presence = True, 0.0
                self._look_everywhere = True
                continue
            tr.raw, tr.presence = found, found.presence
            size = float(np.ptp(found.points[:, :2], axis=0).max())
            tr.points = tr.smooth(found.points, t, scale=max(size, 1.0))
        self._drop_duplicates()
        live = sum(not tr.lost for tr in self.tracks)
        if live < o.max_faces:
            looked_everywhere = self._look_everywhere
            for det in self._look(frame):
                if live >= o.max_faces:
                    break
                if not self._is_tracked(det):
                    self._adopt(frame, det, t, 0.0)
                    live += 1
            if looked_everywhere:
                self._look_everywhere = live == 0
        for tr in self.tracks:
            target = 0.0 if tr.lost else self._confidence(tr.presence)
            rate = dt / (o.fade_in_s if target > tr.strength else o.fade_out_s)
            tr.strength = float(tr.strength + np.clip(target - tr.strength, -rate, rate))
        self.tracks = [tr for tr in self.tracks if not (tr.lost and tr.strength <= 0.0)]
        return self.faces()

    def faces(self) -> tuple[TrackedFace, ...]:
        return tuple(
            TrackedFace(tr.id, tr.points.astype(np.float32), tr.presence, tr.strength, tr.lost)
            for tr in self.tracks
        )

    def _confidence(self, presence: float) -> float:
        o = self.options
        span = max(o.confident - o.min_presence, 1e-6)
        return float(np.clip((presence - o.min_presence) / span, 0.0, 1.0))

    def _drop_duplicates(self) -> None:
        """Two tracks that have slid onto one face: the older stays."""
        kept: list[_Track] = []
        for tr in sorted(self.tracks, key=lambda tr: (tr.lost, tr.id)):
            if kept and not tr.lost:
                live = [_box(k.raw.points) for k in kept if not k.lost]
                boxes = np.array(live) if live else np.zeros((1, 4))
                if iou(_box(tr.raw.points), boxes).max() > 0.5:
                    continue
            kept.append(tr)
        self.tracks = sorted(kept, key=lambda tr: tr.id)

    def reset(self) -> None:
        self.tracks, self._t, self._look_everywhere, self._step = [], None, True, 0
