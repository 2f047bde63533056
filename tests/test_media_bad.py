"""Bad media fails its own segment, with a logged and counted reason; the player stays usable."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from kiosk.media import Player, PlayerState
from testkit.media import ClipFactory, drive, segment
from testkit.synth import write_clip

SIZE = (160, 90)


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One file per kind of damage, all made from one good clip."""
    d = tmp_path_factory.mktemp("bad")
    good = write_clip(d / "good.mp4", size=SIZE, duration=2.0, gop=12)
    raw = good.read_bytes()
    files: dict[str, Path] = {"good": good, "missing": d / "missing.mp4"}
    (d / "empty.mp4").write_bytes(b"")
    files["empty"] = d / "empty.mp4"
    (d / "garbage.mp4").write_bytes(os.urandom(4096))
    files["garbage"] = d / "garbage.mp4"
    # MP4 as most tools write it (index at the end): cut in half, it has no index at all
    (d / "cut_index.mp4").write_bytes(raw[: len(raw) // 2])
    files["cut_index"] = d / "cut_index.mp4"
    # a codec FFmpeg does not know: the sample entry renamed
    (d / "codec.mp4").write_bytes(raw.replace(b"avc1", b"zzzz"))
    files["codec"] = d / "codec.mp4"
    files["audio_only"] = write_clip(d / "audio_only.m4a", video=False, duration=0.5)
    (d / "text.mp4").write_text("these are my notes, not a video\n" * 20)
    files["text"] = d / "text.mp4"
    # "fast start" MP4 (index first), then truncated: plays what is there, counted as truncated
    faststart = write_clip(
        d / "faststart.mp4",
        size=SIZE,
        duration=2.0,
        gop=12,
        container_options={"movflags": "faststart"},
    )
    fs = faststart.read_bytes()
    (d / "truncated.mp4").write_bytes(fs[: int(len(fs) * 0.55)])
    files["truncated"] = d / "truncated.mp4"
    # bit rot in the middle of the data: damaged packets are skipped
    rot = bytearray(fs)
    for k in range(len(fs) // 2, len(fs) // 2 + 2000, 5):
        rot[k] ^= 0x5A
    (d / "bitrot.mp4").write_bytes(bytes(rot))
    files["bitrot"] = d / "bitrot.mp4"
    return files


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("missing", "missing"),
        ("empty", "empty"),
        ("garbage", "unreadable"),
        ("text", "unreadable"),
        ("cut_index", "unreadable"),
        ("codec", "unsupported_codec"),
        ("audio_only", "no_video"),
    ],
)
def test_unplayable_file_fails_alone_and_the_player_goes_on(
    bad: dict[str, Path], name: str, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    with Player(SIZE, audio="null") as player, caplog.at_level(logging.WARNING):
        player.play(segment(bad[name]))
        drive(player, timeout=5)
        assert player.state is PlayerState.FAILED
        assert player.faults.counts == {kind: 1}
        fault = player.faults.last[-1]
        assert fault.reason
        assert bad[name].name in fault.source
        assert any(kind in r.getMessage() for r in caplog.records)
        assert player.latest_frame() is None
        # still usable
        player.play(segment(bad["good"], 0.0, 0.3))
        played = drive(player)
        assert player.state is PlayerState.ENDED
        assert len(played.frames) >= 7
        assert player.faults.total() == 1


@pytest.mark.parametrize(("name", "kind"), [("truncated", "truncated"), ("bitrot", "decode_error")])
def test_damaged_file_plays_what_it_can(bad: dict[str, Path], name: str, kind: str) -> None:
    with Player(SIZE, audio="null") as player:
        player.play(segment(bad[name]))
        played = drive(player, timeout=6)
        assert player.state is PlayerState.ENDED
        assert len(played.frames) >= 10
        assert player.faults[kind] >= 1
        assert set(player.faults.counts) <= {"truncated", "decode_error", "audio"}


def test_playlist_skips_bad_segments(bad: dict[str, Path]) -> None:
    good = segment(bad["good"], 0.0, 0.4, id="good")
    items = [segment(bad["missing"], id="m"), good, segment(bad["garbage"], id="g"), good]
    ids: list[str] = []

    def note(p: Player, now: float) -> None:
        seg = p.segment
        if seg is not None and p.latest_frame() is not None and (not ids or ids[-1] != seg.id):
            ids.append(seg.id)

    with Player(SIZE, audio="null") as player:
        player.play_playlist(items, loop=False)
        drive(player, on_tick=note, timeout=6)
        assert player.state is PlayerState.ENDED
        assert ids == ["good"]  # twice in a row, seamlessly: one id
        assert player.stats()["segments_started"] >= 2
        assert player.faults.counts == {"missing": 1, "unreadable": 1}


def test_a_playlist_of_only_bad_segments_fails_once_each(bad: dict[str, Path]) -> None:
    items = [segment(bad[n], id=n) for n in ("missing", "empty", "garbage")]
    with Player(SIZE, audio="null") as player:
        player.play_playlist(items, loop=True)
        drive(player, timeout=3)
        assert player.state is PlayerState.FAILED
        assert player.faults.counts == {"missing": 1, "empty": 1, "unreadable": 1}
        drive(player, timeout=0.3, until=lambda p: False)  # no retry storm once failed
        assert player.faults.total() == 3


def test_bad_or_missing_captions_do_not_stop_the_clip(bad: dict[str, Path], tmp_path: Path) -> None:
    broken = tmp_path / "broken.vtt"
    broken.write_text("this is not WebVTT")
    seg = segment(bad["good"], 0.0, 0.3, captions={"en": broken, "ru": tmp_path / "none.vtt"})
    with Player(SIZE, audio="null") as player:
        player.play(seg)
        drive(player)
        assert player.state is PlayerState.ENDED
        assert player.faults.counts == {"captions": 2}
        assert player.caption("en") is None


def test_preloading_a_bad_file_is_counted_and_harmless(bad: dict[str, Path]) -> None:
    with Player(SIZE, audio="null") as player:
        player.preload(segment(bad["garbage"]))
        drive(player, timeout=0.5, until=lambda p: p.faults.total() > 0)
        assert player.faults.counts == {"unreadable": 1}
        player.play(segment(bad["garbage"]))  # a failed preload is not reused silently
        drive(player, timeout=3)
        assert player.state is PlayerState.FAILED
        assert player.faults["unreadable"] == 2


def test_in_point_past_the_end_fails_that_segment(clips: ClipFactory) -> None:
    path = clips("short.mp4", size=SIZE, duration=0.5)
    with Player(SIZE, audio="null") as player:
        player.play(segment(path, 5.0, 6.0))
        drive(player, timeout=3)
        assert player.state is PlayerState.FAILED
        assert player.faults.counts == {"truncated": 1}
