"""The frost mirror's neural perception: faces, 468 landmarks per face, and a person mask.

Each model is one small class with a documented input contract (RGB uint8 frames, any size),
run by onnxruntime with the same provider handling as the stylizer:

* :class:`FaceDetector`: BlazeFace (short or full range), every face with a box, six keypoints,
  a score and the roll from the eyes, in frame pixels.
* :class:`FaceLandmarker`: 468 landmarks for one face, from a detection's region or from the
  previous frame's landmarks, with the face-presence score.
* :class:`PersonSegmenter`: selfie segmentation, a float mask at the frame's size.

The ONNX files are converted from MediaPipe's .tflite models by ``kiosk models build``
(:mod:`kiosk.mirror.build_perception`) and live in ``models/onnx/perception/``.
"""

from __future__ import annotations

from kiosk.mirror.perception.detector import DetectorOptions, FaceDetection, FaceDetector
from kiosk.mirror.perception.geometry import Roi
from kiosk.mirror.perception.landmarker import FaceLandmarker, FaceLandmarks
from kiosk.mirror.perception.segmenter import PersonSegmenter
from kiosk.mirror.perception.session import ModelSession, PerceptionError, PerceptionOptions

__all__ = [
    "DetectorOptions",
    "FaceDetection",
    "FaceDetector",
    "FaceLandmarker",
    "FaceLandmarks",
    "ModelSession",
    "PerceptionError",
    "PerceptionOptions",
    "PersonSegmenter",
    "Roi",
]
