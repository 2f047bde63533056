"""Lint-style checks of a whole collection, as ``kiosk content validate`` runs them.

Everything wrong is collected, never just the first thing:

- the loader's problems (YAML, types, keys, missing files, duplicate slugs, bad ranges, missing
  translations, and the kiosk's own words a language lacks: they fall back);
- media, through a probe function passed in (so this module stays free of PyAV): the file opens,
  has pictures, can be read to its end, the segment's range lies inside it, a sensible size, and
  a clip stored turned (a phone's display matrix) is named with the shape it plays in;
- captions: they parse, stay inside their segment, do not overlap, and can be read (lines,
  characters a line, characters a second, time on screen: the thresholds in the settings);
- glyphs: every string of every language, the kiosk's own words the collection carries included,
  can be drawn by the bundled fonts (fontTools);
- whatever else the caller adds through ``extra`` (the command adds text fit and images, which
  need pygame, and how fast this machine decodes each clip, :mod:`kiosk.media.speed`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from kiosk.content import glyphs
from kiosk.content.loader import LoadResult, load_collection
from kiosk.content.model import Collection, Explorer, Segment, Text
from kiosk.settings import ValidationSettings
from kiosk.yamlsrc import HasProblems, Problem

# Slack for container rounding: an "out" a few milliseconds past the end is not a curator error.
RANGE_SLACK_S = 0.05
PLAYABLE_CODECS = {"h264", "hevc", "vp8", "vp9", "av1", "mpeg4", "mpeg2video", "theora"}


class MediaInfoLike(Protocol):
    @property
    def duration(self) -> float: ...
    @property
    def has_video(self) -> bool: ...


Prober = Callable[[Path], MediaInfoLike]
Extra = Callable[[Collection], Iterable[Problem]]


@dataclass
class Report(HasProblems):
    """The validator's verdict."""

    problems: list[Problem] = field(default_factory=list)
    explorers: int = 0
    segments: int = 0

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


def find_line(path: Path, needle: str) -> int:
    """Best-effort line of ``needle`` in a file, for problems found after loading."""
    try:
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if needle in line:
                return i
    except (OSError, UnicodeDecodeError):
        pass
    return 0


def _probe_all(paths: set[Path], probe: Prober) -> dict[Path, Any]:
    """Probe every file once, in parallel: PyAV releases the interpreter while it reads."""

    def one(path: Path) -> Any:
        try:
            return probe(path)
        except Exception as exc:  # a prober's error is a problem to report, whatever it is
            return exc

    ordered = sorted(paths)
    with ThreadPoolExecutor(max_workers=max(1, min(8, os.cpu_count() or 1))) as pool:
        return dict(zip(ordered, pool.map(one, ordered), strict=True))


def _check_media(
    explorer: Explorer, seg: Segment, info: Any, rules: ValidationSettings
) -> Iterable[Problem]:
    ypath = explorer.folder / "explorer.yaml"
    line = find_line(ypath, f"id: {seg.id}")
    what = f"segment '{seg.id}': {seg.path.name}"
    if isinstance(info, Exception):
        yield Problem(ypath, line, f"{what}: {info}")
        return
    if not info.has_video:
        yield Problem(ypath, line, f"{what} has no video stream")
        return
    for problem in getattr(info, "problems", ()):
        yield Problem(ypath, line, f"{what}: {problem}")
    codec = getattr(info, "video_codec", "")
    if codec and codec not in PLAYABLE_CODECS:
        yield Problem(
            ypath, line, f"{what}: video codec '{codec}' is unusual; use H.264", "warning"
        )
    pixels = getattr(info, "width", 0) * getattr(info, "height", 0)
    if pixels > rules.video_max_pixels:
        yield Problem(
            ypath,
            line,
            f"{what}: {info.width}x{info.height} is larger than this kiosk needs; "
            "1920x1080 plays more smoothly",
            "warning",
        )
    rotation = int(getattr(info, "rotation", 0)) % 360
    if rotation:
        yield Problem(ypath, line, f"{what}: {_turned(info, rotation)}", "warning")
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


