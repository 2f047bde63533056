"""Opening hours, quiet hours and the nightly restart: what the kiosk should be doing right now.

:meth:`Schedule.state_at` is a pure function of the local wall-clock time and the monotonic
clock, so it can be tested with any date. The rules it follows:

- Opening hours decide whether the screen is on; outside them the kiosk shows a dark standby and
  comes back ``wake_before_min`` minutes before opening. No opening hours means always open.
- Quiet hours cap the volume (``quiet_volume_cap``, 0 = muted) and force captions on.
- Hours are wall-clock times: "10:00-18:00" means ten to six on the clock on the wall, in summer
  and in winter, and on the days the clocks change. A range that ends before it starts runs past
  midnight ("fri,sat 20:00-02:00" ends on Saturday and Sunday morning).
- A clock that was never set (a Raspberry Pi without a real-time clock and without network
  starts in 1970) cannot be trusted: the kiosk is then open, not quiet, and never restarts.
- The nightly restart is due once the restart time has passed since this process started; the
  uptime comes from the monotonic clock, so a wall clock that jumps (NTP arriving, a technician
  setting the time, a DST change) neither repeats a restart nor causes a loop of them.

Entries are written as in ``kiosk.yaml``::

    opening_hours: ["mon-fri 10:00-18:00", "sat,sun 11:00-17:00", "mon closed",
                    "2025-12-31 10:00-14:00", "2026-01-01 closed"]

Days are ``mon tue wed thu fri sat sun`` (or ``пн вт ср чт пт сб вс``), lists and ranges of them,
or ``daily``; an entry without days means every day. A dated entry replaces the weekly hours of
that date. Several ranges may follow the days, separated by commas.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiosk.settings import ScheduleSettings

# A clock before this year was never set; the kiosk was certainly built later.
EARLIEST_PLAUSIBLE_YEAR = 2020
# A process younger than this never restarts: after a crash or a power cut in the night the
# kiosk is fresh anyway, and a restart can never follow a restart.
RESTART_MIN_UPTIME_S = 3600.0
# A restart time missed by more than this (the machine was off, or it was open) waits a day.
RESTART_WINDOW_S = 2 * 3600.0

DAY_NAMES = {
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
    "пн": 0, "вт": 1, "ср": 2, "чт": 3, "пт": 4, "сб": 5, "вс": 6,
}  # fmt: skip
_FULL_DAY = 24 * 60
_RANGE = re.compile(r"^(\d{1,2})[:.](\d{2})\s*[-–]\s*(\d{1,2})[:.](\d{2})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ScheduleError(ValueError):
    """Schedule settings that cannot be understood; ``problems`` names each one."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class ScheduleState(NamedTuple):
    """What the kiosk should be doing at one moment."""

    open: bool
    quiet: bool
    restart_due: bool


@dataclass(frozen=True)
class Span:
    """A range of minutes after the midnight that starts its day; ``end`` may pass 24:00."""

    start: int
    end: int


@dataclass(frozen=True)
class Hours:
    """Parsed hours: spans per weekday (Monday = 0) and dated exceptions."""

    weekly: tuple[tuple[Span, ...], ...]
    dated: Mapping[date, tuple[Span, ...]] = field(default_factory=dict)
    given: bool = False

    def spans_on(self, day: date) -> tuple[Span, ...]:
        return self.dated.get(day, self.weekly[day.weekday()])

    def contains(self, wall: datetime) -> bool:
        """Whether a naive wall-clock time falls inside the hours (spans of yesterday too)."""
        for back in (0, 1):
            day = wall.date() - timedelta(days=back)
            midnight = datetime(day.year, day.month, day.day)
            for span in self.spans_on(day):
                start = midnight + timedelta(minutes=span.start)
                end = midnight + timedelta(minutes=span.end)
                if start <= wall < end:
                    return True
        return False


def _parse_days(text: str) -> set[int]:
    if text in ("daily", "ежедневно"):
        return set(range(7))
    days: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        ends = part.split("-")
        if len(ends) > 2 or not all(_day(e) is not None for e in ends):
            raise ValueError(
                f"{part!r} is not a day; write days as mon, tue, ... sun, a range like mon-fri, "
                "or daily"
            )
        first, last = _day(ends[0]), _day(ends[-1])
        assert first is not None and last is not None
        day = first
        days.add(day)
        while day != last:  # a range may wrap round the week: fri-mon
            day = (day + 1) % 7
            days.add(day)
    return days


