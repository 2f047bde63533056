"""468 face landmarks for one face, as MediaPipe's face-mesh graph computes them.

Input contract: an RGB uint8 frame (H x W x 3, any size) and a :class:`Roi`, the rotated square
the face is in: from a detection (:meth:`FaceLandmarker.roi_from_detection`: the box's long side,
turned by the roll from the eyes, scaled 1.5) or from the previous frame's landmarks
(:meth:`FaceLandmarker.roi_from_landmarks`: their bounding box, the roll from the outer eye
corners 33 and 263, scaled 1.5), so that a tracked face needs no detector. The square is cut out
by one affine warp (edges repeated) to 192x192, values in [0, 1]; the landmarks come back through
the inverse of the same warp, in frame pixels, with the face-presence score.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from kiosk.mirror.perception.detector import FaceDetection
from kiosk.mirror.perception.geometry import Roi, roll, sigmoid
from kiosk.mirror.perception.session import ModelSession, PerceptionError, PerceptionOptions

MODEL = "face_landmark"
NUM_LANDMARKS = 468
ROI_SCALE = 1.5
EYE_OUTER = (33, 263)
"""The outer corners of the right and left eye (the person's own): the roll of a tracked face."""
MIN_PRESENCE = 0.5
"""MediaPipe's default minimum tracking confidence: below it the face is taken as lost."""


@dataclass(frozen=True)
class FaceLandmarks:
    """One face's landmarks.

    Attributes:
        points: (468, 3) x, y in frame pixels; z in pixels at the same scale, relative to the
            face's centre (smaller = nearer the camera).
        presence: how sure the model is that a face is in the region, 0..1.
        roi: the region the landmarks were found in.
    """

    points: np.ndarray
    presence: float
    roi: Roi

    @property
    def box(self) -> tuple[float, float, float, float]:
        """x0, y0, x1, y1 around the landmarks."""
        lo = self.points[:, :2].min(axis=0)
        hi = self.points[:, :2].max(axis=0)
        return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))


class FaceLandmarker:
    """The face-mesh model on onnxruntime. Not thread-safe: one worker calls :meth:`run`."""

    def __init__(
        self,
        models_dir: Path,
        options: PerceptionOptions | None = None,
        min_presence: float = MIN_PRESENCE,
    ) -> None:
        self.model = ModelSession(models_dir, MODEL, options or PerceptionOptions())
        self.size = self.model.input_size[0]
        self.min_presence = min_presence

    @staticmethod
    def roi_from_detection(face: FaceDetection, scale: float = ROI_SCALE) -> Roi:
        return Roi.around(*face.box, rotation=face.rotation, scale=scale)

    @staticmethod
    def roi_from_landmarks(points: np.ndarray, scale: float = ROI_SCALE) -> Roi:
        lo, hi = points[:, :2].min(axis=0), points[:, :2].max(axis=0)
        rotation = roll(points[EYE_OUTER[0], :2], points[EYE_OUTER[1], :2])
        return Roi.around(float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]), rotation, scale)

    def crop(self, frame: np.ndarray, roi: Roi) -> np.ndarray:
        """The model's input for ``roi``: (1, 192, 192, 3) float32 in [0, 1]."""
        patch = cv2.warpAffine(
            frame,
            roi.to_frame(self.size),
            (self.size, self.size),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )
        return (patch.astype(np.float32) * (1.0 / 255.0))[None]

    def run(self, frame: np.ndarray, roi: Roi) -> FaceLandmarks:
        """The landmarks of the face in ``roi``; check :attr:`FaceLandmarks.presence`."""
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise PerceptionError(f"a frame must be HxWx3 uint8, not {frame.shape} {frame.dtype}")
        raw, flag = self.model.run(self.crop(frame, roi))
        local = raw.reshape(NUM_LANDMARKS, 3).astype(np.float64)
        affine = roi.to_frame(self.size)
        points = np.empty((NUM_LANDMARKS, 3), np.float32)
        points[:, :2] = local[:, :2] @ affine[:, :2].T + affine[:, 2]
        points[:, 2] = local[:, 2] * (roi.size / self.size)
        return FaceLandmarks(points, float(sigmoid(flag.reshape(-1))[0]), roi)

    def track(self, frame: np.ndarray, previous: FaceLandmarks) -> FaceLandmarks | None:
        """This frame's landmarks from the last frame's, or None when the face is lost."""
        found = self.run(frame, self.roi_from_landmarks(previous.points))
        return found if found.presence >= self.min_presence else None
