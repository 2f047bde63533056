"""The demo collection that ships with the kiosk is complete, valid and readable."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
import webvtt

from kiosk.content.loader import load_collection
from kiosk.content.model import Collection
from kiosk.content.validate import validate_collection
from kiosk.media.probe import probe

CONTENT = Path(__file__).resolve().parent.parent / "content"
EXPECTED = {"dezhnev", "laptev", "krasheninnikov", "chelyuskin", "wrangel", "papanin"}


@pytest.fixture(scope="module")
def collection() -> Collection:
    result = load_collection(CONTENT)
    assert result.collection is not None, [str(p) for p in result.problems]
    return result.collection


def test_validates_without_errors_or_warnings() -> None:
    report = validate_collection(load_collection(CONTENT), probe)
    assert report.ok, "\n".join(str(p) for p in report.errors)
    assert not report.warnings, "\n".join(str(p) for p in report.warnings)


def test_six_explorers_in_chronological_order(collection: Collection) -> None:
    assert {e.slug for e in collection.explorers} == EXPECTED
    born = [e.born.sort_key for e in collection.explorers]
    assert born == sorted(born)
    assert collection.languages[:2] == ("ru", "en")


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_texts_are_complete(collection: Collection, lang: str) -> None:
    for e in collection.explorers:
        words = len(re.findall(r"\w+", e.body.get(lang)))
        assert 150 <= words <= 300, (e.slug, lang, words)
        sentences = len(re.findall(r"[.!?…](\s|$)", e.summary.get(lang)))
        assert 1 <= sentences <= 2, (e.slug, lang, e.summary.get(lang))
        assert len(e.facts) >= 3, e.slug
        assert all(f.text.has(lang) for f in e.facts), e.slug
        assert len(e.route) >= 2 and all(p.label.has(lang) for p in e.route), e.slug
        assert e.sources, e.slug
        assert 1 <= len(e.segments) <= 3, e.slug
        assert e.portrait is not None, e.slug


def test_master_video_is_cut_into_segments(collection: Collection) -> None:
    cuts = [s for e in collection.explorers for s in e.segments if s.master]
    assert cuts, "the music video is not cut into explorer segments"
    spans = sorted((s.start, s.end or 0.0) for s in cuts)
    assert all(a[1] <= b[0] + 1e-6 for a, b in itertools.pairwise(spans))


def test_captions_can_be_read(collection: Collection) -> None:
    """Usual captioning guidance: <= 2 lines, <= 42 characters a line, <= 20 characters a
    second, >= 1 s on screen, no overlaps."""
    for e in collection.explorers:
        for seg in e.segments:
            assert set(seg.captions) >= {"ru", "en"}, (e.slug, seg.id)
            for lang, path in seg.captions.items():
                cues = webvtt.read(str(path)).captions
                assert cues, path
                last_end = 0.0
                for cue in cues:
                    start = cue.start_time.in_milliseconds() / 1000
                    end = cue.end_time.in_milliseconds() / 1000
                    lines = cue.text.splitlines()
                    where = f"{path.name} {cue.start} ({lang})"
                    assert start >= last_end - 1e-6, f"{where}: overlaps the previous cue"
                    assert end - start >= 1.0, f"{where}: shorter than 1 s"
                    assert len(lines) <= 2, f"{where}: more than 2 lines"
                    assert max(len(x) for x in lines) <= 42, f"{where}: line over 42 characters"
                    chars = len(" ".join(lines))
                    assert chars / (end - start) <= 20, f"{where}: {chars} chars too fast"
                    last_end = end


def test_whole_collection_is_small_enough() -> None:
    total = sum(p.stat().st_size for p in CONTENT.rglob("*") if p.is_file())
    assert total < 15 * 1024 * 1024, total
