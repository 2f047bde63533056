"""The person mask: where the frame differs from a learned model of the empty scene.

Until it has seen the empty scene there is no mask, and the frost covers the whole frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from kiosk.mirror.cuemap import F32
from kiosk.mirror.faces import Face


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
