"""Caption editing: cues read with the kiosk's reader, written back as WebVTT, and each cue
flagged by the kiosk's validator (:func:`kiosk.content.validate.check_captions`, with the
validation settings), never by a rule of the studio's own.

The validator reports ``path:line``; the reader gives each cue its timing line, which ties every
problem to its cue. A text being edited is checked by writing it to a scratch file beside the
real one and asking the validator about that.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.media.captions import Cue, read_cues, timestamp
from kiosk.studio import parts

_TIME = re.compile(r"^\s*(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:[.,]\d{1,3})?)\s*$")


@dataclass
class CueView:
    """One cue as the page shows it: times, text, reading speed and the validator's flags."""

    index: int
    start: float
    end: float
    text: str
    line: int
    problems: list[str] = field(default_factory=list)

    @property
    def start_s(self) -> str:
        return timestamp(self.start)

    @property
    def end_s(self) -> str:
        return timestamp(self.end)

    @property
    def cps(self) -> float:
        """Characters a second, counted as the validator counts them (lines joined by a space)."""
        lines = [x for x in self.text.splitlines() if x.strip()]
        length = self.end - self.start
        return len(" ".join(lines)) / length if length > 0 else 0.0


def parse_time(raw: str) -> float:
    """``00:01:02.500``, ``01:02.5`` or plain seconds ``62.5``; ValueError if none of these."""
    raw = raw.strip()
    m = _TIME.match(raw)
    if m:
        return int(m[1] or 0) * 3600 + int(m[2]) * 60 + float(m[3].replace(",", "."))
    return float(raw)


def to_vtt(cues: Sequence[Cue]) -> str:
    out = ["WEBVTT", ""]
    for c in cues:
        out += [f"{timestamp(c.start)} --> {timestamp(c.end)}", c.text.strip(), ""]
    return "\n".join(out)


def check(
    path: Path, lang: str, seg_len: float | None, rules: parts.ValidationSettings
) -> list[CueView]:
    """The cues of ``path``, each with the validator's problems on its line."""
    try:
        cues = read_cues(path)
    except Exception:  # an unreadable file: the page shows its validator problem instead
        cues = []
    views = [CueView(i, c.start, c.end, c.text, c.line) for i, c in enumerate(cues)]
    by_line = {v.line: v for v in views}
    for p in parts.check_captions(path, lang, seg_len, rules):
        target = by_line.get(p.line)
        if target is not None:
            target.problems.append(p.message)
    return views


def check_text(
    path: Path, text: str, lang: str, seg_len: float | None, rules: parts.ValidationSettings
) -> list[CueView]:
    """Like :func:`check` for text not yet saved (a scratch file beside ``path``)."""
    scratch = path.with_name(f".check-{secrets.token_hex(4)}.vtt")
    try:
        scratch.write_text(text, encoding="utf-8")
        return check(scratch, lang, seg_len, rules)
    finally:
        with contextlib.suppress(FileNotFoundError):
            scratch.unlink()


def extend_to_next(cues: list[Cue], index: int, seg_len: float | None) -> list[Cue]:
    """The cue ``index`` lengthened up to the next cue's start (or the segment's end): the
    usual fix for a cue flagged as too fast or too short."""
    cue = cues[index]
    limit = cues[index + 1].start if index + 1 < len(cues) else seg_len
    if limit is None or limit <= cue.end:
        return cues
    out = list(cues)
    out[index] = Cue(cue.start, round(limit, 3), cue.text, cue.line)
    return out
