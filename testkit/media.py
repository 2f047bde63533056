"""Test kit: helpers for driving the clip player in tests and benchmarks (not shipped).

:func:`segment` makes a :class:`Segment` of a file; :func:`drive` runs a frame loop like the
UI's and records what it saw (:class:`Played`); :class:`ClipFactory` writes each synthetic clip
(:func:`testkit.synth.write_clip`) once per session; :func:`recorded` and :func:`max_step` read
what a recording :class:`~kiosk.media.audio.NullSink` was given; :func:`open_fds` counts file
handles. The pytest fixtures built on these (``clips``, ``pulse``) are in ``tests/conftest.py``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.content.model import Segment, Text
from kiosk.media.audio import NullSink
from kiosk.media.decoder import Frame
from kiosk.media.player import Player, PlayerState
from testkit.synth import read_barcode, write_clip


def segment(
    path: Path,
    start: float = 0.0,
    end: float | None = None,
    *,
    captions: Mapping[str, Path] | None = None,
    id: str | None = None,
) -> Segment:
    """A segment of ``path`` from ``start`` to ``end`` seconds, titled and named by the file."""
    return Segment(
        id=id or Path(path).stem,
        title=Text({"en": Path(path).stem}),
        path=Path(path),
        start=start,
        end=end,
        captions=dict(captions or {}),
    )


class ClipFactory:
    """Writes synthetic clips once per test session, by name (``clips("a.mp4", **options)``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._made: dict[str, Path] = {}

    def __call__(self, name: str, **kwargs: Any) -> Path:
        if name not in self._made:
            self._made[name] = write_clip(self.root / name, **kwargs)
        return self._made[name]

    def path(self, name: str) -> Path:
        return self.root / name


@dataclass
class Played:
    """What a frame loop saw: frames (first sight), the clock and captions over time."""

    frames: list[tuple[float, Frame]] = field(default_factory=list)  # (monotonic, frame)
    clocks: list[tuple[float, float]] = field(default_factory=list)  # (monotonic, clock)
    captions: list[tuple[float, str | None]] = field(default_factory=list)  # (clock, text)
    states: list[PlayerState] = field(default_factory=list)

    def barcodes(self) -> list[int]:
        """The frame numbers :func:`testkit.synth.write_clip` wrote into the frames seen."""
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
    """Run a UI-like frame loop until ``until(player)`` (default: not playing) or timeout.

    The timeout is a safety net: a test says what it waits for with ``until``.
    """
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


def recorded(sink: NullSink) -> tuple[np.ndarray, np.ndarray]:
    """(times, samples) of a recording NullSink, concatenated."""
    if not sink.recorded:
        return np.zeros(0), np.zeros((0, sink.channels), np.float32)
    times = np.concatenate([t + np.arange(b.shape[0]) / sink.rate for t, b in sink.recorded])
    data = np.concatenate([b for _, b in sink.recorded])
    return times, data


def open_fds() -> int:
    """File handles this process has open (Linux)."""
    return len(os.listdir("/proc/self/fd"))
