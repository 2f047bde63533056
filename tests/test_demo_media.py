"""The bundled demo media: the formats the kiosk's player expects and the size budget.

The files are rendered by ``content/build/render.py`` and committed; these tests probe them.
"""

from __future__ import annotations

from pathlib import Path

import av
import pytest

CONTENT = Path(__file__).resolve().parents[1] / "content"
SLUGS = ("dezhnev", "laptev", "krasheninnikov", "chelyuskin", "wrangel", "papanin")
BUDGET_BYTES = 15 * 1024 * 1024


def _probe(path: Path) -> dict[str, object]:
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        a = c.streams.audio[0]
        assert c.duration is not None
        return {
            "duration": c.duration / av.time_base,
            "video_duration": float(v.duration * v.time_base) if v.duration else None,
            "vcodec": v.codec_context.name,
            "size": (v.codec_context.width, v.codec_context.height),
            "pix_fmt": v.codec_context.pix_fmt,
            "fps": float(v.average_rate) if v.average_rate else None,
            "acodec": a.codec_context.name,
            "rate": a.codec_context.sample_rate,
            "channels": a.codec_context.channels,
        }


def _check_format(info: dict[str, object], seconds: float) -> None:
    assert info["duration"] == pytest.approx(seconds, abs=0.1)
    assert info["video_duration"] == pytest.approx(seconds, abs=0.05)
    assert info["vcodec"] == "h264"
    assert info["size"] == (1280, 720)
    assert info["pix_fmt"] == "yuv420p"
    assert info["fps"] == pytest.approx(25.0)
    assert info["acodec"] == "aac"
    assert info["rate"] == 48_000
    assert info["channels"] == 2


@pytest.mark.parametrize("slug", SLUGS)
def test_voyage_clip(slug: str) -> None:
    path = CONTENT / "explorers" / slug / "clips" / "voyage.mp4"
    assert path.is_file(), f"{path} missing: run content/build/render.py"
    _check_format(_probe(path), 20.0)


@pytest.mark.parametrize("slug", SLUGS)
def test_portrait(slug: str) -> None:
    path = CONTENT / "explorers" / slug / "portrait.png"
    assert path.is_file()
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # Width and height from the IHDR chunk: a 512x512 emblem.
    head = path.read_bytes()[16:24]
    assert int.from_bytes(head[:4], "big") == 512 and int.from_bytes(head[4:], "big") == 512


def test_master() -> None:
    path = CONTENT / "media" / "white_road.mp4"
    assert path.is_file()
    _check_format(_probe(path), 60.0)


def test_master_has_a_keyframe_at_every_part() -> None:
    """The kiosk cuts explorers' segments from the master at 10 s boundaries."""
    with av.open(str(CONTENT / "media" / "white_road.mp4")) as c:
        v = c.streams.video[0]
        keys = {
            round(float(p.pts * p.time_base), 2)
            for p in c.demux(v)
            if p.is_keyframe and p.pts is not None
        }
    assert {0.0, 10.0, 20.0, 30.0, 40.0, 50.0} <= keys


def test_content_fits_the_budget() -> None:
    total = sum(p.stat().st_size for p in CONTENT.rglob("*") if p.is_file())
    assert total < BUDGET_BYTES, f"content/ is {total / 2**20:.1f} MiB"
