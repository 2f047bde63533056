"""Curator's YAML -> the immutable :class:`~kiosk.content.model.Collection`.

The loader never stops at the first mistake: it collects every problem it can find as
``path:line: message`` (wrong type, unknown key, missing file, duplicate slug, bad time range,
missing translation) and still builds whatever can be built, so one broken explorer never hides
the others. Problems of severity ``error`` make the explorer (or the collection) unusable;
``warning`` ones are shown but the content is served.

This module assembles the collection (``collection.yaml``: languages, theme, master videos, the
attract montage, the kiosk's own words) and walks ``explorers/``;
:mod:`kiosk.content.explorer_file` reads each explorer, and :mod:`kiosk.content.reader` turns YAML
values into typed ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from kiosk import yamlsrc
from kiosk.content import words as kiosk_words
from kiosk.content.explorer_file import read_explorer
from kiosk.content.model import LANG_RE, Collection, Explorer, Segment, Text, Theme
from kiosk.content.reader import Invalid, Reader, closest, guard
from kiosk.yamlsrc import HasProblems, LList, LMap, Problem

COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")

COLLECTION_KEYS = {
    "title",
    "subtitle",
    "invitation",
    "languages",
    "default_language",
    "theme",
    "masters",
    "attract",
    "words",
}
THEME_KEYS = {"background", "surface", "text", "accent"}


@dataclass
class LoadResult(HasProblems):
    """What the loader made of a content folder, and everything wrong with it."""

    collection: Collection | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.collection is not None and not self.errors


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
        bootstrap = Reader(cpath, self.problems, ())
        try:
            data = bootstrap.mapping(data, 1, "collection.yaml")
        except Invalid:
            return LoadResult(None, self.problems)
        languages, default_language = self._languages(bootstrap, data)
        r = Reader(cpath, self.problems, languages)
        r.default_language = default_language
        r.unknown_keys(data, COLLECTION_KEYS, "collection")
        title = guard(lambda: r.text(data, "title", "collection"))
        subtitle = guard(lambda: r.text(data, "subtitle", "collection", required=False))
        invitation = guard(lambda: r.text(data, "invitation", "collection", required=False))
        theme = self._theme(r, data)
        own_words = self._words(r, data)
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
            words=own_words,
        )
        return LoadResult(collection, self.problems)

    def _languages(self, r: Reader, data: LMap) -> tuple[tuple[str, ...], str]:
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

    def _theme(self, r: Reader, data: LMap) -> Theme:
        raw = data.get("theme")
        if raw is None:
            return Theme()
        try:
            raw = r.mapping(raw, data.line_of("theme"), "collection.theme")
        except Invalid:
            return Theme()
        r.unknown_keys(raw, THEME_KEYS, "collection.theme")
        values = {}
        for key in THEME_KEYS & set(raw):
            if isinstance(raw[key], str) and COLOR_RE.match(raw[key]):
                values[key] = raw[key]
            else:
                r.error(raw.line_of(key), f"collection.theme.{key}: expected a colour like #0b1622")
        return Theme(**values)

    def _words(self, r: Reader, data: LMap) -> dict[str, dict[str, str]]:
        """The kiosk's own words the collection carries (``words: {sah: {back: …}}``), checked
        against the kiosk's keys and placeholders; then a warning for each language whose words
        are missing from both the collection and the built-in table (they fall back)."""
        found: dict[str, dict[str, str]] = {}
        raw: LMap | None = None
        if data.get("words") is not None:
            raw = guard(r.mapping, data["words"], data.line_of("words"), "collection.words")
        for lang, table in (raw or {}).items():
            line = raw.line_of(lang) if raw is not None else 0
            if lang not in r.languages:
                r.warn(line, f"collection.words: language '{lang}' is not listed in languages")
            table = guard(r.mapping, table, line, f"collection.words.{lang}")
            if table is not None:
                found[str(lang)] = self._word_table(r, str(lang), table)
        for lang in r.languages:
            gaps = kiosk_words.missing(lang, found)
            if gaps:
                line = raw.line_of(lang) if raw is not None and lang in raw else 0
                self._warn_gaps(r, line or data.line_of("languages"), lang, gaps, found)
        return found

    def _word_table(self, r: Reader, lang: str, table: LMap) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, value in table.items():
            line, what = table.line_of(key), f"collection.words.{lang}.{key}"
            if key not in kiosk_words.BUILTIN[kiosk_words.LAST_RESORT]:
                hint = closest(str(key), set(kiosk_words.KEYS))
                near = f" (did you mean '{hint}'?)" if hint else ""
                r.warn(line, f"collection.words.{lang}: the kiosk has no word '{key}'{near}")
                continue
            if value is None or (isinstance(value, str) and not value.strip()):
                continue  # an empty word falls back, as if it were not written
            if not isinstance(value, str):
                r.error(line, f"{what}: expected text")
                continue
            wanted = kiosk_words.placeholders(kiosk_words.BUILTIN[kiosk_words.LAST_RESORT][key])
            shown = ", ".join("{" + n + "}" for n in sorted(wanted)) or "none"
            try:
                given = kiosk_words.placeholders(value)
            except ValueError:
                r.error(line, f"{what}: braces {{ }} only around a value (here: {shown})")
                continue
            if given - wanted:
                unknown = min(given - wanted)
                r.error(line, f"{what}: {{{unknown}}} is unknown here (values: {shown})")
                continue
            if wanted - given:
                r.warn(line, f"{what}: does not show {{{min(wanted - given)}}}")
            out[str(key)] = value.strip()
        return out

    @staticmethod
    def _warn_gaps(
        r: Reader, line: int, lang: str, gaps: list[str], found: dict[str, dict[str, str]]
    ) -> None:
        sources = {
            kiosk_words.source(lang, k, default=r.default_language, words=found) for k in gaps
        }
        langs = sorted({s[0] for s in sources if s is not None})
        named = ", ".join(gaps[:5]) + (", …" if len(gaps) > 5 else "")
        r.warn(
            line,
            f"collection: {len(gaps)} of the kiosk's {len(kiosk_words.KEYS)} own words have no "
            f"'{lang}' text ({named}); shown in '{', '.join(langs)}' instead "
            f"(write them under words: {lang}:)",
        )

    def _masters(self, r: Reader, data: LMap) -> dict[str, Path | None]:
        """Master videos by name; None for one that is declared but cannot be found."""
        raw = data.get("masters")
        if raw is None:
            return {}
        try:
            raw = r.mapping(raw, data.line_of("masters"), "collection.masters")
        except Invalid:
            return {}
        out = {}
        for name, value in raw.items():
            line = raw.line_of(name)
            out[name] = guard(r.file, self.root, value, line, f"masters.{name}")
        return out

    def _attract(self, r: Reader, data: LMap, explorers: list[Explorer]) -> list[Segment]:
        by_ref = {f"{e.slug}/{s.id}": s for e in explorers for s in e.segments}
        out = []
        for value, line in guard(lambda: r.items(data, "attract", "collection")) or []:
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
            explorer = read_explorer(path, self.problems, languages, default, masters, seen)
            if explorer is not None:
                explorers.append(explorer)
        return explorers


def load_collection(root: Path) -> LoadResult:
    """Load the content folder ``root`` (the folder holding collection.yaml)."""
    return Loader(Path(root)).load()