def _day(name: str) -> int | None:
    name = name.strip()
    return DAY_NAMES.get(name) if name in DAY_NAMES else DAY_NAMES.get(name[:3])


def _parse_span(text: str) -> Span:
    m = _RANGE.match(text.strip())
    if not m:
        raise ValueError(f"{text.strip()!r} is not a time range; write it as 10:00-18:00")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2 != 0):
        raise ValueError(f"{text.strip()!r}: hours run from 00:00 to 24:00")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start == end:
        raise ValueError(f"{text.strip()!r} starts and ends at once; for a whole day: 00:00-24:00")
    if end < start:
        end += _FULL_DAY  # ends after midnight, on the next day
    return Span(start, end)


def parse_hours(
    entries: Iterable[str], name: str, all_day_by_default: bool
) -> tuple[Hours, list[str]]:
    """Parse entries; return the hours (bad entries left out) and a problem for each bad one.

    Without any weekly ranges every day is whole (``all_day_by_default``, for opening hours) or
    empty (for quiet hours); dated entries and ``closed`` days apply on top.
    """
    weekly: list[list[Span]] = [[] for _ in range(7)]
    closed: set[int] = set()
    dated: dict[date, list[Span]] = {}
    problems: list[str] = []
    any_weekly = False
    entries = list(entries)
    for i, raw in enumerate(entries):
        entry = " ".join(str(raw).lower().split())
        try:
            if not entry:
                raise ValueError("empty entry")
            head, _, rest = entry.partition(" ")
            if _RANGE.match(entry) or entry == "closed" or (head[:1].isdigit() and ":" in head):
                head, rest = "daily", entry
            if not rest:
                raise ValueError(f"{entry!r} gives no hours; write e.g. 'mon-fri 10:00-18:00'")
            spans = [] if rest == "closed" else [_parse_span(p) for p in rest.split(",")]
            if _DATE.match(head):
                try:
                    day = date.fromisoformat(head)
                except ValueError:
                    raise ValueError(f"{head!r} is not a date (YYYY-MM-DD)") from None
                dated.setdefault(day, []).extend(spans)
            else:
                days = _parse_days(head)
                if not spans:
                    closed |= days
                for d in days:
                    weekly[d].extend(spans)
                any_weekly = any_weekly or bool(spans)
        except ValueError as exc:
            problems.append(f"schedule.{name}[{i}]: {exc}")
    if not any_weekly and all_day_by_default:
        weekly = [[Span(0, _FULL_DAY)] for _ in range(7)]
    for d in closed:
        weekly[d] = []
    hours = Hours(
        weekly=tuple(tuple(w) for w in weekly),
        dated={k: tuple(v) for k, v in dated.items()},
        given=bool(entries),
    )
    return hours, problems


def parse_time_of_day(value: str) -> tuple[int, int] | None:
    """ "03:30" -> (3, 30); "" -> None. Raises ValueError with advice for anything else."""
    value = value.strip()
    if not value:
        return None
    m = _TIME.match(value)
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        hint = ""
        if value.isdigit():
            # YAML reads an unquoted 3:30 as the number 210 (a base-60 literal).
            hint = ' (write the time in quotes, e.g. "03:30": without them YAML makes it a number)'
        raise ValueError(f"schedule.nightly_restart: {value!r} is not a time HH:MM{hint}")
    return int(m.group(1)), int(m.group(2))


