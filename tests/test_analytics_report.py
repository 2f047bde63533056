"""``kiosk stats`` and ``kiosk stats merge`` on a small, exactly known museum of two kiosks."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kiosk.analytics import (
    EndReason,
    ExplorerOpened,
    Fault,
    FaultKind,
    LanguageChosen,
    MirrorUsed,
    Recorder,
    RecorderOptions,
    Scene,
    SceneViewed,
    SegmentStarted,
    SegmentWatched,
    VisitEnded,
    VisitStarted,
)
from kiosk.analytics.report import build_report, percentile, report_for
from kiosk.analytics.schema import open_readonly
from kiosk.cli import main
from testkit.synthetic import ManualClock

SAT = dt.datetime(2026, 5, 9)  # a Saturday


def at(day: int, hour: int, minute: int = 0) -> float:
    return (SAT + dt.timedelta(days=day, hours=hour, minutes=minute)).timestamp()


class Script:
    """Writes visits at given local times through a real recorder."""

    def __init__(self, path: Path, kiosk: str) -> None:
        self.clock = ManualClock(at(0, 9))
        self.rec = Recorder(
            path,
            "2026.05",
            RecorderOptions(kiosk_id=kiosk, flush_s=0.05),
            monotonic=self.clock.monotonic,
            wall=self.clock.wall,
        )

    def go_to(self, t: float) -> None:
        self.clock.advance(t - self.clock.wall())

    def emit(self, *events: Any, gap: float = 10.0) -> None:
        for event in events:
            self.clock.advance(gap)
            self.rec.emit(event)

    def watch(self, slug: str, segment: str, watched: float, length: float) -> None:
        self.emit(SegmentStarted(slug, segment))
        self.clock.advance(watched)
        self.rec.emit(SegmentWatched(slug, segment, watched, length))


def build_museum(folder: Path) -> tuple[Path, Path]:
    """hall-1: three visits over two days; hall-2: one visit. Lengths in the comments
    (each event comes 10 s after the one before, a clip as long as it was watched)."""
    one, two = folder / "hall-1.db", folder / "hall-2.db"
    s = Script(one, "hall-1")
    s.go_to(at(0, 11, 0))  # Sat 11:00: 10+10+10 + 95 + 10+10+10 = 155 s
    s.emit(VisitStarted(), LanguageChosen("en"), ExplorerOpened("dezhnev"))
    s.watch("dezhnev", "voyage", 95.0, 95.0)
    s.emit(SceneViewed(Scene.MIRROR), MirrorUsed(30.0), VisitEnded(EndReason.IDLE), gap=10.0)
    s.emit(Fault(FaultKind.MEDIA, "decode error"))
    s.go_to(at(0, 12, 30))  # Sat 12:30: 10+10 + 40 + 10+10 + 120 + 10 = 210 s
    s.emit(VisitStarted(), ExplorerOpened("dezhnev"))
    s.watch("dezhnev", "voyage", 40.0, 95.0)
    s.emit(ExplorerOpened("laptev"))
    s.watch("laptev", "coast", 120.0, 120.0)
    s.emit(VisitEnded(EndReason.GOODBYE))
    s.go_to(at(1, 10, 15))  # Sun 10:15: 10+10+10+10 = 40 s
    s.emit(VisitStarted(), ExplorerOpened("dezhnev"), ExplorerOpened("dezhnev"))
    s.emit(LanguageChosen("ru"), VisitEnded(EndReason.GOODBYE))
    s.rec.close()
    s = Script(two, "hall-2")
    s.go_to(at(1, 14, 0))  # Sun 14:00: 10+10 + 130 + 10 = 160 s
    s.emit(VisitStarted(), ExplorerOpened("np-1"))
    s.watch("np-1", "drift", 130.0, 130.0)
    s.emit(VisitEnded(EndReason.GOODBYE))
    s.rec.close()
    return one, two


@pytest.fixture
def museum(tmp_path: Path) -> Path:
    one, two = build_museum(tmp_path)
    out = tmp_path / "museum.db"
    result = CliRunner().invoke(main, ["stats", "merge", str(one), str(two), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def table(report: Any, name: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = report.tables[name].records()
    return records


def test_the_report_answers_the_curators_questions(museum: Path) -> None:
    report = report_for(museum)
    s = report.summary
    assert (s["visits"], s["visits_ended"], s["kiosks"]) == (4, 4, 2)
    assert s["median_visit_s"] == percentile([155.0, 210.0, 40.0, 160.0], 50) == 157.5
    assert s["p90_visit_s"] == 195.0
    assert (s["mirror_uses"], s["faults"], s["explorers_opened"], s["segments_started"]) == (
        1,
        1,
        6,
        4,
    )
    assert s["first_event"].startswith("2026-05-09T11:00:10")
    assert table(report, "visits_per_day") == [
        {"day": "2026-05-09", "weekday": "Sat", "visits": 2},
        {"day": "2026-05-10", "weekday": "Sun", "visits": 2},
    ]
    hours = {r["hour"]: r["visits"] for r in table(report, "visits_per_hour")}
    assert hours == {"10:00": 1, "11:00": 1, "12:00": 1, "13:00": 0, "14:00": 1}
    assert report.heat == {(5, 11): 1, (5, 12): 1, (6, 10): 1, (6, 14): 1}
    ranking = table(report, "explorer_ranking")
    assert [(r["explorer"], r["opens"], r["visits"]) for r in ranking] == [
        ("dezhnev", 4, 3),  # opened twice in one visit: 4 opens, 3 visits
        ("laptev", 1, 1),
        ("np-1", 1, 1),
    ]
    assert ranking[0]["share_of_visits"] == 0.75
    assert ranking[0]["watched_min"] == round((95 + 40) / 60, 1)
    clips = {(r["explorer"], r["segment"]): r for r in table(report, "segment_completion")}
    assert clips["dezhnev", "voyage"]["started"] == 2
    assert clips["dezhnev", "voyage"]["completion_rate"] == 0.5
    assert clips["laptev", "coast"]["completion_rate"] == 1.0
    assert [(r["lang"], r["chosen"], r["share"]) for r in table(report, "languages")] == [
        ("en", 1, 0.5),
        ("ru", 1, 0.5),
    ]
    (mirror,) = table(report, "mirror")
    assert (mirror["uses"], mirror["share_of_visits"], mirror["median_s"]) == (1, 0.25, 30.0)
    assert [(r["kind"], r["faults"]) for r in table(report, "faults_by_kind")] == [("media", 1)]
    endings = {r["reason"]: r["visits"] for r in table(report, "visit_endings")}
    assert endings == {"goodbye": 3, "idle": 1}
    kiosks = table(report, "kiosks")
    assert [(k["kiosk"], k["visits"], k["releases"]) for k in kiosks] == [
        ("hall-1", 3, "2026.05"),
        ("hall-2", 1, "2026.05"),
    ]


def test_since_keeps_only_later_days(museum: Path) -> None:
    result = CliRunner().invoke(main, ["stats", "--db", str(museum), "--since", "2026-05-10"])
    assert result.exit_code == 0, result.output
    report = report_for(museum, "2026-05-10")
    assert report.summary["visits"] == 2
    assert [r["explorer"] for r in table(report, "explorer_ranking")] == ["dezhnev", "np-1"]


def test_terminal_json_csv_and_html(museum: Path, tmp_path: Path) -> None:
    html_file = tmp_path / "out" / "report.html"
    result = CliRunner().invoke(
        main,
        ["stats", "--db", str(museum), "--csv", str(tmp_path / "csv"), "--html", str(html_file)],
    )
    assert result.exit_code == 0, result.output
    for heading in (
        "Visits per day",
        "Explorers, most opened first",
        "Clips watched to the end",
        "Languages chosen",
        "The frost mirror",
        "Faults by kind",
        "Kiosks",
    ):
        assert heading in result.output  # fmt: skip
    assert "2 min 38 s" in result.output  # the median visit, as a person reads it

    data = json.loads(CliRunner().invoke(main, ["stats", "--db", str(museum), "--json"]).output)
    assert data["summary"]["visits"] == 4
    assert data["tables"]["explorer_ranking"][0]["explorer"] == "dezhnev"

    with (tmp_path / "csv" / "explorer_ranking.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["explorer"] == "dezhnev" and rows[0]["opens"] == "4"
    assert (tmp_path / "csv" / "summary.csv").exists()

    page = html_file.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    # One file, nothing to fetch: no links or sources outside the page.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//|file:)""", page)
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) >= 6
    assert all(base64.b64decode(i).startswith(b"\x89PNG\r\n\x1a\n") for i in images)
    assert "@media print" in page and "dezhnev" in page


