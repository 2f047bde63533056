"""The studio's collection and explorer pages through the ASGI test client: round trip, saving,
history, the lock, and every kind of bad input refused with nothing written."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from testkit.studio import client, copy_collection, form_fields, token


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return copy_collection(tmp_path / "content")


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".studio" not in p.parts
    }


def test_every_bundled_explorer_saved_unchanged_is_byte_identical(root: Path) -> None:
    before = snapshot(root)
    with client(root) as c:
        for folder in sorted((root / "explorers").iterdir()):
            page = c.get(f"/explorers/{folder.name}")
            assert page.status_code == 200
            fields = form_fields(page.text, "explorer-form")
            # Browsers send textareas with CRLF line ends.
            fields = {k: v.replace("\n", "\r\n") for k, v in fields.items()}
            fields["save"] = "1"
            r = c.post(f"/explorers/{folder.name}", data=fields)
            assert r.status_code == 200, r.text[:500]
    assert snapshot(root) == before


def test_changing_one_field_changes_only_that_line(root: Path) -> None:
    path = root / "explorers" / "dezhnev" / "explorer.yaml"
    old = path.read_text(encoding="utf-8").splitlines()
    with client(root) as c:
        fields = form_fields(c.get("/explorers/dezhnev").text, "explorer-form")
        fields["name.en"] = "Semyon Ivanovich Dezhnev"
        fields["fact.2.date"] = "1648-09"
        r = c.post("/explorers/dezhnev", data={**fields, "save": "1"})
        assert r.status_code == 200
        assert "Saved." in r.text or "Сохранено." in r.text
    new = path.read_text(encoding="utf-8").splitlines()
    changed = [d for d in difflib.ndiff(old, new) if d.startswith(("+ ", "- "))]
    fact = (
        '{ru: "Осенью кочи огибают Большой Каменный Нос — нынешний мыс Дежнёва.", '
        'en: "In autumn the boats round the Big Stone Nose, today\'s Cape Dezhnev."}}'
    )
    assert changed == [
        "- name: {ru: Семён Дежнёв, en: Semyon Dezhnev}",
        "+ name: {ru: Семён Дежнёв, en: Semyon Ivanovich Dezhnev}",
        f'-   - {{date: "1648", text: {fact}',
        f'+   - {{date: "1648-09", text: {fact}',
    ]


def test_missing_translation_is_marked_and_can_be_added(root: Path) -> None:
    path = root / "explorers" / "laptev" / "explorer.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(", en: Khariton Laptev}", "}"), encoding="utf-8")
    with client(root) as c:
        page = c.get("/explorers/laptev", headers={"Accept-Language": "en"}).text
        assert "translation missing" in page
        assert "no &#39;en&#39; translation" in page or "no 'en' translation" in page
        fields = form_fields(page, "explorer-form")
        fields["name.en"] = "Khariton Laptev"
        c.post("/explorers/laptev", data={**fields, "save": "1"})
    assert path.read_text(encoding="utf-8") == text


def test_history_keeps_each_save_and_restores_it(root: Path) -> None:
    path = root / "explorers" / "papanin" / "explorer.yaml"
    original = path.read_bytes()
    with client(root) as c:
        fields = form_fields(c.get("/explorers/papanin").text, "explorer-form")
        c.post("/explorers/papanin", data={**fields, "born": "1895", "save": "1"})
        assert path.read_bytes() != original
        page = c.get("/explorers/papanin/history")
        names = [
            line.split("show=")[1].split('"')[0]
            for line in page.text.split("\n")
            if "show=" in line
        ]
        assert len(names) == 1
        assert c.get(f"/explorers/papanin/history?show={names[0]}").status_code == 200
        r = c.post("/explorers/papanin/restore", data={"csrf": token(page.text), "name": names[0]})
        assert r.status_code == 200
    assert path.read_bytes() == original


def test_two_tabs_saving_the_same_explorer_never_overwrite_each_other(root: Path) -> None:
    path = root / "explorers" / "wrangel" / "explorer.yaml"
    with client(root) as c:
        tab1 = form_fields(c.get("/explorers/wrangel").text, "explorer-form")
        tab2 = dict(tab1)
        r1 = c.post("/explorers/wrangel", data={**tab1, "died": "1871", "save": "1"})
        assert r1.status_code == 200
        after_first = path.read_bytes()
        r2 = c.post("/explorers/wrangel", data={**tab2, "born": "1797", "save": "1"})
        assert r2.status_code == 409
        assert "changed in another tab" in r2.text or "изменён в другой вкладке" in r2.text
    assert path.read_bytes() == after_first


def test_broken_yaml_shows_the_validators_message_and_the_raw_text(root: Path) -> None:
    path = root / "explorers" / "chelyuskin" / "explorer.yaml"
    broken = path.read_text(encoding="utf-8").replace('born: "c. 1700"', "born: [c. 1700", 1)
    path.write_text(broken, encoding="utf-8")
    with client(root) as c:
        page = c.get("/explorers/chelyuskin")
        assert page.status_code == 200
        assert "Traceback" not in page.text
        assert "explorers/chelyuskin/explorer.yaml:" in page.text
        assert "YAML syntax" in page.text
        assert "born: [c. 1700" in page.text
        # A raw edit that is still broken is refused and nothing is written.
        r = c.post(
            "/explorers/chelyuskin/raw",
            data={"csrf": token(page.text), "text": broken + "\n  : :", "version": ""},
        )
        assert r.status_code == 400
        assert "YAML syntax" in r.text
        assert path.read_text(encoding="utf-8") == broken
        # Fixed text is written.
        fixed = broken.replace("born: [c. 1700", 'born: "c. 1700"')
        version = page.text.split('name="version" value="')[1].split('"')[0]
        r = c.post(
            "/explorers/chelyuskin/raw",
            data={"csrf": token(page.text), "text": fixed, "version": version},
        )
        assert r.status_code == 200
    assert path.read_text(encoding="utf-8") == fixed


def test_foreign_host_header_is_refused(root: Path) -> None:
    with client(root) as c:
        r = c.get("/", headers={"Host": "evil.example:8765"})
        assert r.status_code == 400
        assert "answers only at its own address" in r.text


def test_cross_site_post_is_refused_and_nothing_written(root: Path) -> None:
    before = snapshot(root)
    with client(root) as c:
        page = c.get("/explorers/dezhnev").text
        fields = {**form_fields(page, "explorer-form"), "born": "1600", "save": "1"}
        r = c.post("/explorers/dezhnev", data=fields, headers={"Origin": "http://evil.example"})
        assert r.status_code == 403
        assert "did not come from a studio page" in r.text
        # Same origin but no token (a form copied from an old page, or a forged one).
        fields.pop("csrf")
        r = c.post("/explorers/dezhnev", data=fields)
        assert r.status_code == 403
        assert "token" in r.text
    assert snapshot(root) == before


def test_add_reorder_and_delete_an_explorer(root: Path) -> None:
    with client(root) as c:
        t = token(c.get("/").text)
        r = c.post(
            "/explorers",
            data={
                "csrf": t,
                "slug": "sedov",
                "name.ru": "Георгий Седов",
                "name.en": "Georgy Sedov",
            },
        )
        assert r.status_code == 200
        assert (root / "explorers" / "sedov" / "explorer.yaml").is_file()
        assert "Georgy Sedov" in r.text
        # A bad folder name and an existing one are refused.
        assert c.post("/explorers", data={"csrf": t, "slug": "../x"}).status_code == 400
        assert c.post("/explorers", data={"csrf": t, "slug": "sedov"}).status_code == 409
        page = c.get("/").text
        order = [s for s in ("dezhnev", "laptev", "chelyuskin") if s in page]
        assert page.index('/explorers/dezhnev"') < page.index('/explorers/laptev"')
        c.post("/explorers/laptev/move", data={"csrf": t, "dir": "up"})
        page = c.get("/").text
        assert page.index('/explorers/laptev"') < page.index('/explorers/dezhnev"')
        assert order
        assert c.get("/explorers/sedov/delete").status_code == 200
        r = c.post("/explorers/sedov/delete", data={"csrf": t, "confirm": "wrong"})
        assert r.status_code == 400
        assert (root / "explorers" / "sedov").exists()
        r = c.post("/explorers/sedov/delete", data={"csrf": t, "confirm": "sedov"})
        assert r.status_code == 200
        assert not (root / "explorers" / "sedov").exists()
        assert list((root / ".studio" / "trash").iterdir())


def test_access_token_is_asked_when_listening_beyond_this_machine(root: Path) -> None:
    with client(root, access_token="open-sesame") as c:
        r = c.get("/", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"
        assert c.post("/login", data={"token": "nope"}).status_code == 401
        r = c.post("/login", data={"token": "open-sesame"})
        assert r.status_code == 200
        assert "dezhnev" in r.text


def test_a_language_added_shows_every_text_as_missing(root: Path) -> None:
    with client(root) as c:
        t = token(c.get("/languages").text)
        assert c.post("/languages", data={"csrf": t, "code": "sah"}).status_code == 200
        assert c.post("/languages", data={"csrf": t, "code": "../x"}).status_code == 400
        page = c.get("/explorers/dezhnev", headers={"Accept-Language": "en"}).text
        assert 'name="name.sah"' in page
        assert "translation missing" in page
    assert "languages: [ru, en, sah]" in (root / "collection.yaml").read_text(encoding="utf-8")
