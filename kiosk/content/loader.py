"""Curator's YAML -> the immutable :class:`~kiosk.content.model.Collection`.

The loader never stops at the first mistake: it collects every problem it can find as
``path:line: message`` (wrong type, unknown key, missing file, duplicate slug, bad time range,
missing translation) and still builds whatever can be built, so one broken explorer never hides
the others. Problems of severity ``error`` make the explorer (or the collection) unusable;
``warning`` ones are shown but the content is served.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from kiosk import yamlsrc
from kiosk.content.model import (
    Collection,
    Explorer,
    Fact,
    LifeDate,
    RoutePoint,
    Segment,
    Text,
    Theme,
)
from kiosk.yamlsrc import HasProblems, LList, LMap, Problem

T = TypeVar("T")

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
LANG_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
TIME_RE = re.compile(r"^(?:(?P<h>\d+):)?(?P<m>\d{1,2}):(?P<s>\d{1,2}(?:\.\d+)?)$")

COLLECTION_KEYS = {
    "title",
    "subtitle",
    "invitation",
    "languages",
    "default_language",
    "theme",
    "masters",
    "attract",
}
EXPLORER_KEYS = {
    "slug",
    "name",
    "born",
    "died",
    "order",
    "portrait",
    "summary",
    "body",
    "facts",
    "route",
    "segments",
    "sources",
}
SEGMENT_KEYS = {"id", "title", "file", "master", "in", "out", "captions"}
ROUTE_KEYS = {"lat", "lon", "label", "date", "segment", "at"}
FACT_KEYS = {"date", "text"}
THEME_KEYS = {"background", "surface", "text", "accent"}


@dataclass
class LoadResult(HasProblems):
    """What the loader made of a content folder, and everything wrong with it."""

    collection: Collection | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.collection is not None and not self.errors


class _Invalid(Exception):
    """Raised inside a reader after its problem has been recorded; the item is skipped."""


class _Reader:
    """Reads one YAML file's values, recording problems against that file."""

    def __init__(self, path: Path, problems: list[Problem], languages: tuple[str, ...]) -> None:
        self.path = path
        self.problems = problems
        self.languages = languages
        self.default_language = languages[0] if languages else "ru"

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message))

    def warn(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message, "warning"))

    def invalid(self, line: int, message: str) -> _Invalid:
        self.error(line, message)
        return _Invalid(message)

    def mapping(self, value: Any, line: int, what: str) -> LMap:
        if not isinstance(value, LMap):
            raise self.invalid(line, f"{what}: expected a mapping, got {_kind(value)}")
        return value

    def unknown_keys(self, data: LMap, allowed: set[str], what: str) -> None:
        for key in data:
            if key not in allowed:
                near = _closest(key, allowed)
                hint = f" (did you mean '{near}'?)" if near else ""
                self.error(data.line_of(key), f"{what}: unknown key '{key}'{hint}")

    def required(self, data: LMap, key: str, what: str) -> Any:
        if key not in data or data[key] is None:
            raise self.invalid(data.line, f"{what}: '{key}' is missing")
        return data[key]

    def text(self, data: LMap, key: str, what: str, *, required: bool = True) -> Text:
        value = data.get(key)
        line = data.line_of(key)
        if value is None:
            if required:
                raise self.invalid(data.line, f"{what}: '{key}' is missing")
            return Text({}, self.default_language)
        if isinstance(value, str):
            # A bare string is taken as the default language's text.
            value_map = {self.default_language: value}
        elif isinstance(value, LMap):
            value_map = {}
            for lang, s in value.items():
                if not isinstance(s, str):
                    self.error(value.line_of(lang), f"{what}.{key}.{lang}: expected text")
                    continue
                if self.languages and lang not in self.languages:
                    self.warn(
                        value.line_of(lang),
                        f"{what}.{key}: language '{lang}' is not listed in collection.yaml",
                    )
                value_map[lang] = s.strip()
        else:
            raise self.invalid(
                line, f"{what}.{key}: expected text per language, got {_kind(value)}"
            )
        for lang in self.languages:
            if not value_map.get(lang, "").strip():
                self.warn(
                    line,
                    f"{what}.{key}: no '{lang}' translation "
                    f"(shown in '{self.default_language}' instead)",
                )
        if required and not any(v.strip() for v in value_map.values()):
            raise self.invalid(line, f"{what}.{key}: empty")
        return Text(value_map, self.default_language)

    def date(self, value: Any, line: int, what: str) -> LifeDate:
        if isinstance(value, _dt.date):
            return LifeDate(value.year, value.month, value.day)
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise self.invalid(line, f'{what}: expected a date like "1648" or "c. 1605"')
        try:
            return LifeDate.parse(value)
        except ValueError as exc:
            raise self.invalid(line, f"{what}: {exc}") from None

    def number(self, value: Any, line: int, what: str, lo: float, hi: float) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.invalid(line, f"{what}: expected a number, got {_kind(value)}")
        if not lo <= value <= hi:
            raise self.invalid(line, f"{what}: {value} is outside {lo}..{hi}")
        return float(value)

    def time(self, value: Any, line: int, what: str) -> float:
        if isinstance(value, bool):
            raise self.invalid(line, f"{what}: expected a time, got {value!r}")
        if isinstance(value, (int, float)):
            seconds = float(value)
        elif isinstance(value, str) and (m := TIME_RE.match(value.strip())):
            seconds = int(m["h"] or 0) * 3600 + int(m["m"]) * 60 + float(m["s"])
        else:
            raise self.invalid(
                line, f"{what}: expected seconds (12.5) or a time (00:01:02.500), got {value!r}"
            )
        if seconds < 0:
            raise self.invalid(line, f"{what}: a time cannot be negative")
        return seconds

    def file(self, base: Path, value: Any, line: int, what: str) -> Path:
        if not isinstance(value, str) or not value.strip():
            raise self.invalid(line, f"{what}: expected a file name, got {_kind(value)}")
        rel = Path(value)
        if rel.is_absolute() or ".." in rel.parts:
            raise self.invalid(line, f"{what}: '{value}' must be a path inside the content folder")
        path = base / rel
        if not path.is_file():
            raise self.invalid(line, f"{what}: file not found: {value}")
        return path

    def items(self, data: LMap, key: str, what: str) -> list[tuple[Any, int]]:
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, LList):
            raise self.invalid(data.line_of(key), f"{what}.{key}: expected a list")
        return [(v, value.line_of(i)) for i, v in enumerate(value)]


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"text {value[:40]!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _closest(word: str, options: set[str]) -> str | None:
    import difflib

    matches = difflib.get_close_matches(word, sorted(options), n=1, cutoff=0.7)
    return matches[0] if matches else None


