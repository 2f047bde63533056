"""Cues for the frost on real faces: the cue map drawn from 468 landmarks, the tracker that
follows faces between detections, the One Euro filter, fades, and the fallback without models."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.mirror import facemesh as fm
from kiosk.mirror.cuemap import CUE_CHANNELS, NO_FACE_RADIUS, empty_cue_map, render_cue_map
from kiosk.mirror.cues import CueOptions, CueTracker, PerceptionModels
from kiosk.mirror.perception.smoothing import OneEuroFilter, OneEuroOptions
from kiosk.mirror.perception.tracker import TrackedFace
from testkit.mirror_media import MIRROR_DATA, MODELS, camera_frame, feat, rgb


@pytest.fixture(scope="module")
def models() -> PerceptionModels:
    loaded = PerceptionModels.load(MODELS)
    assert loaded.problems == {} and loaded.state == "ok"
    return loaded


def astronaut() -> np.ndarray:
    return camera_frame(rgb(MIRROR_DATA / "astronaut.jpg")[:400])


def region(shape: tuple[int, int], polygons: list[np.ndarray]) -> np.ndarray:
    canvas = np.zeros(shape, np.uint8)
    for poly in polygons:
        cv2.fillPoly(canvas, [np.round(poly).astype(np.int32)], 1)
    return canvas.astype(bool)


def test_rime_sits_on_brows_and_lashes_not_on_pupils_or_cheeks(models: PerceptionModels) -> None:
    frame = astronaut()
    cues = CueTracker(models).still(frame)
    assert len(cues.faces) == 1 and cues.cue_map is not None
    pts = cues.faces[0].points[:, :2] * 0.5  # the map is half the frame's size
    rime = cues.cue_map[0]
    shape = rime.shape
    size = float(np.ptp(pts, axis=0).max())
    brows = [
        np.concatenate([fm.contour(pts, up), fm.contour(pts, low)[::-1]])
        for up, low in ((fm.RIGHT_BROW_UPPER, fm.RIGHT_BROW_LOWER),
                        (fm.LEFT_BROW_UPPER, fm.LEFT_BROW_LOWER))
    ]  # fmt: skip
    eyes = [
        np.concatenate([fm.contour(pts, up), fm.contour(pts, low)[::-1]])
        for up, low in ((fm.RIGHT_EYE_UPPER, fm.RIGHT_EYE_LOWER),
                        (fm.LEFT_EYE_UPPER, fm.LEFT_EYE_LOWER))
    ]  # fmt: skip
    k = max(1, round(size * 0.04))  # regions grown by a hair's length: the frost is soft
    grow = np.ones((2 * k + 1, 2 * k + 1), np.uint8)
    brow_area = cv2.dilate(region(shape, brows).astype(np.uint8), grow).astype(bool)
    eye_area = cv2.dilate(region(shape, eyes).astype(np.uint8), grow).astype(bool)
    # The face inside its oval (the hairline along the oval is frost of its own), above the nose.
    oval = region(shape, [fm.contour(pts, fm.FACE_OVAL)]).astype(np.uint8)
    face = cv2.erode(oval, grow, iterations=2).astype(bool)
    upper_face = face & (np.arange(shape[0])[:, None] < pts[fm.NOSE_TIP, 1])
    inside = brow_area | eye_area
    # Above the nose, nearly all the rime is on the brows and round the eyes.
    share = rime[inside & upper_face].sum() / rime[upper_face].sum()
    assert share > 0.8, share
    assert rime[region(shape, brows)].mean() > 0.6  # the brows themselves are well covered
    for right in (True, False):
        x, y = fm.eye_centre(pts, right)
        pupil = rime[round(y) - 1 : round(y) + 2, round(x) - 1 : round(x) + 2]
        assert pupil.max() < 0.05  # the eye opening itself stays clear
    for cheek in (fm.RIGHT_CHEEK, fm.LEFT_CHEEK):
        x, y = pts[cheek]
        r = max(1, round(size * 0.05))
        assert rime[round(y) - r : round(y) + r, round(x) - r : round(x) + r].max() < 0.1


def test_the_hood_frames_the_face_and_never_covers_eyes_or_mouth(
    models: PerceptionModels,
) -> None:
    frame = astronaut()
    cues = CueTracker(models).still(frame)
    assert cues.cue_map is not None
    pts = cues.faces[0].points[:, :2] * 0.5
    face_w, hood_r, hood_a = cues.cue_map[1], cues.cue_map[2], cues.cue_map[3]
    for index in (*fm.RIGHT_EYE_UPPER, *fm.LEFT_EYE_LOWER, *fm.LIPS_OUTER_UPPER, fm.NOSE_TIP):
        x, y = np.round(pts[index]).astype(int)
        assert hood_r[y, x] < 0.95, index  # inside the oval: the fur starts at 1
        assert face_w[y, x] > 0.95, index  # the occluder is solid there
    # Straight above the forehead the hood's angle is near 0; under the chin near +-1.
    top = pts[fm.FOREHEAD] + (pts[fm.FOREHEAD] - pts[fm.CHIN]) * 0.15
    bottom = pts[fm.CHIN] + (pts[fm.CHIN] - pts[fm.FOREHEAD]) * 0.1
    assert abs(hood_a[round(top[1]), round(top[0])]) < 0.15
    assert abs(hood_a[round(bottom[1]), round(bottom[0])]) > 0.85
    assert 1.0 < hood_r[round(top[1]), round(top[0])] < 1.4


def test_every_face_in_the_group_gets_its_own_frost_and_hood(models: PerceptionModels) -> None:
    frame = camera_frame(rgb(feat("multi_face.jpg")))
    cues = CueTracker(models).still(frame)
    assert len(cues.faces) == 5 and cues.cue_map is not None
    for face in cues.faces:
        pts = face.points[:, :2] * 0.5
        x, y = np.round(pts[fm.NOSE_TIP]).astype(int)
        assert cues.cue_map[2][y, x] < 0.6  # each face is the centre of its own hood
        x0, y0 = np.floor(pts.min(axis=0)).astype(int)
        x1, y1 = np.ceil(pts.max(axis=0)).astype(int)
        assert cues.cue_map[0][y0:y1, x0:x1].max() > 0.7  # and has its own rime


def test_a_fading_face_moves_its_hood_outward_and_loses_its_rime(
    models: PerceptionModels,
) -> None:
    cues = CueTracker(models).still(astronaut())
    face = cues.faces[0]
    weak = TrackedFace(face.id, face.points, face.presence, 0.3)
    strong_map = render_cue_map([face], 320, 240, 0.5)
    weak_map = render_cue_map([weak], 320, 240, 0.5)
    x, y = np.round(face.points[fm.NOSE_TIP, :2] * 0.5).astype(int)
    assert weak_map[2, y, x] < strong_map[2, y, x]
    assert weak_map[0].max() < 0.35 < strong_map[0].max()
    gone = TrackedFace(face.id, face.points, 0.0, 0.0, lost=True)
    assert np.array_equal(render_cue_map([gone], 320, 240, 0.5), empty_cue_map(320, 240))


def test_no_face_means_an_empty_map() -> None:
    cue = render_cue_map([], 80, 60, 0.25)
    assert cue.shape == (len(CUE_CHANNELS), 60, 80)
    assert float(cue[2].min()) == NO_FACE_RADIUS
    assert float(np.abs(np.delete(cue, 2, axis=0)).max()) == 0.0


def jitter(points: list[np.ndarray]) -> float:
    """RMS distance of each landmark from its own mean position, over frames and landmarks."""
    a = np.asarray(points)[:, :, :2]
    return float(np.sqrt(((a - a.mean(axis=0)) ** 2).sum(axis=-1).mean()))


def test_a_still_face_with_camera_noise_does_not_shimmer(models: PerceptionModels) -> None:
    frame = astronaut()
    tracker = CueTracker(models)
    rng = np.random.default_rng(3)
    raw, smooth = [], []
    for i in range(60):
        noise = rng.normal(0.0, 6.0, frame.shape)  # a webcam's sensor noise in a lit room
        noisy = np.clip(frame + noise, 0, 255).astype(np.uint8)
        cues = tracker.update(noisy, i / 30)
        assert len(cues.faces) == 1, i
        assert tracker.tracker is not None
        raw.append(tracker.tracker.tracks[0].raw.points.copy())
        smooth.append(cues.faces[0].points.copy())
    assert cues.faces[0].strength == 1.0 and cues.faces[0].id == 1  # one track all along
    filtered = jitter(smooth[15:])
    assert filtered < 0.5, f"{filtered:.3f} px RMS"
    assert filtered < jitter(raw[15:])


def test_one_euro_follows_a_quick_move_without_trailing() -> None:
    f = OneEuroFilter(OneEuroOptions())
    x = np.zeros((468, 2))
    for i in range(30):
        out = f(x, i / 30, scale=150.0)
    for i in range(30, 45):  # the head moves 150 px in half a second
        x = x + 10.0
        out = f(x, i / 30, scale=150.0)
    assert float(np.abs(out - x).max()) < 25.0
    f2 = OneEuroFilter(OneEuroOptions(beta=0.0))
    for i in range(30):
        out2 = f2(np.zeros(2), i / 30)
    for i in range(30, 45):
        out2 = f2(np.full(2, (i - 29) * 10.0), i / 30)
    assert float(np.abs(out2 - 150.0).max()) > float(np.abs(out - x).max())  # beta helps


def test_faces_fade_in_and_out_and_the_detector_rests_while_tracking(
    models: PerceptionModels,
) -> None:
    frame = astronaut()
    empty = np.full_like(frame, 128)
    cues_tracker = CueTracker(models)
    tracker = cues_tracker.tracker
    assert tracker is not None
    strengths = [cues_tracker.update(frame, i / 30).faces[0].strength for i in range(20)]
    assert strengths[0] < 0.2 and strengths == sorted(strengths) and strengths[-1] == 1.0
    # While the face is tracked its landmarks come from the last ones: one track, and one
    # detector call per frame at most (a small region in turn, for newcomers).
    runs = tracker.detections_run
    for i in range(20, 30):
        assert len(cues_tracker.update(frame, i / 30).faces) == 1
    assert tracker.detections_run - runs <= 10
    fading = []
    for i in range(30, 60):
        faces = cues_tracker.update(empty, i / 30).faces
        fading.append(faces[0].strength if faces else 0.0)
    assert 0 < fading[0] < 1.0 and fading == sorted(fading, reverse=True) and fading[-1] == 0.0


def test_a_missing_model_leaves_the_plain_frost(tmp_path: Path) -> None:
    folder = tmp_path / "onnx"
    shutil.copytree(MODELS / "perception", folder / "perception")
    (folder / "perception" / "face_landmark.onnx").unlink()
    (folder / "perception" / "selfie_segmentation.onnx").write_bytes(b"not a model")
    models = PerceptionModels.load(folder, CueOptions())
    assert set(models.problems) == {"face_landmark", "selfie_segmentation"}
    assert "face_landmark.onnx" in models.problems["face_landmark"]
    assert models.state == "plain" and not models.faces
    cues = CueTracker(models).update(astronaut(), 0.0)
    assert cues.cue_map is None and cues.mask is None and cues.faces == ()
    assert models.describe()["problems"]["face_landmark"].endswith("(kiosk models build)")
