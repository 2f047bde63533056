"""WebVTT captions: the one reader of caption files, and cues per language for the player.

Parsing is webvtt-py's. :func:`read_cues` gives every cue of a file as written, in file order,
with the line it starts on: the content validator holds each one to the reading guidance. A
:class:`CaptionTrack` keeps the cues that can be shown, sorted and immutable, and answers "what
is on screen at t seconds into the segment" in O(log n), so a caption language can be switched
mid-clip by asking another track with the same clock.

Importing this module does not load PyAV or the player (see ``kiosk.media``), so the validator
and the studio use it freely.
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
    """One caption: shown from ``start`` (inclusive) to ``end`` (exclusive), seconds.

    ``text`` is what is shown (cue tags removed, character references decoded); ``line`` is the
    file's line with the cue's timing (``-->``), 0 when unknown.
    """

    start: float
    end: float
    text: str
    line: int = 0


class CaptionFileError(MediaError):
    """A caption file that cannot be read; ``detail`` says why, without naming the file."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(FaultKind.CAPTIONS, reason)
        self.detail = detail


def timestamp(seconds: float) -> str:
    """``seconds`` as WebVTT writes a time: ``HH:MM:SS.mmm``."""
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def _seconds(ts: webvtt.models.Timestamp) -> float:
    # webvtt-py's Caption.start_in_seconds truncates to whole seconds (it returns an int), so a
    # cue at 00:01.500 would show half a second early; read the millisecond timestamp instead.
    return float(ts.in_milliseconds()) / 1000.0


def _clean(text: str) -> str:
    # Caption.text strips cue tags (<i>, <v Name>, <c.class>) but leaves character references
    # such as &amp; and &lt; as written; the WebVTT spec says they are to be decoded.
    return html.unescape(text).strip()


def _timing_lines(path: Path) -> list[tuple[int, int]]:
    """(line number, start in ms) of each cue timing line in the file.

    webvtt-py does not say where a cue was in the file; a validator's message needs the line.
    """
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        return []
    out: list[tuple[int, int]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if "-->" in line:
            try:
                start = webvtt.models.Timestamp.from_string(line.split("-->", 1)[0].strip())
            except (webvtt.errors.MalformedCaptionError, ValueError):
                continue
            out.append((number, start.in_milliseconds()))
    return out


def read_cues(path: Path) -> list[Cue]:
    """Every cue of a WebVTT file, in file order, none dropped (also empty or inverted ones).

    Raises :class:`CaptionFileError` (kind ``captions``) if the file cannot be read.
    """
    try:
        vtt = webvtt.read(str(path))
    except FileNotFoundError as e:
        raise CaptionFileError(f"caption file {path} does not exist", str(e)) from e
    except (webvtt.errors.MalformedFileError, webvtt.errors.MalformedCaptionError) as e:
        raise CaptionFileError(f"caption file {path} is malformed: {e}", str(e)) from e
    except Exception as e:  # webvtt-py raises several other types for files it cannot parse
        raise CaptionFileError(f"cannot read caption file {path}: {e}", str(e)) from e
    timings = _timing_lines(path)
    cues: list[Cue] = []
    next_timing = 0
    for c in vtt.captions:
        start_ms = c.start_time.in_milliseconds()
        line = 0
        # Cues come in file order: the first timing line from here with the same start is it.
        for k in range(next_timing, len(timings)):
            if timings[k][1] == start_ms:
                line, next_timing = timings[k][0], k + 1
                break
        cues.append(Cue(_seconds(c.start_time), _seconds(c.end_time), _clean(c.text), line))
    return cues


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
        return cls(read_cues(path), source=str(path))

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
