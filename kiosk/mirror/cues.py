"""Where the frost goes: face and eye boxes, the face-cue map, and the person mask.

* Faces and eyes come from OpenCV's bundled Haar cascades, run on a small grey copy of the frame
  every few frames; between runs, and for a short while after a face is lost, the boxes are
  smoothed and held so that the frost does not flicker.
* The face-cue map is drawn from those boxes at a quarter of the frame's size: where the rime
  grows (brows, lashes, hairline, moustache, beard), the face, breath, cheeks, and the ruff.
* The person mask comes from a model of the empty scene, learned while nobody stands there and
  frozen while somebody does; until it has seen the empty scene there is no mask and the effect
  covers the whole frame.

Everything here is numpy and OpenCV: no camera and no drawing on screen. The parts:
:mod:`kiosk.mirror.faces` (detection, tracking), :mod:`kiosk.mirror.cuemap` (the map) and
:mod:`kiosk.mirror.person_mask`; this module puts them together for one frame after another.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from kiosk.mirror.cuemap import F32, render_cue_map
from kiosk.mirror.faces import DetectorThread, Face, FaceDetector, FaceTracker
from kiosk.mirror.person_mask import PersonMask


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


@dataclass(frozen=True)
class Cues:
    """What the stylizer needs for one frame, plus what a test or the admin screen may look at."""

    cue_map: F32
    mask: F32 | None
    faces: tuple[Face, ...]


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
        self._worker = DetectorThread(self.detector) if asynchronous else None

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
