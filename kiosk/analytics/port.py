"""What the rest of the kiosk sees of analytics: the recorder's interface, options and status.

The UI holds a :class:`RecorderLike`: a :class:`~kiosk.analytics.recorder.Recorder` when analytics
is on, a :class:`NullRecorder` when it is off or a test does not care. The admin screen shows a
:class:`RecorderStatus`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

from kiosk.analytics.events import Event

_RELEASE_BAD = re.compile(r"[^A-Za-z0-9._+-]")


@dataclass(frozen=True)
class RecorderOptions:
    """How the writer behaves. Defaults suit a kiosk; tests shorten the pauses."""

    flush_s: float = 2.0
    """Seconds between writes: the most a power cut can lose."""
    buffer_events: int = 50_000
    """Events kept in memory while the database cannot be written; the oldest go beyond this."""
    batch_max: int = 20_000
    """The most rows in one transaction."""
    retry_s: float = 1.0
    """First pause before trying a failed database again; doubled each time up to retry_max_s."""
    retry_max_s: float = 30.0
    """The longest pause between attempts."""
    busy_timeout_s: float = 0.25
    """How long one attempt waits for another program's lock."""
    kiosk_id: str = ""
    """This kiosk's name in merged reports; empty: a random id kept in the database."""

    @classmethod
    def from_settings(cls, analytics: Any) -> RecorderOptions:
        """Options from the ``analytics`` section of the machine settings."""
        return cls(
            flush_s=float(analytics.flush_s),
            buffer_events=int(analytics.buffer_events),
            kiosk_id=str(analytics.kiosk_id),
        )


@dataclass(frozen=True)
class RecorderStatus:
    """What the admin screen shows about analytics."""

    state: str
    """``starting``, ``ok``, ``degraded`` (events wait in memory), ``closed`` or ``off``."""
    problem: str
    """What is wrong now, in words; empty when nothing is."""
    path: str
    kiosk_id: str
    release: str
    written: int
    """Events written since start."""
    pending: int
    """Events waiting to be written."""
    dropped: int
    """Events lost since start (memory full while the database could not be written)."""
    rejected: int
    """Objects handed to emit() that are not analytics events (a programming mistake)."""
    incidents: tuple[str, ...] = ()
    """Recent troubles and recoveries, oldest first, each with its local time."""

    @property
    def ok(self) -> bool:
        return self.state in ("ok", "starting", "off", "closed") and not self.problem

    def line(self) -> str:
        """One line for the admin screen."""
        if self.state == "off":
            return "analytics: off"
        text = f"analytics: {self.state}, {self.written} written, {self.pending} waiting"
        if self.dropped:
            text += f", {self.dropped} lost"
        if self.problem:
            text += f": {self.problem}"
        return text


class RecorderLike(Protocol):
    """What the UI needs from a recorder; both Recorder and NullRecorder provide it."""

    def emit(self, event: Event) -> None: ...
    def set_release(self, release: str) -> None: ...
    def status(self) -> RecorderStatus: ...
    def flush(self, timeout: float = 5.0) -> bool: ...
    def close(self, timeout: float = 10.0) -> None: ...


def clean_release(release: str) -> str:
    """A content release name fit for the database: ``[A-Za-z0-9._+-]``, at most 64 long."""
    return _RELEASE_BAD.sub("_", str(release))[:64] or "unknown"


class NullRecorder:
    """A recorder that records nothing (analytics switched off, or a test that does not care)."""

    def __init__(self, release: str = "") -> None:
        self._release = clean_release(release) if release else ""

    def emit(self, event: Event) -> None:
        """Accept and forget an event."""

    def set_release(self, release: str) -> None:
        self._release = clean_release(release)

    def status(self) -> RecorderStatus:
        return RecorderStatus("off", "", "", "", self._release, 0, 0, 0, 0)

    def flush(self, timeout: float = 5.0) -> bool:
        return True

    def close(self, timeout: float = 10.0) -> None:
        pass

    def __enter__(self) -> NullRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
