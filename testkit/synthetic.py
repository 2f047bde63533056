"""Test kit: synthetic visits, plausible event streams for the benchmark, tests and the report.

Nothing here runs on a kiosk. :func:`synthetic_visits` yields ``(seconds_since_previous, event)``
pairs for a museum open 10:00-18:00 whose visitors pick explorers by popularity, watch part of a
clip or all of it, sometimes switch language or use the mirror, and now and then meet a fault.
:class:`ManualClock` lets a recorder stamp them as if they happened over weeks.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

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


class ManualClock:
    """A monotonic clock and a wall clock that move only when told to (``advance``)."""

    def __init__(self, start_wall: float, start_mono: float = 1000.0) -> None:
        self._mono = start_mono
        self._offset = start_wall - start_mono

    def monotonic(self) -> float:
        return self._mono

    def wall(self) -> float:
        return self._offset + self._mono

    def advance(self, seconds: float) -> None:
        self._mono += seconds

    def step_wall(self, seconds: float) -> None:
        """Step the wall clock alone, as an NTP correction does."""
        self._offset += seconds


@dataclass(frozen=True)
class Explorer:
    """A synthetic explorer: slug, popularity weight and its segments (id, length in s)."""

    slug: str
    weight: float
    segments: tuple[tuple[str, float], ...]


DEFAULT_EXPLORERS: tuple[Explorer, ...] = (
    Explorer("dezhnev", 5.0, (("voyage", 95.0), ("cape", 60.0))),
    Explorer("laptev", 3.0, (("coast", 120.0), ("winter", 80.0))),
    Explorer("krasheninnikov", 2.0, (("kamchatka", 110.0),)),
    Explorer("chelyuskin", 2.5, (("cape", 70.0), ("sledge", 90.0))),
    Explorer("wrangel", 1.5, (("island", 100.0),)),
    Explorer("np-1", 4.0, (("drift", 130.0), ("rescue", 75.0))),
)

_FAULTS = (
    (FaultKind.MEDIA, "decode error in clip: invalid NAL unit"),
    (FaultKind.CAMERA, "camera not found"),
    (FaultKind.AUDIO, "PortAudio: device unavailable"),
    (FaultKind.MODEL, "style model slower than 80 ms, mirror degraded"),
    (FaultKind.CONTENT, "caption file missing"),
)


def one_visit(
    rng: random.Random, explorers: Sequence[Explorer] = DEFAULT_EXPLORERS
) -> Iterator[tuple[float, Event]]:
    """One visit, from the waking touch to its end."""
    yield 0.0, VisitStarted()
    yield 0.4, SceneViewed(Scene.GALLERY)
    if rng.random() < 0.35:
        yield rng.uniform(2, 8), LanguageChosen(rng.choices(["en", "ru", "sah"], [6, 3, 1])[0])
    if rng.random() < 0.08:
        yield rng.uniform(1, 4), CaptionsToggled(rng.random() < 0.3)
    weights = [e.weight for e in explorers]
    for _ in range(min(rng.choices([1, 2, 3, 4], [5, 3, 2, 1])[0], len(explorers))):
        explorer = rng.choices(list(explorers), weights)[0]
        yield rng.uniform(3, 15), ExplorerOpened(explorer.slug)
        yield 0.3, SceneViewed(Scene.EXPLORER)
        for seg, length in explorer.segments:
            if rng.random() < 0.25:
                break
            yield rng.uniform(1, 10), SegmentStarted(explorer.slug, seg)
            share = 1.0 if rng.random() < 0.45 else rng.betavariate(1.2, 2.5)
            watched = round(length * share, 1)
            yield watched, SegmentWatched(explorer.slug, seg, watched, length)
            if rng.random() < 0.004:
                kind, reason = rng.choice(_FAULTS)
                yield 0.1, Fault(kind, reason)
        yield rng.uniform(2, 10), SceneViewed(Scene.GALLERY)
    if rng.random() < 0.25:
        yield rng.uniform(2, 6), SceneViewed(Scene.MIRROR)
        yield rng.uniform(8, 90), MirrorUsed(round(rng.uniform(8, 90), 1))
    if rng.random() < 0.7:
        yield 90.0 + 15.0, VisitEnded(EndReason.IDLE)
    else:
        yield rng.uniform(2, 6), VisitEnded(EndReason.GOODBYE)
    yield 0.5, SceneViewed(Scene.ATTRACT)


def synthetic_visits(
    n_events: int,
    start: dt.datetime,
    seed: int = 1,
    explorers: Sequence[Explorer] = DEFAULT_EXPLORERS,
) -> Iterator[tuple[float, Event]]:
    """About ``n_events`` events of whole visits, from ``start`` on, during opening hours.

    Yields ``(seconds_since_previous, event)``; the pauses between visits follow the day:
    closed at night, busiest around lunch and at weekends.
    """
    rng = random.Random(seed)
    now = start
    pending = 0.0  # seconds not yet handed out with an event
    produced = 0
    while produced < n_events:
        opening = now.replace(hour=10, minute=0, second=0, microsecond=0)
        closing = now.replace(hour=18, minute=0, second=0, microsecond=0)
        # The first visitor of a day comes a little after opening.
        if now < opening:
            gap = (opening - now).total_seconds() + rng.expovariate(1 / 300.0)
        elif now >= closing:
            tomorrow = opening + dt.timedelta(days=1)
            gap = (tomorrow - now).total_seconds() + rng.expovariate(1 / 300.0)
        else:
            busy = 2.0 if now.weekday() >= 5 else 1.0
            busy *= 1.6 if 12 <= now.hour < 15 else 1.0
            gap = rng.expovariate(busy / 240.0)
        now += dt.timedelta(seconds=gap)
        pending += gap
        if not 10 <= now.hour < 18:
            continue
        for delay, event in one_visit(rng, explorers):
            now += dt.timedelta(seconds=delay)
            yield pending + delay, event
            pending = 0.0
            produced += 1
