"""The studio's editor of the kiosk's own words (collection.yaml's ``words``), and the refusal a
save meets when its file changed since the page was opened, on every page that saves."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from kiosk.content import words
from kiosk.content.loader import load_collection
from testkit.studio import client, copy_collection, form_fields

EN = {"Accept-Language": "en"}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return copy_collection(tmp_path / "content")


def _add_sakha(root: Path) -> None:
    path = root / "collection.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("languages: [ru, en]", "languages: [ru, en, sah]"), "utf-8")


def test_the_editor_shows_every_word_with_the_built_in_text_and_marks_the_missing(
    root: Path,
) -> None:
    with client(root) as c:
        page = c.get("/", headers=EN).text
        fields = form_fields(page, "words-form")
        # Russian and English are complete: every field empty, nothing marked, folded away.
        assert {k for k in fields if k.startswith("w.")} == {
            f"w.{lang}.{key}" for lang in ("ru", "en") for key in words.KEYS
        }
        assert not any(fields[f"w.ru.{k}"] for k in words.KEYS)
        assert 'placeholder="Назад"' in page and 'placeholder="Back"' in page
        assert 'placeholder="ок."' in page and 'placeholder="c."' in page
        assert 'class="missing"' not in page
        assert '<details class="box words" id="words" >' in page
        assert "ru: complete" in page and "en: complete" in page
    _add_sakha(root)
    with client(root) as c:
        page = c.get("/", headers=EN).text
        fields = form_fields(page, "words-form")
        assert {k for k in fields if k.startswith("w.sah.")} == {f"w.sah.{k}" for k in words.KEYS}
        # Sakha has no built-in words: each is marked, and shows the Russian it falls back to.
        assert page.count('class="missing"') == len(words.KEYS)
        assert f"sah: {len(words.KEYS)} missing" in page
        assert 'name="w.sah.back" lang="sah" value="" placeholder="Назад"' in page
        assert '<details class="box words" id="words" open>' in page


def test_words_are_saved_into_collection_yaml_keeping_its_comments(root: Path) -> None:
    _add_sakha(root)
    path = root / "collection.yaml"
    before = path.read_text(encoding="utf-8")
    with client(root) as c:
        fields = form_fields(c.get("/", headers=EN).text, "words-form")
        fields.update({"w.sah.back": "Төнүн", "w.sah.page": "{i} / {n}", "w.sah.circa": "чуг."})
        r = c.post("/words", data=fields, headers=EN)
        assert r.status_code == 200
        assert str(r.url).endswith("/?msg=saved#words")
        page = r.text
        assert "Saved." in page
        assert 'name="w.sah.back" lang="sah" value="Төнүн"' in page
        assert f"sah: {len(words.KEYS) - 3} missing" in page
    after = path.read_text(encoding="utf-8")
    # Every line that was there is still there, comments included; only the words are new.
    added = [d[2:] for d in difflib.ndiff(before.splitlines(), after.splitlines()) if d[0] != " "]
    assert added == [
        "words:",
        "  sah:",
        "    back: Төнүн",
        "    page: '{i} / {n}'",
        "    circa: чуг.",
    ]
    assert "# Deep polar-night blue, light text, icy accent." in after
    c_ = load_collection(root).collection
    assert c_ is not None
    assert c_.word("sah", "page", i=1, n=4) == "1 / 4"
    assert c_.word("sah", "choose") == "Выберите путешественника"

    # Saved again unchanged: not a byte differs. Emptied: the word goes, then the whole block.
    with client(root) as c:
        fields = form_fields(c.get("/").text, "words-form")
        assert c.post("/words", data=fields).status_code == 200
        assert path.read_text(encoding="utf-8") == after
        fields.update({"w.sah.back": "", "w.sah.page": "", "w.sah.circa": ""})
        assert c.post("/words", data=fields).status_code == 200
    assert path.read_text(encoding="utf-8") == before


def test_a_word_the_kiosk_cannot_fill_in_is_saved_and_flagged_on_the_page(root: Path) -> None:
    with client(root) as c:
        fields = form_fields(c.get("/").text, "words-form")
        fields["w.en.returning"] = "Back in {seconds} s"
        page = c.post("/words", data=fields, headers=EN).text
        assert "collection.words.en.returning: {seconds} is unknown here (values: {n})" in page
    c_ = load_collection(root).collection
    assert c_ is not None
    assert c_.word("en", "returning", n=3) == "Back to the start in 3 s"  # the built-in one


def test_words_saved_from_an_old_page_are_refused_with_the_translated_page(root: Path) -> None:
    path = root / "collection.yaml"
    with client(root) as c:
        old = form_fields(c.get("/").text, "words-form")
        path.write_text(path.read_text(encoding="utf-8") + "# a colleague's note\n", "utf-8")
        changed = path.read_bytes()
        r = c.post("/words", data={**old, "w.en.back": "Return"}, headers=EN)
        assert r.status_code == 409
        assert "changed in another tab or program" in r.text
        assert 'href="/#words"' in r.text
        assert "changed_elsewhere" not in r.text
    assert path.read_bytes() == changed


# -- the same refusal on the route, segment and captions pages -------------------------------
def test_route_and_segment_saves_from_an_old_page_get_the_translated_refusal(root: Path) -> None:
    path = root / "explorers/dezhnev/explorer.yaml"
    with client(root) as c:
        route = form_fields(c.get("/explorers/dezhnev/route").text, "route-form")
        segment = form_fields(c.get("/explorers/dezhnev/segments?seg=song").text, "segment-form")
        path.write_text(path.read_text(encoding="utf-8") + "# edited elsewhere\n", "utf-8")
        changed = path.read_bytes()
        for url, fields, again in (
            ("/explorers/dezhnev/route", {**route, "p.0.lat": "60"}, "/explorers/dezhnev/route"),
            (
                "/explorers/dezhnev/segments",
                {**segment, "s.1.in": "1.0"},
                "/explorers/dezhnev/segments?seg=song",
            ),
        ):
            for lang, words_ in (("en", "changed in another tab"), ("ru", "изменён в другой")):
                r = c.post(url, data=fields, headers={"Accept-Language": lang})
                assert r.status_code == 409, url
                assert words_ in r.text
                assert "changed_elsewhere" not in r.text
                assert f'href="{again}"' in r.text
    assert path.read_bytes() == changed


def test_the_delete_button_of_a_route_point_removes_that_point_only(root: Path) -> None:
    path = root / "explorers/dezhnev/explorer.yaml"
    before = load_collection(root).collection
    assert before is not None
    points = before.explorer("dezhnev").route
    with client(root) as c:
        page = c.get("/explorers/dezhnev/route", headers=EN).text
        assert 'aria-label="Delete 2"' in page
        fields = form_fields(page, "route-form")
        # The button is the form's submitter: its name and value go with the other fields.
        r = c.post("/explorers/dezhnev/route", data={**fields, "delete": "1"})
        assert r.status_code == 200
        assert page.count('class="pt"') - 1 == r.text.count('class="pt"')
    after = load_collection(root).collection
    assert after is not None
    assert after.explorer("dezhnev").route == (points[0], *points[2:])
    lines = path.read_text(encoding="utf-8")
    assert lines.count("{lat:") == len(points) - 1


def test_a_new_segments_clip_is_picked_from_the_explorers_files(root: Path) -> None:
    path = root / "explorers/dezhnev/explorer.yaml"
    with client(root) as c:
        page = c.get("/explorers/dezhnev/segments", headers=EN).text
        assert '<select name="new_file"><option value=""></option><option>clips/voyage.mp4' in page
        assert "<option>white_road</option>" in page
        assert "/tmp" not in page
        fields = form_fields(page, "add-segment-form")
        fields.update({"new_id": "again", "new_title.ru": "Ещё раз", "new_title.en": "Again"})
        before = path.read_bytes()
        for bad in (
            {},  # neither the master nor a clip
            {"new_file": "clips/voyage.mp4", "new_master": "white_road"},  # both
            {"new_file": "../laptev/clips/voyage.mp4"},  # not one of the offered files
            {"new_file": "portrait.png"},
            {"new_master": "no-such-master"},
        ):
            r = c.post("/explorers/dezhnev/segments", data={**fields, **bad})
            assert r.status_code == 400, bad
            assert path.read_bytes() == before
        r = c.post("/explorers/dezhnev/segments", data={**fields, "new_file": "clips/voyage.mp4"})
        assert r.status_code == 200
        assert 'id="scrubber"' in r.text
    c_ = load_collection(root).collection
    assert c_ is not None
    seg = c_.segment("dezhnev/again")
    assert seg.path == root / "explorers/dezhnev/clips/voyage.mp4" and seg.master is None
