"""What the pages show, built from the files and the validator's report; no HTML here.

The collection is read by the kiosk's own loader (kept until a file changes); an explorer's page
and the kiosk's own words are built from the round-trip documents, so the page shows exactly what
the file says, with the validator's problems placed beside the field they belong to.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.content import words as kiosk_words
from kiosk.studio import parts
from kiosk.studio.checks import Checker, field_lines, field_of_line, fingerprint
from kiosk.studio.forms import text_value
from kiosk.studio.store import Doc


@dataclass(frozen=True)
class ShownProblem:
    """A validator problem as a page shows it: where (field anchor) and what."""

    anchor: str
    line: int
    severity: str
    message: str
    file: str


@dataclass(frozen=True)
class Card:
    """One explorer in the collection list."""

    slug: str
    name: str
    years: str
    order: int | None
    errors: int
    broken: bool


@dataclass
class Catalog:
    """The collection as the kiosk loads it, kept per fingerprint of the folder."""

    root: Path
    _cached: tuple[Any, parts.LoadResult] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def load(self) -> parts.LoadResult:
        with self._lock:
            now = fingerprint(self.root)
            if self._cached is None or self._cached[0] != now:
                self._cached = (now, parts.load_collection(self.root))
            return self._cached[1]

    def languages(self) -> tuple[tuple[str, ...], str]:
        c = self.load().collection
        if c is None:
            return ("ru", "en"), "ru"
        return c.languages, c.default_language

    def slugs(self) -> list[str]:
        folder = self.root / "explorers"
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))

    def cards(self, lang: str, errors: Mapping[str, int]) -> list[Card]:
        c = self.load().collection
        loaded = {e.slug: e for e in c.explorers} if c is not None else {}
        cards = []
        for slug in self.slugs():
            e = loaded.get(slug)
            if e is None or c is None:
                cards.append(Card(slug, slug, "", None, errors.get(slug, 0), True))
            else:
                years = c.years(e, lang)
                cards.append(
                    Card(slug, e.name.get(lang), years, e.order, errors.get(slug, 0), False)
                )
        big = 1 << 30
        cards.sort(key=lambda c: (c.order if c.order is not None else big, c.broken, c.slug))
        return cards


def problems_for(checker: Checker, path: Path, data: Any, root: Path) -> list[ShownProblem]:
    """The validator's problems in ``path`` and in files it names (captions of this explorer)."""
    lines = field_lines(data)
    out = []
    folder = path.parent.resolve()
    for p in checker.report().problems:
        ppath = Path(p.path).resolve()
        if ppath == path.resolve():
            anchor = field_of_line(lines, p.line)
        elif ppath.is_relative_to(folder):
            anchor = "segments"
        else:
            continue
        rel = ppath.relative_to(root.resolve()).as_posix()
        out.append(ShownProblem(anchor, p.line, p.severity, p.message, rel))
    return out


@dataclass(frozen=True)
class FactRow:
    index: int
    date: str
    texts: dict[str, str]


@dataclass
class ExplorerForm:
    """The explorer page's fields, as the file holds them."""

    slug: str
    version: str
    languages: tuple[str, ...]
    default: str
    texts: dict[str, dict[str, str]]
    scalars: dict[str, str]
    facts: list[FactRow]
    sources: str
    problems: list[ShownProblem]

    def missing(self, key: str, lang: str) -> bool:
        return not self.texts.get(key, {}).get(lang, "").strip()

    def field_problems(self, anchor: str) -> list[ShownProblem]:
        return [p for p in self.problems if p.anchor == anchor]


def explorer_form(
    doc: Doc, slug: str, languages: tuple[str, ...], default: str, problems: list[ShownProblem]
) -> ExplorerForm:
    data = doc.data if isinstance(doc.data, Mapping) else {}
    texts: dict[str, dict[str, str]] = {}
    for key in ("name", "summary", "body"):
        value = data.get(key)
        if isinstance(value, str):
            texts[key] = {default: value.strip()}
        else:
            texts[key] = {lang: text_value(data, key, lang) for lang in languages}
    scalars = {
        k: str(data.get(k) if data.get(k) is not None else "")
        for k in ("born", "died", "order", "portrait")
    }
    facts = []
    for i, fact in enumerate(data.get("facts") or []):
        if isinstance(fact, Mapping):
            texts_ = {lang: text_value(fact, "text", lang) for lang in languages}
            facts.append(FactRow(i, str(fact.get("date") or ""), texts_))
    sources = "\n".join(str(s) for s in (data.get("sources") or []))
    return ExplorerForm(
        slug, doc.version, languages, default, texts, scalars, facts, sources, problems
    )


@dataclass(frozen=True)
class WordCell:
    """One language's text of one kiosk word, as the words editor shows it."""

    lang: str
    value: str  # the collection's own word ("" when it has none)
    placeholder: str  # what visitors see while the field is empty
    missing: bool  # neither the collection nor the built-in table has it in this language


@dataclass(frozen=True)
class WordRow:
    key: str
    staff: bool  # a word of the staff's admin mode, not of the visitor's screens
    cells: list[WordCell]


@dataclass
class WordsForm:
    """The kiosk's own words, every key by every language of the collection."""

    version: str
    languages: tuple[str, ...]
    default: str
    rows: list[WordRow]

    def missing(self, lang: str) -> int:
        return sum(c.missing for r in self.rows for c in r.cells if c.lang == lang)

    @property
    def open(self) -> bool:
        """Shown unfolded while a language lacks words, or once the curator wrote some."""
        return any(c.missing or c.value for r in self.rows for c in r.cells)


def words_form(doc: Doc, languages: tuple[str, ...], default: str) -> WordsForm:
    """The words editor from collection.yaml as it is written, placeholders from the kiosk's own
    lookup (the built-in word, else the one the language falls back to)."""
    data = doc.data if isinstance(doc.data, Mapping) else {}
    raw = data.get("words")
    own: dict[str, dict[str, str]] = {}
    for lang, table in (raw if isinstance(raw, Mapping) else {}).items():
        if isinstance(table, Mapping):
            own[str(lang)] = {str(k): str(v).strip() for k, v in table.items() if v is not None}
    rows = []
    for key in kiosk_words.KEYS:
        cells = []
        for lang in languages:
            text = own.get(lang, {}).get(key, "")
            builtin = kiosk_words.BUILTIN.get(lang, {}).get(key)
            if builtin is not None:
                cells.append(WordCell(lang, text, builtin, False))
                continue
            # Empty, the word falls back as the kiosk looks it up: the placeholder says to what.
            after = kiosk_words.chain(lang, default)[1:] or (kiosk_words.LAST_RESORT,)
            shown = kiosk_words.lookup(after[0], key, default=default, words=own)
            cells.append(WordCell(lang, text, shown, not text))
        rows.append(WordRow(key, key.startswith("admin_"), cells))
    return WordsForm(doc.version, languages, default, rows)
