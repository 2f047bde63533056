"""Lint-style checks of a whole collection, as ``kiosk content validate`` runs them.

Everything wrong is collected, never just the first thing: loader problems (YAML, types, keys,
missing files, duplicate slugs, bad ranges), then media (opens, has video, segment range inside
the file), captions (parse, cues inside the segment) and route timings. Media are probed through
a function passed in, so this module stays free of PyAV; the command passes
:func:`kiosk.media.probe.probe`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from kiosk.content.loader import LoadResult, load_collection
from kiosk.content.model import Collection, Explorer, Segment
from kiosk.yamlsrc import Problem

# Slack for container rounding: an "out" a few milliseconds past the end is not a curator error.
RANGE_SLACK_S = 0.05


class MediaInfoLike(Protocol):
    @property
    def duration(self) -> float: ...
    @property
    def has_video(self) -> bool: ...


Prober = Callable[[Path], MediaInfoLike]


@dataclass
class Report:
    """The validator's verdict."""

    problems: list[Problem] = field(default_factory=list)
    explorers: int = 0
    segments: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def grouped(self) -> dict[Path, list[Problem]]:
        out: dict[Path, list[Problem]] = {}
        for p in sorted(self.problems, key=lambda p: (str(p.path), p.line)):
            out.setdefault(p.path, []).append(p)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "explorers": self.explorers,
            "segments": self.segments,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "problems": [p.as_dict() for p in self.problems],
        }


def _find_line(path: Path, needle: str) -> int:
    """Best-effort line of ``needle`` in a YAML file, for problems found after loading."""
    try:
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if needle in line:
                return i
    except (OSError, UnicodeDecodeError):
        pass
    return 0


def _check_segment(
    explorer: Explorer, seg: Segment, probe: Prober | None, cache: dict[Path, Any]
) -> Iterable[Problem]:
    ypath = explorer.folder / "explorer.yaml"
    line = _find_line(ypath, f"id: {seg.id}")
    what = f"segment '{seg.id}'"
    duration: float | None = None
    if probe is not None:
        if seg.path not in cache:
            try:
                cache[seg.path] = probe(seg.path)
            except Exception as exc:  # a prober's error is a problem to report, whatever it is
                cache[seg.path] = exc
        info = cache[seg.path]
        if isinstance(info, Exception):
            yield Problem(ypath, line, f"{what}: {seg.path.name}: {info}")
            return
        if not info.has_video:
            yield Problem(ypath, line, f"{what}: {seg.path.name} has no video stream")
        duration = info.duration
        if seg.start >= duration:
            yield Problem(
                ypath,
                line,
                f"{what}: 'in' {seg.start:.2f}s is past the end of the file ({duration:.2f}s)",
            )
        elif seg.end is not None and seg.end > duration + RANGE_SLACK_S:
            yield Problem(
                ypath,
                line,
                f"{what}: 'out' {seg.end:.2f}s is past the end of the file ({duration:.2f}s)",
            )
    seg_len = (
        seg.duration
        if seg.duration is not None
        else (None if duration is None else duration - seg.start)
    )
    for lang, cpath in seg.captions.items():
        yield from _check_captions(cpath, lang, seg_len)
    for i, pt in enumerate(explorer.route):
        target = pt.segment or (explorer.segments[0].id if explorer.segments else None)
        if target == seg.id and pt.at is not None and seg_len is not None and pt.at > seg_len:
            yield Problem(
                ypath,
                _find_line(ypath, f"at: {pt.at:g}") or line,
                f"route point {i + 1}: 'at' {pt.at:g}s is after the end of '{seg.id}' "
                f"({seg_len:.2f}s)",
            )


def _check_captions(path: Path, lang: str, seg_len: float | None) -> Iterable[Problem]:
    import webvtt  # small, pure Python; imported here so loading content stays light

    try:
        captions = webvtt.read(str(path))
    except Exception as exc:  # webvtt raises several types for malformed files
        yield Problem(path, 0, f"captions ({lang}) cannot be read as WebVTT: {exc}")
        return
    for cue in captions.captions:
        line = getattr(cue, "line_number", 0) or _find_cue_line(path, cue.start)
        # start_in_seconds is rounded down to whole seconds; milliseconds matter here.
        start = cue.start_time.in_milliseconds() / 1000
        end = cue.end_time.in_milliseconds() / 1000
        if end <= start:
            yield Problem(path, line, f"cue {cue.start} ends before it starts")
        if seg_len is not None and end > seg_len + RANGE_SLACK_S:
            yield Problem(
                path,
                line,
                f"cue {cue.start} --> {cue.end} runs past the segment's end ({seg_len:.2f}s)",
            )


def _find_cue_line(path: Path, start: str) -> int:
    try:
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.startswith(start) and "-->" in line:
                return i
    except (OSError, UnicodeDecodeError):
        pass
    return 0


def validate_collection(result: LoadResult, probe: Prober | None = None) -> Report:
    """Check a loaded collection. ``probe`` opens media; None skips media checks."""
    report = Report(problems=list(result.problems))
    collection: Collection | None = result.collection
    if collection is None:
        return report
    report.explorers = len(collection.explorers)
    cache: dict[Path, Any] = {}
    for explorer in collection.explorers:
        for seg in explorer.segments:
            report.segments += 1
            report.problems.extend(_check_segment(explorer, seg, probe, cache))
    if probe is not None:
        for name, mpath in collection.masters.items():
            if mpath not in cache:
                try:
                    cache[mpath] = probe(mpath)
                except Exception as exc:
                    report.problems.append(
                        Problem(
                            collection.root / "collection.yaml",
                            _find_line(collection.root / "collection.yaml", name),
                            f"masters.{name}: {exc}",
                        )
                    )
    # Captions shared by two segments would otherwise be reported twice.
    report.problems = list(dict.fromkeys(report.problems))
    return report


def validate(root: Path, probe: Prober | None = None) -> Report:
    """Load and check the content folder ``root``."""
    return validate_collection(load_collection(root), probe)
