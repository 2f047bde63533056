"""The small interfaces the screens use to reach the player, so a test can drive every scene
with a fake, and ``kiosk tour`` can draw a clip's frame without playing it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from kiosk.content.model import Segment

log = logging.getLogger(__name__)


class FrameLike(Protocol):
    """A decoded video frame, already converted to RGB24 at the size the screen asked for."""

    @property
    def data(self) -> Any: ...
    @property
    def size(self) -> tuple[int, int]: ...
    @property
    def pts(self) -> float: ...


class PlayerPort(Protocol):
    """What a scene needs from the clip player."""

    def play(self, segment: Segment, *, loop: bool = False) -> None: ...
    def play_playlist(self, segments: Sequence[Segment], *, loop: bool = True) -> None: ...
    def preload(self, segment: Segment) -> None: ...
    def stop(self) -> None: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...
    def seek_to_start(self) -> None: ...
    def set_volume(self, volume: float) -> None: ...
    def set_size(self, size: tuple[int, int]) -> None: ...
    def clock(self) -> float: ...
    def latest_frame(self) -> FrameLike | None: ...
    def caption(self, lang: str) -> str | None: ...
    @property
    def state(self) -> str: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class StillFrame:
    data: bytes
    size: tuple[int, int]
    pts: float


class StillPlayer:
    """A player whose clock stands still at ``at`` seconds into every segment.

    Used by ``kiosk tour`` and the golden-image tests: it decodes the one frame due at that
    moment (with PyAV) and cues the captions of that moment, so every picture is repeatable.
    """

    def __init__(self, at: float = 8.0) -> None:
        self.at = at
        self.size = (1280, 720)
        self.segment: Segment | None = None
        self._frame: StillFrame | None = None
        self._state = "idle"
        self.volume = 1.0

    @property
    def state(self) -> str:
        return self._state

    def play(self, segment: Segment, *, loop: bool = False) -> None:
        self.segment = segment
        self._frame = None
        self._state = "playing"
        try:
            self._frame = self._decode(segment)
        except Exception as exc:  # a broken clip shows the page without a picture
            log.warning("cannot show %s: %s", segment.path.name, exc)
            self._state = "failed"

    def _decode(self, segment: Segment) -> StillFrame | None:
        import av

        with av.open(str(segment.path)) as container:
            stream = container.streams.video[0]
            duration = segment.duration
            t = segment.start + (min(self.at, duration - 0.1) if duration else self.at)
            if stream.time_base is not None:
                container.seek(int(max(0.0, t - 1.0) / stream.time_base), stream=stream)
            chosen = None
            for frame in container.decode(stream):
                if frame.time is None:
                    continue
                chosen = frame
                if frame.time >= t:
                    break
            if chosen is None:
                return None
            rgb = chosen.reformat(width=self.size[0], height=self.size[1], format="rgb24")
            return StillFrame(bytes(rgb.to_ndarray().tobytes()), self.size, self.at)

    def play_playlist(self, segments: Sequence[Segment], *, loop: bool = True) -> None:
        if segments:
            self.play(segments[0])

    def preload(self, segment: Segment) -> None:
        pass

    def stop(self) -> None:
        self._state = "idle"
        self._frame = None

    def pause(self) -> None:
        if self._state == "playing":
            self._state = "paused"

    def resume(self) -> None:
        if self._state == "paused":
            self._state = "playing"

    def seek_to_start(self) -> None:
        pass

    def set_volume(self, volume: float) -> None:
        self.volume = volume

    def set_size(self, size: tuple[int, int]) -> None:
        if size != self.size:
            self.size = size
            if self.segment is not None and self._state in ("playing", "paused"):
                self.play(self.segment)

    def clock(self) -> float:
        return self.at

    def latest_frame(self) -> StillFrame | None:
        return self._frame

    def caption(self, lang: str) -> str | None:
        if self.segment is None or lang not in self.segment.captions:
            return None
        import webvtt

        try:
            for cue in webvtt.read(str(self.segment.captions[lang])).captions:
                if (
                    cue.start_time.in_milliseconds()
                    <= self.at * 1000
                    < cue.end_time.in_milliseconds()
                ):
                    return str(cue.text)
        except Exception as exc:
            log.warning("captions %s: %s", self.segment.captions[lang], exc)
        return None

    def close(self) -> None:
        self.stop()
