"""Local wall-clock timestamps for event rows, made fast enough for the writer thread.

A row's ``ts`` is local ISO 8601 with milliseconds and the UTC offset
(``2026-05-01T14:03:07.250+09:00``): a curator reads it as the museum's own time, and the offset
keeps rows from kiosks in different zones (or either side of a daylight-saving change) in order.
"""

from __future__ import annotations

import time


def utc_offset(seconds: int) -> str:
    """A UTC offset in seconds as ``+HH:MM``."""
    sign = "+" if seconds >= 0 else "-"
    seconds = abs(seconds)
    return f"{sign}{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


class LocalTimeFormatter:
    """Unix time -> local ISO 8601, fast: the UTC offset is looked up once per minute (zones change
    offset on a whole minute) and the date once per local day; the rest is arithmetic."""

    def __init__(self) -> None:
        self._block = -1
        self._off = 0
        self._suffix = ""
        self._day = -1
        self._date = ""

    def __call__(self, t: float) -> str:
        block = int(t // 60)
        if block != self._block:
            off = time.localtime(block * 60).tm_gmtoff or 0
            self._block, self._off, self._suffix = block, off, utc_offset(off)
        local = t + self._off
        day = int(local // 86400)
        if day != self._day:
            self._day = day
            self._date = time.strftime("%Y-%m-%d", time.gmtime(day * 86400))
        rest = local - day * 86400
        whole = int(rest)
        minutes, sec = divmod(whole, 60)
        hours, minutes = divmod(minutes, 60)
        two = _TWO_DIGITS
        return (
            f"{self._date}T{two[hours]}:{two[minutes]}:{two[sec]}"
            f"{_MILLIS[int((rest - whole) * 1000)]}{self._suffix}"
        )


_TWO_DIGITS = tuple(f"{i:02d}" for i in range(60))
_MILLIS = tuple(f".{i:03d}" for i in range(1000))
