"""The analytics vocabulary: every event a scene may report, and nothing that could name a person.

An event is a small frozen dataclass. Its fields are only enums, content slugs checked against a
pattern, language codes, booleans and numbers of seconds, so no image, no free text typed by a
visitor and no identifier of a person can be expressed. The one string a program supplies, a
fault's ``reason``, is cut down to a short run of plain characters (:func:`sanitize_reason`).

Who calls what (the contract with the visitor UI):

- ``VisitStarted()`` on the touch that wakes the attract loop;
  ``VisitEnded(reason)`` when the visit is over (idle timeout, goodbye, admin, shutdown).
- ``SceneViewed(scene)`` each time a scene comes on screen.
- ``ExplorerOpened(slug)`` when an explorer's page opens.
- ``SegmentStarted(slug, segment)`` when a clip starts playing;
  ``SegmentWatched(slug, segment, watched_s, duration_s)`` when it stops (end, leave, switch):
  ``watched_s`` is how far into the segment the visitor got, ``duration_s`` its length.
- ``LanguageChosen(lang)`` when a visitor picks a language; ``CaptionsToggled(on)``.
- ``MirrorUsed(duration_s)`` when a visitor leaves the frost mirror: only how long it was used.
- ``Fault(kind, reason)`` when a medium, device, model or content item fails.

Constructing an event with a wrong type raises ``TypeError`` and a malformed slug or language code
raises ``ValueError``: both are programming mistakes that tests catch. Numbers are clamped to
``0 .. MAX_SECONDS`` (and to milliseconds) because clocks jitter; NaN and infinity are refused.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, TypeVar

# Slugs, segment ids and language codes are checked as the content loader checks them.
from kiosk.content.model import LANG_RE, SLUG_RE

MAX_SECONDS = 86400.0
"""The longest duration an event may carry; longer values are clamped (a clock gone wrong)."""

REASON_MAX = 120
"""The longest fault reason kept, in characters."""

_E = TypeVar("_E", bound=StrEnum)

_REASON_BAD = re.compile(r"[^A-Za-z0-9 _.,:;=/()\[\]<>'+#%-]")


class Scene(StrEnum):
    """The screens a visitor can see."""

    ATTRACT = "attract"
    GALLERY = "gallery"
    EXPLORER = "explorer"
    MIRROR = "mirror"
    ADMIN = "admin"
    STILL_THERE = "still_there"


class EndReason(StrEnum):
    """Why a visit ended. The visitor UI's loop (``kiosk.ui.loop``) writes the first three; each
    visit ends once, so staff time in admin mode never counts as a visit's length."""

    IDLE = "idle"
    """Nobody touched the screen until the 'still there?' countdown ran out."""
    GOODBYE = "goodbye"
    """The visitor went back to the start themselves: "back" (the back key) on the gallery, the
    visit's first page, returns to the attract loop."""
    ADMIN = "admin"
    """A technician opened admin mode (the hidden corner gesture) during the visit: the visit
    ends when the PIN pad appears, whether or not a PIN follows."""
    SHUTDOWN = "shutdown"
    """The kiosk stopped (the recorder writes this itself when closed mid-visit)."""
    INTERRUPTED = "interrupted"
    """A new visit started before this one was ended (the recorder writes this itself)."""


class FaultKind(StrEnum):
    """What failed."""

    MEDIA = "media"
    CAMERA = "camera"
    AUDIO = "audio"
    MODEL = "model"
    CONTENT = "content"
    ANALYTICS = "analytics"
    """The analytics database itself (written by the recorder when it recovers)."""


def sanitize_reason(text: str) -> str:
    """A fault reason fit for the database: plain characters, one line, at most REASON_MAX long.

    Anything outside a small ASCII set (letters, digits, common punctuation) becomes ``?``, runs
    of whitespace become one space, and the text is cut to ``REASON_MAX`` characters.
    """
    if not isinstance(text, str):
        raise TypeError(f"a fault reason must be str, not {type(text).__name__}")
    flat = " ".join(text[: REASON_MAX * 4].split())
    cleaned = _REASON_BAD.sub("?", flat)
    if len(cleaned) > REASON_MAX:
        cleaned = cleaned[: REASON_MAX - 3].rstrip() + "..."
    return cleaned or "unknown"


def _enum(value: object, cls: type[_E], name: str) -> _E:
    if isinstance(value, cls):
        return value
    if isinstance(value, str):
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(m.value for m in cls)
            raise ValueError(f"{name}: {value!r} is not one of {allowed}") from None
    raise TypeError(f"{name} must be a {cls.__name__}, not {type(value).__name__}")


