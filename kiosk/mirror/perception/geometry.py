"""Geometry shared by the perception models: SSD anchors, box decoding, weighted NMS, and the
rotated square regions the landmark model crops, all as MediaPipe's calculators do them.

* :func:`ssd_anchors` follows MediaPipe's SsdAnchorsCalculator (fixed anchor size: only the
  centres matter), :func:`decode_boxes` its TensorsToDetectionsCalculator, and
  :func:`weighted_nms` its NonMaxSuppressionCalculator with the WEIGHTED algorithm.
* :class:`Roi` is DetectionsToRectsCalculator + RectTransformationCalculator (square on the long
  side, scaled 1.5) in frame pixels, and the affine map that ImageToTensorCalculator uses to cut it.

Pure numpy; coordinates are frame pixels unless a name says otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def ssd_anchors(
    size: int,
    strides: tuple[int, ...],
    interpolated_scale_aspect_ratio: float,
    offset: float = 0.5,
) -> np.ndarray:
    """Anchor centres (N, 2) as x, y fractions of the input, in the model's output order.

    With MediaPipe's face options (one aspect ratio, fixed anchor size) each layer adds one anchor
    per cell, plus one more when ``interpolated_scale_aspect_ratio`` is above zero; layers with the
    same stride share a grid.
    """
    centres: list[np.ndarray] = []
    layer = 0
    while layer < len(strides):
        per_cell = 0
        last = layer
        while last < len(strides) and strides[last] == strides[layer]:
            per_cell += 2 if interpolated_scale_aspect_ratio > 0 else 1
            last += 1
        cells = math.ceil(size / strides[layer])
        ys, xs = np.mgrid[0:cells, 0:cells]
        grid = np.stack([(xs + offset) / cells, (ys + offset) / cells], axis=-1).reshape(-1, 2)
        centres.append(np.repeat(grid, per_cell, axis=0))
        layer = last
    return np.concatenate(centres).astype(np.float32)


def decode_boxes(
    raw: np.ndarray, anchors: np.ndarray, scale: float, num_keypoints: int = 6
) -> tuple[np.ndarray, np.ndarray]:
    """Boxes (N, 4: x0, y0, x1, y1) and keypoints (N, K, 2) as fractions of the input.

    ``raw`` is the regressor output (N, 4 + 2K): centre offset, size, then keypoint offsets, all
    in input pixels (``scale`` = input size) relative to the anchor centre (x before y).
    """
    centre = raw[:, 0:2] / scale + anchors
    half = raw[:, 2:4] / scale / 2
    boxes = np.concatenate([centre - half, centre + half], axis=1)
    kp = raw[:, 4 : 4 + 2 * num_keypoints].reshape(-1, num_keypoints, 2) / scale
    return boxes, kp + anchors[:, None, :]


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Scores as MediaPipe: logits clipped to +-100 (score_clipping_thresh), then a sigmoid."""
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(x.astype(np.float64), -100.0, 100.0))))


def _overlap(box: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x0 = np.maximum(box[0], boxes[:, 0])
    y0 = np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[2], boxes[:, 2])
    y1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter, np.full_like(areas, area), areas


def iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over union of one (4,) box with (N, 4) boxes, x0 y0 x1 y1."""
    inter, area, areas = _overlap(box, boxes)
    union = area + areas - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def containment(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """How much of the smaller of each pair lies inside the other, 0..1."""
    inter, area, areas = _overlap(box, boxes)
    smaller = np.minimum(area, areas)
    return np.where(smaller > 0, inter / np.where(smaller > 0, smaller, 1), 0.0)


def weighted_nms(
    boxes: np.ndarray, keypoints: np.ndarray, scores: np.ndarray, threshold: float = 0.3
) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """MediaPipe's weighted non-max suppression: each kept face is the score-weighted mean of
    the boxes and keypoints that overlap the best one by more than ``threshold`` (IoU); its
    score is the best one's."""
    order = np.argsort(-scores, kind="stable")
    out = []
    while order.size:
        best = order[0]
        overlap = iou(boxes[best], boxes[order]) > threshold
        group = order[overlap]
        w = scores[group][:, None]
        box = (boxes[group] * w).sum(axis=0) / w.sum()
        kp = (keypoints[group] * w[:, :, None]).sum(axis=0) / w.sum()
        out.append((box, kp, float(scores[best])))
        order = order[~overlap]
    return out


def normalize_radians(angle: float) -> float:
    return angle - 2 * math.pi * math.floor((angle + math.pi) / (2 * math.pi))


def roll(start: np.ndarray, end: np.ndarray) -> float:
    """The rotation (radians) that brings the line start -> end level, as MediaPipe computes it;
    positive when the face leans so that ``end`` is lower in the picture."""
    return normalize_radians(-math.atan2(-(end[1] - start[1]), end[0] - start[0]))


@dataclass(frozen=True)
class Roi:
    """A rotated square in frame pixels: what the landmark model sees of one face."""

    cx: float
    cy: float
    size: float
    rotation: float

    @staticmethod
    def around(
        x0: float, y0: float, x1: float, y1: float, rotation: float, scale: float = 1.5
    ) -> Roi:
        """The square on the long side of a box, scaled (RectTransformationCalculator)."""
        side = max(x1 - x0, y1 - y0) * scale
        return Roi((x0 + x1) / 2, (y0 + y1) / 2, side, rotation)

    def to_frame(self, out_size: int) -> np.ndarray:
        """The 2x3 affine from the crop's pixels (0..out_size) to frame pixels."""
        c, s = math.cos(self.rotation), math.sin(self.rotation)
        k = self.size / out_size
        rot = np.array([[c * k, -s * k], [s * k, c * k]])
        shift = np.array([self.cx, self.cy]) - rot @ np.array([out_size / 2, out_size / 2])
        return np.hstack([rot, shift[:, None]])

    def corners(self) -> np.ndarray:
        """The square's four corners (4, 2) in frame pixels, clockwise from top-left."""
        a = self.to_frame(1)
        unit = np.array([[0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]], np.float64)
        return np.asarray(unit @ a.T)
