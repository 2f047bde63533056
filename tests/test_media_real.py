"""Real media the project did not make: a Big Buck Bunny excerpt (tests/data/README.md)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from kiosk.media import NullSink, Player, PlayerState
from testkit.media import drive, recorded, segment

REAL_720P = Path(__file__).parent / "data" / "bbb_720p_aac51.mp4"  # see tests/data/README.md

SIZE = (320, 180)


def reference_frames() -> dict[float, np.ndarray]:
    """Every frame of the clip, decoded by bare PyAV and scaled like the player does."""
    out: dict[float, np.ndarray] = {}
    with av.open(str(REAL_720P)) as container:
        for frame in container.decode(video=0):
            rgb = frame.reformat(
                width=SIZE[0],
                height=SIZE[1],
                format="rgb24",
                src_colorspace="ITU709",
                dst_colorspace="ITU709",
                interpolation="BILINEAR",
            )
            out[round(float(frame.time), 3)] = rgb.to_ndarray().copy()
    return out


@pytest.fixture(scope="module")
def reference() -> dict[float, np.ndarray]:
    return reference_frames()


def _closest(frame: np.ndarray, reference: dict[float, np.ndarray]) -> tuple[float, float]:
    diffs = {
        t: float(np.abs(frame.astype(int) - ref.astype(int)).mean()) for t, ref in reference.items()
    }
    t = min(diffs, key=lambda k: diffs[k])
    return t, diffs[t]


def test_real_clip_plays_whole_with_5_1_sound(reference: dict[float, np.ndarray]) -> None:
    assert REAL_720P.stat().st_size < 2_000_000
    sink = NullSink(record=True)
    with Player(SIZE, audio=sink) as player:
        player.play(segment(REAL_720P))
        played = drive(player, timeout=12)
        assert player.state is PlayerState.ENDED
        assert player.faults.counts == {}
        pts = [round(f.pts, 3) for _, f in played.frames]
        assert pts == sorted(reference)  # every frame, in order, none dropped
        assert player.frames_dropped == 0
        last = played.frames[-1][1]
        t, diff = _closest(last.data, reference)
        assert t == pts[-1] and diff < 2.0
    _, data = recorded(sink)
    assert data.shape[1] == 2
    loud = np.abs(data).max(axis=0)
    assert (loud > 0.05).all()  # the 5.1 mix reaches both stereo channels


def test_real_clip_cut_is_frame_accurate(reference: dict[float, np.ndarray]) -> None:
    with Player(SIZE, audio="null") as player:
        player.play(segment(REAL_720P, 2.0, 3.0))
        played = drive(player, timeout=6)
        assert player.state is PlayerState.ENDED
        frames = [f for _, f in played.frames]
        assert len(frames) == 25
        first, last = frames[0], frames[-1]
        assert _closest(first.data, reference)[0] == 2.0
        assert _closest(last.data, reference)[0] == 2.96
        assert _closest(first.data, reference)[1] < 2.0
