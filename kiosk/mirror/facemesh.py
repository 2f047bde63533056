"""Named parts of MediaPipe's 468-point face mesh: the contours the frost follows.

The index lists are MediaPipe's own (``mediapipe/python/solutions/face_mesh_connections.py``,
Apache-2.0: FACEMESH_LEFT_EYEBROW, FACEMESH_RIGHT_EYE, FACEMESH_LIPS, FACEMESH_FACE_OVAL ...),
written here as ordered contours instead of sets of edges. Right and left are the person's own:
the right eye is on the picture's left in an unmirrored photo.
"""

from __future__ import annotations

import numpy as np

Contour = tuple[int, ...]
"""Landmark indices along a line on the face, in order."""

# Eyebrows: the upper row (above the hairs) and the lower row, each from the nose outward.
RIGHT_BROW_UPPER: Contour = (107, 66, 105, 63, 70)
RIGHT_BROW_LOWER: Contour = (55, 65, 52, 53, 46)
LEFT_BROW_UPPER: Contour = (336, 296, 334, 293, 300)
LEFT_BROW_LOWER: Contour = (285, 295, 282, 283, 276)

# Eyelids, from the outer corner to the inner one.
RIGHT_EYE_UPPER: Contour = (33, 246, 161, 160, 159, 158, 157, 173, 133)
RIGHT_EYE_LOWER: Contour = (33, 7, 163, 144, 145, 153, 154, 155, 133)
LEFT_EYE_UPPER: Contour = (263, 466, 388, 387, 386, 385, 384, 398, 362)
LEFT_EYE_LOWER: Contour = (263, 249, 390, 373, 374, 380, 381, 382, 362)

# Lips, from the right mouth corner (61) to the left one (291).
LIPS_OUTER_UPPER: Contour = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
LIPS_OUTER_LOWER: Contour = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
LIPS_INNER_UPPER: Contour = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LIPS_INNER_LOWER: Contour = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
UPPER_LIP_CENTRE, LOWER_LIP_CENTRE = 13, 14

# The face oval, clockwise in the picture from the top of the forehead (10).
FACE_OVAL: Contour = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)  # fmt: skip
FOREHEAD, CHIN = 10, 152
# The oval's upper half, temple to temple over the forehead: where the hairline is.
HAIRLINE: Contour = (
    234,
    127,
    162,
    21,
    54,
    103,
    67,
    109,
    10,
    338,
    297,
    332,
    284,
    251,
    389,
    356,
    454,
)
# The jaw from ear to ear under the chin: where a beard grows.
JAW: Contour = (
    132, 58, 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397, 288, 361,
)  # fmt: skip

NOSE_TIP = 1
SUBNASALE = 2  # under the nose, above the upper lip's centre
RIGHT_CHEEK, LEFT_CHEEK = 205, 425  # the cheeks' apples
RIGHT_EYE_OUTER, LEFT_EYE_OUTER = 33, 263


def contour(points: np.ndarray, indices: tuple[int, ...]) -> np.ndarray:
    """The (N, 2) frame positions of a contour's landmarks."""
    return np.asarray(points[list(indices), :2], np.float32)


def eye_centre(points: np.ndarray, right: bool) -> np.ndarray:
    """The middle of an eye's opening (the iris is near it when the eye looks ahead)."""
    upper, lower = (RIGHT_EYE_UPPER, RIGHT_EYE_LOWER) if right else (LEFT_EYE_UPPER, LEFT_EYE_LOWER)
    return np.asarray(points[list(upper + lower), :2].mean(axis=0), np.float32)


def mouth_open(points: np.ndarray) -> float:
    """How far the mouth is open: the inner lips' gap over the face's height (0 closed)."""
    gap = float(np.linalg.norm(points[UPPER_LIP_CENTRE, :2] - points[LOWER_LIP_CENTRE, :2]))
    height = float(np.linalg.norm(points[FOREHEAD, :2] - points[CHIN, :2]))
    return gap / max(height, 1.0)
