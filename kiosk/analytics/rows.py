"""Events -> database rows: visit numbers, sequence numbers, timestamps and the content release.

Runs on the writer thread only. A row is the common columns (run, seq, ts, release, visit,
event) and then the event's own (scene, explorer, segment, lang, captions, reason, fault,
seconds, length_s), as :mod:`kiosk.analytics.schema` lays them out.

Times: a row's ``ts`` is wall-clock time derived from the monotonic clock, re-anchored when the
system clock is stepped (an NTP sync), and durations (visit length) come from the monotonic clock
alone, so a clock step never makes a visit negative or days long.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

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
from kiosk.analytics.localtime import LocalTimeFormatter
from kiosk.analytics.storage import Store

log = logging.getLogger(__name__)

_CLOCK_STEP_S = 2.0  # wall clock this far off the monotonic clock's account: it was stepped

Row = tuple[Any, ...]


@dataclass(frozen=True)
class ReleaseChange:
    """In the event stream: the rows after this one belong to another content release."""

    release: str


class RowMaker:
    """Numbers visits and rows and stamps them with local time and the current release.

    ``monotonic`` and ``wall`` are the recorder's clocks; visit numbers come from the store
    (``store.next_visit``), which keeps them unique across restarts.
    """

    def __init__(
        self, release: str, monotonic: Callable[[], float], wall: Callable[[], float]
    ) -> None:
        self.release = release
        self._monotonic = monotonic
        self._wall = wall
        # 52 bits: unique enough across every start of every kiosk, and exact in JavaScript
        # (a Datasette page or any JSON reader), whose numbers stop being exact past 2**53.
        self._run_id = secrets.randbits(52) + 1
        self._seq = 0
        self.visit: int | None = None
        """The visit in progress (its number), or None between visits."""
        self._visit_start = 0.0
        self._anchor = (wall(), monotonic())
        self._iso = LocalTimeFormatter()

    def convert(
        self, raw: list[tuple[float, Event | ReleaseChange]], rows: list[Row], store: Store
    ) -> None:
        """Turn ``raw`` (monotonic time, item) into rows appended to ``rows``; empties ``raw``."""
        if not raw:
            return
        now_wall, now_mono = self._wall(), self._monotonic()
        anchor_wall, anchor_mono = self._anchor
        drift = now_wall - (anchor_wall + (now_mono - anchor_mono))
        if abs(drift) > _CLOCK_STEP_S:
            log.info("analytics: the system clock was stepped by %+.1f s", drift)
            self._anchor = (anchor_wall, anchor_mono) = (now_wall, now_mono)
        offset = anchor_wall - anchor_mono
        iso = self._iso
        for mono, item in raw:
            if isinstance(item, ReleaseChange):
                self.release = item.release
                continue
            row = self._row(mono, iso(offset + mono), item, rows, store)
            if row is not None:
                rows.append(row)
        raw.clear()

    def _row(self, mono: float, ts: str, event: Event, rows: list[Row], store: Store) -> Row | None:
        kind = type(event)
        if kind is VisitStarted:
            if self.visit is not None:
                ended = self._row(mono, ts, VisitEnded(EndReason.INTERRUPTED), rows, store)
                if ended is not None:
                    rows.append(ended)
            assert store.next_visit is not None
            self.visit = store.next_visit
            store.next_visit += 1
            self._visit_start = mono
            extra: tuple[Any, ...] = _NOTHING
        elif kind is VisitEnded:
            if self.visit is None:
                return None  # no visit to end
            length = round(max(0.0, mono - self._visit_start), 3)
            reason = _VALUE[event.reason]  # type: ignore[attr-defined]
            extra = (None, None, None, None, None, reason, None, length, None)
            visit = self.visit
            self.visit = None
            self._seq += 1
            return (self._run_id, self._seq, ts, self.release, visit, event.event, *extra)
        else:
            extra = _FIELDS[kind](event)
        self._seq += 1
        return (self._run_id, self._seq, ts, self.release, self.visit, event.event, *extra)


# An event's own columns, after the common ones:
#   scene explorer segment lang captions reason fault seconds length_s
_NOTHING: tuple[Any, ...] = (None,) * 9
_VALUE: Mapping[StrEnum, str] = MappingProxyType(
    {m: m.value for enum in (Scene, EndReason, FaultKind) for m in enum}
)
_FIELDS: Mapping[type, Callable[[Any], tuple[Any, ...]]] = MappingProxyType(
    {
        SceneViewed: lambda e: (_VALUE[e.scene], None, None, None, None, None, None, None, None),
        ExplorerOpened: lambda e: (None, e.slug, None, None, None, None, None, None, None),
        SegmentStarted: lambda e: (None, e.slug, e.segment, None, None, None, None, None, None),
        SegmentWatched: lambda e: (
            None,
            e.slug,
            e.segment,
            None,
            None,
            None,
            None,
            e.watched_s,
            e.duration_s,
        ),
        LanguageChosen: lambda e: (None, None, None, e.lang, None, None, None, None, None),
        CaptionsToggled: lambda e: (None, None, None, None, int(e.on), None, None, None, None),
        MirrorUsed: lambda e: (None, None, None, None, None, None, None, e.duration_s, None),
        Fault: lambda e: (None, None, None, None, None, e.reason, _VALUE[e.kind], None, None),
    }
)
