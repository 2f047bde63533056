"""Reading one curator's YAML file: typed values out, every mistake recorded as ``path:line``.

A :class:`Reader` turns the line-aware values of :mod:`kiosk.yamlsrc` into texts, dates, numbers,
times and file paths, appending a :class:`~kiosk.yamlsrc.Problem` for each mistake. A reader method
that cannot give a value raises :class:`Invalid` after recording the problem; :func:`guard` turns
that into ``None``, so the caller skips one item and goes on with the rest.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from kiosk.content.model import LifeDate, Text
from kiosk.yamlsrc import LList, LMap, Problem

T = TypeVar("T")

TIME_RE = re.compile(r"^(?:(?P<h>\d+):)?(?P<m>\d{1,2}):(?P<s>\d{1,2}(?:\.\d+)?)$")


class Invalid(Exception):
    """Raised inside a reader after its problem has been recorded; the item is skipped."""


class Reader:
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

    def invalid(self, line: int, message: str) -> Invalid:
        self.error(line, message)
        return Invalid(message)

    def mapping(self, value: Any, line: int, what: str) -> LMap:
        if not isinstance(value, LMap):
            raise self.invalid(line, f"{what}: expected a mapping, got {_kind(value)}")
        return value

    def unknown_keys(self, data: LMap, allowed: set[str], what: str) -> None:
        for key in data:
            if key not in allowed:
                near = closest(key, allowed)
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


def closest(word: str, options: set[str]) -> str | None:
    """The option ``word`` was most likely meant to be (a typing mistake), or None."""
    import difflib

    matches = difflib.get_close_matches(word, sorted(options), n=1, cutoff=0.7)
    return matches[0] if matches else None


def guard(fn: Callable[..., T], *args: Any) -> T | None:
    """Call ``fn``; None if it found the item invalid (its problem is already recorded)."""
    try:
        return fn(*args)
    except Invalid:
        return None
