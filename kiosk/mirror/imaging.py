"""Picture geometry shared by the camera, the stylizer and the pipeline."""

from __future__ import annotations

import cv2
import numpy as np


def cover(
    image: np.ndarray, width: int, height: int, *, enlarge: int = cv2.INTER_AREA
) -> np.ndarray:
    """Scale ``image`` to fill width x height without stretching, cropping the overflow evenly.

    Shrinking uses area averaging; ``enlarge`` is the interpolation used when the picture must
    grow (area averaging too, unless the caller wants smoother edges).
    """
    h, w = image.shape[:2]
    s = max(width / w, height / h)
    nw, nh = max(width, round(w * s)), max(height, round(h * s))
    scaled = cv2.resize(image, (nw, nh), interpolation=enlarge if s > 1 else cv2.INTER_AREA)
    x0, y0 = (nw - width) // 2, (nh - height) // 2
    return np.ascontiguousarray(scaled[y0 : y0 + height, x0 : x0 + width])
