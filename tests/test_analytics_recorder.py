"""Scripted visits through the recorder, and the rows they leave in the database.

``ScriptedVisitor`` emits what the visitor UI's scenes emit for each thing a visitor does, on a
manual clock, so visit lengths and times are exact.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from kiosk import settings as settings_mod
from kiosk.analytics import (
    CaptionsToggled,
    EndReason,
    ExplorerOpened,
    Fault,
    FaultKind,
    LanguageChosen,
    MirrorUsed,
    NullRecorder,
    Recorder,
    RecorderOptions,
    Scene,
    SceneViewed,
    SegmentStarted,
    SegmentWatched,
    VisitEnded,
    VisitStarted,
    open_recorder,
    schema,
)
from kiosk.analytics.localtime import LocalTimeFormatter, utc_offset
from testkit.synthetic import ManualClock


def local_iso(t: float) -> str:
    """The reference for row timestamps: local ISO 8601, milliseconds, UTC offset."""
    lt = time.localtime(t)
    ms = int((t - int(t)) * 1000)
    return f"{time.strftime('%Y-%m-%dT%H:%M:%S', lt)}.{ms:03d}{utc_offset(lt.tm_gmtoff or 0)}"


START = dt.datetime(2026, 5, 9, 11, 0, 0).timestamp()  # a Saturday, local time
FAST = RecorderOptions(flush_s=0.05, retry_s=0.02, retry_max_s=0.1, busy_timeout_s=0.05)


class ScriptedVisitor:
    """Does what a visitor does, emitting the events the UI's scenes emit for it."""

    def __init__(self, recorder: Recorder, clock: ManualClock) -> None:
        self.rec = recorder
        self.clock = clock

    def wait(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def touch(self) -> None:
        """A touch wakes the attract loop: the visit starts, the gallery shows."""
        self.rec.emit(VisitStarted())
        self.rec.emit(SceneViewed(Scene.GALLERY))

    def language(self, lang: str) -> None:
        self.wait(2)
        self.rec.emit(LanguageChosen(lang))

    def captions(self, on: bool) -> None:
        self.wait(1)
        self.rec.emit(CaptionsToggled(on))

    def open(self, slug: str) -> None:
        self.wait(5)
        self.rec.emit(ExplorerOpened(slug))
        self.rec.emit(SceneViewed(Scene.EXPLORER))

    def watch(self, slug: str, segment: str, length: float, watched: float) -> None:
        self.wait(1)
        self.rec.emit(SegmentStarted(slug, segment))
        self.wait(watched)
        self.rec.emit(SegmentWatched(slug, segment, watched, length))

    def back_to_gallery(self) -> None:
        self.wait(2)
        self.rec.emit(SceneViewed(Scene.GALLERY))

    def mirror(self, seconds: float) -> None:
        self.wait(2)
        self.rec.emit(SceneViewed(Scene.MIRROR))
        self.wait(seconds)
        self.rec.emit(MirrorUsed(seconds))
        self.rec.emit(SceneViewed(Scene.GALLERY))

    def walk_away(self, idle_s: float = 90.0, countdown_s: float = 15.0) -> None:
        """Nobody touches: 'still there?', the countdown, then the attract loop."""
        self.wait(idle_s)
        self.rec.emit(SceneViewed(Scene.STILL_THERE))
        self.wait(countdown_s)
        self.rec.emit(VisitEnded(EndReason.IDLE))
        self.rec.emit(SceneViewed(Scene.ATTRACT))

    def goodbye(self) -> None:
        self.wait(1)
        self.rec.emit(VisitEnded(EndReason.GOODBYE))
        self.rec.emit(SceneViewed(Scene.ATTRACT))


def rows(path: Path, where: str = "1") -> list[dict[str, Any]]:
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        return [
            dict(r)
            for r in db.execute(f"SELECT * FROM events WHERE {where} ORDER BY run, seq").fetchall()
        ]


def make(path: Path, release: str = "2026.05", **options: Any) -> tuple[Recorder, ManualClock]:
    clock = ManualClock(START)
    opts = RecorderOptions(**{**FAST.__dict__, **options})
    return Recorder(path, release, opts, monotonic=clock.monotonic, wall=clock.wall), clock


def test_two_scripted_visits_leave_exactly_their_events(tmp_path: Path) -> None:
    path = tmp_path / "analytics.db"
    rec, clock = make(path)
    visitor = ScriptedVisitor(rec, clock)
    # Visit 1: switches to English, watches a clip to the end and half of another, uses the
    # mirror, then walks away.
    visitor.touch()
    visitor.language("en")
    visitor.captions(False)
    visitor.open("dezhnev")
    visitor.watch("dezhnev", "voyage", length=95.0, watched=95.0)
    visitor.watch("dezhnev", "cape", length=60.0, watched=30.0)
    visitor.back_to_gallery()
    visitor.mirror(25.0)
    visitor.walk_away()
    rec.emit(Fault(FaultKind.CAMERA, "camera not found"))  # between visits
    # Visit 2: a quick look, then goodbye.
    visitor.wait(600)
    visitor.touch()
    visitor.open("np-1")
    visitor.goodbye()
    assert rec.flush()
    status = rec.status()
    assert (status.state, status.problem, status.pending, status.dropped) == ("ok", "", 0, 0)
    rec.close()

    got = rows(path)
    events = [r["event"] for r in got]
    assert events == [
        "visit_started", "scene_viewed", "language_chosen", "captions_toggled",
        "explorer_opened", "scene_viewed", "segment_started", "segment_watched",
        "segment_started", "segment_watched", "scene_viewed", "scene_viewed", "mirror_used",
        "scene_viewed", "scene_viewed", "visit_ended", "scene_viewed", "fault",
        "visit_started", "scene_viewed", "explorer_opened", "scene_viewed", "visit_ended",
        "scene_viewed",
    ]  # fmt: skip
    assert [r["seq"] for r in got] == list(range(1, len(got) + 1))
    assert len({r["run"] for r in got}) == 1
    assert {r["release"] for r in got} == {"2026.05"}
    kiosk = {r["kiosk"] for r in got}
    assert len(kiosk) == 1 and next(iter(kiosk)).startswith("kiosk-")
    # Visit numbers: 1 then 2; the fault between visits belongs to none, nor does the attract
    # scene after a visit has ended.
    assert [r["visit"] for r in got[:17]] == [1] * 16 + [None]
    assert got[17]["visit"] is None and got[17]["fault"] == "camera" and got[17]["event"] == "fault"
    assert [r["visit"] for r in got[18:23]] == [2] * 5
    ended = [r for r in got if r["event"] == "visit_ended"]
    # Lengths come from the monotonic clock: 2+1+5+1+95+1+30+2+2+25+90+15 = 269 s, then 6 s.
    assert [(r["reason"], r["seconds"]) for r in ended] == [("idle", 269.0), ("goodbye", 6.0)]
    watched = [r for r in got if r["event"] == "segment_watched"]
    assert [(r["explorer"], r["segment"], r["seconds"], r["length_s"]) for r in watched] == [
        ("dezhnev", "voyage", 95.0, 95.0),
        ("dezhnev", "cape", 30.0, 60.0),
    ]
    assert [r["seconds"] for r in got if r["event"] == "mirror_used"] == [25.0]
    assert [r["lang"] for r in got if r["event"] == "language_chosen"] == ["en"]
    assert [r["captions"] for r in got if r["event"] == "captions_toggled"] == [0]
    # Times: local ISO 8601 with the offset, from the manual clock.
    assert got[0]["ts"] == local_iso(START)
    assert got[-1]["ts"] == local_iso(START + 269 + 600 + 6)
    # Nothing in any text column but the vocabulary.
    allowed = {
        "kiosk": r"kiosk-[0-9a-f]{8}",
        "ts": r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d",
        "release": r"[A-Za-z0-9._+-]+",
        "event": "|".join(c.event for c in (VisitStarted, VisitEnded, SceneViewed,
                                            ExplorerOpened, SegmentStarted, SegmentWatched,
                                            LanguageChosen, CaptionsToggled, MirrorUsed, Fault)),
        "scene": "|".join(s.value for s in Scene),
        "explorer": r"[a-z0-9][a-z0-9-]*",
        "segment": r"[a-z0-9][a-z0-9-]*",
        "lang": r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?",
        "reason": "|".join([*(r.value for r in EndReason), "camera not found"]),
        "fault": "|".join(k.value for k in FaultKind),
    }  # fmt: skip
    import re

    for row in got:
        for column, pattern in allowed.items():
            if row[column] is not None:
                assert re.fullmatch(pattern, row[column]), (column, row[column])


def test_counters_and_identity_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "analytics.db"
    rec, clock = make(path)
    visitor = ScriptedVisitor(rec, clock)
    for _ in range(3):
        visitor.touch()
        visitor.goodbye()
    rec.close()
    rec, clock = make(path)
    visitor = ScriptedVisitor(rec, clock)
    visitor.touch()
    visitor.goodbye()
    rec.close()
    got = rows(path, "event = 'visit_started'")
    assert sorted(r["visit"] for r in got) == [1, 2, 3, 4]
    assert len({r["kiosk"] for r in got}) == 1
    assert len({r["run"] for r in got}) == 2  # two program runs, each its own identity
    with sqlite3.connect(path) as db:
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    assert meta["next_visit"] == "5" and meta["kiosk_id"] == got[0]["kiosk"]


def test_a_configured_kiosk_id_names_every_row(tmp_path: Path) -> None:
    path = tmp_path / "analytics.db"
    rec, _ = make(path, kiosk_id="hall-2")
    rec.emit(VisitStarted())
    rec.close()
    assert {r["kiosk"] for r in rows(path)} == {"hall-2"}
    assert rec.status().kiosk_id == "hall-2"
    bad, _ = make(tmp_path / "b.db", kiosk_id="Hall 2 (Ivan's)")
    bad.emit(VisitStarted())
    bad.close()
    assert {r["kiosk"] for r in rows(tmp_path / "b.db")} != {"Hall 2 (Ivan's)"}
    assert "not a short machine name" in bad.status().incidents[0]


def test_close_ends_an_open_visit_and_a_new_visit_ends_the_last(tmp_path: Path) -> None:
    path = tmp_path / "analytics.db"
    rec, clock = make(path)
    rec.emit(VisitStarted())
    clock.advance(40)
    rec.emit(VisitStarted())  # the UI forgot to end the first one
    clock.advance(12)
    rec.emit(VisitEnded(EndReason.GOODBYE))
    rec.emit(VisitEnded(EndReason.GOODBYE))  # nothing to end: not recorded
    rec.emit(VisitStarted())
    clock.advance(7)
    rec.close()
    ended = rows(path, "event = 'visit_ended'")
    assert [(r["visit"], r["reason"], r["seconds"]) for r in ended] == [
        (1, "interrupted", 40.0),
        (2, "goodbye", 12.0),
        (3, "shutdown", 7.0),
    ]
    assert rec.status().state == "closed"


def test_release_changes_apply_from_the_next_event(tmp_path: Path) -> None:
    path = tmp_path / "analytics.db"
    rec, _ = make(path, release="2026.05")
    rec.emit(VisitStarted())
    rec.emit(VisitEnded(EndReason.IDLE))
    rec.set_release("2026.06 (hot fix)")
    rec.emit(VisitStarted())
    rec.close()
    assert [(r["event"], r["release"]) for r in rows(path)] == [
        ("visit_started", "2026.05"),
        ("visit_ended", "2026.05"),
        ("visit_started", "2026.06__hot_fix_"),
        ("visit_ended", "2026.06__hot_fix_"),  # closed mid-visit: ended as shutdown
    ]


def test_a_stepped_wall_clock_moves_times_but_not_lengths(tmp_path: Path) -> None:
    path = tmp_path / "analytics.db"
    rec, clock = make(path)
    rec.emit(VisitStarted())
    assert rec.flush()
    clock.advance(10)
    clock.step_wall(3600.0)  # NTP corrects the clock by an hour mid-visit
    clock.advance(5)
    rec.emit(VisitEnded(EndReason.GOODBYE))
    rec.close()
    start, end = rows(path)
    assert start["ts"] == local_iso(START)
    assert end["ts"] == local_iso(START + 3600 + 15)
    assert end["seconds"] == 15.0


def test_fast_time_formatting_matches_the_reference() -> None:
    fmt = LocalTimeFormatter()
    times = [START + i * 37.123 for i in range(3000)] + [START - 86400 * 200 + i for i in range(50)]
    assert [fmt(t) for t in times] == [local_iso(t) for t in times]


def test_null_recorder_and_settings(tmp_path: Path) -> None:
    null = NullRecorder("2026.05")
    null.emit(VisitStarted())
    assert null.flush() and null.status().state == "off"
    assert null.status().line() == "analytics: off"
    null.close()

    config = tmp_path / "kiosk.yaml"
    config.write_text(
        "paths: {database: data/a.db}\n"
        "analytics: {kiosk_id: hall-1, flush_s: 0.2, buffer_events: 1000}\n",
        encoding="utf-8",
    )
    cfg = settings_mod.load(config)
    rec = open_recorder(cfg, "2026.05")
    assert isinstance(rec, Recorder)
    assert rec.path == tmp_path / "data" / "a.db"
    assert rec.options.kiosk_id == "hall-1" and rec.options.buffer_events == 1000
    rec.emit(VisitStarted())
    rec.close()
    assert {r["kiosk"] for r in rows(tmp_path / "data" / "a.db")} == {"hall-1"}

    config.write_text("analytics: {enabled: false}\n", encoding="utf-8")
    assert isinstance(open_recorder(settings_mod.load(config), "x"), NullRecorder)
    config.write_text("analytics: {flush_s: 0}\n", encoding="utf-8")
    with pytest.raises(settings_mod.SettingsError, match=r"analytics.flush_s: 0.0 is outside"):
        settings_mod.load(config)


def test_an_old_schema_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "analytics.db"
    db = schema.connect(path, busy_timeout_s=1.0)
    with db.atomic():
        schema.MIGRATIONS[0](db)
        db.execute("PRAGMA user_version = 1")
        db.execute(
            "INSERT INTO events (kiosk, run, seq, ts, release, event) "
            "VALUES ('old', 1, 1, '2025-01-01T10:00:00.000+03:00', 'r0', 'visit_started')"
        )
    db.close()
    rec, _ = make(path)
    rec.emit(VisitStarted())
    rec.close()
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
        assert con.execute("SELECT count(*) FROM visits_per_day").fetchone()[0] == 2
        assert con.execute("SELECT count(*) FROM events WHERE kiosk = 'old'").fetchone()[0] == 1


def test_a_newer_schema_is_left_alone_and_the_kiosk_runs_on(tmp_path: Path) -> None:
    path = tmp_path / "analytics.db"
    Recorder(path, "r").close()
    with sqlite3.connect(path) as con:
        con.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    before = path.read_bytes()
    rec, _ = make(path)
    rec.emit(VisitStarted())
    assert not rec.flush()
    status = rec.status()
    assert status.state == "degraded" and "newer than this program" in status.problem
    assert status.pending == 1
    rec.close()
    assert path.read_bytes() == before
