"""The player end to end on synthetic clips, with the clocked null sink (no sound device)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from kiosk.content.model import Segment
from kiosk.media import FaultKind, MediaError, NullSink, Player, PlayerState
from kiosk.media.audio import RenderFn
from testkit.media import ClipFactory, drive, max_step, recorded, segment
from testkit.synth import read_barcode
from testkit.waits import wait_for

SIZE = (160, 90)


@pytest.fixture
def tone(clips: ClipFactory) -> Path:
    """2 s, 25 fps, a keyframe every second, a 440 Hz tone."""
    return clips("tone.mp4", size=SIZE, duration=2.0, gop=25)


def test_whole_clip_shows_every_frame_in_order_then_ends(clips: ClipFactory) -> None:
    import pygame

    path = clips("one_second.mp4", size=(192, 108), duration=1.0)
    with Player((192, 108), audio="null") as player:
        player.play(segment(path))
        played = drive(player)
        assert player.state is PlayerState.ENDED
        assert played.barcodes() == list(range(25))
        assert player.clock() == pytest.approx(1.0, abs=0.03)
        frame = player.latest_frame()
        assert frame is not None and frame.size == (192, 108) and frame.format == "RGB"
        surface = pygame.image.frombuffer(frame.data.data, frame.size, frame.format)
        assert surface.get_size() == (192, 108)
        # shown when due: frame n is handed out when the clock reaches n/25
        for t, f in played.frames[1:]:
            clock_then = min(played.clocks, key=lambda c: abs(c[0] - t))[1]
            assert clock_then >= f.pts - 0.003
        assert player.faults.counts == {}


def test_cut_is_frame_accurate_at_both_ends(tone: Path) -> None:
    with Player(SIZE, audio="null") as player:
        # 1.25 s falls inside frame 31 ([1.24, 1.28)); 1.8 s is frame 45's start
        player.play(segment(tone, 1.25, 1.8))
        played = drive(player)
        codes = played.barcodes()
        assert codes == list(range(31, 45))
        assert played.frames[0][1].pts == 0.0
        assert player.clock() == pytest.approx(0.55, abs=0.01)


def test_loop_is_seamless_and_click_free(tone: Path) -> None:
    sink = NullSink(record=True)
    with Player(SIZE, audio=sink) as player:
        player.play(segment(tone, 1.0, 1.6), loop=True)
        played = drive(player, until=lambda p: p.stats()["segments_started"] >= 3, hz=200)
        assert played.barcodes()[:30] == list(range(25, 40)) * 2
        assert player.state is PlayerState.PLAYING
        # the clock wraps from the end straight to the start: no gap in time
        jumps = [
            (a, b)
            for (_, a), (_, b) in zip(played.clocks, played.clocks[1:], strict=False)
            if b < a - 0.1
        ]
        assert len(jumps) >= 2
        for a, b in jumps:
            assert a > 0.58 and b < 0.03
        assert player.stats()["audio_underruns"] == 0
    _, data = recorded(sink)
    audible = np.flatnonzero(np.abs(data[:, 0]) > 0.05)
    body = data[audible[0] : audible[-1], 0]
    # a 440 Hz tone at 0.2 moves at most 0.0116 per sample; a click would jump further
    assert max_step(body) < 0.02
    # no silence at the seams longer than the declick fades (2 x 4 ms)
    quiet = (np.abs(body) < 0.01).astype(np.int8)
    edges = np.diff(np.concatenate([[0], quiet, [0]]))
    longest_quiet = (np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)).max()
    assert longest_quiet < 0.012 * sink.rate


def test_playlist_follows_on_and_wraps(clips: ClipFactory) -> None:
    a = segment(clips("pl_a.mp4", size=SIZE, duration=0.6), id="a")
    b = segment(clips("pl_b.mp4", size=SIZE, duration=0.6, audio=False), id="b")
    c = segment(clips("pl_c.mp4", size=SIZE, duration=0.8), 0.2, None, id="c")
    seen: list[str] = []

    def note(p: Player, now: float) -> None:
        seg = p.segment
        if seg is not None and (not seen or seen[-1] != seg.id):
            seen.append(seg.id)

    with Player(SIZE, audio="null") as player:
        player.play_playlist([a, b, c], loop=True)
        drive(player, until=lambda p: len(seen) >= 5, on_tick=note, timeout=6)
        assert seen[:5] == ["a", "b", "c", "a", "b"]
        assert player.stats()["segment_switches"] >= 4
        assert player.faults.counts == {}


def test_playlist_without_loop_ends(clips: ClipFactory) -> None:
    a = segment(clips("pl_a.mp4", size=SIZE, duration=0.6), id="a")
    with Player(SIZE, audio="null") as player:
        player.play_playlist([a, a], loop=False)
        played = drive(player)
        assert player.state is PlayerState.ENDED
        assert played.barcodes() == list(range(15)) * 2


def test_preloaded_segment_starts_on_the_first_call(tone: Path) -> None:
    seg = segment(tone, 1.0, 1.5)
    with Player(SIZE, audio="null") as player:
        player.preload(seg)
        assert wait_for(lambda: player.is_preloaded(seg))
        player.play(seg)
        frame = player.latest_frame()  # no waiting: the frame is already decoded
        assert frame is not None and read_barcode(frame.data) == 25
        assert not player.is_preloaded(seg)  # consumed


def test_pause_resume_and_seek_to_start(tone: Path) -> None:
    with Player(SIZE, audio="null") as player:
        player.play(segment(tone))
        drive(player, until=lambda p: p.clock() > 0.5)
        player.pause()
        assert player.state is PlayerState.PAUSED

        def standing_still() -> bool:
            before = player.clock()
            time.sleep(0.05)
            return player.clock() == before

        # what was already sent to the sink still plays out; then the clock stands still
        assert wait_for(standing_still)
        held = player.clock()
        frame = player.latest_frame()
        time.sleep(0.3)
        assert player.clock() == pytest.approx(held, abs=1e-6)
        assert player.latest_frame() is frame
        player.seek_to_start()  # stays paused, shows the first frame
        assert player.state is PlayerState.PAUSED
        drive(player, until=lambda p: p.latest_frame() is not None and p.clock() == 0.0)
        time.sleep(0.2)
        f0 = player.latest_frame()
        assert f0 is not None and read_barcode(f0.data) == 0
        player.resume()
        resumed = drive(player, until=lambda p: p.clock() > 0.3)
        assert player.state is PlayerState.PLAYING
        assert resumed.clocks[0][1] < held  # it plays on from the start, not from the pause
        assert player.clock() > 0.3


def test_volume_is_capped_and_mute_silences(tone: Path) -> None:
    sink = NullSink(record=True)
    with Player(SIZE, audio=sink, volume_cap=0.5) as player:
        player.set_volume(0.9)
        assert player.volume == 0.5
        player.play(segment(tone))
        drive(player, until=lambda p: p.clock() > 0.6)
        t_mute = time.monotonic()
        player.mute(True)
        drive(player, until=lambda p: p.clock() > 1.2)
        player.set_volume(-1)
        assert player.volume == 0.0
    times, data = recorded(sink)
    loud = data[(times > t_mute - 0.4) & (times < t_mute - 0.1), 0]
    assert 0.08 < np.abs(loud).max() <= 0.101  # the 0.2 tone at the cap of 0.5
    after = data[(times > t_mute + 0.2) & (times < t_mute + 0.4), 0]
    assert after.size and not after.any()


def _vtt(path: Path, cues: list[tuple[str, str, str]]) -> Path:
    body = "WEBVTT\n\n" + "\n".join(f"{a} --> {b}\n{text}\n" for a, b, text in cues)
    path.write_text(body, encoding="utf-8")
    return path


def test_captions_follow_the_clock_and_switch_without_restart(tone: Path, tmp_path: Path) -> None:
    cues = [("00:00.200", "00:00.600"), ("00:00.600", "00:01.000")]
    en = _vtt(tmp_path / "en.vtt", [(*cues[0], "one"), (*cues[1], "two")])
    ru = _vtt(tmp_path / "ru.vtt", [(*cues[0], "один"), (*cues[1], "два")])
    seg = segment(tone, 0.5, 1.5, captions={"en": en, "ru": ru})
    with Player(SIZE, audio="null") as player:
        player.play(seg)
        played = drive(player, lang="en", until=lambda p: p.clock() > 0.5)
        switched = drive(player, lang="ru")
        assert player.stats()["segments_started"] == 1
    en_seen = {text for clock, text in played.captions if 0.22 < clock < 0.58}
    assert en_seen == {"one"}
    assert {text for clock, text in played.captions if clock < 0.18} == {None}
    ru_seen = {text for clock, text in switched.captions if 0.62 < clock < 0.98}
    assert ru_seen == {"два"}
    assert {text for clock, text in switched.captions if clock > 1.02} <= {None}


def test_clip_without_audio_plays_on_time_with_captions(clips: ClipFactory, tmp_path: Path) -> None:
    path = clips("silent.mp4", size=SIZE, duration=1.0, audio=False)
    en = _vtt(tmp_path / "en.vtt", [("00:00.000", "00:00.500", "silent film")])
    with Player(SIZE, audio="null") as player:
        player.play(segment(path, captions={"en": en}))
        played = drive(player, lang="en")
        assert player.state is PlayerState.ENDED
        assert played.barcodes() == list(range(25))
        assert "silent film" in {t for _, t in played.captions}
    # Paced by the clock, not as fast as it decodes: the segment's clock never runs ahead of
    # the time that has passed, and each frame was shown only once its time had come.
    (m0, c0), *rest = played.clocks
    assert all(c - c0 <= m - m0 + 0.05 for m, c in rest)
    assert played.clocks[-1][1] == pytest.approx(1.0, abs=0.03)
    for t, f in played.frames[1:]:
        assert min(played.clocks, key=lambda c: abs(c[0] - t))[1] >= f.pts - 0.003


class _BrokenSink(NullSink):
    def start(self, render: RenderFn) -> None:
        raise MediaError(FaultKind.AUDIO_DEVICE, "device unplugged")


class _DyingSink(NullSink):
    """Stops calling render after a while, like a device that hangs."""

    def start(self, render: RenderFn) -> None:
        t_die = time.monotonic() + 0.4

        def maybe(out: np.ndarray, t: float) -> None:
            while time.monotonic() > t_die and not self._stop.is_set():
                time.sleep(0.01)
            render(out, t)

        super().start(maybe)

    @property
    def name(self) -> str:
        return "dying"


def test_no_sound_device_plays_silently(tone: Path) -> None:
    with Player(SIZE, audio=_BrokenSink()) as player:
        assert type(player.sink) is NullSink
        assert player.faults["audio_device"] == 1
        player.play(segment(tone, 0.0, 0.5))
        drive(player)
        assert player.state is PlayerState.ENDED


def test_a_device_that_stops_is_replaced_by_the_null_sink(tone: Path) -> None:
    with Player(SIZE, audio=_DyingSink()) as player:
        player.play(segment(tone))
        played = drive(player, timeout=8)
        assert player.faults["audio_device"] == 1
        assert type(player.sink) is NullSink
        assert player.state is PlayerState.ENDED
        assert played.barcodes()[-1] == 49


def test_bgra_frames_for_32_bit_displays(tone: Path) -> None:
    import pygame

    with Player(SIZE, audio="null", pixel_format="BGRA") as player:
        player.play(segment(tone, 0.0, 0.2))
        drive(player)
        frame = player.latest_frame()
        assert frame is not None and frame.data.shape == (90, 160, 4)
        surface = pygame.image.frombuffer(frame.data.data, frame.size, frame.format)
        assert surface.get_bitsize() == 32
        assert read_barcode(frame.data) == 4


def test_threads_are_joined_on_close(tone: Path) -> None:
    before = threading.active_count()
    player = Player(SIZE, audio="null")
    player.preload(segment(tone, 1.0))
    player.play(segment(tone))
    drive(player, until=lambda p: p.clock() > 0.2)
    assert threading.active_count() > before
    player.close()
    assert threading.active_count() == before
    with pytest.raises(RuntimeError):
        player.play(segment(tone))


def test_stop_then_idle(tone: Path) -> None:
    with Player(SIZE, audio="null") as player:
        player.play(segment(tone))
        drive(player, until=lambda p: p.clock() > 0.1)
        player.stop()
        assert player.state is PlayerState.IDLE
        assert player.latest_frame() is None
        assert player.caption("en") is None
        assert player.clock() == 0.0
        assert player.segment is None


def test_segment_model_is_what_the_player_takes(tone: Path) -> None:
    seg = Segment(id="x", title=segment(tone).title, path=tone, start=0.5, end=0.7)
    with Player(SIZE, audio="null") as player:
        player.play(seg)
        played = drive(player)
        assert played.barcodes() == [12, 13, 14, 15, 16, 17]  # 17 shows from 0.68 s


def test_a_slow_decoder_drops_frames_instead_of_slowing_down(
    clips: ClipFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kiosk.media import convert

    path = clips("fast50.mp4", size=SIZE, duration=1.0, fps=50.0)
    real = convert.Converter.__call__

    def slow(self: convert.Converter, *args: object, **kwargs: object) -> object:
        time.sleep(0.06)  # a machine that converts only ~16 of the 50 frames/s
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(convert.Converter, "__call__", slow)
    with Player(SIZE, audio="null") as player:
        player.play(segment(path))
        played = drive(player, timeout=10)
        stats = player.stats()
        assert player.state is PlayerState.ENDED
    # The clock does not wait for the pictures: the segment ended on time, showing the last
    # frames before it did; a slide show of every frame would have stopped near frame 16.
    codes = played.barcodes()
    assert codes == sorted(codes) and codes[-1] >= 45  # in order, up to the end
    assert len(codes) < 35  # frames were dropped ...
    assert stats["frames_skipped_by_decoder"] + stats["frames_dropped"] > 0  # ... and counted


def test_seek_within_a_segment(tone: Path) -> None:
    with Player(SIZE, audio="null") as player:
        player.play(segment(tone, 0.4, 1.8))
        drive(player, until=lambda p: p.clock() > 0.2)
        player.seek(1.0)
        # the previous frame stays up until the first frame at the new position is ready
        played = drive(player, until=lambda p: (f := p.latest_frame()) is not None and f.pts >= 1)
        frame = player.latest_frame()
        assert frame is not None and read_barcode(frame.data) == 35  # 0.4 + 1.0 s at 25 fps
        assert frame.pts == pytest.approx(1.0, abs=0.001)
        drive(player)
        assert player.state is PlayerState.ENDED
        assert player.clock() == pytest.approx(1.4, abs=0.01)
        assert played.frames
