"""The studio's media, segments, captions, preview and publish pages through the test client."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from testkit.studio import client, copy_collection, form_fields, token


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return copy_collection(tmp_path / "content")


def test_upload_is_streamed_to_disk_with_a_clean_name(root: Path) -> None:
    with client(root) as c:
        t = token(c.get("/media").text)
        r = c.post(
            "/media/upload?dest=explorers/dezhnev&name=Портрет Дежнёва (1).PNG",
            content=b"\x89PNG fake",
            headers={"X-Studio-Token": t},
        )
        assert r.status_code == 200, r.text
        assert r.json()["path"] == "explorers/dezhnev/Портрет-Дежнёва-1.png"
    assert (root / "explorers/dezhnev/Портрет-Дежнёва-1.png").read_bytes() == b"\x89PNG fake"


def test_upload_over_the_limit_is_refused_and_nothing_written(root: Path) -> None:
    before = sorted(p.name for p in (root / "media").iterdir())
    with client(root, upload_limit=1000) as c:
        t = token(c.get("/media").text)
        r = c.post(
            "/media/upload?dest=media&name=big.mp4",
            content=b"x" * 5000,
            headers={"X-Studio-Token": t},
        )
        assert r.status_code == 413
        assert "limit" in r.json()["message"]

        # Without a declared length, the stream itself is cut at the limit.
        def body() -> object:
            for _ in range(10):
                yield b"x" * 500

        r = c.post(
            "/media/upload?dest=media&name=big.mp4",
            content=body(),
            headers={"X-Studio-Token": t},
        )
        assert r.status_code == 413
    assert sorted(p.name for p in (root / "media").iterdir()) == before


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("dest=media&name=../evil.mp4", "names a folder"),
        ("dest=media&name=..%5Cevil.mp4", "names a folder"),
        ("dest=../..&name=evil.mp4", "leaves the collection folder"),
        ("dest=media&name=evil.exe", "only clips, images"),
    ],
)
def test_upload_names_and_folders_that_leave_are_refused(
    root: Path, query: str, words: str
) -> None:
    before = sorted(str(p) for p in root.parent.rglob("*"))
    with client(root) as c:
        t = token(c.get("/media").text)
        r = c.post(f"/media/upload?{query}", content=b"data", headers={"X-Studio-Token": t})
        assert r.status_code == 400
        assert words in r.text
    assert sorted(str(p) for p in root.parent.rglob("*")) == before


def test_upload_without_the_token_is_refused(root: Path) -> None:
    with client(root) as c:
        r = c.post("/media/upload?dest=media&name=a.mp4", content=b"data")
        assert r.status_code == 403
    assert not (root / "media" / "a.mp4").exists()


def test_a_link_out_of_the_collection_is_not_followed(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "media" / "out").symlink_to(outside)
    with client(root) as c:
        t = token(c.get("/media").text)
        r = c.post(
            "/media/upload?dest=media/out&name=x.mp4", content=b"d", headers={"X-Studio-Token": t}
        )
        assert r.status_code == 400
        assert c.get("/media/file/media/out/x.mp4").status_code == 400
    assert not list(outside.iterdir())


def test_media_page_explains_each_file(root: Path) -> None:
    with client(root) as c:
        page = c.get("/media", headers={"Accept-Language": "en"}).text
        assert "media/white_road.mp4" in page
        assert "h264" in page
        assert "sound: aac" in page


def test_frames_are_exact_and_peaks_come_from_the_sound(root: Path) -> None:
    with client(root) as c:
        r = c.get("/media/frame?file=media/white_road.mp4&t=2.0&w=320")
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
        assert abs(float(r.headers["x-frame-time"]) - 2.0) < 1 / 24
        r = c.get("/media/peaks?file=media/white_road.mp4&start=20&end=30&n=100")
        peaks = r.json()["peaks"]
        assert len(peaks) == 100 and max(peaks) == 1.0
        # The player gets ranges of the file (the browser's <video> seeks with them).
        r = c.get("/media/file/media/white_road.mp4", headers={"Range": "bytes=0-99"})
        assert r.status_code == 206 and len(r.content) == 100


def test_a_segment_cut_is_saved_with_the_chosen_frames(root: Path) -> None:
    path = root / "explorers/dezhnev/explorer.yaml"
    with client(root) as c:
        page = c.get("/explorers/dezhnev/segments?seg=song").text
        assert 'id="scrubber"' in page
        fields = form_fields(page, "segment-form")
        fields.update({"s.1.in": "2.040", "s.1.out": "00:00:09.960"})
        r = c.post("/explorers/dezhnev/segments", data=fields)
        assert r.status_code == 200
    text = path.read_text(encoding="utf-8")
    assert "    in: 2.04\n    out: 9.96\n" in text


def test_a_too_fast_caption_is_flagged_by_the_validator_and_fixed_from_the_list(
    root: Path,
) -> None:
    vtt = root / "explorers/dezhnev/captions/song.en.vtt"
    cues = vtt.read_text(encoding="utf-8")
    first = re.search(r"(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})", cues)
    assert first
    with client(root) as c:
        page = c.get("/explorers/dezhnev/captions/song").text
        fields = form_fields(page, "lang-en")
        fields["c.0.text"] = "The koch slips into the grey mist, east."
        fields["c.0.end"] = "00:00:01.000"
        page = c.post("/explorers/dezhnev/captions/song", data=fields).text
        assert "too fast to read" in page
        assert 'name="extend" value="0"' in page
        fields = form_fields(page, "lang-en")
        page = c.post("/explorers/dezhnev/captions/song", data={**fields, "extend": "0"}).text
        assert "too fast to read" not in page
        assert 'value="00:00:03.600"' in page


def test_preview_is_what_the_kiosk_tour_draws(root: Path, tmp_path: Path) -> None:
    tour = tmp_path / "tour"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk",
            "tour",
            "--content",
            str(root),
            "--out",
            str(tour),
            "--lang",
            "en",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    with client(root) as c:
        gallery = c.get("/preview.png?scene=gallery&lang=en").content
        first = c.get("/preview.png?scene=explorer&slug=dezhnev&lang=en").content
    import pygame

    def pixels(data: bytes | Path) -> bytes:
        import io

        src = io.BytesIO(data) if isinstance(data, bytes) else str(data)
        return pygame.image.tobytes(pygame.image.load(src), "RGB")

    assert pixels(gallery) == pixels(tour / "en-02-gallery.png")
    assert pixels(first) == pixels(tour / "en-03-dezhnev.png")


def test_preview_redraws_after_a_save(root: Path) -> None:
    with client(root) as c:
        before = c.get("/preview.png?scene=explorer&slug=dezhnev&lang=en").content
        fields = form_fields(c.get("/explorers/dezhnev").text, "explorer-form")
        c.post("/explorers/dezhnev", data={**fields, "name.en": "S. Dezhnev", "save": "1"})
        after = c.get("/preview.png?scene=explorer&slug=dezhnev&lang=en").content
        assert before != after
        portrait = c.get("/preview.png?scene=explorer&slug=dezhnev&lang=en&portrait=1&large=1")
        assert portrait.status_code == 200


def test_publish_is_refused_with_errors_and_signs_a_pack_without(
    root: Path, tmp_path: Path
) -> None:
    from kiosk.delivery.packs import verify_pack
    from kiosk.delivery.signing import PublicKey, SecretKey, write_keypair

    key = SecretKey.generate()
    write_keypair(key, tmp_path / "curator.key", "s3cret", opslimit=1 << 15, memlimit=1 << 20)
    out = tmp_path / "usb"
    out.mkdir()
    form = {"out_dir": str(out), "key_file": str(tmp_path / "curator.key"), "password": "s3cret"}
    with client(root) as c:
        t = token(c.get("/publish").text)
        r = c.post("/publish", data={**form, "csrf": t, "password": "wrong"})
        assert r.status_code == 400
        assert not list(out.iterdir())
        r = c.post("/publish", data={**form, "csrf": t})
        assert r.status_code == 200, r.text[-2000:]
        packs = list(out.glob("*.wrpack"))
        assert len(packs) == 1
        pub = PublicKey.load(tmp_path / "curator.key.pub")
        assert verify_pack(packs[0], [pub]).manifest.version > 0
        # What the next pack changes is said in the page.
        (root / "explorers/laptev/explorer.yaml").write_text(
            (root / "explorers/laptev/explorer.yaml").read_text() + "# note\n"
        )
        page = c.get("/publish", headers={"Accept-Language": "en"}).text
        assert "changed: laptev" in page
        # With an error, publishing is refused and nothing is written.
        bad = root / "explorers/laptev/explorer.yaml"
        bad.write_text(bad.read_text().replace('born: "1700"', 'born: "yesterday"'))
        r = c.post("/publish", data={**form, "csrf": t})
        assert r.status_code == 400
        assert len(list(out.glob("*.wrpack"))) == 1


def test_a_collection_read_again_in_part_equals_one_read_whole(root: Path) -> None:
    from kiosk.app import load_for_show
    from kiosk.studio.checks import fingerprint
    from kiosk.studio.preview import reload_changed

    before = (fingerprint(root), load_for_show(root))
    path = root / "explorers/wrangel/explorer.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("order: 5", "order: 0"), "utf-8")
    partial = reload_changed(root, before, fingerprint(root))
    whole = load_for_show(root)
    assert partial is not None
    assert [e.slug for e in partial.explorers] == [e.slug for e in whole.explorers]
    assert partial.explorers == whole.explorers
    assert partial.attract == whole.attract