def _turned(info: Any, rotation: int) -> str:
    """What a clip stored turned (a phone's clip, with a rotation in its display matrix) looks
    like on the kiosk: the player turns it upright."""
    w, h = info.width, info.height
    shown = (h, w) if rotation % 180 else (w, h)
    shape = "portrait" if shown[1] > shown[0] else "landscape" if shown[0] > shown[1] else "square"
    how = "stored on its side" if rotation % 180 else "stored upside down"
    return (
        f"{how} ({w}x{h} turned {rotation}° by its display matrix, as phones record); "
        f"the kiosk plays it upright, {shown[0]}x{shown[1]} ({shape})"
        + (", letterboxed in the video panel" if shape == "portrait" else "")
    )


def _segment_length(seg: Segment, info: Any) -> float | None:
    if seg.duration is not None:
        return seg.duration
    if info is None or isinstance(info, Exception):
        return None
    return float(info.duration) - seg.start


def _check_route(explorer: Explorer, seg: Segment, seg_len: float | None) -> Iterable[Problem]:
    ypath = explorer.folder / "explorer.yaml"
    for i, pt in enumerate(explorer.route):
        target = pt.segment or (explorer.segments[0].id if explorer.segments else None)
        if target == seg.id and pt.at is not None and seg_len is not None and pt.at > seg_len:
            yield Problem(
                ypath,
                find_line(ypath, f"at: {pt.at:g}"),
                f"route point {i + 1}: 'at' {pt.at:g}s is after the end of '{seg.id}' "
                f"({seg_len:.2f}s)",
            )


def check_captions(
    path: Path, lang: str, seg_len: float | None, rules: ValidationSettings
) -> Iterable[Problem]:
    """Parse one WebVTT file and hold every cue to the segment and the reading guidance."""
    # The player's reader (webvtt-py); imported here so loading content stays light.
    from kiosk.media.captions import CaptionFileError, read_cues, timestamp

    try:
        cues = read_cues(path)
    except CaptionFileError as exc:
        yield Problem(path, 0, f"captions ({lang}) cannot be read as WebVTT: {exc.detail}")
        return
    previous_end = 0.0
    for cue in cues:
        line, start, end = cue.line, cue.start, cue.end
        where = f"cue {timestamp(start)} --> {timestamp(end)}"
        if end <= start:
            yield Problem(path, line, f"cue {timestamp(start)} ends before it starts")
            continue
        if seg_len is not None and end > seg_len + RANGE_SLACK_S:
            yield Problem(path, line, f"{where} runs past the segment's end ({seg_len:.2f}s)")
        if start < previous_end - 1e-6:
            yield Problem(path, line, f"{where} overlaps the cue before it")
        previous_end = max(previous_end, end)
        lines = [x for x in cue.text.splitlines() if x.strip()]
        if len(lines) > rules.caption_max_lines:
            yield Problem(
                path, line, f"{where}: {len(lines)} lines; at most {rules.caption_max_lines}"
            )
        longest = max((len(x) for x in lines), default=0)
        if longest > rules.caption_max_chars:
            yield Problem(
                path,
                line,
                f"{where}: a line of {longest} characters; at most {rules.caption_max_chars}",
            )
        if end - start < rules.caption_min_s:
            yield Problem(
                path,
                line,
                f"{where}: on screen {end - start:.2f}s; at least {rules.caption_min_s:g}s",
            )
        cps = len(" ".join(lines)) / (end - start)
        if cps > rules.caption_max_cps:
            yield Problem(
                path,
                line,
                f"{where}: {cps:.0f} characters a second is too fast to read; "
                f"at most {rules.caption_max_cps:g}",
            )


def _texts(explorer: Explorer) -> Iterable[tuple[str, Text]]:
    yield "name", explorer.name
    yield "summary", explorer.summary
    yield "body", explorer.body
    for fact in explorer.facts:
        yield "facts", fact.text
    for pt in explorer.route:
        yield "route", pt.label
    for seg in explorer.segments:
        yield "segments", seg.title


