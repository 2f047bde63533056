"""Shared fixtures: a small, complete collection built in a temporary folder; media for the player.

The media fixtures (``tiny_clip``, ``clips``, ``pulse``) are built on the test kit
(``testkit.synth``, ``testkit.media``, ``testkit.pulse``), imported when first used so that tests
which need no media do not load PyAV. Plain helpers (``segment``, ``drive``...) are imported from
``testkit.media`` where they are used.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from testkit.media import ClipFactory
    from testkit.pulse import PulseServer

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "content"


@pytest.fixture(scope="session")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2 s, 160x90 H.264 + AAC clip: a moving pattern and a quiet tone."""
    from testkit.synth import write_clip

    return write_clip(
        tmp_path_factory.mktemp("media") / "tiny.mp4", size=(160, 90), duration=2.0, tone_level=0.1
    )


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> ClipFactory:
    """Synthetic clips (``testkit.synth.write_clip``), each written once per session by name."""
    from testkit.media import ClipFactory

    return ClipFactory(tmp_path_factory.mktemp("clips"))


@pytest.fixture(scope="session")
def pulse() -> Iterator[PulseServer]:
    """A private PulseAudio server with a null sink, active for this process."""
    from testkit.pulse import PulseServer, pulseaudio_binary

    if pulseaudio_binary() is None:
        pytest.skip("pulseaudio is not installed (apt-get install pulseaudio libasound2-plugins)")
    server = PulseServer()
    server.start()
    server.activate()
    try:
        yield server
    finally:
        server.deactivate()
        server.stop()


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