def _guard(fn: Callable[..., T], *args: Any) -> T | None:
    """Call ``fn``; None if it found the item invalid (its problem is already recorded)."""
    try:
        return fn(*args)
    except _Invalid:
        return None


class Loader:
    """Loads a content folder. Use :func:`load_collection`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []

    def load(self) -> LoadResult:
        cpath = self.root / "collection.yaml"
        try:
            data = yamlsrc.load(cpath)
        except yamlsrc.YamlError as exc:
            self.problems.append(exc.problem)
            return LoadResult(None, self.problems)
        bootstrap = _Reader(cpath, self.problems, ())
        try:
            data = bootstrap.mapping(data, 1, "collection.yaml")
        except _Invalid:
            return LoadResult(None, self.problems)
        languages, default_language = self._languages(bootstrap, data)
        r = _Reader(cpath, self.problems, languages)
        r.default_language = default_language
        r.unknown_keys(data, COLLECTION_KEYS, "collection")
        title = _guard(lambda: r.text(data, "title", "collection"))
        subtitle = _guard(lambda: r.text(data, "subtitle", "collection", required=False))
        invitation = _guard(lambda: r.text(data, "invitation", "collection", required=False))
        theme = self._theme(r, data)
        masters = self._masters(r, data)
        explorers = self._explorers(languages, default_language, masters)
        attract = self._attract(r, data, explorers)
        if title is None:
            return LoadResult(None, self.problems)
        if not explorers:
            r.error(1, "the collection has no explorer that can be shown")
        collection = Collection(
            root=self.root,
            title=title,
            subtitle=subtitle or Text({}, default_language),
            invitation=invitation or Text({}, default_language),
            languages=languages,
            default_language=default_language,
            theme=theme,
            masters={k: v for k, v in masters.items() if v is not None},
            attract=tuple(attract),
            explorers=tuple(sorted(explorers, key=lambda e: e.sort_key)),
        )
        return LoadResult(collection, self.problems)

    def _languages(self, r: _Reader, data: LMap) -> tuple[tuple[str, ...], str]:
        raw = data.get("languages")
        langs: list[str] = []
        if not isinstance(raw, LList) or not raw:
            r.error(
                data.line_of("languages"), "collection: 'languages' must list codes, e.g. [ru, en]"
            )
        else:
            for i, code in enumerate(raw):
                if not isinstance(code, str) or not LANG_RE.match(code):
                    r.error(
                        raw.line_of(i), f"collection.languages: {code!r} is not a language code"
                    )
                elif code in langs:
                    r.error(raw.line_of(i), f"collection.languages: '{code}' is listed twice")
                else:
                    langs.append(code)
        if not langs:
            langs = ["ru"]
        default = data.get("default_language", langs[0])
        if default not in langs:
            r.error(
                data.line_of("default_language"),
                f"collection.default_language: '{default}' is not in languages {langs}",
            )
            default = langs[0]
        return tuple(langs), str(default)

    def _theme(self, r: _Reader, data: LMap) -> Theme:
        raw = data.get("theme")
        if raw is None:
            return Theme()
        try:
            raw = r.mapping(raw, data.line_of("theme"), "collection.theme")
        except _Invalid:
            return Theme()
        r.unknown_keys(raw, THEME_KEYS, "collection.theme")
        values = {}
        for key in THEME_KEYS & set(raw):
            if isinstance(raw[key], str) and COLOR_RE.match(raw[key]):
                values[key] = raw[key]
            else:
                r.error(raw.line_of(key), f"collection.theme.{key}: expected a colour like #0b1622")
        return Theme(**values)

    def _masters(self, r: _Reader, data: LMap) -> dict[str, Path | None]:
        """Master videos by name; None for one that is declared but cannot be found."""
        raw = data.get("masters")
        if raw is None:
            return {}
        try:
            raw = r.mapping(raw, data.line_of("masters"), "collection.masters")
        except _Invalid:
            return {}
        out = {}
        for name, value in raw.items():
            line = raw.line_of(name)
            out[name] = _guard(r.file, self.root, value, line, f"masters.{name}")
        return out

    def _attract(self, r: _Reader, data: LMap, explorers: list[Explorer]) -> list[Segment]:
        by_ref = {f"{e.slug}/{s.id}": s for e in explorers for s in e.segments}
        out = []
        for value, line in _guard(lambda: r.items(data, "attract", "collection")) or []:
            if not isinstance(value, str) or value not in by_ref:
                r.error(line, f"collection.attract: no segment '{value}' (write slug/segment-id)")
                continue
            out.append(by_ref[value])
        if not out and by_ref:
            # Without a montage the attract loop still needs something to play.
            out = [e.segments[0] for e in explorers if e.segments]
        return out

    def _explorers(
        self, languages: tuple[str, ...], default: str, masters: dict[str, Path | None]
    ) -> list[Explorer]:
        folder = self.root / "explorers"
        if not folder.is_dir():
            self.problems.append(
                Problem(self.root / "collection.yaml", 1, "no explorers/ folder beside this file")
            )
            return []
        explorers: list[Explorer] = []
        seen: dict[str, Path] = {}
        for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
            path = sub / "explorer.yaml"
            if not path.exists():
                self.problems.append(Problem(path, 0, "explorer folder without explorer.yaml"))
                continue
            explorer = self._explorer(path, languages, default, masters, seen)
            if explorer is not None:
                explorers.append(explorer)
        return explorers

    def _explorer(
        self,
        path: Path,
        languages: tuple[str, ...],
        default: str,
        masters: dict[str, Path | None],
        seen: dict[str, Path],
    ) -> Explorer | None:
        r = _Reader(path, self.problems, languages)
        r.default_language = default
        try:
            data = r.mapping(yamlsrc.load(path), 1, "explorer")
        except yamlsrc.YamlError as exc:
            self.problems.append(exc.problem)
            return None
        except _Invalid:
            return None
        base = path.parent
        r.unknown_keys(data, EXPLORER_KEYS, "explorer")
        slug = data.get("slug", base.name)
        if not isinstance(slug, str) or not SLUG_RE.match(slug):
            r.error(
                data.line_of("slug"),
                f"explorer: slug {slug!r} must be lower-case latin letters, digits and '-'",
            )
            return None
        if slug != base.name:
            r.error(data.line_of("slug"), f"explorer: slug '{slug}' differs from its folder name")
        if slug in seen:
            r.error(data.line_of("slug"), f"duplicate slug '{slug}' (also in {seen[slug]})")
            return None
        seen[slug] = path
        name = _guard(lambda: r.text(data, "name", "explorer"))
        born = _guard(
            lambda: r.date(r.required(data, "born", "explorer"), data.line_of("born"), "born")
        )
        died = None
        if data.get("died") is not None:
            died = _guard(lambda: r.date(data["died"], data.line_of("died"), "died"))
        if born and died and died.sort_key < born.sort_key:
            r.error(data.line_of("died"), "explorer: 'died' is before 'born'")
        order = data.get("order")
        if order is not None and (isinstance(order, bool) or not isinstance(order, int)):
            r.error(data.line_of("order"), "explorer.order: expected a whole number")
            order = None
        portrait = None
        if data.get("portrait") is not None:
            portrait = _guard(
                lambda: r.file(base, data["portrait"], data.line_of("portrait"), "portrait")
            )
        summary = _guard(lambda: r.text(data, "summary", "explorer"))
        body = _guard(lambda: r.text(data, "body", "explorer"))
        facts = self._facts(r, data)
        segments = self._segments(r, data, base, masters)
        declared = {
            item.get("id")
            for item, _ in (_guard(r.items, data, "segments", "explorer") or [])
            if isinstance(item, dict)
        }
        # Route points may name a segment whose file is broken: the map still needs them.
        route = self._route(r, data, {str(i) for i in declared if i is not None})
        sources = []
        for value, line in _guard(lambda: r.items(data, "sources", "explorer")) or []:
            if isinstance(value, str) and value.strip():
                sources.append(value.strip())
            else:
                r.error(line, "explorer.sources: each source is a line of text")
        if not sources:
            r.warn(data.line, "explorer: no sources given; museum texts should cite their sources")
        if not segments:
            r.warn(data.line, "explorer: no playable clip segment; the page shows text only")
        if name is None or born is None or summary is None or body is None:
            return None
        return Explorer(
            slug=slug,
            name=name,
            born=born,
            died=died,
            portrait=portrait,
            summary=summary,
            body=body,
            facts=tuple(facts),
            route=tuple(route),
            segments=tuple(segments),
            sources=tuple(sources),
            folder=base,
            order=order,
        )

    def _facts(self, r: _Reader, data: LMap) -> list[Fact]:
        out = []
        for value, line in _guard(lambda: r.items(data, "facts", "explorer")) or []:

            def one(value: Any = value, line: int = line) -> Fact:
                fact = r.mapping(value, line, "explorer.facts[]")
                r.unknown_keys(fact, FACT_KEYS, "fact")
                date = r.date(r.required(fact, "date", "fact"), fact.line_of("date"), "fact.date")
                return Fact(date, r.text(fact, "text", "fact"))

            fact = _guard(one)
            if fact is not None:
                out.append(fact)
        return sorted(out, key=lambda f: f.date.sort_key)

    def _segments(
        self, r: _Reader, data: LMap, base: Path, masters: dict[str, Path | None]
    ) -> list[Segment]:
        out: list[Segment] = []
        ids: set[str] = set()
        for value, line in _guard(lambda: r.items(data, "segments", "explorer")) or []:

            def one(value: Any = value, line: int = line) -> Segment:
                seg = r.mapping(value, line, "explorer.segments[]")
                r.unknown_keys(seg, SEGMENT_KEYS, "segment")
                seg_id = r.required(seg, "id", "segment")
                if not isinstance(seg_id, str) or not SLUG_RE.match(seg_id):
                    raise r.invalid(seg.line_of("id"), f"segment.id {seg_id!r}: use a-z, 0-9, '-'")
                if seg_id in ids:
                    raise r.invalid(seg.line_of("id"), f"duplicate segment id '{seg_id}'")
                ids.add(seg_id)
                what = f"segment '{seg_id}'"
                title = r.text(seg, "title", what)
                has_file, has_master = "file" in seg, "master" in seg
                if has_file == has_master:
                    raise r.invalid(seg.line, f"{what}: give either 'file' or 'master', not both")
                start, end = 0.0, None
                if "in" in seg:
                    start = r.time(seg["in"], seg.line_of("in"), f"{what}.in")
                if "out" in seg:
                    end = r.time(seg["out"], seg.line_of("out"), f"{what}.out")
                if end is not None and end <= start:
                    raise r.invalid(
                        seg.line_of("out"), f"{what}: 'out' ({end}) must come after 'in' ({start})"
                    )
                master = None
                if has_master:
                    master = seg["master"]
                    if master not in masters:
                        raise r.invalid(
                            seg.line_of("master"),
                            f"{what}: no master '{master}' in collection.yaml "
                            f"(known: {', '.join(masters) or 'none'})",
                        )
                    if end is None:
                        raise r.invalid(seg.line, f"{what}: a cut of a master needs 'out'")
                    found = masters[master]
                    if found is None:
                        raise r.invalid(
                            seg.line_of("master"),
                            f"{what}: the master video '{master}' is missing (see collection.yaml)",
                        )
                    path = found
                else:
                    path = r.file(base, seg["file"], seg.line_of("file"), f"{what}.file")
                captions = {}
                raw_caps = seg.get("captions")
                if raw_caps is not None:
                    caps = r.mapping(raw_caps, seg.line_of("captions"), f"{what}.captions")
                    for lang, cfile in caps.items():
                        p = _guard(
                            r.file, base, cfile, caps.line_of(lang), f"{what}.captions.{lang}"
                        )
                        if p is not None:
                            captions[lang] = p
                for lang in r.languages:
                    if lang not in captions:
                        r.warn(seg.line, f"{what}: no '{lang}' captions")
                return Segment(seg_id, title, path, start, end, captions, master)

            segment = _guard(one)
            if segment is not None:
                out.append(segment)
        return out

    def _route(self, r: _Reader, data: LMap, seg_ids: set[str]) -> list[RoutePoint]:
        out: list[RoutePoint] = []
        for value, line in _guard(lambda: r.items(data, "route", "explorer")) or []:

            def one(value: Any = value, line: int = line) -> RoutePoint:
                pt = r.mapping(value, line, "explorer.route[]")
                r.unknown_keys(pt, ROUTE_KEYS, "route point")
                lat = r.number(
                    r.required(pt, "lat", "route point"), pt.line_of("lat"), "lat", -90, 90
                )
                lon = r.number(
                    r.required(pt, "lon", "route point"), pt.line_of("lon"), "lon", -180, 180
                )
                label = r.text(pt, "label", "route point")
                date = None
                if pt.get("date") is not None:
                    date = r.date(pt["date"], pt.line_of("date"), "route point.date")
                seg = pt.get("segment")
                if seg is not None and seg not in seg_ids:
                    raise r.invalid(pt.line_of("segment"), f"route point: no segment '{seg}'")
                at = None
                if pt.get("at") is not None:
                    at = r.time(pt["at"], pt.line_of("at"), "route point.at")
                return RoutePoint(lat, lon, label, date, seg, at)

            point = _guard(one)
            if point is not None:
                out.append(point)
        return out


def load_collection(root: Path) -> LoadResult:
    """Load the content folder ``root`` (the folder holding collection.yaml)."""
    return Loader(Path(root)).load()
