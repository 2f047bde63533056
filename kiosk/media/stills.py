"""Still pictures of clips: one frame decoded at a fixed moment, and a player built on it.

``kiosk tour``, the golden-image tests and a machine where playback cannot start use
:class:`StillPlayer`: its clock stands still at ``at`` seconds into every segment, it shows the
frame due then and the captions of that moment, so every picture is repeatable. It implements the
UI's player port (:class:`kiosk.ui.ports.PlayerPort`) and makes no sound.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import av

from kiosk.content.model import Segment
from kiosk.media.captions import CaptionTrack
from kiosk.media.convert import SCREEN_FORMAT, Converter, PixelFormat
from kiosk.media.errors import Faults, MediaError
from kiosk.media.player import PlayerState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StillFrame:
    """One frame ready to blit; the same shape and pixel format as the kiosk player's frames."""

    data: bytes
    size: tuple[int, int]
    pts: float
    format: PixelFormat = "RGB"


def decode_still(path: Path, t: float, size: tuple[int, int]) -> StillFrame | None:
    """The frame on screen at ``t`` seconds into the file, converted and fitted into ``size``
    exactly as the kiosk's player does it (upright as its display matrix says, aspect kept,
    the kiosk's pixel format); None if there is none.

    Raises PyAV's errors for a file that cannot be opened or decoded.
    """
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if stream.time_base is not None:
            # Seek a second early: the keyframe before t, then decode forward to t.
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
        # The player's own conversion, at the kiosk's pixel format: turned by the display
        # matrix, fitted by the player's rule (aspect kept, letterboxed where the box is not the
        # clip's shape, e.g. a landscape clip on a portrait screen), so that the tour and the
        # studio's preview show each clip as the kiosk plays it.
        convert = Converter(size, "contain", SCREEN_FORMAT)  # the kiosk's Player: its default fit
        arr = convert(chosen, int(chosen.rotation), stream.sample_aspect_ratio, size)
        return StillFrame(arr.tobytes(), (arr.shape[1], arr.shape[0]), t, SCREEN_FORMAT)


class StillPlayer:
    """A player whose clock stands still at ``at`` seconds into every segment."""

    def __init__(self, at: float = 8.0) -> None:
        self.at = at
        self.size = (1280, 720)
        self.segment: Segment | None = None
        self.volume = 1.0
        self._frame: StillFrame | None = None
        self._state = PlayerState.IDLE
        self._faults = Faults()
        self._captions: dict[Path, CaptionTrack | None] = {}

    @property
    def state(self) -> PlayerState:
        return self._state

    @property
    def faults(self) -> Faults:
        return self._faults

    @property
    def sink(self) -> None:
        return None  # pictures only: no sound output

    def stats(self) -> dict[str, float]:
        return {}

    def play(self, segment: Segment, *, loop: bool = False) -> None:
        self.segment = segment
        self._frame = None
        self._state = PlayerState.PLAYING
        duration = segment.duration
        t = segment.start + (min(self.at, duration - 0.1) if duration else self.at)
        try:
            frame = decode_still(segment.path, t, self.size)
        except Exception as exc:  # a broken clip shows the page without a picture
            log.warning("cannot show %s: %s", segment.path.name, exc)
            self._state = PlayerState.FAILED
            return
        if frame is not None:
            # The clock is the segment's, not the file's: the frame says it is due at ``at``.
            self._frame = replace(frame, pts=self.at)

    def play_playlist(self, segments: Sequence[Segment], *, loop: bool = True) -> None:
        if segments:
            self.play(segments[0])

    def preload(self, segment: Segment) -> None:
        pass

    def drop_preloaded(self) -> None:
        self._captions.clear()

    def stop(self) -> None:
        self._state = PlayerState.IDLE
        self._frame = None

    def pause(self) -> None:
        if self._state == PlayerState.PLAYING:
            self._state = PlayerState.PAUSED

    def resume(self) -> None:
        if self._state == PlayerState.PAUSED:
            self._state = PlayerState.PLAYING

    def set_volume(self, volume: float) -> None:
        self.volume = volume

    def set_size(self, size: tuple[int, int]) -> None:
        if size != self.size:
            self.size = size
            if self.segment is not None and self._state in (
                PlayerState.PLAYING,
                PlayerState.PAUSED,
            ):
                self.play(self.segment)

    def clock(self) -> float:
        return self.at

    def latest_frame(self) -> StillFrame | None:
        return self._frame

    def frame_due_in(self) -> float | None:
        return None  # the picture never changes by itself

    def caption(self, lang: str) -> str | None:
        if self.segment is None or lang not in self.segment.captions:
            return None
        path = Path(self.segment.captions[lang])
        if path not in self._captions:
            try:
                self._captions[path] = CaptionTrack.load(path)
            except MediaError as exc:
                log.warning("captions %s: %s", path, exc)
                self._captions[path] = None
        track = self._captions[path]
        return track.at(self.at) if track is not None else None

    def close(self) -> None:
        self.stop()
