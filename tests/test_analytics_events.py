"""The analytics vocabulary: only enums, slugs, language codes and numbers get through.

Every way a person's picture, name or typed text could reach the database is tried here and
must fail: at the event's constructor, at ``Recorder.emit``, or in the schema itself.
"""

from __future__ import annotations

import dataclasses
import re
import sqlite3
import typing
from pathlib import Path

import numpy as np
import pytest

from kiosk.analytics import (
    CaptionsToggled,
    EndReason,
    Event,
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
from kiosk.analytics import events as ev
from testkit.synthetic import ManualClock

ALLOWED_FIELD_TYPES = {Scene, EndReason, FaultKind, str, bool, float}


def test_every_event_field_is_an_enum_a_checked_string_a_flag_or_a_number() -> None:
    for cls in ev.EVENT_TYPES:
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            assert hints[f.name] in ALLOWED_FIELD_TYPES, (cls.__name__, f.name, hints[f.name])
    # Strings are only the content's own slugs, language codes and a program's fault reason.
    strings = {
        (cls.__name__, f.name)
        for cls in ev.EVENT_TYPES
        for f in dataclasses.fields(cls)
        if typing.get_type_hints(cls)[f.name] is str
    }
    assert strings == {
        ("ExplorerOpened", "slug"),
        ("SegmentStarted", "slug"),
        ("SegmentStarted", "segment"),
        ("SegmentWatched", "slug"),
        ("SegmentWatched", "segment"),
        ("LanguageChosen", "lang"),
        ("Fault", "reason"),
    }


FRAME = np.zeros((480, 640, 3), np.uint8)


@pytest.mark.parametrize(
    "make",
    [
        lambda: ExplorerOpened(FRAME),  # type: ignore[arg-type]
        lambda: ExplorerOpened(FRAME.tobytes()),  # type: ignore[arg-type]
        lambda: SegmentStarted("dezhnev", b"voyage"),  # type: ignore[arg-type]
        lambda: LanguageChosen({"name": "Ivan"}),  # type: ignore[arg-type]
        lambda: SceneViewed(FRAME),  # type: ignore[arg-type]
        lambda: MirrorUsed(FRAME),  # type: ignore[arg-type]
        lambda: MirrorUsed("12 s"),  # type: ignore[arg-type]
        lambda: MirrorUsed(True),
        lambda: CaptionsToggled(1),  # type: ignore[arg-type]
        lambda: Fault(FaultKind.CAMERA, FRAME.tobytes()),  # type: ignore[arg-type]
        lambda: Fault(FaultKind.CAMERA, FRAME),  # type: ignore[arg-type]
        lambda: VisitEnded(3),  # type: ignore[arg-type]
    ],
)
def test_pictures_bytes_and_objects_are_refused(make: typing.Callable[[], Event]) -> None:
    with pytest.raises(TypeError):
        make()


@pytest.mark.parametrize(
    "make",
    [
        lambda: ExplorerOpened("Ivan Petrov"),
        lambda: ExplorerOpened("ivan.petrov@example.org"),
        lambda: ExplorerOpened("+7 912 000-00-00"),
        lambda: ExplorerOpened("a" * 65),
        lambda: SegmentStarted("dezhnev", "Voyage"),
        lambda: SegmentWatched("dezhnev", "../etc", 1.0, 2.0),
        lambda: LanguageChosen("english please"),
        lambda: LanguageChosen("Иван"),
        lambda: SceneViewed("selfie"),  # type: ignore[arg-type]
        lambda: VisitEnded("left in tears"),  # type: ignore[arg-type]
        lambda: Fault("face", "x"),  # type: ignore[arg-type]
        lambda: MirrorUsed(float("nan")),
        lambda: SegmentWatched("dezhnev", "voyage", float("inf"), 10.0),
    ],
)
def test_free_text_and_identities_do_not_match_the_patterns(
    make: typing.Callable[[], Event],
) -> None:
    with pytest.raises(ValueError):
        make()


def test_valid_events_normalise_their_values() -> None:
    assert SceneViewed("gallery").scene is Scene.GALLERY  # type: ignore[arg-type]
    assert VisitEnded("idle").reason is EndReason.IDLE  # type: ignore[arg-type]
    assert LanguageChosen("en-GB").lang == "en-GB"
    watched = SegmentWatched("np-1", "drift", 140.0, 130.0)
    assert (watched.watched_s, watched.duration_s) == (130.0, 130.0)  # never more than all
    assert MirrorUsed(-0.2).duration_s == 0.0  # clocks jitter
    assert MirrorUsed(10**9).duration_s == ev.MAX_SECONDS
    assert MirrorUsed(12.34567).duration_s == 12.346
    with pytest.raises(dataclasses.FrozenInstanceError):
        watched.watched_s = 1.0  # type: ignore[misc]


def test_fault_reasons_are_short_plain_and_one_line() -> None:
    noisy = "cannot open /dev/video0:\n\tдевайс \x00\x1b[31m busy " + "x" * 500
    reason = Fault(FaultKind.CAMERA, noisy).reason
    assert len(reason) <= ev.REASON_MAX
    assert re.fullmatch(r"[ -~]+", reason), reason  # printable ASCII only
    assert "\n" not in reason and "\x00" not in reason and "\x1b" not in reason
    assert reason.startswith("cannot open /dev/video0: ??????")
    assert reason.endswith("...")
    # A camera frame decoded into a string by mistake still becomes a few harmless characters.
    from_frame = Fault(FaultKind.CAMERA, bytes(range(256)).decode("latin-1") * 400).reason
    assert len(from_frame) <= ev.REASON_MAX
    err = Fault.from_exception(FaultKind.MEDIA, OSError(5, "Input/output error"))
    assert err.kind is FaultKind.MEDIA
    assert err.reason == "OSError: [Errno 5] Input/output error"


@dataclasses.dataclass(frozen=True)
class VisitStartedLookalike:
    """Not one of ours, whatever its name says."""

    face: bytes = b"\x89PNG..."


def test_emit_refuses_anything_but_the_vocabulary(tmp_path: Path) -> None:
    clock = ManualClock(1_767_225_600.0)
    path = tmp_path / "a.db"
    rec = Recorder(path, "r1", RecorderOptions(flush_s=0.05), monotonic=clock.monotonic)
    for thing in (
        FRAME,
        FRAME.tobytes(),
        {"event": "visit_started", "name": "Ivan"},
        "visit_started",
        VisitStartedLookalike(),
        None,
    ):
        rec.emit(thing)  # type: ignore[arg-type]
    rec.emit(VisitStarted())
    rec.emit(VisitEnded(EndReason.GOODBYE))
    assert rec.flush()
    assert rec.status().rejected == 6
    rec.close()
    with sqlite3.connect(path) as db:
        assert [r[0] for r in db.execute("SELECT event FROM events ORDER BY seq")] == [
            "visit_started",
            "visit_ended",
        ]


def test_the_schema_has_no_place_for_a_picture_or_a_name(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    Recorder(path, "r1").close()
    with sqlite3.connect(path) as db:
        columns = {
            (table, row[1], row[2].upper())
            for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            for row in db.execute(f"PRAGMA table_info({table})")
        }
    assert not [c for c in columns if c[2] in ("BLOB", "")], columns
    names = {c[1] for c in columns}
    for person in ("name", "email", "phone", "face", "image", "photo", "ip", "text", "user"):
        assert person not in names
