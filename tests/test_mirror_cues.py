"""Cues for the frost: the face tracker's smoothing, the cue map, the empty-scene person mask."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from kiosk.mirror.cuemap import CUE_CHANNELS, NO_FACE_RADIUS, empty_cue_map, render_cue_map
from kiosk.mirror.cues import CueOptions, CueTracker
from kiosk.mirror.faces import Box, Face, FaceTracker
from kiosk.mirror.person_mask import PersonMask

DATA = Path(__file__).resolve().parent / "data" / "mirror"


def test_cue_map_channels_point_where_the_frost_goes() -> None:
    face = Face(Box(240, 120, 160, 160))
    cue = render_cue_map([face], 160, 120, 0.25)
    assert cue.shape == (len(CUE_CHANNELS), 120, 160)
    assert cue.dtype == np.float32
    rime, face_w, hood_r, hood_a, breath, cheeks = cue
    # Face box in map pixels: x 60..100, y 30..70. Brows are in its upper half, on both sides.
    top = rime[30:50, 60:100]
    assert top[:, :20].max() > 0.8 and top[:, 20:].max() > 0.8
    assert face_w[50, 80] == 1.0 and face_w[5, 5] == 0.0
    assert hood_r[50, 80] < 0.3  # the face's centre
    assert hood_r[0, 0] > 1.6  # far outside the ruff
    assert abs(hood_a[20, 80]) < 0.1  # straight above the face: angle 0
    assert abs(hood_a[90, 80]) > 0.9  # straight below: +-1
    assert breath[int(30 + 1.12 * 40), 80] > 0.9
    assert cheeks.max() > 0.8


def test_no_face_means_an_empty_map() -> None:
    cue = render_cue_map([], 80, 60, 0.25)
    assert np.array_equal(cue, empty_cue_map(80, 60))
    assert float(cue[2].min()) == NO_FACE_RADIUS
    assert float(np.abs(np.delete(cue, 2, axis=0)).max()) == 0.0


def test_a_fading_face_moves_its_ruff_outward() -> None:
    box = Box(240, 120, 160, 160)
    strong = render_cue_map([Face(box, strength=1.0)], 160, 120, 0.25)
    weak = render_cue_map([Face(box, strength=0.3)], 160, 120, 0.25)
    assert weak[2, 50, 80] < strong[2, 50, 80]  # smaller radius = the ring sits further out
    assert weak[0].max() < strong[0].max()


def test_tracker_smooths_holds_and_drops_a_face() -> None:
    opts = CueOptions(detect_every=1, hold_frames=3, smoothing=0.5)
    tracker = FaceTracker(opts)
    first = tracker.update([Face(Box(100, 100, 100, 100))])
    assert len(first) == 1 and first[0].strength < 1.0  # new faces fade in
    moved = tracker.update([Face(Box(120, 100, 100, 100))])
    assert moved[0].box.x == 110  # half way: smoothed
    assert tracker.update(None)[0].box.x == 110  # no cascade run: held as is
    fading = [tracker.update([])[0].strength for _ in range(3)]
    assert fading == sorted(fading, reverse=True) and fading[-1] < moved[0].strength
    assert tracker.update([]) == []  # gone after hold_frames misses


def test_tracker_keeps_at_most_max_faces() -> None:
    tracker = FaceTracker(CueOptions(detect_every=1, max_faces=2))
    faces = [Face(Box(x, 50, 40, 40)) for x in (0, 100, 200, 300)]
    assert len(tracker.update(faces)) == 2


def scene_frames() -> tuple[np.ndarray, np.ndarray]:
    """An 'empty room' (a real photo) and the same room with somebody in it."""
    room = cv2.imread(str(DATA / "cameraman.jpg"), cv2.IMREAD_COLOR)
    room = cv2.resize(room, (160, 120), interpolation=cv2.INTER_AREA)
    person = cv2.imread(str(DATA / "astronaut.jpg"), cv2.IMREAD_COLOR)
    person = cv2.resize(person, (60, 70), interpolation=cv2.INTER_AREA)
    visited = room.copy()
    visited[50:120, 50:110] = person
    return cv2.cvtColor(room, cv2.COLOR_BGR2RGB), cv2.cvtColor(visited, cv2.COLOR_BGR2RGB)


def test_person_mask_learns_the_empty_scene_and_freezes_while_someone_is_there() -> None:
    room, visited = scene_frames()
    rng = np.random.default_rng(0)

    def noisy(img: np.ndarray) -> np.ndarray:
        return np.clip(img + rng.normal(0, 2, img.shape), 0, 255).astype(np.uint8)

    model = PersonMask(learn_frames=10)
    assert model.update(noisy(room), [], 1.0) is None  # nothing learned yet: no mask
    for _ in range(12):
        mask = model.update(noisy(room), [], 1.0)
    assert model.ready and mask is not None
    assert float(mask.mean()) < 0.02
    for _ in range(100):  # a visitor who keeps still for a long time
        mask = model.update(noisy(visited), [], 1.0)
    assert mask is not None
    assert float(mask[60:115, 55:105].mean()) > 0.8, "the visitor was learned into the scene"
    assert float(mask[:40].mean()) < 0.05
    for _ in range(5):  # they leave
        mask = model.update(noisy(room), [], 1.0)
    assert mask is not None and float(mask.mean()) < 0.02


def test_person_mask_includes_a_detected_face_and_body() -> None:
    room, _ = scene_frames()
    model = PersonMask(learn_frames=3)
    for _ in range(4):
        model.update(room, [], 1.0)
    # The visitor's colours happen to match the room: the face prior still marks them.
    face = Face(Box(60, 20, 30, 30))
    mask = model.update(room, [face], 1.0)
    assert mask is not None
    assert mask[35, 75] > 0.7  # face
    assert mask[110, 75] > 0.7  # body below
    assert mask[10, 5] < 0.1


def test_person_mask_relearns_after_the_scene_changes_for_good() -> None:
    room, _ = scene_frames()
    model = PersonMask(learn_frames=3, relearn_after=10)
    for _ in range(4):
        model.update(room, [], 1.0)
    assert model.ready
    darker = (room * 0.4).astype(np.uint8)  # the hall's lights were dimmed
    for _ in range(12):
        model.update(darker, [], 1.0)
    assert not model.ready  # started again rather than calling the whole room a person
    for _ in range(4):
        mask = model.update(darker, [], 1.0)
    assert mask is not None and float(mask.mean()) < 0.02


def test_tracker_runs_detection_in_its_own_thread_and_closes_it() -> None:
    import threading
    import time

    frame = cv2.cvtColor(cv2.imread(str(DATA / "astronaut.jpg")), cv2.COLOR_BGR2RGB)
    frame = cv2.resize(frame[:384], (640, 480))
    tracker = CueTracker(asynchronous=True)
    try:
        deadline = time.monotonic() + 10
        faces: tuple[Face, ...] = ()
        while not faces and time.monotonic() < deadline:
            faces = tracker.update(frame).faces
            time.sleep(0.01)
        assert len(faces) == 1
        assert any(t.name == "mirror-faces" for t in threading.enumerate())
    finally:
        tracker.close()
    assert not any(t.name == "mirror-faces" for t in threading.enumerate())
