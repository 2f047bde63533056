"""Fakes for driving the visitor UI in tests: a player that records what it was asked to do."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kiosk.content.model import Segment


@dataclass(frozen=True)
class FakeFrame:
    data: bytes
    size: tuple[int, int]
    pts: float


@dataclass
class FakePlayer:
    """Plays nothing; keeps a clock the test sets, and a log of calls."""

    calls: list[str] = field(default_factory=list)
    segment: Segment | None = None
    state: str = "idle"
    time: float = 0.0
    volume: float = 1.0
    size: tuple[int, int] = (1280, 720)
    captions: dict[str, str] = field(default_factory=lambda: {"ru": "Идут кочи.", "en": "Boats."})
    fail: set[Path] = field(default_factory=set)

    def play(self, segment: Segment, *, loop: bool = False) -> None:
        self.calls.append(f"play:{segment.id}")
        self.segment = segment
        self.time = 0.0
        self.state = (
            "failed" if segment.path in self.fail or not segment.path.exists() else "playing"
        )

    def play_playlist(self, segments: list[Segment], *, loop: bool = True) -> None:
        self.calls.append("playlist:" + ",".join(s.id for s in segments))
        self.segment = segments[0]
        self.state = "playing"

    def preload(self, segment: Segment) -> None:
        self.calls.append(f"preload:{segment.id}")

    def stop(self) -> None:
        self.calls.append("stop")
        self.state = "idle"

    def pause(self) -> None:
        self.calls.append("pause")
        self.state = "paused"

    def resume(self) -> None:
        self.calls.append("resume")
        self.state = "playing"

    def seek_to_start(self) -> None:
        self.calls.append("seek")
        self.time = 0.0

    def set_volume(self, volume: float) -> None:
        self.volume = volume

    def set_size(self, size: tuple[int, int]) -> None:
        self.size = size

    def clock(self) -> float:
        return self.time

    def latest_frame(self) -> FakeFrame | None:
        if self.state not in ("playing", "paused"):
            return None
        w, h = self.size
        img = np.zeros((h, w, 3), np.uint8)
        img[..., 2] = 120
        return FakeFrame(img.tobytes(), self.size, self.time)

    def caption(self, lang: str) -> str | None:
        if self.state not in ("playing", "paused"):
            return None
        return self.captions.get(lang)

    def close(self) -> None:
        self.calls.append("close")
