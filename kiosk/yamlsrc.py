"""Safe YAML reading that remembers where every value came from.

Curators and technicians write YAML by hand, so every mistake must be reported as
``path:line: message``. PyYAML's plain ``safe_load`` forgets line numbers and silently accepts
duplicate keys; here the document is composed into nodes and converted by hand so that each
mapping and list keeps the line of each of its entries, duplicate keys are errors, and documents
that would expand without bound (alias bombs) or are too large are refused.

:func:`convert` checks a value against a type hint (``float``, ``list[str]``...) for readers that
build typed dataclasses from a file, such as the machine settings.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

MAX_BYTES = 2 * 1024 * 1024
MAX_NODES = 200_000
_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file, as a linter reports it."""

    path: Path
    line: int
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "line": self.line,
            "severity": self.severity,
            "message": self.message,
        }


class HasProblems:
    """Splits a ``problems`` list into errors and warnings (for reports that carry one)."""

    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


class YamlError(Exception):
    """A file that cannot be read as YAML at all; carries the Problem to report."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class LMap(dict[str, Any]):
    """A mapping that knows the line of itself and of each key (1-based)."""

    line: int
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LList(list[Any]):
    """A list that knows the line of itself and of each item (1-based)."""

    line: int
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


class _Converter:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.nodes = 0
        self.constructor = SafeConstructor()

    def fail(self, node: yaml.Node, message: str) -> YamlError:
        return YamlError(Problem(self.path, node.start_mark.line + 1, message))

    def convert(self, node: yaml.Node) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(node, "document too large or uses aliases that expand without bound")
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _PLAIN_TAGS:
            raise self.fail(node, f"cannot read value: unsupported tag {node.tag!r}")
        if isinstance(node, yaml.MappingNode):
            out = LMap()
            out.line = node.start_mark.line + 1
            out.key_lines = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise self.fail(key_node, "merge keys (<<) are not supported; write keys out")
                key = self.convert(key_node)
                if isinstance(key, (dict, list)):
                    raise self.fail(key_node, "a key must be a plain word, not a mapping or list")
                key = str(key)
                if key in out:
                    first = out.key_lines[key]
                    raise self.fail(
                        key_node, f"duplicate key '{key}' (first given on line {first})"
                    )
                out.key_lines[key] = key_node.start_mark.line + 1
                out[key] = self.convert(value_node)
            return out
        if isinstance(node, yaml.SequenceNode):
            items = LList()
            items.line = node.start_mark.line + 1
            items.item_lines = []
            for item in node.value:
                items.item_lines.append(item.start_mark.line + 1)
                items.append(self.convert(item))
            return items
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            raise self.fail(node, f"cannot read value: {str(exc).splitlines()[0]}") from None


def load(path: Path, *, max_bytes: int = MAX_BYTES) -> Any:
    """Read one YAML document from ``path`` with line information.

    Raises :class:`YamlError` (with a ``path:line`` problem) for anything unreadable:
    a missing file, non-UTF-8 bytes, tabs, syntax errors, duplicate keys, huge documents.
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise YamlError(Problem(path, 0, f"cannot open: {exc.strerror or exc}")) from None
    if size > max_bytes:
        raise YamlError(Problem(path, 0, f"file is {size} bytes; the limit is {max_bytes}"))
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise YamlError(Problem(path, 0, f"cannot read: {exc.strerror or exc}")) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlError(
            Problem(path, line, "the file is not UTF-8 text; save it as UTF-8 in your editor")
        ) from None
    return loads(text, path)


def loads(text: str, path: Path) -> Any:
    """Like :func:`load` for text already in memory (``path`` is only used in messages)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        reason = exc.problem or str(exc)
        lines = text.splitlines()
        if 0 < line <= len(lines) and "\t" in lines[line - 1]:
            reason += " (tabs are not allowed for indentation in YAML: use spaces)"
        raise YamlError(Problem(path, line, f"YAML syntax: {reason}")) from None
    except yaml.YAMLError as exc:
        raise YamlError(Problem(path, 0, f"YAML syntax: {exc}")) from None
    if node is None:
        return None
    return _Converter(path).convert(node)


def convert(expected: Any, value: Any) -> tuple[bool, Any]:
    """Whether a YAML value fits a type hint (bool, int, float, str, a list or union of them),
    and the value converted to it: a whole number where a float is wanted, a number as text."""
    origin = typing.get_origin(expected)
    if origin is list:
        (item_type,) = typing.get_args(expected)
        if not isinstance(value, list):
            return False, value
        out = []
        for item in value:
            ok, conv = convert(item_type, item)
            if not ok:
                return False, value
            out.append(conv)
        return True, out
    if origin in (typing.Union, types.UnionType):
        for option in typing.get_args(expected):
            ok, conv = convert(option, value)
            if ok:
                return True, conv
        return False, value
    if expected is bool:
        return isinstance(value, bool), value
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if expected is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return ok, float(value) if ok else value
    if expected is str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return True, str(value)
        return isinstance(value, str), value
    return False, value


def describe_type(t: Any) -> str:
    """A type hint in words, for a message: ``a list of text``."""
    if typing.get_origin(t) is list:
        return f"a list of {describe_type(typing.get_args(t)[0])}"
    return {bool: "true or false", int: "a whole number", float: "a number", str: "text"}.get(
        t, str(t)
    )
