"""Face detection with BlazeFace: every face in a frame, with six keypoints and its roll.

Input contract: an RGB uint8 frame, H x W x 3, any size. The frame (or each tile of it) is
scaled to fit the model's square input keeping its aspect ratio, the rest black (MediaPipe's
letterbox), values mapped to [-1, 1]. Anchors, decoding and weighted non-max suppression follow
MediaPipe's face-detection graph; results come back in frame pixels.

Two models, measured on real photographs (tests/test_mirror_perception.py): ``full`` range
(192x192) on the whole 640x480 frame finds upright faces down to 30-40 px wide, but misses close
faces turned three-quarters away, which ``short`` range (128x128) finds; a small face leaning far
over (45 px at 50 degrees) is found only in ``tiles``, overlapping squares of the frame that the
full-range model also looks at. Each pass's candidates are merged by MediaPipe's weighted
suppression, then the passes are merged keeping the better of two boxes for one face. The
default (both models, 2x2 tiles) costs about 25 ms on one core of a 2-core machine, against about
5 ms for the whole frame alone: run it when a face is missing, not every frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from kiosk.mirror.perception.geometry import (
    containment,
    decode_boxes,
    iou,
    roll,
    sigmoid,
    ssd_anchors,
    weighted_nms,
)
from kiosk.mirror.perception.session import ModelSession, PerceptionError, PerceptionOptions

KEYPOINTS = ("right_eye", "left_eye", "nose_tip", "mouth", "right_ear", "left_ear")
"""BlazeFace's six keypoints, in order; right and left are the person's own."""


CONTAINED = 0.5
"""Between models: a face box this much inside another (of the smaller's area) is the same face."""


@dataclass(frozen=True)
class _Model:
    name: str
    strides: tuple[int, ...]
    interpolated: float
    min_score: float


MODELS = {
    "short": _Model("face_detection_short_range", (8, 16, 16, 16), 1.0, 0.5),
    "full": _Model("face_detection_full_range", (4,), 0.0, 0.6),
}


@dataclass(frozen=True)
class DetectorOptions:
    """How faces are looked for.

    Attributes:
        models: the detectors to run on the whole frame, each once: ``full`` range finds faces
            down to about 30 px wide in 640x480, ``short`` range finds close three-quarter faces
            that full range misses. Each model's candidates are merged by MediaPipe's weighted
            suppression; between models the better-scored of two overlapping faces is kept.
        min_score: the least score kept; None = MediaPipe's (0.6 full range, 0.5 short range).
        nms_threshold: IoU above which candidates are one face (MediaPipe: 0.3).
        tiles: the full-range model also looks at a grid of this many columns of overlapping
            squares (as many rows as cover the height), so that small faces leaning far over get
            enough pixels; 0 = the whole frame only.
        overlap: how much neighbouring tiles overlap, as a fraction of a tile.
    """

    models: tuple[str, ...] = ("full", "short")
    min_score: float | None = None
    nms_threshold: float = 0.3
    tiles: int = 2
    overlap: float = 0.25


@dataclass(frozen=True)
class FaceDetection:
    """One face in frame pixels.

    Attributes:
        box: x0, y0, x1, y1.
        keypoints: (6, 2) x, y in the order of :data:`KEYPOINTS`.
        score: the detector's confidence, 0..1.
        rotation: the roll in radians from the eyes, 0 upright, positive when the face leans to
            the picture's right (the landmark model's crop turns by this much).
    """

    box: tuple[float, float, float, float]
    keypoints: np.ndarray
    score: float
    rotation: float

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]


def tile_regions(
    width: int, height: int, columns: int, overlap: float
) -> list[tuple[int, int, int]]:
    """Squares (x, y, side) covering the frame in ``columns`` columns, overlapping."""
    if columns <= 0:
        return []
    side = int(np.ceil(width / (columns - (columns - 1) * overlap)))
    side = min(side, width, height)
    out = []
    rows = max(1, int(np.ceil((height - side) / (side * (1 - overlap)))) + 1)
    for r in range(rows):
        y = 0 if rows == 1 else round(r * (height - side) / (rows - 1))
        for c in range(columns):
            x = 0 if columns == 1 else round(c * (width - side) / (columns - 1))
            out.append((x, y, side))
    return out


