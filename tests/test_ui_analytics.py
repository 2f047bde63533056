"""Scripted visits through the real scenes, recorded by the real analytics writer: the rows in
the database say what the visitor did (and what ended each visit), and nothing about who they
are."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.analytics import Recorder
from kiosk.content.loader import load_collection
from kiosk.content.model import Collection
from kiosk.media import PlayerState
from kiosk.ops.admin import HiddenGesture
from kiosk.settings import Settings, TimeoutSettings
from kiosk.ui.input import Gesture
from kiosk.ui.ops import Ops
from kiosk.ui.scenes import ExplorerScene, GalleryScene
from testkit.ui import Rig

pytestmark = pytest.mark.usefixtures("pygame_display")


def test_scripted_visit_writes_what_happened(
    make_collection: Callable[..., Path], tmp_path: Path
) -> None:
    collection = load_collection(make_collection()).collection
    assert collection is not None
    db = tmp_path / "analytics.db"
    recorder = Recorder(db, "r-test")
    rig = Rig(collection, settings=Settings(timeouts=TimeoutSettings(idle_s=20, countdown_s=5)))
    rig.ctx.emit = recorder.emit
    try:
        rig.tap((600, 400))  # attract -> gallery: a visit starts
        gallery = rig.loop.scene
        assert isinstance(gallery, GalleryScene)
        rig.tap(gallery.cards[1][0].center)  # the second card: beta
        explorer = rig.loop.scene
        assert isinstance(explorer, ExplorerScene) and explorer.explorer.slug == "beta"
        rig.player.time = 0.8
        rig.loop.step([])
        rig.press("lang:en")
        rig.press("captions")
        rig.press("next-seg")  # the clip watched for 0.8 s, then the cut of the master
        rig.player.state = PlayerState.ENDED
        rig.loop.step([])
        rig.press("back")
        rig.wait(30)  # nobody there: countdown, then the attract loop
        assert rig.loop.scene.name == "attract"
    finally:
        assert recorder.flush(10)
        recorder.close()
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT event, scene, explorer, segment, lang, captions, reason, seconds, length_s, "
        "release, visit FROM events ORDER BY ts, run, seq"
    ).fetchall()
    names = [r[0] for r in rows]
    assert names == [
        "visit_started",
        "scene_viewed",
        "explorer_opened",
        "segment_started",
        "scene_viewed",
        "language_chosen",
        "captions_toggled",
        "segment_watched",
        "segment_started",
        "segment_watched",
        "scene_viewed",
        "scene_viewed",
        "visit_ended",
        "scene_viewed",
    ], rows
    watched = [r for r in rows if r[0] == "segment_watched"]
    assert watched[0][2:4] == ("beta", "clip") and watched[0][7] == pytest.approx(0.8)
    assert watched[1][2:4] == ("beta", "cut") and watched[1][7] == pytest.approx(1.0)
    assert next(r for r in rows if r[0] == "language_chosen")[4] == "en"
    assert next(r for r in rows if r[0] == "captions_toggled")[5] == 0
    assert next(r for r in rows if r[0] == "visit_ended")[6] == "idle"
    assert {r[9] for r in rows} == {"r-test"}
    assert {r[10] for r in rows[:-1]} == {1}  # one visit; the attract loop after it is no visit
    assert rows[-1][10] is None
    # Only program-made values in every text column: slugs, codes and names, never free text.
    allowed = {
        None,
        "beta",
        "clip",
        "cut",
        "en",
        "idle",
        "gallery",
        "explorer",
        "attract",
        "still_there",
        "r-test",
    }
    for r in rows:
        for value in (r[1], r[2], r[3], r[4], r[6], r[9]):
            assert value in allowed, r


def _endings(db: Path) -> list[tuple[str, str | None, int | None]]:
    con = sqlite3.connect(db)
    try:
        return con.execute(
            "SELECT event, reason, visit FROM events "
            "WHERE event IN ('visit_started', 'visit_ended') ORDER BY ts, run, seq"
        ).fetchall()
    finally:
        con.close()


@pytest.fixture
def collection(make_collection: Callable[..., Path]) -> Collection:
    c = load_collection(make_collection()).collection
    assert c is not None
    return c


def test_a_visit_ended_by_staff_opening_admin_mode(collection: Collection, tmp_path: Path) -> None:
    db = tmp_path / "analytics.db"
    recorder = Recorder(db, "r-test")
    settings = Settings(timeouts=TimeoutSettings(idle_s=20, countdown_s=5))
    rig = Rig(collection, settings=settings)
    rig.ctx.emit = recorder.emit
    rig.loop.ops = Ops(gesture_=HiddenGesture(rig.ctx.size))
    w, h = rig.ctx.size
    try:
        rig.tap((600, 400))  # a visitor starts a visit and opens an explorer...
        gallery = rig.loop.scene
        assert isinstance(gallery, GalleryScene)
        rig.tap(gallery.cards[0][0].center)
        assert rig.loop.scene.name == "explorer" and rig.loop.in_visit
        # ...and a technician opens admin mode in the middle of it: the corner long presses.
        for x, y in ((5, 5), (w - 5, 5), (w - 5, h - 5)):
            rig.loop.handle_gesture(Gesture("long_press", (x, y)), rig.now)
        assert rig.loop.scene.name == "admin" and not rig.loop.in_visit
        rig.wait(60)  # staff at work: no visitor's countdown, no second ending
        rig.loop.handle_gesture(Gesture("key", key="back"), rig.now)
        assert rig.loop.scene.name == "attract"
    finally:
        assert recorder.flush(10)
        recorder.close()
    assert _endings(db) == [("visit_started", None, 1), ("visit_ended", "admin", 1)]


def test_a_visit_ended_by_the_idle_countdown(collection: Collection, tmp_path: Path) -> None:
    db = tmp_path / "analytics.db"
    recorder = Recorder(db, "r-test")
    rig = Rig(collection, settings=Settings(timeouts=TimeoutSettings(idle_s=20, countdown_s=5)))
    rig.ctx.emit = recorder.emit
    try:
        rig.tap((600, 400))
        rig.wait(21)  # "still there?"
        assert rig.loop.countdown_left(rig.now) is not None
        rig.wait(5)
        assert rig.loop.scene.name == "attract"
    finally:
        assert recorder.flush(10)
        recorder.close()
    assert _endings(db) == [("visit_started", None, 1), ("visit_ended", "idle", 1)]


def test_a_visit_the_visitor_ended(collection: Collection, tmp_path: Path) -> None:
    db = tmp_path / "analytics.db"
    recorder = Recorder(db, "r-test")
    rig = Rig(collection)
    rig.ctx.emit = recorder.emit
    try:
        rig.tap((600, 400))
        rig.loop.handle_gesture(Gesture("key", key="back"), rig.now)  # back from the gallery
        assert rig.loop.scene.name == "attract"
    finally:
        assert recorder.flush(10)
        recorder.close()
    assert _endings(db) == [("visit_started", None, 1), ("visit_ended", "goodbye", 1)]
