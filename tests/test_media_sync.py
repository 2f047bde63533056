"""The real PortAudio path, into a PulseAudio null sink that is paced and recorded.

Needs the ``pulseaudio`` program (Debian: pulseaudio, libasound2-plugins, libportaudio2); the
tests start a private server themselves and skip only when the program is not installed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from kiosk.media import Player, PlayerState, SoundDeviceSink
from testkit.avsync import measure_sync, write_sync_clip
from testkit.media import ClipFactory, drive, segment
from testkit.pulse import ALSA_DEVICE, MonitorRecorder, PulseServer
from testkit.waits import wait_for


@pytest.fixture(scope="module")
def recorder(pulse: PulseServer) -> Iterator[MonitorRecorder]:
    with MonitorRecorder(ALSA_DEVICE) as rec:
        assert rec.wait_stable(), "the monitor recording never settled"
        yield rec


def test_sounddevice_plays_through_portaudio_into_the_paced_sink(
    recorder: MonitorRecorder, clips: ClipFactory
) -> None:
    path = clips("sync_tone.mp4", size=(160, 90), duration=1.0, tone_hz=None, beeps=[0.2, 0.7])
    sink = SoundDeviceSink(ALSA_DEVICE)
    assert sink.steady is False
    with Player((160, 90), audio=sink) as player:
        assert sink.steady and sink.error is None
        t0 = time.monotonic()
        player.play(segment(path))
        drive(player, timeout=10)
        t_ended = time.monotonic()
        assert player.state is PlayerState.ENDED
        assert player.faults.counts == {}
        assert player.stats()["audio_underruns"] == 0

    def onsets() -> list[float]:
        return [t for t in recorder.onsets() if t > t0]

    assert wait_for(lambda: len(onsets()) >= 2)  # the recording lags the sink a little
    beeps = onsets()
    assert len(beeps) == 2
    # the beeps left the sink 0.5 s apart, as written: no gap, nothing doubled
    assert beeps[1] - beeps[0] == pytest.approx(0.5, abs=0.003)
    # paced: the clip ended only after the device had played its sound (the second beep is
    # 0.3 s before the end), not when the decoder had handed everything over
    assert beeps[1] < t_ended


def test_av_sync_offsets(recorder: MonitorRecorder, tmp_path: Path) -> None:
    clip = write_sync_clip(tmp_path / "sync.mp4")
    result = measure_sync(clip, SoundDeviceSink(ALSA_DEVICE), recorder, ui_hz=250)
    print(
        f"A/V offsets (flash shown - beep heard), ms: {[round(o, 1) for o in result.offsets_ms]}"
        f" mean {result.mean_ms:.1f} max {result.max_ms:.1f}"
    )
    assert result.faults == {}
    assert result.flashes == 6
    assert len(result.offsets_ms) == 6  # every flash has its beep
    # Loose bounds: this catches a broken clock (ignoring the output latency is ~80 ms off);
    # the precise figures are bench/media.py's job, on a quiet machine.
    assert abs(result.mean_ms) < 40.0
    assert float(np.max(np.abs(result.offsets_ms))) < 80.0