class _Pass:
    """One BlazeFace model: its session, anchors and decoding."""

    def __init__(self, models_dir: Path, spec: _Model, options: PerceptionOptions) -> None:
        self.spec = spec
        self.model = ModelSession(models_dir, spec.name, options)
        self.size = self.model.input_size[0]
        self.anchors = ssd_anchors(self.size, spec.strides, spec.interpolated)

    def letterbox(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The model's input, and the scale and offset (x, y) that map input pixels back."""
        h, w = image.shape[:2]
        s = self.size / max(w, h)
        nw, nh = max(1, round(w * s)), max(1, round(h * s))
        canvas = np.zeros((self.size, self.size, 3), np.uint8)
        ox, oy = (self.size - nw) // 2, (self.size - nh) // 2
        interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
        canvas[oy : oy + nh, ox : ox + nw] = cv2.resize(image, (nw, nh), interpolation=interp)
        x = canvas.astype(np.float32) * (2.0 / 255.0) - 1.0
        return x[None], np.array([nw / w, nh / h]), np.array([ox, oy], np.float64)

    def candidates(
        self, frame: np.ndarray, region: tuple[int, int, int, int], min_score: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Boxes (N, 4), keypoints (N, 6, 2) in frame pixels and scores above ``min_score``."""
        x, y, w, h = region
        tensor, scale, offset = self.letterbox(frame[y : y + h, x : x + w])
        raw, logits = self.model.run(tensor)
        scores = sigmoid(logits[0, :, 0])
        keep = scores >= min_score
        boxes, kps = decode_boxes(raw[0][keep], self.anchors[keep], float(self.size))
        origin = np.array([x, y], np.float64)
        boxes = boxes.reshape(-1, 2, 2) * self.size - offset
        boxes = (boxes / scale + origin).reshape(-1, 4)
        kps = (kps * self.size - offset) / scale + origin
        return boxes, kps, scores[keep]


class FaceDetector:
    """BlazeFace on onnxruntime. Not thread-safe: one worker calls :meth:`detect`."""

    def __init__(
        self,
        models_dir: Path,
        options: DetectorOptions | None = None,
        perception: PerceptionOptions | None = None,
    ) -> None:
        self.options = options or DetectorOptions()
        unknown = [m for m in self.options.models if m not in MODELS]
        if unknown or not self.options.models:
            raise PerceptionError(f"face detectors {unknown} are not full or short")
        self.passes = [
            _Pass(models_dir, MODELS[m], perception or PerceptionOptions())
            for m in self.options.models
        ]

    def describe(self) -> list[dict[str, object]]:
        return [p.model.describe() for p in self.passes]

    def _run_pass(self, frame: np.ndarray, p: _Pass) -> list[FaceDetection]:
        h, w = frame.shape[:2]
        o = self.options
        min_score = o.min_score if o.min_score is not None else p.spec.min_score
        regions = [(0, 0, w, h)]
        if p.spec.name == MODELS["full"].name:
            regions += [(x, y, s, s) for x, y, s in tile_regions(w, h, o.tiles, o.overlap)]
        parts = [p.candidates(frame, r, min_score) for r in regions]
        boxes = np.concatenate([q[0] for q in parts])
        kps = np.concatenate([q[1] for q in parts])
        scores = np.concatenate([q[2] for q in parts])
        return [
            FaceDetection(
                box=(float(box[0]), float(box[1]), float(box[2]), float(box[3])),
                keypoints=kp.astype(np.float32),
                score=score,
                rotation=roll(kp[0], kp[1]),
            )
            for box, kp, score in weighted_nms(boxes, kps, scores, o.nms_threshold)
        ]

    def detect_in(
        self, frame: np.ndarray, pass_index: int, region: tuple[int, int, int, int]
    ) -> list[FaceDetection]:
        """The faces one model finds in one region (x, y, w, h) of the frame, best first: one
        model call, for a tracker that looks at a bit of the frame each time."""
        p = self.passes[pass_index]
        o = self.options
        min_score = o.min_score if o.min_score is not None else p.spec.min_score
        boxes, kps, scores = p.candidates(frame, region, min_score)
        return [
            FaceDetection(
                box=(float(box[0]), float(box[1]), float(box[2]), float(box[3])),
                keypoints=kp.astype(np.float32),
                score=score,
                rotation=roll(kp[0], kp[1]),
            )
            for box, kp, score in weighted_nms(boxes, kps, scores, o.nms_threshold)
        ]

    def glance(self, frame: np.ndarray) -> list[FaceDetection]:
        """The faces the first model (full range by default) finds in one look at the whole
        frame: one model call (about 5 ms at 640x480), enough to tell that someone is there,
        not to find every face."""
        h, w = frame.shape[:2]
        return self.detect_in(frame, 0, (0, 0, w, h))

    def detect(self, frame: np.ndarray) -> list[FaceDetection]:
        """Every face in an RGB uint8 frame, best first."""
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise PerceptionError(f"a frame must be HxWx3 uint8, not {frame.shape} {frame.dtype}")
        found = sorted(
            (f for p in self.passes for f in self._run_pass(frame, p)), key=lambda f: -f.score
        )
        kept: list[FaceDetection] = []
        for face in found:
            # Two models' boxes differ in size, so they are not averaged: the better one stays.
            # A box mostly inside a better one (or around it) is the same face seen at another
            # scale: the short-range model can frame a small face with a big, weak box.
            box = np.array(face.box)
            if kept:
                others = np.array([k.box for k in kept])
                if (
                    iou(box, others).max() > self.options.nms_threshold
                    or containment(box, others).max() > CONTAINED
                ):
                    continue
            kept.append(face)
        return kept
