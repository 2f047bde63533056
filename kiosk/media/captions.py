"""WebVTT captions: cues per language, looked up by the player's clock.

Parsing is webvtt-py's; this module only turns its captions into a sorted, immutable track that
answers "what is on screen at t seconds into the segment" in O(log n), so a caption language can
be switched mid-clip by asking another track with the same clock.
"""

from __future__ import annotations

import bisect
import html
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import webvtt

from kiosk.media.errors import FaultKind, MediaError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Cue:
    """One caption: shown from ``start`` (inclusive) to ``end`` (exclusive), seconds."""

    start: float
    end: float
    text: str


def _seconds(ts: webvtt.models.Timestamp) -> float:
    # webvtt-py's Caption.start_in_seconds truncates to whole seconds (it returns an int), so a
    # cue at 00:01.500 would show half a second early; read the millisecond timestamp instead.
    return float(ts.in_milliseconds()) / 1000.0


def _clean(text: str) -> str:
    # Caption.text strips cue tags (<i>, <v Name>, <c.class>) but leaves character references
    # such as &amp; and &lt; as written; the WebVTT spec says they are to be decoded.
    return html.unescape(text).strip()


class CaptionTrack:
    """The cues of one language, sorted by start time."""

    def __init__(self, cues: Iterable[Cue], *, source: str = "") -> None:
        self.cues: tuple[Cue, ...] = tuple(
            sorted((c for c in cues if c.end > c.start and c.text), key=lambda c: c.start)
        )
        self.source = source
        self._starts = [c.start for c in self.cues]
        # The longest cue bounds how far back an overlapping cue can start.
        self._longest = max((c.end - c.start for c in self.cues), default=0.0)

    @classmethod
    def load(cls, path: Path) -> CaptionTrack:
        """Read a WebVTT file. Raises :class:`MediaError` (kind ``captions``) if it cannot."""
        try:
            vtt = webvtt.read(str(path))
        except FileNotFoundError as e:
            raise MediaError(FaultKind.CAPTIONS, f"caption file {path} does not exist") from e
        except (webvtt.errors.MalformedFileError, webvtt.errors.MalformedCaptionError) as e:
            raise MediaError(FaultKind.CAPTIONS, f"caption file {path} is malformed: {e}") from e
        except (OSError, UnicodeDecodeError, ValueError) as e:
            raise MediaError(FaultKind.CAPTIONS, f"cannot read caption file {path}: {e}") from e
        cues = [
            Cue(_seconds(c.start_time), _seconds(c.end_time), _clean(c.text)) for c in vtt.captions
        ]
        return cls(cues, source=str(path))

    def at(self, t: float) -> str | None:
        """The text on screen at ``t`` seconds into the segment; overlapping cues are joined."""
        i = bisect.bisect_right(self._starts, t)
        hits: list[Cue] = []
        j = i - 1
        while j >= 0 and self.cues[j].start >= t - self._longest:
            cue = self.cues[j]
            if cue.start <= t < cue.end:
                hits.append(cue)
            j -= 1
        if not hits:
            return None
        return "\n".join(c.text for c in reversed(hits))

    def __len__(self) -> int:
        return len(self.cues)


def load_captions(
    paths: Mapping[str, Path],
) -> tuple[dict[str, CaptionTrack], list[tuple[str, MediaError]]]:
    """Load every language's track. Returns the tracks and, for those that failed, the errors."""
    tracks: dict[str, CaptionTrack] = {}
    errors: list[tuple[str, MediaError]] = []
    for lang, path in paths.items():
        try:
            tracks[lang] = CaptionTrack.load(Path(path))
        except MediaError as e:
            errors.append((lang, e))
    return tracks, errors