def local_zone() -> tzinfo:
    """The machine's time zone with its DST rules ($TZ, else /etc/localtime)."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    try:
        with open("/etc/localtime", "rb") as fh:
            return ZoneInfo.from_file(fh, key="localtime")
    except (OSError, ValueError):
        pass
    return datetime.now().astimezone().tzinfo or UTC


def _utc(moment: datetime) -> datetime:
    # Aware datetimes in the same zone subtract as wall-clock times; compare real instants.
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment


class Schedule:
    """The schedule of one kiosk; ``state_at`` answers for any moment."""

    def __init__(
        self,
        opening: Hours,
        quiet: Hours,
        wake_before: timedelta = timedelta(minutes=15),
        restart_at: tuple[int, int] | None = None,
        quiet_volume_cap: float = 0.0,
        started: float | None = None,
        zone: tzinfo | None = None,
        problems: list[str] | None = None,
    ) -> None:
        self.opening = opening
        self.quiet = quiet
        self.wake_before = wake_before
        self.restart_at = restart_at
        self.quiet_volume_cap = quiet_volume_cap
        self.started = time.monotonic() if started is None else started
        self.zone = zone
        self.problems = problems or []

    @classmethod
    def from_settings(
        cls, settings: ScheduleSettings, *, strict: bool = True, started: float | None = None
    ) -> Schedule:
        """Build from ``kiosk.yaml``. Strict raises :class:`ScheduleError` naming every problem;
        lenient (what the running kiosk uses) leaves bad entries out and keeps ``problems``."""
        opening, problems = parse_hours(settings.opening_hours, "opening_hours", True)
        quiet, more = parse_hours(settings.quiet_hours, "quiet_hours", False)
        problems += more
        try:
            restart = parse_time_of_day(settings.nightly_restart)
        except ValueError as exc:
            problems.append(str(exc))
            restart = None
        if problems and strict:
            raise ScheduleError(problems)
        return cls(
            opening,
            quiet,
            timedelta(minutes=settings.wake_before_min),
            restart,
            settings.quiet_volume_cap,
            started,
            local_zone(),
            problems,
        )

    def state_at(self, now: datetime, monotonic: float) -> ScheduleState:
        """The state at local time ``now`` (naive wall-clock or aware) and a monotonic reading."""
        if now.year < EARLIEST_PLAUSIBLE_YEAR:
            return ScheduleState(open=True, quiet=False, restart_due=False)
        wall = now.replace(tzinfo=None)
        is_open = (
            not self.opening.given
            or self.opening.contains(wall)
            or self.opening.contains(wall + self.wake_before)
        )
        quiet = self.quiet.given and self.quiet.contains(wall)
        due = self._restart_due(now, monotonic, closed=not is_open or not self.opening.given)
        return ScheduleState(open=is_open, quiet=quiet, restart_due=due)

    def current(self) -> ScheduleState:
        """The state now, by the machine's clocks."""
        return self.state_at(datetime.now(self.zone), time.monotonic())

    def _restart_due(self, now: datetime, monotonic: float, closed: bool) -> bool:
        if self.restart_at is None or not closed:
            return False
        uptime = monotonic - self.started
        if uptime < RESTART_MIN_UPTIME_S:
            return False
        hour, minute = self.restart_at
        last = now.replace(hour=hour, minute=minute, second=0, microsecond=0, fold=0)
        if _utc(last) > _utc(now):
            last -= timedelta(days=1)
        since = (_utc(now) - _utc(last)).total_seconds()
        # Due when this process already ran at the last restart time, i.e. it started before it.
        return since <= RESTART_WINDOW_S and uptime > since

    def volume_cap(self, state: ScheduleState, normal_cap: float) -> float:
        """The highest volume allowed in this state."""
        return min(normal_cap, self.quiet_volume_cap) if state.quiet else normal_cap

    @staticmethod
    def captions_forced(state: ScheduleState) -> bool:
        """Captions must be on (quiet hours)."""
        return state.quiet

    def warnings(self) -> list[str]:
        """Settings that are valid but probably not what the technician meant."""
        out: list[str] = []
        if self.restart_at is not None and self.opening.given:
            h, m = self.restart_at
            days = [
                name
                for name, d in list(DAY_NAMES.items())[:7]
                if self.opening.contains(datetime(2024, 1, 1 + d, h, m))  # 2024-01-01 is a Monday
            ]
            if days:
                out.append(
                    f"schedule.nightly_restart {h:02d}:{m:02d} falls inside the opening hours on "
                    f"{', '.join(days)}; the kiosk restarts only while closed, so not on those days"
                )
        return out
