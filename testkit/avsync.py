"""Test kit: measure audio/video sync of the player end to end (tests and bench, not shipped).

A clip with white flash frames and beeps at the same known times is played through the real
audio path into a paced sink whose output is recorded (a PulseAudio null sink's monitor, see
:mod:`testkit.pulse`). A frame loop like the UI's records when each flash frame is first
handed out by :meth:`Player.latest_frame`; the recording says when each beep was played. The
offset of a pair is ``flash time - beep time`` (positive: the picture is late).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.media.audio import AudioSink
from kiosk.media.player import Player, PlayerState
from testkit.media import segment
from testkit.pulse import MonitorRecorder
from testkit.synth import is_flash, write_clip

SYNC_FLASHES = (1.0, 2.0, 3.0, 4.0, 5.0, 6.0)


@dataclass
class SyncResult:
    offsets_ms: list[float]
    flashes: int
    beeps: int
    faults: dict[str, int] = field(default_factory=dict)

    @property
    def mean_ms(self) -> float:
        return sum(self.offsets_ms) / len(self.offsets_ms) if self.offsets_ms else float("nan")

    @property
    def max_abs_ms(self) -> float:
        return max((abs(o) for o in self.offsets_ms), default=float("nan"))

    @property
    def max_ms(self) -> float:
        """The offset with the largest magnitude, with its sign."""
        return max(self.offsets_ms, key=abs) if self.offsets_ms else float("nan")


def write_sync_clip(path: Path, *, flashes: tuple[float, ...] = SYNC_FLASHES) -> Path:
    """A clip with a white frame and a 1 kHz beep at each of ``flashes`` (seconds)."""
    return write_clip(
        path,
        size=(160, 90),
        fps=25.0,
        duration=max(flashes) + 1.0,
        tone_hz=None,
        flashes=flashes,
        beeps=flashes,
    )


def measure_sync(
    clip: Path,
    sink: AudioSink,
    recorder: MonitorRecorder,
    *,
    ui_hz: float = 60.0,
    flashes: tuple[float, ...] = SYNC_FLASHES,
    timeout: float = 30.0,
) -> SyncResult:
    """Play ``clip`` (from :func:`write_sync_clip`) through ``sink`` while ``recorder`` runs."""
    seg = segment(clip, id="sync")
    shown: list[tuple[float, float]] = []  # (pts, monotonic time first handed out)
    with Player((160, 90), audio=sink) as player:
        player.play(seg)
        period = 1.0 / ui_hz
        t_next = time.monotonic()
        deadline = t_next + timeout
        last_pts = -1.0
        while player.state is PlayerState.PLAYING and time.monotonic() < deadline:
            frame = player.latest_frame()
            now = time.monotonic()
            if frame is not None and frame.pts != last_pts:
                last_pts = frame.pts
                if is_flash(frame.data):
                    shown.append((frame.pts, now))
            t_next += period
            delay = t_next - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                t_next = time.monotonic()
        faults = player.faults.counts
    time.sleep(0.3)  # let the last samples reach the recording
    beeps = recorder.onsets()
    offsets: list[float] = []
    for _pts, t_flash in shown:
        near = [b for b in beeps if abs(b - t_flash) < 0.25]
        if near:
            beep = min(near, key=lambda b: abs(b - t_flash))
            offsets.append((t_flash - beep) * 1000.0)
    return SyncResult(offsets, len(shown), len(beeps), faults)
