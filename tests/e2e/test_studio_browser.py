"""The curator's journey through the studio in a real browser (Debian's Chromium via Playwright).

A curator adds an explorer with Russian and English texts, a route of three points (a fourth added
and deleted again), a segment cut from the master video and captions in both languages; fixes a
caption the page flags as too fast; sees the explorer in the preview; publishes a signed pack;
adds Sakha and writes some of the kiosk's own words in it. The pack installs into a kiosk's
releases folder and ``kiosk tour`` shows the new explorer. Every request the browser makes must go
to the studio itself. Screenshots of every page go to docs/img/studio/ (with KIOSK_STUDIO_SHOTS=1)
or to the test's temporary folder: the collection is a folder named as a curator would name it,
and the curator's own files are typed as ``~/…``, so no picture shows a temporary path.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.studio import ROOT, copy_collection

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def studio_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    import uvicorn

    from kiosk.settings import Settings
    from kiosk.studio.app import StudioConfig, create_app

    # The curator's home: the key and the pack folder are typed as ~/curator.key and ~/usb.
    monkeypatch.setenv("HOME", str(tmp_path))
    root = copy_collection(tmp_path / "white-road-collection")
    port = _free_port()
    app = create_app(StudioConfig(root, Settings(), port=port, out_dirs=(tmp_path / "usb",)))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the studio did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", root
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args], capture_output=True, text=True, timeout=600
    )


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_a_curator_adds_an_explorer_and_publishes_it(
    studio_url: tuple[str, Path], tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    from kiosk.delivery.signing import SecretKey, write_keypair

    base, root = studio_url
    shots = ROOT / "docs/img/studio" if os.environ.get("KIOSK_STUDIO_SHOTS") else tmp_path / "shots"
    shots.mkdir(parents=True, exist_ok=True)
    key = tmp_path / "curator.key"
    write_keypair(SecretKey.generate(), key, "s3cret", opslimit=1 << 15, memlimit=1 << 20)
    (tmp_path / "usb").mkdir()
    requests: list[str] = []

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        ctx = browser.new_context(
            viewport={"width": 1440, "height": 1000}, locale="en-GB", base_url=base
        )
        ctx.on("request", lambda r: requests.append(r.url))
        page = ctx.new_page()

        def shot(name: str) -> None:
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)

        # 1. The collection: add an explorer with both names.
        page.goto("/")
        expect(page.get_by_role("heading", name="Explorers")).to_be_visible()
        page.get_by_label("Folder name (latin letters)").fill("sedov")
        page.get_by_label("Name (ru)").fill("Георгий Седов")
        page.get_by_label("Name (en)").fill("Georgy Sedov")
        page.get_by_role("button", name="Add", exact=True).click()
        expect(page.locator(".flash")).to_have_text("Added.")
        page.goto("/")
        shot("01-collection")
        page.goto("/explorers/sedov")

        # 2. Texts in both languages, side by side; first place in the gallery.
        page.get_by_label("Summary (ru)").fill(
            "Гидрограф, который в 1912 году повёл экспедицию к Северному полюсу."
        )
        page.get_by_label("Summary (en)").fill(
            "A hydrographer who in 1912 led an expedition to the North Pole."
        )
        page.get_by_label("Story (ru)").fill(
            "Георгий Яковлевич Седов родился в 1877 году на берегу Азовского моря."
        )
        page.get_by_label("Story (en)").fill(
            "Georgy Yakovlevich Sedov was born in 1877 on the shore of the Sea of Azov."
        )
        page.get_by_label("Born", exact=True).fill("1877")
        page.get_by_label("Died", exact=True).fill("1914")
        page.get_by_label("Place in the gallery").fill("1")
        page.get_by_label("Sources (one a line)").fill("Пинегин Н. В. Георгий Седов. М.; Л., 1953.")
        page.get_by_role("button", name="Save").first.click()
        expect(page.locator(".flash")).to_have_text("Saved.")
        shot("02-explorer")

        # 3. A route of three points, placed with the mouse on the kiosk's map.
        page.goto("/explorers/sedov/route")
        box = page.locator("#route-map").bounding_box()
        assert box is not None
        for fx, fy in ((0.35, 0.65), (0.45, 0.45), (0.55, 0.3)):
            with page.expect_navigation():
                page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
        expect(page.locator("svg .pt")).to_have_count(3)
        # Sedov's voyage (1912-1914): out of Arkhangelsk, a winter at Novaya Zemlya, a winter
        # in Tikhaya Bay, Franz Josef Land. The clicks were rough; the curator types the places.
        for i, (ru, en, lat, lon, year) in enumerate(
            (
                ("Архангельск", "Arkhangelsk", "64.54", "40.54", "1912"),
                ("Новая Земля", "Novaya Zemlya", "74.5", "56.0", "1912"),
                ("Земля Франца-Иосифа", "Franz Josef Land", "80.33", "52.78", "1913"),
            )
        ):
            page.get_by_label(f"Label {i + 1} (ru)").fill(ru)
            page.get_by_label(f"Label {i + 1} (en)").fill(en)
            page.get_by_label(f"Latitude {i + 1}").fill(lat)
            page.get_by_label(f"Longitude {i + 1}").fill(lon)
            page.get_by_label(f"Year {i + 1}").fill(year)
        page.get_by_role("button", name="Save").click()
        expect(page.locator("svg .pt").first).to_have_attribute("aria-label", "Архангельск")
        expect(page.get_by_label("Latitude 3")).to_have_value("80.33")
        # A fourth point placed by mistake, dragged with the mouse, then deleted with its button.
        box = page.locator("#route-map").bounding_box()
        assert box is not None
        with page.expect_navigation():
            page.mouse.click(box["x"] + 0.6 * box["width"], box["y"] + 0.6 * box["height"])
        expect(page.locator("svg .pt")).to_have_count(4)
        before = page.get_by_label("Latitude 4").input_value()
        dot = page.locator('svg .pt[data-i="3"]').bounding_box()
        assert dot is not None
        page.mouse.move(dot["x"] + dot["width"] / 2, dot["y"] + dot["height"] / 2)
        page.mouse.down()
        page.mouse.move(dot["x"] + 60, dot["y"] - 50, steps=8)
        with page.expect_navigation():
            page.mouse.up()
        expect(page.locator("svg .pt")).to_have_count(4)
        assert page.get_by_label("Latitude 4").input_value() != before
        page.get_by_role("button", name="Delete 4").click()
        expect(page.locator("svg .pt")).to_have_count(3)
        expect(page.get_by_label("Label 3 (en)")).to_have_value("Franz Josef Land")
        shot("03-route")

        # 4. A segment cut from the master video on the scrubber.
        page.goto("/explorers/sedov/segments")
        page.get_by_label("Segment id").fill("song")
        page.get_by_label("Title (ru)").fill("Белая дорога: Седов")
        page.get_by_label("Title (en)").fill("White Road: Sedov")
        page.get_by_label("From the master video").select_option("white_road")
        # The explorer has no clips of its own yet: the clip list offers none to type wrongly.
        expect(page.get_by_label("Clip file").locator("option")).to_have_count(1)
        page.get_by_role("button", name="Add", exact=True).click()
        expect(page.locator("#scrubber")).to_be_visible()
        scrub = page.get_by_label("scrubber")
        scrub.fill("30")
        page.get_by_role("button", name="+ frame").click()
        page.get_by_role("button", name="Set in here").click()
        scrub.fill("39")
        page.get_by_role("button", name="Set out here").click()
        expect(page.locator("#strip img")).to_have_count(10)
        page.wait_for_function(
            "document.getElementById('frame').complete"
            " && document.getElementById('frame').naturalWidth > 0"
        )
        assert page.locator("#seg-in").input_value() == "30.040"
        shot("04-segments")
        page.get_by_role("button", name="Save").first.click()
        expect(page.locator(".flash")).to_have_text("Saved.")

        # 5. Captions in both languages; the page flags a cue that is too fast; fixed from the list.
        page.goto("/explorers/sedov/captions/song")
        for lang, text in (
            ("ru", "Седов идёт на север."),
            ("en", "Sedov heads north, far too quickly."),
        ):
            form = page.locator(f"#lang-{lang}")
            form.get_by_role("button", name="Add a cue").click()
            page.get_by_label(f"Text {lang} 1").fill(text)
            page.get_by_label(f"Start {lang} 1").fill("00:00:00.500")
            page.get_by_label(f"End {lang} 1").fill(
                "00:00:01.000" if lang == "en" else "00:00:03.500"
            )
            page.locator(f"#lang-{lang}").get_by_role("button", name="Save").click()
            expect(page.locator(".flash")).to_have_text("Saved.")
        flagged = page.get_by_label("Validation problems")
        expect(flagged).to_contain_text("too fast to read")
        page.wait_for_function("document.getElementById('timeline').dataset.ready === '1'")
        shot("05-captions")
        flagged.get_by_role("link").first.click()
        page.locator("#lang-en").get_by_role("button", name="Extend to the next").click()
        expect(page.get_by_label("Validation problems")).to_contain_text("Every cue can be read.")

        # 6. The kiosk's own picture of the explorer and of the gallery.
        page.goto("/preview?scene=gallery&lang=en")
        page.wait_for_function("document.querySelector('.preview img').naturalWidth > 0")
        shot("06-preview-gallery")
        page.goto("/preview?scene=explorer&slug=sedov&lang=ru")
        page.wait_for_function("document.querySelector('.preview img').naturalWidth > 0")
        shot("07-preview-explorer")

        # Other pages, for the guide.
        page.goto("/media")
        shot("08-media")
        page.goto("/explorers/sedov/history")
        shot("09-history")

        # 7. Publish: checked, packed and signed with the curator's key, to the USB folder.
        page.goto("/publish")
        expect(page.get_by_label("Changes since the last pack")).to_contain_text("sedov")
        page.get_by_label("Write the pack to (folder or USB)").fill("~/usb")
        page.get_by_label("Secret key file").fill("~/curator.key")
        page.get_by_label("Key password").fill("s3cret")
        page.get_by_role("button", name="Pack and sign").click()
        expect(page.get_by_role("status")).to_contain_text("Pack written")
        expect(page.get_by_role("status")).to_contain_text("(in ~/usb)")
        shot("10-publish")

        # 8. A new language, Sakha, and some of the kiosk's own words in it; the rest are shown
        # in Russian (the collection's default language) and marked as missing.
        page.goto("/languages")
        page.get_by_label("Language code (ru, en, sah…)").fill("sah")
        page.get_by_role("button", name="Add a language").click()
        expect(page.locator(".flash")).to_have_text("Added.")
        shot("12-languages")
        page.get_by_role("link", name="The kiosk's own words").click()
        words = page.locator("#words")
        expect(words).to_have_attribute("open", "")
        expect(page.get_by_label("back (sah)", exact=True)).to_have_attribute(
            "placeholder", "Назад"
        )
        page.get_by_label("back (sah)", exact=True).fill("Төнүн")
        page.get_by_label("story (sah)", exact=True).fill("Кэпсээн")
        page.get_by_label("circa (sah)", exact=True).fill("чуг.")
        words.get_by_role("button", name="Save").click()
        expect(page.locator(".flash")).to_have_text("Saved.")
        expect(page.get_by_label("back (sah)", exact=True)).to_have_value("Төнүн")
        # The visitor's words and the start of the staff's: the rest of the table is alike.
        page.evaluate("window.scrollTo(0, 0)")  # a box in the page's own coordinates
        top = page.locator("#words").bounding_box()
        assert top is not None
        clip = {**top, "height": min(top["height"], 900.0)}
        page.screenshot(path=str(shots / "13-words.png"), clip=clip, full_page=True)

        # The studio's own pages in Russian.
        page.goto("/ui/ru?next=/explorers/sedov")
        expect(page.get_by_role("button", name="Сохранить").first).to_be_visible()
        shot("11-explorer-ru")
        browser.close()

    foreign = [u for u in requests if not u.startswith((base + "/", "data:", "blob:"))]
    assert foreign == [], foreign

    assert "words:\n  sah:\n    back: Төнүн\n" in (root / "collection.yaml").read_text("utf-8")

    # 9. The pack installs on a kiosk, and the kiosk's tour shows the new explorer.
    pack = next((tmp_path / "usb").glob("*.wrpack"))
    releases = tmp_path / "releases"
    r = kiosk("content", "install", str(pack), "--root", str(releases), "--trust", f"{key}.pub")
    assert r.returncode == 0, r.stderr
    installed = next((releases / "current").rglob("collection.yaml")).parent
    r = kiosk("tour", "--content", str(installed), "--out", str(tmp_path / "tour"), "--lang", "en")
    assert r.returncode == 0, r.stderr
    assert any("sedov" in p.name for p in (tmp_path / "tour").iterdir())
    shutil.rmtree(tmp_path / "tour")
