"""What the curators asked, answered from the analytics database: a :class:`Report` of tables.

Each table is plain data (columns with a unit, rows of numbers and names), so the same report
becomes terminal tables, JSON, CSV files or an HTML page (:mod:`kiosk.analytics.render`,
:mod:`kiosk.analytics.htmlreport`). Every query asks for events of one name (``events.event``),
maybe since a date, which the ``events_by_event`` index answers without reading the whole file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from kiosk.analytics.schema import COMPLETE_SHARE
from kiosk.analytics.tables import Column, Report, Table

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def parse_since(text: str | None) -> str | None:
    """Check a ``--since`` value (a date, or a date and time); return it as ISO text."""
    if text is None or not text.strip():
        return None
    raw = text.strip()
    try:
        if len(raw) <= 10:
            return dt.date.fromisoformat(raw).isoformat()
        return dt.datetime.fromisoformat(raw).isoformat(timespec="seconds")[:19]
    except ValueError:
        raise ValueError(f"--since {raw!r}: write a date as YYYY-MM-DD, e.g. 2026-05-01") from None


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0..100), interpolated linearly as numpy's default does."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _pct(values: list[float], q: float) -> float | None:
    value = percentile(values, q)
    return None if value is None else round(value, 1)


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


class _Q:
    """Queries over one database with an optional ``since`` filter."""

    def __init__(self, db: sqlite3.Connection, since: str | None) -> None:
        self.db = db
        self.since = since or ""

    def rows(self, event: str, select: str, tail: str = "") -> list[tuple[Any, ...]]:
        """``SELECT select`` over the events named ``event`` (one range of the primary key)."""
        sql = f"SELECT {select} FROM events WHERE event = ? AND ts >= ? {tail}"
        return list(self.db.execute(sql, [event, self.since]).fetchall())

    def by_explorer(self, event: str, select: str, group: str) -> list[tuple[Any, ...]]:
        """Grouped by explorer (and more), read in order from the ``events_by_explorer`` index.

        ``+ts`` keeps the planner off the primary key's ts range, so the grouping needs no sort.
        """
        sql = (
            f"SELECT {select} FROM events WHERE event = ? AND explorer IS NOT NULL "
            f"AND +ts >= ? GROUP BY {group}"
        )
        return list(self.db.execute(sql, [event, self.since]).fetchall())


def build_report(db: sqlite3.Connection, since: str | None = None, source: str = "") -> Report:
    """Answer every question over ``db`` (events at or after ``since``, local time)."""
    q = _Q(db, since)
    tables: dict[str, Table] = {}
    if since:
        total_sql, params = "SELECT count(*) FROM events WHERE ts >= ?", [since]
    else:
        total_sql, params = "SELECT count(*) FROM events", []
    events_total = int(db.execute(total_sql, params).fetchone()[0])

    # Visits by day and hour (from the start of each visit), and by kiosk.
    by_day: Counter[str] = Counter()
    by_hour: Counter[int] = Counter()
    heat: Counter[tuple[int, int]] = Counter()
    kiosks: dict[str, list[Any]] = {}
    kiosk_days: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for kiosk, release, day_hour, n, first_ts, last_ts in q.rows(
        "visit_started",
        "kiosk, release, substr(ts, 1, 13) AS dh, count(*), min(ts), max(ts)",
        "GROUP BY kiosk, release, dh",
    ):
        day, hour = day_hour[:10], int(day_hour[11:13])
        by_day[day] += n
        by_hour[hour] += n
        kiosk_days[kiosk][day] += n
        with contextlib.suppress(ValueError):
            heat[(dt.date.fromisoformat(day).weekday(), hour)] += n
        k = kiosks.setdefault(kiosk, [kiosk, 0, first_ts, last_ts, set()])
        k[1] += n
        k[2], k[3] = min(k[2], first_ts), max(k[3], last_ts)
        k[4].add(release)
    visits = sum(by_day.values())
    first = min((k[2] for k in kiosks.values()), default=None)
    last = max((k[3] for k in kiosks.values()), default=None)

    tables["visits_per_day"] = Table(
        "visits_per_day",
        "Visits per day",
        (Column("day", "Day", "text"), Column("weekday", "", "text"), Column("visits", "Visits")),
        tuple((d, _weekday(d), by_day[d]) for d in sorted(by_day)),
        terminal_rows=31,
    )
    by_month: Counter[str] = Counter()
    open_days: Counter[str] = Counter()
    for day, n in by_day.items():
        by_month[day[:7]] += n
        open_days[day[:7]] += 1
    tables["visits_per_month"] = Table(
        "visits_per_month",
        "Visits per month",
        (
            Column("month", "Month", "text"),
            Column("visits", "Visits"),
            Column("days", "Days with visits"),
            Column("per_day", "Visits per day", "num"),
        ),
        tuple(
            (m, by_month[m], open_days[m], round(by_month[m] / open_days[m], 1))
            for m in sorted(by_month)
        ),
    )
    hours = [h for h in range(24) if by_hour[h]]
    tables["visits_per_hour"] = Table(
        "visits_per_hour",
        "Visits by hour of the day",
        (
            Column("hour", "Hour", "text"),
            Column("visits", "Visits"),
            Column("share", "Share", "share"),
        ),
        tuple(
            (f"{h:02d}:00", by_hour[h], _share(by_hour[h], visits))
            for h in (range(min(hours), max(hours) + 1) if hours else ())
        ),
        "Hour of the kiosk's local time when each visit began.",
    )

    ended = q.rows("visit_ended", "seconds, reason")
    lengths = [float(r[0]) for r in ended if r[0] is not None]
    reasons = Counter(r[1] for r in ended)
    tables["visit_endings"] = Table(
        "visit_endings",
        "How visits ended",
        (
            Column("reason", "Reason", "text"),
            Column("visits", "Visits"),
            Column("share", "Share", "share"),
        ),
        tuple((r, n, _share(n, len(ended))) for r, n in reasons.most_common()),
        "idle: nobody touched the screen until the countdown ran out; goodbye: the visitor "
        "finished; shutdown: the kiosk stopped during a visit.",
    )

    # Explorers: how often opened, in how many visits, and how much of them was watched.
    watched = q.by_explorer(
        "segment_watched",
        f"explorer, segment, count(*), sum(seconds >= {COMPLETE_SHARE} * length_s), "
        "sum(seconds), avg(CASE WHEN length_s > 0 THEN seconds / length_s END)",
        "explorer, segment",
    )
    watch_min: defaultdict[str, float] = defaultdict(float)
    for explorer, _, _, _, total_s, _ in watched:
        watch_min[explorer] += (total_s or 0.0) / 60.0
    # Opens per (explorer, visit) in index order, then per explorer: opens, and visits.
    opened_n: Counter[str] = Counter()
    opened_visits: Counter[str] = Counter()
    for explorer, n, n_visits in q.db.execute(
        "SELECT explorer, sum(n), count(*) FROM (SELECT explorer, count(*) AS n FROM events "
        "WHERE event = 'explorer_opened' AND explorer IS NOT NULL AND +ts >= ? "
        "GROUP BY explorer, segment, run, visit) GROUP BY explorer",
        [q.since],
    ):
        opened_n[explorer] += n
        opened_visits[explorer] += n_visits
    opened = sorted(opened_n.items(), key=lambda kv: (-kv[1], kv[0]))
    tables["explorer_ranking"] = Table(
        "explorer_ranking",
        "Explorers, most opened first",
        (
            Column("rank", "#"),
            Column("explorer", "Explorer", "text"),
            Column("opens", "Opened"),
            Column("visits", "Visits"),
            Column("share_of_visits", "Of all visits", "share"),
            Column("watched_min", "Watched", "min"),
        ),
        tuple(
            (
                i,
                slug,
                opens,
                opened_visits[slug],
                _share(opened_visits[slug], visits),
                round(watch_min.get(slug, 0.0), 1),
            )
            for i, (slug, opens) in enumerate(opened, 1)
        ),
        "Visits: how many visits opened the explorer at least once.",
    )

    started = {
        (e, s): n
        for e, s, n in q.by_explorer(
            "segment_started", "explorer, segment, count(*)", "explorer, segment"
        )
    }
    done = {(e, s): (n, c or 0, share) for e, s, n, c, _, share in watched}
    seg_rows = []
    for key in sorted(set(started) | set(done)):
        n_start = started.get(key, 0)
        n_watch, n_done, mean_share = done.get(key, (0, 0, None))
        base = max(n_start, n_watch)
        seg_rows.append(
            (
                key[0],
                key[1],
                base,
                n_done,
                _share(n_done, base),
                None if mean_share is None else round(float(mean_share), 4),
            )
        )
    seg_rows.sort(key=lambda r: (-(r[4] or 0.0), r[0], r[1]))
    tables["segment_completion"] = Table(
        "segment_completion",
        "Clips watched to the end",
        (
            Column("explorer", "Explorer", "text"),
            Column("segment", "Clip", "text"),
            Column("started", "Started"),
            Column("completed", "To the end"),
            Column("completion_rate", "Completion", "share"),
            Column("mean_watched_share", "Watched on average", "share"),
        ),
        tuple(seg_rows),
        f"A clip counts as watched to the end when the visitor saw {COMPLETE_SHARE:.0%} of it.",
    )

    langs = q.rows(
        "language_chosen",
        "lang, count(*), count(DISTINCT run || ':' || visit)",
        "GROUP BY lang ORDER BY 2 DESC, 1",
    )
    total_lang = sum(r[1] for r in langs)
    tables["languages"] = Table(
        "languages",
        "Languages chosen",
        (
            Column("lang", "Language", "text"),
            Column("chosen", "Chosen"),
            Column("visits", "Visits"),
            Column("share", "Share", "share"),
        ),
        tuple((lang, n, v, _share(n, total_lang)) for lang, n, v in langs),
    )
    captions = dict(q.rows("captions_toggled", "captions, count(*)", "GROUP BY captions"))

    mirror = q.rows("mirror_used", "seconds, run, visit")
    mirror_s = [r[0] for r in mirror if r[0] is not None]
    mirror_visits = len({(r[1], r[2]) for r in mirror if r[2] is not None})
    tables["mirror"] = Table(
        "mirror",
        "The frost mirror",
        (
            Column("uses", "Uses"),
            Column("visits", "Visits with it"),
            Column("share_of_visits", "Of all visits", "share"),
            Column("median_s", "Median use", "s"),
            Column("p90_s", "90% shorter than", "s"),
            Column("total_min", "Total", "min"),
        ),
        (
            (
                len(mirror),
                mirror_visits,
                _share(mirror_visits, visits),
                _pct(mirror_s, 50),
                _pct(mirror_s, 90),
                round(sum(mirror_s) / 60.0, 1),
            ),
        )
        if mirror
        else (),
        "Only how long the mirror was used is recorded: never a picture.",
    )

    fault_rows = q.rows(
        "fault", "fault, reason, count(*), max(ts)", "GROUP BY fault, reason ORDER BY 3 DESC, 1, 2"
    )
    by_kind: dict[str, list[Any]] = {}
    for kind, reason, n, seen in fault_rows:
        entry = by_kind.setdefault(kind, [kind, 0, "", reason])
        entry[1] += n
        entry[2] = max(entry[2], seen)
    tables["faults_by_kind"] = Table(
        "faults_by_kind",
        "Faults by kind",
        (
            Column("kind", "Kind", "text"),
            Column("faults", "Faults"),
            Column("last_seen", "Last seen", "time"),
            Column("top_reason", "Top reason", "text"),
        ),
        tuple(sorted((tuple(v) for v in by_kind.values()), key=lambda r: -r[1])),
    )
    tables["fault_reasons"] = Table(
        "fault_reasons",
        "Fault reasons",
        (
            Column("kind", "Kind", "text"),
            Column("reason", "Reason", "text"),
            Column("faults", "Faults"),
            Column("last_seen", "Last seen", "time"),
        ),
        tuple(fault_rows[:25]),
    )

    tables["kiosks"] = Table(
        "kiosks",
        "Kiosks",
        (
            Column("kiosk", "Kiosk", "text"),
            Column("visits", "Visits"),
            Column("first", "First visit", "text"),
            Column("last", "Last visit", "text"),
            Column("releases", "Content releases", "text"),
        ),
        tuple(
            (k, n, f[:16].replace("T", " "), la[:16].replace("T", " "), ", ".join(sorted(rel)))
            for k, n, f, la, rel in sorted(kiosks.values())
        ),
    )

    summary: dict[str, Any] = {
        "database": source,
        "since": since,
        "first_event": first,
        "last_event": last,
        "kiosks": len(kiosks),
        "events": events_total,
        "visits": visits,
        "visits_ended": len(lengths),
        "median_visit_s": _pct(lengths, 50),
        "p90_visit_s": _pct(lengths, 90),
        "mean_visit_s": round(sum(lengths) / len(lengths), 1) if lengths else None,
        "explorers_opened": sum(opened_n.values()),
        "segments_started": sum(started.values()),
        "mirror_uses": len(mirror),
        "captions_on": captions.get(1, 0),
        "captions_off": captions.get(0, 0),
        "faults": sum(v[1] for v in by_kind.values()),
    }
    return Report(
        summary,
        tables,
        tuple(lengths),
        dict(heat),
        {k: dict(days) for k, days in kiosk_days.items()},
    )


def _weekday(day: str) -> str:
    try:
        return WEEKDAYS[dt.date.fromisoformat(day).weekday()]
    except ValueError:
        return ""


def report_for(path: Path, since: str | None = None) -> Report:
    """Open ``path`` read-only and build its report. Raises schema.SchemaError."""
    from kiosk.analytics.schema import open_readonly

    db = open_readonly(path)
    try:
        return build_report(db, since, source=path.name)
    finally:
        db.close()
