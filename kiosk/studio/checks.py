"""Validation in place: the kiosk's validator run on the collection, its problems tied to fields.

The report is the one ``kiosk content validate`` gives (same loader, probe, fonts, screen checks,
rules); it is kept until a file of the collection changes (sizes and times of its files are the
fingerprint), and media are probed once per file version, so pages stay quick on a large
collection. Problems are ``path:line``; :func:`field_of_line` says which field of an
``explorer.yaml`` a line belongs to, from the round-trip document's own line records.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.studio import parts

Fingerprint = tuple[tuple[str, int, int], ...]


def fingerprint(root: Path) -> Fingerprint:
    """Name, size and modification time of every file of the collection (not the studio's own)."""
    out: list[tuple[str, int, int]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if name.startswith("."):
                continue
            try:
                st = os.stat(os.path.join(dirpath, name))
            except OSError:
                continue
            out.append((os.path.join(dirpath, name), st.st_size, st.st_mtime_ns))
    out.sort()
    return tuple(out)


class CachedProbe:
    """The deep probe, remembered per file version (path, size, time)."""

    def __init__(self, probe: Callable[[Path], Any]) -> None:
        self.probe = probe
        self._seen: dict[tuple[str, int, int], Any] = {}
        self._lock = threading.Lock()

    def __call__(self, path: Path) -> Any:
        st = path.stat()
        key = (str(path), st.st_size, st.st_mtime_ns)
        with self._lock:
            if key in self._seen:
                found = self._seen[key]
                if isinstance(found, Exception):
                    raise found
                return found
        try:
            info = self.probe(path)
        except Exception as exc:  # remembered and re-raised: the validator reports it
            with self._lock:
                self._seen[key] = exc
            raise
        with self._lock:
            self._seen[key] = info
        return info


@dataclass(frozen=True)
class Checked:
    """A report and the fingerprint it was made for."""

    report: parts.Report
    print_: Fingerprint


class Checker:
    """Runs the validator when the collection changed; otherwise returns the last report."""

    def __init__(
        self,
        root: Path,
        settings: parts.Settings,
        run: Callable[[Callable[[], parts.Report]], parts.Report],
        *,
        media: bool = True,
    ) -> None:
        self.root = root
        self.settings = settings
        # The screen checks draw text with pygame, which lives on one thread: ``run`` puts the
        # validation there.
        self.run = run
        self.probe = CachedProbe(parts.deep_probe()) if media else None
        self._last: Checked | None = None
        self._lock = threading.Lock()

    def report(self) -> parts.Report:
        with self._lock:
            now = fingerprint(self.root)
            if self._last is not None and self._last.print_ == now:
                return self._last.report
            report = self.run(self._validate)
            self._last = Checked(report, now)
            return report

    def _validate(self) -> parts.Report:
        return parts.validate(self.root, self.probe, **parts.validator_args(self.settings))

    def for_file(self, path: Path) -> list[parts.Problem]:
        path = path.resolve()
        return [p for p in self.report().problems if _same(p.path, path)]

    def explorers_with_errors(self) -> dict[str, int]:
        """Error count per explorer folder name."""
        out: dict[str, int] = {}
        exp = (self.root / "explorers").resolve()
        for p in self.report().errors:
            try:
                rel = Path(p.path).resolve().relative_to(exp)
            except ValueError:
                continue
            out[rel.parts[0]] = out.get(rel.parts[0], 0) + 1
        return out


def _same(a: Path, b: Path) -> bool:
    try:
        return Path(a).resolve() == b
    except OSError:
        return False


def field_lines(data: Any) -> list[tuple[int, str]]:
    """(first line, field anchor) of each top-level key and each list item, 1-based, sorted.

    Anchors are ``name``, ``facts-2``, ``route-0``, ``segments-1``; the page gives each field the
    id ``f-<anchor>``.
    """
    out: list[tuple[int, str]] = []
    lc = getattr(data, "lc", None)
    if lc is None:
        return out
    for key in data:
        try:
            line = lc.key(key)[0] + 1
        except (KeyError, TypeError):
            continue
        out.append((line, str(key)))
        value = data[key]
        if isinstance(value, list) and hasattr(value, "lc"):
            for i in range(len(value)):
                try:
                    out.append((value.lc.item(i)[0] + 1, f"{key}-{i}"))
                except (KeyError, TypeError):
                    continue
    out.sort()
    return out


def field_of_line(lines: list[tuple[int, str]], line: int) -> str:
    """The anchor of the field a problem's line falls in ('' for the file as a whole)."""
    found = ""
    for start, anchor in lines:
        if start > line:
            break
        found = anchor
    return found
