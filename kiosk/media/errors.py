"""Media faults: why a segment could not be played, and the player's tally of them.

A curator can drop any file into the collection. Whatever goes wrong with one segment is turned
into a :class:`MediaError` with a :class:`FaultKind` and a readable reason, counted in
:class:`Faults` and logged; the player carries on with the next segment.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter, deque
from dataclasses import dataclass
from enum import StrEnum

log = logging.getLogger(__name__)


class FaultKind(StrEnum):
    """What went wrong. A segment that fails is counted under exactly one kind."""

    MISSING = "missing"  # the file does not exist
    EMPTY = "empty"  # the file has zero bytes
    UNREADABLE = "unreadable"  # not a media file FFmpeg can open (garbage, truncated header)
    NO_VIDEO = "no_video"  # the file opens but has no video stream
    UNSUPPORTED_CODEC = "unsupported_codec"  # no decoder for the video codec
    UNSUPPORTED_FORMAT = "unsupported_format"  # frames that cannot be converted to RGB
    CORRUPT = "corrupt"  # too many undecodable packets in a row
    DECODE_ERROR = "decode_error"  # one bad packet, skipped (playback goes on)
    TRUNCATED = "truncated"  # the data ended well before the segment's end (playback goes on)
    STALLED = "stalled"  # no first frame after a long wait
    AUDIO = "audio"  # the audio stream could not be decoded: the clip plays silently
    AUDIO_DEVICE = "audio_device"  # no usable sound device, or it failed: silent playback
    CAPTIONS = "captions"  # a caption file is missing or malformed: no captions in that language
    INTERNAL = "internal"  # a bug in the player; logged with a traceback


# Kinds after which the segment still plays (perhaps without sound or captions).
DEGRADED_KINDS = frozenset(
    {
        FaultKind.DECODE_ERROR,
        FaultKind.TRUNCATED,
        FaultKind.AUDIO,
        FaultKind.AUDIO_DEVICE,
        FaultKind.CAPTIONS,
    }
)


class MediaError(Exception):
    """A segment's media cannot be played (or part of it cannot)."""

    def __init__(self, kind: FaultKind, reason: str) -> None:
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason


@dataclass(frozen=True)
class Fault:
    """One recorded fault: its kind, which media it concerns, and why."""

    kind: FaultKind
    source: str
    reason: str


class Faults:
    """Counts of faults by kind and the most recent reasons. Safe to read from any thread."""

    def __init__(self, keep: int = 20) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[FaultKind] = Counter()
        self._last: deque[Fault] = deque(maxlen=keep)

    def record(self, kind: FaultKind, source: str, reason: str) -> Fault:
        fault = Fault(kind, source, reason)
        with self._lock:
            self._counts[kind] += 1
            self._last.append(fault)
        level = logging.WARNING if kind in DEGRADED_KINDS else logging.ERROR
        log.log(level, "media fault %s in %s: %s", kind.value, source, reason)
        return fault

    @property
    def counts(self) -> dict[str, int]:
        """Counts by kind name, e.g. ``{"missing": 2}``."""
        with self._lock:
            return {k.value: n for k, n in self._counts.items()}

    @property
    def last(self) -> list[Fault]:
        """The most recent faults, oldest first."""
        with self._lock:
            return list(self._last)

    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())

    def __getitem__(self, kind: FaultKind | str) -> int:
        with self._lock:
            return self._counts.get(FaultKind(kind), 0)

    def __repr__(self) -> str:
        return f"Faults({self.counts})"
