"""The exhibit's domain: a collection of explorers, their texts, routes and clip segments.

Everything here is a frozen dataclass built by :mod:`kiosk.content.loader` from the curator's YAML.
The domain knows nothing of pygame, PyAV or onnxruntime, so every scene and tool can read it and
tests can build it by hand.

Times are seconds (float). A segment's captions are timed relative to the segment's own start:
for a cut of a master video, 0.0 is the segment's ``in`` point, not the master's start.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from kiosk.content.words import CIRCA, Words, lookup

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
"""Explorer slugs and segment ids: lower-case latin letters, digits and '-', at most 64."""

LANG_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
"""Language codes (``ru``, ``en``, ``sah``, ``en-GB``)."""


@dataclass(frozen=True)
class Text:
    """A string in several languages. ``get`` falls back to the collection's default language."""

    values: Mapping[str, str]
    default: str = "ru"

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))

    def get(self, lang: str) -> str:
        if lang in self.values:
            return self.values[lang]
        if self.default in self.values:
            return self.values[self.default]
        return next(iter(self.values.values()), "")

    def has(self, lang: str) -> bool:
        return bool(self.values.get(lang, "").strip())

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(self.values)


_DATE_RE = re.compile(
    r"^\s*(?P<approx>c\.|ca\.|circa|~|ок\.)?\s*(?P<year>-?\d{1,4})"
    r"(?:-(?P<month>\d{1,2})(?:-(?P<day>\d{1,2}))?)?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class LifeDate:
    """A historical date, possibly approximate: ``1648``, ``1648-06-20``, ``c. 1605``."""

    year: int
    month: int | None = None
    day: int | None = None
    approximate: bool = False

    @classmethod
    def parse(cls, raw: str | int) -> LifeDate:
        """Parse a curator's date. Raises ValueError with a readable message."""
        m = _DATE_RE.match(str(raw))
        if not m:
            raise ValueError(
                f"cannot read date {raw!r}: write a year (1648), a full date (1648-06-20) "
                "or an approximate year (c. 1605)"
            )
        month = int(m["month"]) if m["month"] else None
        day = int(m["day"]) if m["day"] else None
        if month is not None and not 1 <= month <= 12:
            raise ValueError(f"date {raw!r} has month {month}, expected 1-12")
        if day is not None and not 1 <= day <= 31:
            raise ValueError(f"date {raw!r} has day {day}, expected 1-31")
        return cls(int(m["year"]), month, day, bool(m["approx"]))

    def display(self, *, circa: str) -> str:
        """The date as a visitor reads it; ``circa`` is the word before an approximate year in
        the visitor's language (the kiosk's word ``circa``: "c.", "ок.")."""
        if self.approximate:
            return f"{circa} {self.year}"
        if self.month and self.day:
            return f"{self.day:02d}.{self.month:02d}.{self.year}"
        return str(self.year)

    @property
    def sort_key(self) -> tuple[int, int, int]:
        return (self.year, self.month or 0, self.day or 0)


@dataclass(frozen=True)
class Fact:
    """A key fact with the year (or date) it happened."""

    date: LifeDate
    text: Text


@dataclass(frozen=True)
class RoutePoint:
    """A point of an explorer's route. ``at`` is the moment (seconds into ``segment``) the animated
    map reaches this point; points without it are spread evenly over the first segment."""

    lat: float
    lon: float
    label: Text
    date: LifeDate | None = None
    segment: str | None = None
    at: float | None = None


@dataclass(frozen=True)
class Segment:
    """One playable clip: a whole video file, or the ``start``..``end`` range of a master video.

    ``path`` is always the file to open (the master file for a cut). ``end`` is None for a whole
    file (play to its end). ``captions`` maps a language to a WebVTT file.
    """

    id: str
    title: Text
    path: Path
    start: float = 0.0
    end: float | None = None
    captions: Mapping[str, Path] = field(default_factory=dict)
    master: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "captions", MappingProxyType(dict(self.captions)))

    @property
    def duration(self) -> float | None:
        return None if self.end is None else self.end - self.start


@dataclass(frozen=True)
class Explorer:
    slug: str
    name: Text
    born: LifeDate
    died: LifeDate | None
    portrait: Path | None
    summary: Text
    body: Text
    facts: tuple[Fact, ...]
    route: tuple[RoutePoint, ...]
    segments: tuple[Segment, ...]
    sources: tuple[str, ...]
    folder: Path
    order: int | None = None

    def years(self, *, circa: str) -> str:
        """Born – died; ``circa`` as for :meth:`LifeDate.display`."""
        died = self.died.display(circa=circa) if self.died else "?"
        return f"{self.born.display(circa=circa)} – {died}"

    @property
    def sort_key(self) -> tuple[int, tuple[int, int, int], str]:
        return (self.order if self.order is not None else 1 << 30, self.born.sort_key, self.slug)


@dataclass(frozen=True)
class Theme:
    background: str = "#0b1622"
    surface: str = "#13243a"
    text: str = "#f2f6fa"
    accent: str = "#9fd3ff"


@dataclass(frozen=True)
class Collection:
    """The whole exhibit as the curator wrote it."""

    root: Path
    title: Text
    subtitle: Text
    invitation: Text
    languages: tuple[str, ...]
    default_language: str
    theme: Theme
    masters: Mapping[str, Path]
    attract: tuple[Segment, ...]
    explorers: tuple[Explorer, ...]
    words: Words = field(default_factory=dict)
    """The kiosk's own words as the curator wrote them, by language then key (``words:``)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "masters", MappingProxyType(dict(self.masters)))
        frozen = {lang: MappingProxyType(dict(t)) for lang, t in self.words.items()}
        object.__setattr__(self, "words", MappingProxyType(frozen))

    def word(self, lang: str, key: str, **values: object) -> str:
        """The kiosk's word ``key`` in ``lang``: this collection's own, else the built-in one,
        else along the default language (:func:`kiosk.content.words.lookup`)."""
        return lookup(lang, key, default=self.default_language, words=self.words, **values)

    def years(self, explorer: Explorer, lang: str) -> str:
        """``explorer``'s life dates as a visitor reading ``lang`` sees them."""
        return explorer.years(circa=self.word(lang, CIRCA))

    def explorer(self, slug: str) -> Explorer:
        for e in self.explorers:
            if e.slug == slug:
                return e
        raise KeyError(slug)

    def segment(self, ref: str) -> Segment:
        """Look up ``slug/segment-id``."""
        slug, _, seg_id = ref.partition("/")
        for s in self.explorer(slug).segments:
            if s.id == seg_id:
                return s
        raise KeyError(ref)
