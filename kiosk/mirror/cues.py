"""Where the frost goes, frame after frame: tracked faces, the person mask and the cue map.

:class:`PerceptionModels` loads MediaPipe's converted models (face detector, face landmarks,
selfie segmentation) from ``models/onnx/perception``; a model that is missing or broken is left
out and named in :attr:`PerceptionModels.problems`, and the mirror does what it still can: without
the face models there is no face frost, without the segmentation no backdrop, and with neither
the stylizer gets no cues at all and draws its plain frost grade over the whole frame.

:class:`CueTracker` runs them on each frame: the faces through
:class:`~kiosk.mirror.perception.tracker.FaceTracker` (detector only when needed, landmarks
from the last landmarks, One Euro smoothing, fades), the mask at the cue map's size, and the map
itself (:mod:`kiosk.mirror.cuemap`). numpy, OpenCV and onnxruntime; no camera and no drawing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.mirror.cuemap import F32, render_cue_map
from kiosk.mirror.perception import (
    DetectorOptions,
    FaceDetector,
    FaceLandmarker,
    PerceptionError,
    PerceptionOptions,
    PersonSegmenter,
)
from kiosk.mirror.perception import detector as detector_module
from kiosk.mirror.perception import landmarker as landmarker_module
from kiosk.mirror.perception import segmenter as segmenter_module
from kiosk.mirror.perception.tracker import FaceTracker, TrackedFace, TrackOptions

log = logging.getLogger(__name__)

PERCEPTION_MODELS = (
    detector_module.MODELS["full"].name,
    detector_module.MODELS["short"].name,
    landmarker_module.MODEL,
    segmenter_module.MODEL,
)
"""Every perception model the mirror uses, by manifest name."""


@dataclass(frozen=True)
class CueOptions:
    """How the cues are found.

    Attributes:
        map_scale: size of the cue map and the mask relative to the frame.
        track: how faces are followed (at most ``track.max_faces`` get frost and a hood).
        detector: which detectors and tiles look for faces.
        perception: provider and threads of the perception models.
    """

    map_scale: float = 0.5
    track: TrackOptions = field(default_factory=TrackOptions)
    detector: DetectorOptions = field(default_factory=DetectorOptions)
    perception: PerceptionOptions = field(default_factory=PerceptionOptions)


@dataclass
class PerceptionModels:
    """The perception models that could be loaded, and what is wrong with the others."""

    detector: FaceDetector | None = None
    landmarker: FaceLandmarker | None = None
    segmenter: PersonSegmenter | None = None
    problems: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, models_dir: Path, options: CueOptions | None = None) -> PerceptionModels:
        """Load what is there; never raises for a missing or broken model (see ``problems``)."""
        o = options or CueOptions()
        out = cls()

        def attempt(name: str, make: Any) -> Any:
            try:
                return make()
            except PerceptionError as exc:
                out.problems[name] = str(exc)
                log.warning("frost mirror: perception model %s unavailable: %s", name, exc)
                return None

        out.detector = attempt(
            "face_detection", lambda: FaceDetector(models_dir, o.detector, o.perception)
        )
        out.landmarker = attempt(
            landmarker_module.MODEL, lambda: FaceLandmarker(models_dir, o.perception)
        )
        out.segmenter = attempt(
            segmenter_module.MODEL, lambda: PersonSegmenter(models_dir, o.perception)
        )
        return out

    @property
    def faces(self) -> bool:
        return self.detector is not None and self.landmarker is not None

    @property
    def state(self) -> str:
        """``ok``, ``partial`` (some cues missing) or ``plain`` (no cues: the plain frost grade)."""
        if not self.problems:
            return "ok"
        return "partial" if (self.faces or self.segmenter is not None) else "plain"

    def describe(self) -> dict[str, Any]:
        """For the admin screen, the health file and ``kiosk models info``."""
        models: list[dict[str, Any]] = []
        if self.detector is not None:
            models += self.detector.describe()
        for part in (self.landmarker, self.segmenter):
            if part is not None:
                models.append(part.model.describe())
        return {"state": self.state, "models": models, "problems": dict(self.problems)}


@dataclass(frozen=True)
class Cues:
    """What the stylizer needs for one frame, plus what a test, the CLI or the admin screen reads.

    ``cue_map`` and ``mask`` are None when the models that draw them are missing; ``timings``
    are milliseconds per part (``faces``, ``mask``, ``map``).
    """

    cue_map: F32 | None
    mask: F32 | None
    faces: tuple[TrackedFace, ...]
    timings: dict[str, float] = field(default_factory=dict)


class CueTracker:
    """Frame in, :class:`Cues` out. Not thread-safe: one worker calls :meth:`update`."""

    def __init__(self, models: PerceptionModels, options: CueOptions | None = None) -> None:
        self.models = models
        self.options = options or CueOptions()
        self.tracker: FaceTracker | None = None
        if models.detector is not None and models.landmarker is not None:
            self.tracker = FaceTracker(models.detector, models.landmarker, self.options.track)

    def update(self, rgb: np.ndarray, t: float) -> Cues:
        """The cues for the next frame of a video or camera (time ``t`` in seconds)."""
        return self._cues(rgb, lambda tr: tr.update(rgb, t))

    def still(self, rgb: np.ndarray) -> Cues:
        """The cues for a still picture: every face, at full strength, from the first frame."""
        return self._cues(rgb, lambda tr: tr.seed(rgb))

    def _cues(self, rgb: np.ndarray, follow: Any) -> Cues:
        h, w = rgb.shape[:2]
        k = self.options.map_scale
        mw, mh = max(1, round(w * k)), max(1, round(h * k))
        t0 = time.perf_counter()
        faces: tuple[TrackedFace, ...] = () if self.tracker is None else follow(self.tracker)
        t1 = time.perf_counter()
        mask = None if self.models.segmenter is None else self.models.segmenter.run(rgb, (mw, mh))
        t2 = time.perf_counter()
        cue_map = None
        if self.tracker is not None or mask is not None:
            cue_map = render_cue_map(faces, mw, mh, mw / w, mask)
        t3 = time.perf_counter()
        timings = {
            "faces": (t1 - t0) * 1000,
            "mask": (t2 - t1) * 1000,
            "map": (t3 - t2) * 1000,
        }
        return Cues(cue_map, mask, faces, timings)

    def reset(self) -> None:
        if self.tracker is not None:
            self.tracker.reset()

    def close(self) -> None:
        """Nothing to join: the tracker runs on the caller's thread."""
