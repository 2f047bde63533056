"""Shared fixtures: a small, complete collection built in a temporary folder."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "content"


def make_clip(
    path: Path,
    seconds: float = 2.0,
    size: tuple[int, int] = (160, 90),
    fps: int = 25,
    audio: bool = True,
) -> Path:
    """Write a small H.264 (+AAC) clip: a moving gradient and a quiet tone."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height = size
        vs.pix_fmt = "yuv420p"
        vs.options = {"preset": "ultrafast"}
        a_s = out.add_stream("aac", rate=48000, layout="stereo") if audio else None
        frames = round(seconds * fps)
        w, h = size
        for i in range(frames):
            img = np.zeros((h, w, 3), np.uint8)
            img[..., 0] = (np.arange(w) * 255 // max(1, w - 1))[None, :]
            img[..., 2] = (i * 7) % 255
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            for packet in vs.encode(frame):
                out.mux(packet)
        for packet in vs.encode():
            out.mux(packet)
        if a_s is not None:
            n = round(seconds * 48000)
            t = np.arange(n) / 48000
            tone = (0.1 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
            for start in range(0, n, 1024):
                chunk = tone[start : start + 1024]
                data = np.stack([chunk, chunk])
                frame = av.AudioFrame.from_ndarray(data, format="fltp", layout="stereo")
                frame.sample_rate = 48000
                frame.pts = start
                frame.time_base = Fraction(1, 48000)
                for packet in a_s.encode(frame):
                    out.mux(packet)
            for packet in a_s.encode():
                out.mux(packet)
    return path


@pytest.fixture(scope="session")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("media") / "tiny.mp4", seconds=2.0)


COLLECTION_YAML = """\
title: {ru: Белая дорога, en: White Road}
subtitle: {ru: Первопроходцы Севера, en: Explorers of the North}
invitation: {ru: Коснитесь экрана, en: Touch the screen}
languages: [ru, en]
default_language: ru
masters:
  song: media/master.mp4
attract:
  - alpha/clip
"""

EXPLORER_YAML = """\
name: {{ru: {name_ru}, en: {name_en}}}
born: "{born}"
died: "{died}"
portrait: portrait.png
summary: {{ru: Краткое описание., en: A short summary.}}
body:
  ru: |
    Первый абзац.

    Второй абзац.
  en: |
    First paragraph.

    Second paragraph.
facts:
  - {{date: "1648", text: {{ru: Плавание., en: The voyage.}}}}
route:
  - {{lat: 67.5, lon: 153.7, label: {{ru: Колыма, en: Kolyma}}, at: 0.2}}
  - {{lat: 66.08, lon: -169.65, label: {{ru: Мыс, en: Cape}}, segment: clip, at: 1.5}}
segments:
  - id: clip
    title: {{ru: Плавание, en: The voyage}}
    file: clips/clip.mp4
    captions: {{ru: captions/clip.ru.vtt, en: captions/clip.en.vtt}}
  - id: cut
    title: {{ru: Песня, en: The song}}
    master: song
    in: 0.5
    out: "00:00:01.500"
    captions: {{ru: captions/clip.ru.vtt, en: captions/clip.en.vtt}}
sources:
  - "Белов М. И. Семён Дежнёв. М.: Наука, 1973."
"""

VTT = """WEBVTT

00:00:00.000 --> 00:00:01.000
{text}
"""


@pytest.fixture
def make_collection(tmp_path: Path, tiny_clip: Path) -> Callable[..., Path]:
    """Build a valid two-explorer collection in tmp_path and return its folder."""

    def build(name: str = "content") -> Path:
        root = tmp_path / name
        (root / "media").mkdir(parents=True)
        shutil.copy(tiny_clip, root / "media" / "master.mp4")
        (root / "collection.yaml").write_text(COLLECTION_YAML, encoding="utf-8")
        for slug, ru, en, born, died in [
            ("alpha", "Семён Дежнёв", "Semyon Dezhnev", "c. 1605", "1673"),
            ("beta", "Харитон Лаптев", "Khariton Laptev", "1700", "1763"),
        ]:
            folder = root / "explorers" / slug
            (folder / "clips").mkdir(parents=True)
            (folder / "captions").mkdir()
            shutil.copy(tiny_clip, folder / "clips" / "clip.mp4")
            for lang, text in (("ru", "Идут кочи."), ("en", "The boats sail.")):
                (folder / "captions" / f"clip.{lang}.vtt").write_text(
                    VTT.format(text=text), encoding="utf-8"
                )
            _write_png(folder / "portrait.png")
            (folder / "explorer.yaml").write_text(
                EXPLORER_YAML.format(name_ru=ru, name_en=en, born=born, died=died), encoding="utf-8"
            )
        return root

    return build


def _write_png(path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (64, 64), (20, 40, 80)).save(path)
