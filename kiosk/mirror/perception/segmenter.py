"""The person mask: MediaPipe's selfie segmentation, everyone in the frame from the first frame.

Input contract: an RGB uint8 frame, H x W x 3, any size. It is scaled (not letterboxed, as
MediaPipe does) to the model's 256x256 input with values in [0, 1]; the model gives each pixel the
probability that it shows a person, which comes back as a float32 mask (1 = person) at the
frame's size, or at any size asked for (the stylizer resizes its mask input itself).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from kiosk.mirror.perception.session import ModelSession, PerceptionError, PerceptionOptions

MODEL = "selfie_segmentation"


class PersonSegmenter:
    """Selfie segmentation on onnxruntime. Not thread-safe: one worker calls :meth:`run`."""

    def __init__(self, models_dir: Path, options: PerceptionOptions | None = None) -> None:
        self.model = ModelSession(models_dir, MODEL, options or PerceptionOptions())
        self.input_size = self.model.input_size

    def run(self, frame: np.ndarray, size: tuple[int, int] | None = None) -> np.ndarray:
        """The person mask, float32 in [0, 1], at ``size`` (width, height; default the frame's)."""
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise PerceptionError(f"a frame must be HxWx3 uint8, not {frame.shape} {frame.dtype}")
        h, w = frame.shape[:2]
        iw, ih = self.input_size
        interp = cv2.INTER_AREA if w > iw else cv2.INTER_LINEAR
        small = cv2.resize(frame, (iw, ih), interpolation=interp)
        (prob,) = self.model.run((small.astype(np.float32) * (1.0 / 255.0))[None])
        mask = prob.reshape(ih, iw)
        ow, oh = size or (w, h)
        if (ow, oh) != (iw, ih):
            mask = cv2.resize(mask, (ow, oh), interpolation=cv2.INTER_LINEAR)
        return np.clip(mask, 0.0, 1.0).astype(np.float32)
