"""Unit tests of the player's parts that need no decoding: captions, mixer, faults, sinks."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from kiosk.media import workers
from kiosk.media.audio import NullSink, _ClockOffset, _Smoother
from kiosk.media.captions import (
    CaptionFileError,
    CaptionTrack,
    Cue,
    load_captions,
    read_cues,
    timestamp,
)
from kiosk.media.convert import display_size, fit_size
from kiosk.media.errors import FaultKind, Faults, MediaError
from kiosk.media.mixer import AudioEnd, Mixer, Voice
from kiosk.media.workers import BurstQueue, ReadAhead, StopFlag
from testkit.waits import wait_for

RATE = 48000

VTT = """WEBVTT

00:00.500 --> 00:01.250
<v Narrator>Семён <i>Дежнёв</i></v>

intro-2
00:01.000 --> 00:02.000 align:start
Cape &amp; strait

00:03.000 --> 00:04.000
Third
"""


def test_captions_are_cued_to_the_millisecond(tmp_path: Path) -> None:
    path = tmp_path / "c.ru.vtt"
    path.write_text(VTT, encoding="utf-8")
    track = CaptionTrack.load(path)
    assert len(track) == 3
    assert track.at(0.499) is None
    assert track.at(0.5) == "Семён Дежнёв"  # tags stripped, start not truncated to 0 s
    assert track.at(1.1) == "Семён Дежнёв\nCape & strait"  # overlap joined, entity decoded
    assert track.at(1.25) == "Cape & strait"  # end is exclusive
    assert track.at(2.5) is None
    assert track.at(3.999) == "Third"
    assert track.at(4.0) is None


@pytest.mark.parametrize(
    "content",
    [None, "not a caption file", "WEBVTT\n\n00:00.000 --> 00:xx.000\nbad time\n"],
)
def test_bad_caption_files_are_media_errors(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "bad.vtt"
    if content is not None:
        path.write_text(content)
    tracks, errors = load_captions({"en": path})
    if errors:
        assert errors[0][0] == "en"
        assert errors[0][1].kind is FaultKind.CAPTIONS
    else:  # webvtt-py skips a malformed cue block (non-strict): the track is just empty
        assert len(tracks["en"]) == 0


def test_read_cues_gives_every_cue_with_its_line_for_the_validator(tmp_path: Path) -> None:
    path = tmp_path / "c.en.vtt"
    path.write_text(VTT + "\n00:05.000 --> 00:04.500\nInverted\n", encoding="utf-8")
    cues = read_cues(path)
    assert [(c.line, c.start, c.end) for c in cues] == [
        (3, 0.5, 1.25),
        (7, 1.0, 2.0),
        (10, 3.0, 4.0),
        (13, 5.0, 4.5),  # kept: the validator reports it
    ]
    assert cues[1].text == "Cape & strait"
    assert timestamp(cues[0].end) == "00:00:01.250"
    path.write_text("not a caption file")
    with pytest.raises(CaptionFileError) as err:
        read_cues(path)
    assert err.value.kind is FaultKind.CAPTIONS and str(path) in err.value.reason
    assert err.value.detail and str(path) not in err.value.detail


def test_caption_track_ignores_empty_and_inverted_cues() -> None:
    track = CaptionTrack([Cue(2.0, 1.0, "inverted"), Cue(0.0, 1.0, ""), Cue(0.0, 1.0, "ok")])
    assert track.at(0.5) == "ok"
    assert len(track) == 1


def test_faults_count_by_kind_and_keep_last_reasons() -> None:
    faults = Faults(keep=2)
    faults.record(FaultKind.MISSING, "a", "gone")
    faults.record(FaultKind.MISSING, "b", "gone too")
    faults.record(FaultKind.CAPTIONS, "c", "bad vtt")
    assert faults.counts == {"missing": 2, "captions": 1}
    assert faults["missing"] == 2 and faults[FaultKind.EMPTY] == 0
    assert [f.source for f in faults.last] == ["b", "c"]
    assert faults.total() == 3
    assert str(MediaError(FaultKind.EMPTY, "x")) == "empty: x"


def test_fit_size_keeps_aspect_and_rotation() -> None:
    assert fit_size(display_size(1920, 1080, None, 0), (1280, 720), "contain") == (1280, 720)
    assert fit_size(display_size(1920, 1080, None, 90), (1280, 720), "contain") == (405, 720)
    assert fit_size(display_size(720, 576, None, 0), (1280, 720), "contain") == (900, 720)
    # anamorphic PAL 16:9: square pixels would be 720x576, the sample aspect widens it
    from fractions import Fraction

    assert fit_size(display_size(720, 576, Fraction(64, 45), 0), (1280, 720), "contain") == (
        1280,
        720,
    )
    assert fit_size((4.0, 3.0), (1280, 720), "stretch") == (1280, 720)


# -- mixer ------------------------------------------------------------------------------------


def _voice(token: int, seconds: float, value: float, *, end: float | None = None) -> Voice:
    q: queue.Queue[np.ndarray | AudioEnd] = queue.Queue()
    n = round(seconds * RATE)
    for i in range(0, n, 1000):
        q.put(np.full((min(1000, n - i), 2), value, np.float32))
    q.put(AudioEnd())
    v = Voice(token, q, rate=RATE)
    if end is not None:
        v.set_end(end)
    return v


def _render(mixer: Mixer, blocks: int, t0: float = 100.0, n: int = 480) -> np.ndarray:
    out = []
    for b in range(blocks):
        buf = np.zeros((n, 2), np.float32)
        mixer.render(buf, t0 + b * n / RATE)
        out.append(buf)
    return np.concatenate(out)


def test_mixer_switches_to_the_queued_voice_on_the_next_sample() -> None:
    mixer = Mixer(RATE, 2)
    a = _voice(1, 0.1, 0.5, end=0.1)
    b = _voice(2, 0.1, -0.5, end=0.1)
    mixer.play(a)
    mixer.queue_next(b)
    out = _render(mixer, 25)
    n_a = round(0.1 * RATE)
    # a's samples, then b's with no silence between (edge fades are the decoder's job)
    assert np.all(out[10:n_a, 0] > 0.49)
    assert np.all(out[n_a + 300 : 2 * n_a, 0] < -0.49)
    assert mixer.switches == 1
    assert a.finished and a.finish_time == pytest.approx(100.0 + 0.1, abs=1e-9)
    # the timeline tells which voice is heard when, to the sample
    p = mixer.timeline(100.0 + 0.05)
    assert p is not None and p.token == 1 and p.pos == pytest.approx(0.05, abs=1e-6)
    p = mixer.timeline(100.0 + 0.1 + 0.02)
    assert p is not None and p.token == 2 and p.pos == pytest.approx(0.02, abs=1e-6)


def test_mixer_holds_the_clock_while_paused_or_starved() -> None:
    mixer = Mixer(RATE, 2)
    q: queue.Queue[np.ndarray | AudioEnd] = queue.Queue()
    q.put(np.full((4800, 2), 0.3, np.float32))  # 0.1 s, then the decoder "falls behind"
    v = Voice(1, q, rate=RATE)
    mixer.play(v)
    _render(mixer, 20)  # 0.2 s
    p = mixer.timeline(100.0 + 0.15)
    assert p is not None and not p.advancing and p.pos == pytest.approx(0.1, abs=1e-6)
    assert mixer.underruns >= 1
    mixer.set_paused(True)
    q.put(np.full((4800, 2), 0.3, np.float32))
    _render(mixer, 10, t0=100.2)
    assert v.position == pytest.approx(0.1)
    mixer.set_paused(False)
    _render(mixer, 5, t0=100.3)
    assert v.position == pytest.approx(0.15)


def test_mixer_waits_for_the_gate_and_pads_silent_voices() -> None:
    gate = threading.Event()
    mixer = Mixer(RATE, 2)
    v = Voice(7, None, rate=RATE, gate=gate)  # a segment without sound
    v.set_end(0.05)
    mixer.play(v)
    _render(mixer, 5)
    assert v.position == 0.0 and not v.finished
    gate.set()
    out = _render(mixer, 10, t0=101.0)
    assert v.finished and not out.any()
    assert v.finish_time == pytest.approx(101.05, abs=1e-9)


def test_mixer_gain_is_ramped_and_stop_decays_without_a_click() -> None:
    mixer = Mixer(RATE, 2)
    mixer.play(_voice(1, 1.0, 0.8))
    out = _render(mixer, 10)
    assert np.allclose(out[2000:], 0.8)
    mixer.set_gain(0.25)
    out = _render(mixer, 10, t0=100.1)
    assert np.abs(np.diff(out[:, 0])).max() < 0.01  # a ramp, not a step
    assert out[-1, 0] == pytest.approx(0.2)
    mixer.play(None)  # stop: what was heard decays to silence
    out = _render(mixer, 2, t0=100.2)
    assert np.abs(np.diff(out[:, 0])).max() < 0.01
    assert out[-1, 0] == 0.0


def test_clock_helpers() -> None:
    sm = _Smoother(RATE)
    t = sm(10.0, 480)
    assert t == 10.0 and sm.last_reset
    t = sm(10.0 + 0.01 + 0.002, 480)  # 2 ms of jitter only nudges the prediction
    assert t == pytest.approx(10.01 + 0.0001) and not sm.last_reset
    t = sm(12.0, 480)  # a jump resets
    assert t == 12.0 and sm.last_reset
    off = _ClockOffset()
    assert off(5.0, 0.0) == 5.0
    assert off(4.999, 0.01) == pytest.approx(5.0, abs=1e-4)  # a late sample does not lower it
    assert off(5.001, 0.02) == 5.001
    assert off(1.0, 0.03) == 1.0  # the wall clock was stepped


def test_null_sink_is_paced_by_the_monotonic_clock() -> None:
    sink = NullSink(RATE, 2, block=480, lead=0.02)
    times: list[tuple[float, float]] = []

    def render(out: np.ndarray, t: float) -> None:
        times.append((time.monotonic(), t))

    sink.start(render)
    assert wait_for(lambda: len(times) >= 30)  # 0.3 s of sound
    sink.close()
    assert sink.error is None
    # each block is rendered ahead of the moment it is "heard", and blocks are contiguous
    assert all(t >= now for now, t in times[1:])
    steps = np.diff([t for _, t in times])
    assert np.allclose(steps[sink.resyncs :], 480 / RATE) or sink.resyncs > 0
    # paced by the clock: no block is rendered more than the lead before it is heard (a sink
    # that rendered as fast as it could would run ahead without limit)
    assert all(t - now <= sink.lead + 1e-3 for now, t in times)


def test_read_ahead_yields_in_order_and_raises_the_feeders_error() -> None:
    stop = threading.Event()

    def items() -> Iterator[int]:
        yield from range(50)
        raise MediaError(FaultKind.CORRUPT, "damaged at 50")

    got: list[int] = []
    with pytest.raises(MediaError, match="damaged at 50"), ReadAhead(items(), stop, "t") as ahead:
        got.extend(ahead)
    assert got == list(range(50))


def test_read_ahead_stops_and_joins_its_thread_when_the_consumer_leaves_early() -> None:
    stop = threading.Event()
    produced: list[int] = []

    def endless() -> Iterator[int]:
        i = 0
        while True:
            produced.append(i)
            yield i
            i += 1

    before = threading.active_count()
    with ReadAhead(endless(), stop, "t", size=3) as ahead:
        assert threading.active_count() == before + 1
        for i in ahead:
            if i == 10:
                break
    assert threading.active_count() == before
    # bounded: the feeder ran at most its queue (3) plus the item it was offering ahead
    assert len(produced) <= 11 + 3 + 1


def test_read_ahead_ends_when_the_worker_is_stopped() -> None:
    stop = threading.Event()
    release = threading.Event()

    def slow() -> Iterator[int]:
        yield 1
        release.wait(5)
        yield 2

    got: list[int] = []
    with ReadAhead(slow(), stop, "t") as ahead:
        for i in ahead:
            got.append(i)
            stop.set()  # the player stops the worker: the consumer ends without waiting
            release.set()
    assert got == [1]


@pytest.mark.parametrize("side", ["get", "put"])
def test_a_wake_sends_a_waiting_decode_thread_back_to_its_stop_flag(
    side: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stop wakes the threads waiting on a queue: they return to their caller at once (who
    then sees the flag) instead of waiting out their timeout, which left every stopped decoder
    alive for up to half a second and made the player join it on the UI thread."""
    monkeypatch.setattr(workers, "WAIT_S", 60.0)  # only a wake can end a wait in time
    q = BurstQueue(4)
    stop = StopFlag()
    stop.watch(q)
    if side == "put":
        for i in range(4):
            q.put(i)
    results: list[object] = []

    def wait() -> None:
        if side == "get":
            try:
                q.get(timeout=60.0)
            except queue.Empty:
                results.append("empty")
        else:
            results.append(q.put_until(4, [stop]))

    thread = threading.Thread(target=wait, daemon=True)
    thread.start()
    assert wait_for(lambda: q.not_empty._waiters or q.not_full._waiters, timeout=10.0)  # type: ignore[attr-defined]
    if side == "get":
        q.wake()
    else:
        stop.set()  # wakes the queues it watches
    thread.join(30.0)  # a safety net only: the wake, not the timeout, ends the wait
    assert not thread.is_alive()
    assert results == (["empty"] if side == "get" else [False])