def test_user_mistakes_are_one_clear_line(tmp_path: Path, museum: Path) -> None:
    runner = CliRunner()
    bad_since = runner.invoke(main, ["stats", "--db", str(museum), "--since", "last week"])
    assert bad_since.exit_code == 2 and "YYYY-MM-DD" in bad_since.output
    missing = runner.invoke(main, ["stats", "--db", str(tmp_path / "nope.db")])
    assert missing.exit_code == 2 and "no analytics database" in missing.output
    junk = tmp_path / "junk.db"
    junk.write_text("hello", encoding="utf-8")
    result = runner.invoke(main, ["stats", "--db", str(junk)])
    assert result.exit_code == 2 and "not a SQLite database" in result.output
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as con:
        con.execute("CREATE TABLE birds (name TEXT)")
    result = runner.invoke(main, ["stats", "--db", str(other)])
    assert result.exit_code == 2 and "not a kiosk analytics database" in result.output
    for mistake in (bad_since, missing, result):
        assert "Traceback" not in mistake.output
    same = runner.invoke(main, ["stats", "merge", str(museum), "-o", str(museum)])
    assert same.exit_code == 2 and "cannot also be a source" in same.output


def test_the_database_comes_from_the_settings(tmp_path: Path) -> None:
    rec = Recorder(tmp_path / "data" / "a.db", "r1")
    rec.emit(VisitStarted())
    rec.close()
    config = tmp_path / "kiosk.yaml"
    config.write_text("paths: {database: data/a.db}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["stats", "--config", str(config), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["summary"]["visits"] == 1


def test_an_empty_database_and_a_live_one(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    Recorder(path, "r1").close()
    result = CliRunner().invoke(main, ["stats", "--db", str(path)])
    assert result.exit_code == 0 and "(nothing recorded)" in result.output
    html = CliRunner().invoke(
        main, ["stats", "--db", str(path), "--html", str(tmp_path / "e.html")]
    )
    assert html.exit_code == 0, html.output
    # A kiosk writing at this moment: the report reads alongside and changes nothing.
    rec = Recorder(path, "r1", RecorderOptions(flush_s=0.05))
    rec.emit(VisitStarted())
    assert rec.flush()
    data = json.loads(CliRunner().invoke(main, ["stats", "--db", str(path), "--json"]).output)
    assert data["summary"]["visits"] == 1
    rec.emit(VisitEnded(EndReason.GOODBYE))
    assert rec.flush()
    rec.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_merging_again_never_counts_twice(tmp_path: Path) -> None:
    one, two = build_museum(tmp_path)
    before = {p: digest(p) for p in (one, two)}
    runner = CliRunner()
    out = tmp_path / "museum.db"
    first = runner.invoke(main, ["stats", "merge", str(one), str(two), "-o", str(out)])
    assert first.exit_code == 0, first.output
    assert re.search(r"hall-1\.db: \d+ events \(hall-1\), \d+ new", first.output)
    events = len(open_readonly(out).execute("SELECT * FROM events").fetchall())
    again = runner.invoke(main, ["stats", "merge", str(two), str(one), "-o", str(out)])
    assert again.exit_code == 0 and again.output.count("), 0 new") == 2, again.output
    assert {p: digest(p) for p in (one, two)} == before  # sources are only read
    # hall-1 goes on recording; the next merge adds only what is new.
    s = Script(one, "hall-1")
    s.go_to(at(2, 11))
    s.emit(VisitStarted(), VisitEnded(EndReason.IDLE))
    s.rec.close()
    third = runner.invoke(main, ["stats", "merge", str(one), "-o", str(out)])
    assert "), 2 new" in third.output  # 2 events, and the same run's old ones ignored
    # A merged file merged into another with one of its own sources: still no double count.
    bigger = tmp_path / "region.db"
    result = runner.invoke(
        main, ["stats", "merge", str(out), str(one), str(two), "-o", str(bigger)]
    )
    assert result.exit_code == 0, result.output
    with sqlite3.connect(bigger) as con:
        assert con.execute("SELECT count(*) FROM events").fetchone()[0] == events + 2
        by_kiosk = dict(
            con.execute(
                "SELECT kiosk, count(*) FROM events WHERE event = 'visit_started' GROUP BY kiosk"
            ).fetchall()
        )
        assert by_kiosk == {"hall-1": 4, "hall-2": 1}
        merges = con.execute("SELECT source, events_added FROM merges ORDER BY id").fetchall()
    assert [m[0] for m in merges] == ["museum.db", "hall-1.db", "hall-2.db"]
    assert [m[1] for m in merges][1:] == [0, 0]


def test_plain_sqlite_reads_every_view(museum: Path) -> None:
    """What Datasette does: open the file, list tables and views, run their SQL as is."""
    con = sqlite3.connect(f"file:{museum}?mode=ro", uri=True)
    views = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'view'")]
    assert set(views) == {
        "visits",
        "visits_per_day",
        "explorer_ranking",
        "segment_completion",
        "language_shares",
        "faults_by_kind",
    }
    for view in views:
        con.execute(f"SELECT * FROM {view}").fetchall()
    assert con.execute("SELECT count(*) FROM visits").fetchone()[0] == 4
    top = con.execute("SELECT explorer, opens, visits FROM explorer_ranking LIMIT 1").fetchone()
    assert top == ("dezhnev", 4, 3)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_report_queries_read_ranges_not_the_whole_table(museum: Path) -> None:
    con = open_readonly(museum)
    statements: list[str] = []
    con.set_trace_callback(statements.append)
    build_report(con, "2026-05-01")
    con.set_trace_callback(None)
    assert len(statements) >= 8 and "'2026-05-01'" in statements[-1]  # values filled in
    full_scans = []
    for sql in statements:
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        plan = " / ".join(r[-1] for r in con.execute(f"EXPLAIN QUERY PLAN {sql}"))
        if re.search(r"SCAN events(?! USING COVERING INDEX)", plan):
            full_scans.append((sql, plan))
    # Only the total event count may read every row.
    assert [s for s, _ in full_scans if "count(*) FROM events WHERE ts" not in s] == []
    assert len(full_scans) == 1