def check_glyphs(collection: Collection, fonts: Sequence[Path]) -> Iterable[Problem]:
    """Every string of every language must be drawable by every bundled font."""
    covered = glyphs.coverage(fonts)
    if not covered:
        return
    cpath = collection.root / "collection.yaml"
    for key, text in (
        ("title", collection.title),
        ("subtitle", collection.subtitle),
        ("invitation", collection.invitation),
    ):
        for lang, value in text.values.items():
            if bad := glyphs.missing(value, covered):
                yield Problem(
                    cpath,
                    find_line(cpath, f"{key}:"),
                    f"{key} ({lang}): the fonts cannot draw {glyphs.describe(bad)}",
                )
    for lang, table in collection.words.items():
        for key, value in table.items():
            if bad := glyphs.missing(value, covered):
                yield Problem(
                    cpath,
                    find_line(cpath, value[:30]) or find_line(cpath, "words:"),
                    f"words.{lang}.{key}: the fonts cannot draw {glyphs.describe(bad)}",
                )
    for explorer in collection.explorers:
        ypath = explorer.folder / "explorer.yaml"
        for key, text in _texts(explorer):
            for lang, value in text.values.items():
                if bad := glyphs.missing(value, covered):
                    yield Problem(
                        ypath,
                        find_line(ypath, value.splitlines()[0][:30]) or find_line(ypath, f"{key}:"),
                        f"{key} ({lang}): the fonts cannot draw {glyphs.describe(bad)}",
                    )
        for seg in explorer.segments:
            for lang, cpath_ in seg.captions.items():
                try:
                    caption_text = cpath_.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    yield Problem(cpath_, 0, f"captions ({lang}) cannot be read: {exc}")
                    continue
                if bad := glyphs.missing(caption_text, covered):
                    yield Problem(
                        cpath_,
                        0,
                        f"captions ({lang}): the fonts cannot draw {glyphs.describe(bad)}",
                    )


def validate_collection(
    result: LoadResult,
    probe: Prober | None = None,
    *,
    rules: ValidationSettings | None = None,
    fonts: Sequence[Path] = (),
    extra: Extra | None = None,
) -> Report:
    """Check a loaded collection. ``probe`` opens media (None skips media checks); ``fonts``
    are the fonts whose coverage every text needs; ``extra`` adds the caller's own checks."""
    rules = rules or ValidationSettings()
    report = Report(problems=list(result.problems))
    collection: Collection | None = result.collection
    if collection is None:
        return report
    report.explorers = len(collection.explorers)
    segments = [(e, s) for e in collection.explorers for s in e.segments]
    report.segments = len(segments)
    infos: dict[Path, Any] = {}
    if probe is not None:
        infos = _probe_all({s.path for _, s in segments} | set(collection.masters.values()), probe)
    for explorer, seg in segments:
        info = infos.get(seg.path)
        if probe is not None:
            report.problems.extend(_check_media(explorer, seg, info, rules))
        seg_len = _segment_length(seg, info)
        for lang, cpath in seg.captions.items():
            report.problems.extend(check_captions(cpath, lang, seg_len, rules))
        report.problems.extend(_check_route(explorer, seg, seg_len))
    cfile = collection.root / "collection.yaml"
    for name, mpath in collection.masters.items():
        info = infos.get(mpath)
        if isinstance(info, Exception):
            report.problems.append(
                Problem(cfile, find_line(cfile, name), f"masters.{name}: {info}")
            )
    if fonts:
        report.problems.extend(check_glyphs(collection, fonts))
    if extra is not None:
        report.problems.extend(extra(collection))
    # Captions shared by two segments would otherwise be reported twice.
    report.problems = list(dict.fromkeys(report.problems))
    return report


def validate(
    root: Path,
    probe: Prober | None = None,
    *,
    rules: ValidationSettings | None = None,
    fonts: Sequence[Path] = (),
    extra: Extra | None = None,
) -> Report:
    """Load and check the content folder ``root``."""
    return validate_collection(load_collection(root), probe, rules=rules, fonts=fonts, extra=extra)
