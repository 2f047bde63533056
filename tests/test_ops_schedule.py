"""Opening hours, quiet hours and the nightly restart at many moments, DST and clock jumps too."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kiosk.ops.schedule import Schedule, ScheduleError, ScheduleState, local_zone
from kiosk.settings import ScheduleSettings

BERLIN = ZoneInfo("Europe/Berlin")
HOUR = 3600.0


def make(**kw: object) -> Schedule:
    kw.setdefault("wake_before_min", 0.0)
    return Schedule.from_settings(ScheduleSettings(**kw), started=0.0)  # type: ignore[arg-type]


def is_open(s: Schedule, when: str) -> bool:
    return s.state_at(datetime.fromisoformat(when), 0.0).open


def test_no_settings_means_always_open_never_quiet_never_restart() -> None:
    s = make()
    for when in ("2025-06-02 03:00", "2025-06-07 12:00", "2025-12-31 23:59"):
        assert s.state_at(datetime.fromisoformat(when), 10 * 24 * HOUR) == (True, False, False)


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2025-06-02 09:44", False),  # Monday, before the 15 minutes of wake-up
        ("2025-06-02 09:45", True),  # screen back before opening
        ("2025-06-02 10:00", True),
        ("2025-06-02 17:59", True),
        ("2025-06-02 18:00", False),
        ("2025-06-06 12:00", True),  # Friday
        ("2025-06-07 12:00", True),  # Saturday, 11-17
        ("2025-06-07 10:30", False),
        ("2025-06-07 10:45", True),
        ("2025-06-07 17:00", False),
        ("2025-06-08 16:59", True),  # Sunday
        ("2025-06-08 00:00", False),
    ],
)
def test_opening_hours_with_wake_up(when: str, expected: bool) -> None:
    s = make(opening_hours=["mon-fri 10:00-18:00", "sat,sun 11:00-17:00"], wake_before_min=15.0)
    assert is_open(s, when) is expected


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2025-06-06 19:59", False),  # Friday evening, before
        ("2025-06-06 20:00", True),
        ("2025-06-06 23:59", True),
        ("2025-06-07 00:00", True),  # past midnight: Friday's range goes on
        ("2025-06-07 01:59", True),
        ("2025-06-07 02:00", False),
        ("2025-06-07 21:00", True),  # Saturday's own range
        ("2025-06-08 01:00", True),  # ... running into Sunday
        ("2025-06-08 21:00", False),  # Sunday has no range
        ("2025-06-09 01:00", False),
        ("2025-06-06 01:00", False),  # Thursday had none to run over
    ],
)
def test_hours_that_span_midnight(when: str, expected: bool) -> None:
    assert is_open(make(opening_hours=["fri,sat 20:00-02:00"]), when) is expected


def test_dated_entries_replace_the_week_and_closed_days() -> None:
    s = make(
        opening_hours=[
            "daily 10:00-18:00",
            "mon closed",
            "2025-12-31 10:00-14:00",
            "2026-01-01 closed",
        ]
    )
    assert not is_open(s, "2025-12-29 12:00")  # a Monday
    assert is_open(s, "2025-12-30 12:00")
    assert is_open(s, "2025-12-31 13:59") and not is_open(s, "2025-12-31 14:00")
    assert not is_open(s, "2026-01-01 12:00")
    assert is_open(s, "2026-01-02 12:00")


def test_only_exceptions_leave_every_other_day_open() -> None:
    s = make(opening_hours=["2026-01-01 closed", "tue closed"])
    assert not is_open(s, "2026-01-01 12:00")
    assert not is_open(s, "2026-01-06 12:00")  # a Tuesday
    assert is_open(s, "2026-01-02 03:00")


def test_day_names_ranges_and_several_spans() -> None:
    s = make(opening_hours=["fri-mon 10:00-13:00, 14:00-18:00", "ср 09:00-10:00"])
    assert is_open(s, "2025-06-09 12:00")  # Monday, inside the wrapped range
    assert not is_open(s, "2025-06-09 13:30")  # lunch
    assert is_open(s, "2025-06-09 14:30")
    assert not is_open(s, "2025-06-10 12:00")  # Tuesday
    assert is_open(s, "2025-06-11 09:30")  # Wednesday in Russian
    assert is_open(make(opening_hours=["пн-пт 10:00-18:00"]), "2025-06-13 10:00")
    assert is_open(make(opening_hours=["monday 10:00-18:00"]), "2025-06-09 10:00")


def test_quiet_hours_cap_volume_and_force_captions() -> None:
    s = make(quiet_hours=["mon-fri 09:00-12:00"], quiet_volume_cap=0.2)
    quiet = s.state_at(datetime(2025, 6, 2, 10, 0), 0.0)
    loud = s.state_at(datetime(2025, 6, 2, 12, 0), 0.0)
    assert quiet == ScheduleState(True, True, False)
    assert not loud.quiet
    assert s.volume_cap(quiet, 0.9) == 0.2 and s.volume_cap(loud, 0.9) == 0.9
    assert s.captions_forced(quiet) and not s.captions_forced(loud)
    assert make(quiet_hours=["daily 00:00-24:00"]).volume_cap(quiet, 0.9) == 0.0  # muted


def test_a_clock_that_was_never_set_means_open() -> None:
    s = make(
        opening_hours=["mon-fri 10:00-18:00"],
        quiet_hours=["daily 00:00-24:00"],
        nightly_restart="03:30",
    )
    state = s.state_at(datetime(1970, 1, 1, 3, 31), 30 * 24 * HOUR)
    assert state == ScheduleState(open=True, quiet=False, restart_due=False)
    aware = s.state_at(datetime(1970, 1, 1, 0, 0, 12, tzinfo=BERLIN), 5 * HOUR)
    assert aware.open and not aware.restart_due


def test_wall_clock_hours_on_the_days_the_clocks_change() -> None:
    s = make(opening_hours=["daily 10:00-18:00"], quiet_hours=["daily 01:00-02:30"])
    for day in (datetime(2025, 3, 30), datetime(2025, 10, 26)):  # spring forward, fall back
        opens = [
            s.state_at(day.replace(hour=h, minute=m, tzinfo=BERLIN), 0.0).open
            for h, m in ((9, 59), (10, 0), (17, 59), (18, 0))
        ]
        assert opens == [False, True, True, False]
    # Spring: 02:00-03:00 does not exist; 01:59 CET is quiet, the next minute is 03:00 CEST.
    spring = datetime(2025, 3, 30, 1, 59, tzinfo=BERLIN)
    assert s.state_at(spring, 0.0).quiet
    after = (spring.astimezone(ZoneInfo("UTC")) + timedelta(minutes=1)).astimezone(BERLIN)
    assert after.hour == 3 and not s.state_at(after, 0.0).quiet
    # Autumn: 02:15 happens twice; both are inside the quiet hours.
    for fold in (0, 1):
        assert s.state_at(datetime(2025, 10, 26, 2, 15, fold=fold, tzinfo=BERLIN), 0.0).quiet


class Machine:
    """A kiosk process over real time: a schedule, a monotonic clock and restarts."""

    def __init__(self, settings: ScheduleSettings, start_utc: datetime, zone: ZoneInfo) -> None:
        self.settings = settings
        self.zone = zone
        self.start_utc = start_utc
        self.mono = 1000.0
        self.offset = timedelta(0)  # how wrong the wall clock is
        self.restarts: list[datetime] = []
        self.mono_at: dict[datetime, float] = {}
        self.schedule = Schedule.from_settings(settings, started=self.mono)

    def run(self, hours: float, step_s: float = 60.0) -> None:
        for _ in range(int(hours * 3600 / step_s)):
            self.mono += step_s
            real = self.start_utc + timedelta(seconds=self.mono - 1000.0)
            wall = (real + self.offset).astimezone(self.zone)
            if self.schedule.state_at(wall, self.mono).restart_due:
                self.restarts.append(wall)
                self.mono_at[wall] = self.mono
                self.schedule = Schedule.from_settings(self.settings, started=self.mono)


def utc(year: int, month: int, day: int, hour: int) -> datetime:
    return datetime(year, month, day, hour, tzinfo=ZoneInfo("UTC"))


def test_nightly_restart_happens_once_a_night() -> None:
    m = Machine(ScheduleSettings(nightly_restart="03:30"), utc(2025, 6, 2, 10), BERLIN)
    m.run(hours=72)
    assert [(r.day, r.hour, r.minute) for r in m.restarts] == [(3, 3, 30), (4, 3, 30), (5, 3, 30)]


def test_nightly_restart_waits_for_closing_time() -> None:
    settings = ScheduleSettings(opening_hours=["daily 00:00-04:00"], nightly_restart="03:30")
    m = Machine(settings, utc(2025, 6, 2, 10), BERLIN)
    m.run(hours=48)
    # 03:30 is still open; at closing time, half an hour late, the restart is still due.
    assert [(r.hour, r.minute) for r in m.restarts] == [(4, 0), (4, 0)]
    assert make(opening_hours=["daily 00:00-04:00"], nightly_restart="03:30").warnings()


def test_nightly_restart_over_both_dst_changes() -> None:
    for start in (utc(2025, 3, 29, 10), utc(2025, 10, 25, 10)):
        m = Machine(ScheduleSettings(nightly_restart="02:30"), start, BERLIN)
        m.run(hours=24)
        assert len(m.restarts) == 1, m.restarts  # autumn's second 02:30 does not restart again


def test_clock_jumps_never_cause_a_restart_loop() -> None:
    m = Machine(ScheduleSettings(nightly_restart="03:30"), utc(2025, 6, 2, 10), BERLIN)
    m.run(hours=13)  # Tuesday 01:00
    m.offset = timedelta(hours=3)  # NTP arrives: the clock leaps over 03:30 to 04:00
    m.run(hours=2)
    m.offset = -timedelta(hours=1)  # and a technician sets it back: 03:30 comes round again
    m.run(hours=30)
    real = [m.mono_at[r] for r in m.restarts]
    assert 2 <= len(real) <= 4, m.restarts  # the two nights, plus at most one for the jump
    gaps = [b - a for a, b in itertools.pairwise(real)]
    assert all(g >= HOUR for g in gaps), m.restarts  # never one right after another


def test_a_fresh_process_does_not_restart() -> None:
    s = Schedule.from_settings(ScheduleSettings(nightly_restart="03:30"), started=0.0)
    at = datetime(2025, 6, 3, 3, 45, tzinfo=BERLIN)
    assert not s.state_at(at, 30 * 60).restart_due  # up for half an hour
    assert s.state_at(at, 20 * HOUR).restart_due
    assert not s.state_at(at.replace(hour=6), 20 * HOUR).restart_due  # missed by too much


def test_bad_entries_are_named_strictly_and_skipped_leniently() -> None:
    settings = ScheduleSettings(
        opening_hours=[
            "mon-fri 10:00-18:00",
            "mon-fry 10:00-18:00",
            "25:00-26:00",
            "sat 10:00-10:00",
            "2025-13-01 closed",
            "sun",
        ],
        nightly_restart="210",
    )
    with pytest.raises(ScheduleError) as info:
        Schedule.from_settings(settings)
    problems = info.value.problems
    assert [p.split(":")[0] for p in problems] == [
        *(f"schedule.opening_hours[{i}]" for i in (1, 2, 3, 4, 5)),
        "schedule.nightly_restart",
    ]
    assert "'fry' is not a day" in problems[0] or "'mon-fry' is not a day" in problems[0]
    assert "in quotes" in problems[-1]
    lenient = Schedule.from_settings(settings, strict=False)
    assert lenient.problems == problems
    assert lenient.state_at(datetime(2025, 6, 2, 12), 0.0).open
    assert not lenient.state_at(datetime(2025, 6, 7, 12), 0.0).open


def test_local_zone_follows_tz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Yakutsk")
    assert str(local_zone()) == "Asia/Yakutsk"
    monkeypatch.setenv("TZ", "Nowhere/Atlantis")
    assert local_zone() is not None