def _pattern(value: object, pattern: re.Pattern[str], name: str) -> str:
    if type(value) is not str:
        raise TypeError(f"{name} must be str, not {type(value).__name__}")
    if not pattern.match(value):
        raise ValueError(f"{name}: {value[:40]!r} does not match {pattern.pattern}")
    return value


def _seconds(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {number}")
    return round(min(max(number, 0.0), MAX_SECONDS), 3)


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every analytics event; ``event`` is its name in the ``events.event`` column."""

    event: ClassVar[str] = ""


@dataclass(frozen=True, slots=True)
class VisitStarted(Event):
    """A visitor touched the screen and a visit began."""

    event: ClassVar[str] = "visit_started"


@dataclass(frozen=True, slots=True)
class VisitEnded(Event):
    """The visit is over; the recorder measures its length on the monotonic clock."""

    reason: EndReason
    event: ClassVar[str] = "visit_ended"

    def __post_init__(self) -> None:
        object.__setattr__(self, "reason", _enum(self.reason, EndReason, "reason"))


@dataclass(frozen=True, slots=True)
class SceneViewed(Event):
    """A scene came on screen."""

    scene: Scene
    event: ClassVar[str] = "scene_viewed"

    def __post_init__(self) -> None:
        object.__setattr__(self, "scene", _enum(self.scene, Scene, "scene"))


@dataclass(frozen=True, slots=True)
class ExplorerOpened(Event):
    """An explorer's page opened."""

    slug: str
    event: ClassVar[str] = "explorer_opened"

    def __post_init__(self) -> None:
        _pattern(self.slug, SLUG_RE, "slug")


@dataclass(frozen=True, slots=True)
class SegmentStarted(Event):
    """A clip segment started playing."""

    slug: str
    segment: str
    event: ClassVar[str] = "segment_started"

    def __post_init__(self) -> None:
        _pattern(self.slug, SLUG_RE, "slug")
        _pattern(self.segment, SLUG_RE, "segment")


@dataclass(frozen=True, slots=True)
class SegmentWatched(Event):
    """A segment stopped playing: how far the visitor got (``watched_s``) of ``duration_s``."""

    slug: str
    segment: str
    watched_s: float
    duration_s: float
    event: ClassVar[str] = "segment_watched"

    def __post_init__(self) -> None:
        _pattern(self.slug, SLUG_RE, "slug")
        _pattern(self.segment, SLUG_RE, "segment")
        duration = _seconds(self.duration_s, "duration_s")
        watched = _seconds(self.watched_s, "watched_s")
        object.__setattr__(self, "duration_s", duration)
        object.__setattr__(self, "watched_s", min(watched, duration) if duration else watched)


@dataclass(frozen=True, slots=True)
class LanguageChosen(Event):
    """A visitor chose a language."""

    lang: str
    event: ClassVar[str] = "language_chosen"

    def __post_init__(self) -> None:
        _pattern(self.lang, LANG_RE, "lang")


@dataclass(frozen=True, slots=True)
class CaptionsToggled(Event):
    """A visitor turned captions on or off."""

    on: bool
    event: ClassVar[str] = "captions_toggled"

    def __post_init__(self) -> None:
        if type(self.on) is not bool:
            raise TypeError(f"on must be bool, not {type(self.on).__name__}")


@dataclass(frozen=True, slots=True)
class MirrorUsed(Event):
    """A visitor used the frost mirror for ``duration_s`` seconds. Nothing else is kept."""

    duration_s: float
    event: ClassVar[str] = "mirror_used"

    def __post_init__(self) -> None:
        object.__setattr__(self, "duration_s", _seconds(self.duration_s, "duration_s"))


@dataclass(frozen=True, slots=True)
class Fault(Event):
    """Something failed and one feature degraded; ``reason`` is a short program-made text."""

    kind: FaultKind
    reason: str
    event: ClassVar[str] = "fault"

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", _enum(self.kind, FaultKind, "kind"))
        object.__setattr__(self, "reason", sanitize_reason(self.reason))

    @classmethod
    def from_exception(cls, kind: FaultKind, exc: BaseException) -> Fault:
        """A fault whose reason is the exception's type and message, sanitized."""
        return cls(kind, f"{type(exc).__name__}: {exc}")


EVENT_TYPES: frozenset[type[Event]] = frozenset(
    {
        VisitStarted,
        VisitEnded,
        SceneViewed,
        ExplorerOpened,
        SegmentStarted,
        SegmentWatched,
        LanguageChosen,
        CaptionsToggled,
        MirrorUsed,
        Fault,
    }
)
"""Every event class the recorder accepts; anything else is refused and counted."""
