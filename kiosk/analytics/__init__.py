"""Visitor analytics: what visitors did, counted without knowing who they are.

Scenes report :mod:`~kiosk.analytics.events` to a :class:`Recorder` (or a :class:`NullRecorder`
when analytics is off); a writer thread stores them in one SQLite file that ``kiosk stats``
reports on and ``kiosk stats merge`` combines across kiosks. See ``docs/analytics.md``.

Typical use in the composition root::

    recorder = open_recorder(settings, release="2026.05")
    recorder.emit(VisitStarted())
    ...
    recorder.close()
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.analytics.events import (
    CaptionsToggled,
    EndReason,
    Event,
    ExplorerOpened,
    Fault,
    FaultKind,
    LanguageChosen,
    MirrorUsed,
    Scene,
    SceneViewed,
    SegmentStarted,
    SegmentWatched,
    VisitEnded,
    VisitStarted,
)
from kiosk.analytics.port import NullRecorder, RecorderLike, RecorderOptions, RecorderStatus
from kiosk.analytics.recorder import Recorder

if TYPE_CHECKING:
    from kiosk.settings import Settings

__all__ = [
    "CaptionsToggled",
    "EndReason",
    "Event",
    "ExplorerOpened",
    "Fault",
    "FaultKind",
    "LanguageChosen",
    "MirrorUsed",
    "NullRecorder",
    "Recorder",
    "RecorderLike",
    "RecorderOptions",
    "RecorderStatus",
    "Scene",
    "SceneViewed",
    "SegmentStarted",
    "SegmentWatched",
    "VisitEnded",
    "VisitStarted",
    "open_recorder",
]


def open_recorder(settings: Settings, release: str) -> Recorder | NullRecorder:
    """The recorder the machine settings ask for: ``analytics.enabled`` and ``paths.database``."""
    analytics = getattr(settings, "analytics", None)
    if analytics is not None and not analytics.enabled:
        return NullRecorder(release)
    options = RecorderOptions.from_settings(analytics) if analytics is not None else None
    return Recorder(settings.path("database"), release, options)
