"""Helpers for the media tests: synthetic clips, segments, a frame loop, a PulseAudio server.

Import what you need explicitly (``from tests.media_helpers import ...``); the pytest fixtures here
(``clips``, ``pulse``) become available to a test module that imports them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kiosk.content.model import Segment, Text
from kiosk.media.decoder import Frame
from kiosk.media.player import Player, PlayerState
from testkit.pulse import PulseServer, pulseaudio_binary
from testkit.synth import read_barcode, write_clip

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

DATA = Path(__file__).parent / "data"
REAL_720P = DATA / "bbb_720p_aac51.mp4"  # Big Buck Bunny excerpt, see tests/data/README.md


def segment(
    path: Path,
    start: float = 0.0,
    end: float | None = None,
    *,
    captions: Mapping[str, Path] | None = None,
    id: str | None = None,
) -> Segment:
    return Segment(
        id=id or Path(path).stem,
        title=Text({"en": Path(path).stem}),
        path=Path(path),
        start=start,
        end=end,
        captions=dict(captions or {}),
    )


class ClipFactory:
    """Writes synthetic clips once per test session, by name."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._made: dict[str, Path] = {}

    def __call__(self, name: str, **kwargs: Any) -> Path:
        if name not in self._made:
            self._made[name] = write_clip(self.root / name, **kwargs)
        return self._made[name]

    def path(self, name: str) -> Path:
        return self.root / name


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> ClipFactory:
    return ClipFactory(tmp_path_factory.mktemp("clips"))


@pytest.fixture(scope="session")
def pulse() -> Iterator[PulseServer]:
    """A private PulseAudio server with a null sink, active for this process."""
    if pulseaudio_binary() is None:
        pytest.skip("pulseaudio is not installed (apt-get install pulseaudio libasound2-plugins)")
    server = PulseServer()
    server.start()
    server.activate()
    try:
        yield server
    finally:
        server.deactivate()
        server.stop()


@dataclass
class Played:
    """What a frame loop saw: frames (first sight), the clock and captions over time."""

    frames: list[tuple[float, Frame]] = field(default_factory=list)  # (monotonic, frame)
    clocks: list[tuple[float, float]] = field(default_factory=list)  # (monotonic, clock)
    captions: list[tuple[float, str | None]] = field(default_factory=list)  # (clock, text)
    states: list[PlayerState] = field(default_factory=list)

    def barcodes(self) -> list[int]:
        return [read_barcode(f.data) for _, f in self.frames]


def drive(
    player: Player,
    *,
    until: Callable[[Player], bool] | None = None,
    timeout: float = 10.0,
    hz: float = 100.0,
    lang: str | None = None,
    on_tick: Callable[[Player, float], None] | None = None,
) -> Played:
    """Run a UI-like frame loop until ``until(player)`` (default: not playing) or timeout."""
    out = Played()
    t_end = time.monotonic() + timeout
    last: Frame | None = None
    stop = until or (lambda p: p.state not in (PlayerState.PLAYING, PlayerState.PAUSED))
    while time.monotonic() < t_end:
        frame = player.latest_frame()
        now = time.monotonic()
        out.clocks.append((now, player.clock()))
        out.states.append(player.state)
        if lang is not None:
            out.captions.append((player.clock(), player.caption(lang)))
        if frame is not None and frame is not last:
            out.frames.append((now, frame))
            last = frame
        if on_tick is not None:
            on_tick(player, now)
        if stop(player):
            break
        time.sleep(1.0 / hz)
    return out


def max_step(samples: np.ndarray) -> float:
    """Largest sample-to-sample jump (a click shows as a big one)."""
    if samples.shape[0] < 2:
        return 0.0
    return float(np.abs(np.diff(samples, axis=0)).max())


def recorded(sink: Any) -> tuple[np.ndarray, np.ndarray]:
    """(times, samples) of a recording NullSink, concatenated."""
    if not sink.recorded:
        return np.zeros(0), np.zeros((0, sink.channels), np.float32)
    times = np.concatenate([t + np.arange(b.shape[0]) / sink.rate for t, b in sink.recorded])
    data = np.concatenate([b for _, b in sink.recorded])
    return times, data


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
