"""One explorer's file (``explorers/<slug>/explorer.yaml``) -> an :class:`Explorer`.

Reads the explorer's own fields, its dated facts, its clip segments (files of their own or cuts of
the collection's master videos, with captions per language) and its route on the map, recording
every mistake against the file. An item with a mistake is left out; an explorer that lacks a name,
a birth date, a summary or a body is left out whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kiosk import yamlsrc
from kiosk.content.model import SLUG_RE, Explorer, Fact, RoutePoint, Segment
from kiosk.content.reader import Invalid, Reader, guard
from kiosk.yamlsrc import LMap, Problem

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


def read_explorer(
    path: Path,
    problems: list[Problem],
    languages: tuple[str, ...],
    default: str,
    masters: Mapping[str, Path | None],
    seen: dict[str, Path],
) -> Explorer | None:
    """Read one explorer.yaml; None when it cannot be shown (its problems are in ``problems``).

    ``masters`` are the collection's master videos (None: declared but missing); ``seen`` maps
    the slugs read so far to their files, and gains this one.
    """
    r = Reader(path, problems, languages)
    r.default_language = default
    try:
        data = r.mapping(yamlsrc.load(path), 1, "explorer")
    except yamlsrc.YamlError as exc:
        problems.append(exc.problem)
        return None
    except Invalid:
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
    name = guard(lambda: r.text(data, "name", "explorer"))
    born = guard(lambda: r.date(r.required(data, "born", "explorer"), data.line_of("born"), "born"))
    died = None
    if data.get("died") is not None:
        died = guard(lambda: r.date(data["died"], data.line_of("died"), "died"))
    if born and died and died.sort_key < born.sort_key:
        r.error(data.line_of("died"), "explorer: 'died' is before 'born'")
    order = data.get("order")
    if order is not None and (isinstance(order, bool) or not isinstance(order, int)):
        r.error(data.line_of("order"), "explorer.order: expected a whole number")
        order = None
    portrait = None
    if data.get("portrait") is not None:
        portrait = guard(
            lambda: r.file(base, data["portrait"], data.line_of("portrait"), "portrait")
        )
    summary = guard(lambda: r.text(data, "summary", "explorer"))
    body = guard(lambda: r.text(data, "body", "explorer"))
    facts = _facts(r, data)
    segments = _segments(r, data, base, masters)
    declared = {
        item.get("id")
        for item, _ in (guard(r.items, data, "segments", "explorer") or [])
        if isinstance(item, dict)
    }
    # Route points may name a segment whose file is broken: the map still needs them.
    route = _route(r, data, {str(i) for i in declared if i is not None})
    sources = []
    for value, line in guard(lambda: r.items(data, "sources", "explorer")) or []:
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


def _facts(r: Reader, data: LMap) -> list[Fact]:
    out = []
    for value, line in guard(lambda: r.items(data, "facts", "explorer")) or []:

        def one(value: Any = value, line: int = line) -> Fact:
            fact = r.mapping(value, line, "explorer.facts[]")
            r.unknown_keys(fact, FACT_KEYS, "fact")
            date = r.date(r.required(fact, "date", "fact"), fact.line_of("date"), "fact.date")
            return Fact(date, r.text(fact, "text", "fact"))

        fact = guard(one)
        if fact is not None:
            out.append(fact)
    return sorted(out, key=lambda f: f.date.sort_key)


def _segments(
    r: Reader, data: LMap, base: Path, masters: Mapping[str, Path | None]
) -> list[Segment]:
    out: list[Segment] = []
    ids: set[str] = set()
    for value, line in guard(lambda: r.items(data, "segments", "explorer")) or []:

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
                    p = guard(r.file, base, cfile, caps.line_of(lang), f"{what}.captions.{lang}")
                    if p is not None:
                        captions[lang] = p
            for lang in r.languages:
                if lang not in captions:
                    r.warn(seg.line, f"{what}: no '{lang}' captions")
            return Segment(seg_id, title, path, start, end, captions, master)

        segment = guard(one)
        if segment is not None:
            out.append(segment)
    return out


def _route(r: Reader, data: LMap, seg_ids: set[str]) -> list[RoutePoint]:
    out: list[RoutePoint] = []
    for value, line in guard(lambda: r.items(data, "route", "explorer")) or []:

        def one(value: Any = value, line: int = line) -> RoutePoint:
            pt = r.mapping(value, line, "explorer.route[]")
            r.unknown_keys(pt, ROUTE_KEYS, "route point")
            lat = r.number(r.required(pt, "lat", "route point"), pt.line_of("lat"), "lat", -90, 90)
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

        point = guard(one)
        if point is not None:
            out.append(point)
    return out
