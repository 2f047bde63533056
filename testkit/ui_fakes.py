"""Test kit: fakes for driving the visitor UI in tests; they implement the UI's ports in full.

:class:`FakePlayer` (the player port) records what it was asked to do and keeps a clock the test
sets; :class:`FakeSink` is a sound output to name in the admin panel; :class:`FakeDiagnostics`
(the diagnostics port) returns the figures the test gives it; :class:`FakeMirror` (the mirror
port) is a camera the test switches, with a visitor in front of it or not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kiosk.content.model import Segment
from kiosk.media import Faults, PlayerState
from kiosk.media.convert import PixelFormat
from kiosk.mirror.pipeline import MirrorFrame, MirrorStatus
from kiosk.ui.ports import Diagnostics, DiagnosticsPort, MirrorPort, PlayerPort


@dataclass(frozen=True)
class FakeFrame:
    data: bytes
    size: tuple[int, int]
    pts: float
    format: PixelFormat = "RGB"


@dataclass(frozen=True)
class FakeSink:
    name: str = "null-sink"
    error: BaseException | None = None


@dataclass
class FakePlayer:
    """Plays nothing; keeps a clock the test sets, and a log of calls."""

    calls: list[str] = field(default_factory=list)
    segment: Segment | None = None
    state: PlayerState = PlayerState.IDLE
    time: float = 0.0
    volume: float = 1.0
    size: tuple[int, int] = (1280, 720)
    captions: dict[str, str] = field(default_factory=lambda: {"ru": "Идут кочи.", "en": "Boats."})
    fail: set[Path] = field(default_factory=set)
    faults: Faults = field(default_factory=Faults)
    sink: FakeSink | None = None  # no sound output unless the test fits one
    dropped: int = 0

    def stats(self) -> dict[str, float]:
        return {"frames_dropped": self.dropped}

    def play(self, segment: Segment, *, loop: bool = False) -> None:
        self.calls.append(f"play:{segment.id}")
        self.segment = segment
        self.time = 0.0
        broken = segment.path in self.fail or not segment.path.exists()
        self.state = PlayerState.FAILED if broken else PlayerState.PLAYING

    def play_playlist(self, segments: Sequence[Segment], *, loop: bool = True) -> None:
        self.calls.append("playlist:" + ",".join(s.id for s in segments))
        self.segment = segments[0]
        self.state = PlayerState.PLAYING

    def preload(self, segment: Segment) -> None:
        self.calls.append(f"preload:{segment.id}")

    def drop_preloaded(self) -> None:
        self.calls.append("drop_preloaded")

    def stop(self) -> None:
        self.calls.append("stop")
        self.state = PlayerState.IDLE

    def pause(self) -> None:
        self.calls.append("pause")
        self.state = PlayerState.PAUSED

    def resume(self) -> None:
        self.calls.append("resume")
        self.state = PlayerState.PLAYING

    def set_volume(self, volume: float) -> None:
        self.volume = volume

    def set_size(self, size: tuple[int, int]) -> None:
        self.size = size

    def clock(self) -> float:
        return self.time

    def frame_due_in(self) -> float | None:
        return None

    def latest_frame(self) -> FakeFrame | None:
        if self.state not in (PlayerState.PLAYING, PlayerState.PAUSED):
            return None
        w, h = self.size
        img = np.zeros((h, w, 3), np.uint8)
        img[..., 2] = 120
        return FakeFrame(img.tobytes(), self.size, self.time)

    def caption(self, lang: str) -> str | None:
        if self.state not in (PlayerState.PLAYING, PlayerState.PAUSED):
            return None
        return self.captions.get(lang)

    def close(self) -> None:
        self.calls.append("close")


@dataclass
class FakeDiagnostics:
    """The running kiosk's figures, as the test sets them."""

    figures: Diagnostics = field(
        default_factory=lambda: Diagnostics(
            release="2024-06", fps=59.94, frames_dropped=2, faults=0, uptime_s=7200.0
        )
    )

    def diagnostics(self) -> Diagnostics:
        return self.figures


@dataclass
class FakeMirror:
    """A mirror whose camera and visitor the test switches; records what it was asked.

    ``present``: someone stands in front of the camera (seen only while watching).
    """

    present: bool = False
    calls: list[str] = field(default_factory=list)
    running: bool = False
    watching: bool = False
    view_size: tuple[int, int] | None = None
    faces: int = 1
    index: int = 0

    def start(self) -> None:
        self.calls.append("start")
        self.running, self.watching = True, False

    def stop(self) -> None:
        self.calls.append("stop")
        self.running = self.watching = False

    def set_view_size(self, size: tuple[int, int] | None) -> None:
        self.view_size = size

    def latest_frame(self) -> MirrorFrame | None:
        if not self.running:
            return None
        self.index += 1
        w, h = self.view_size or (160, 120)
        data = np.full((h, w, 3), 90, np.uint8)
        return MirrorFrame(data, (w, h), self.index / 30, self.index, self.faces)

    def status(self) -> MirrorStatus:
        state = "running" if self.running else "off"
        return MirrorStatus(state, self.running, "cpu", 30.0 if self.running else 0.0, 5.0, 2.0)

    def check(self) -> None:
        pass

    def watch(self, on: bool) -> None:
        self.calls.append(f"watch:{on}")
        self.watching = on and not self.running

    def someone_present(self) -> bool:
        return self.watching and self.present


def _implements_the_ports() -> tuple[PlayerPort, DiagnosticsPort, MirrorPort]:
    """Never called: mypy (which checks the test kit) fails here when a fake falls behind its
    port."""
    return FakePlayer(), FakeDiagnostics(), FakeMirror()
