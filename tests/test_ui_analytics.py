"""A scripted visit through the real scenes, recorded by the real analytics writer: the rows in
the database say what the visitor did, and nothing about who they are."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.analytics import Recorder
from kiosk.content.loader import load_collection
from kiosk.settings import Settings, TimeoutSettings
from kiosk.ui.scenes import ExplorerScene, GalleryScene
from tests.test_ui import Rig, _pygame  # noqa: F401 - the fixture sets pygame up


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
        rig.player.state = "ended"
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
