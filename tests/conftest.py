"""Shared fixtures, used by name: no test module imports another.

- Content: ``make_collection`` builds a small, complete two-explorer collection in a temporary
  folder; ``small`` is that collection, loaded.
- Media for the player: ``tiny_clip``, ``clips``, ``pulse``.
- Screens: ``pygame_display`` (pygame's display and fonts for one test; modules that draw request
  it with ``pytestmark = pytest.mark.usefixtures("pygame_display")``) and ``x_display`` (a
  private Xvfb screen for the real-window tests).
- The installer: ``staged_installer`` (a staged copy of ``install/`` with stand-in commands).

The fixtures are built on the test kit (``testkit.synth``, ``testkit.media``, ``testkit.pulse``,
``testkit.window``, ``testkit.install``), imported when first used so that a test loads only what
it needs (no PyAV or pygame for tests without media or screens). Plain helpers and constants
(``testkit.ui.Rig``, ``testkit.mirror_media.camera_frame``, ``testkit.window.start_kiosk``...)
are imported from the test kit where they are used.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from kiosk.content.model import Collection
    from testkit.media import ClipFactory
    from testkit.pulse import PulseServer

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")


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


@pytest.fixture
def small(make_collection: Callable[..., Path]) -> Collection:
    """The collection ``make_collection`` builds, loaded (explorers alpha and beta)."""
    from kiosk.content.loader import load_collection

    c = load_collection(make_collection()).collection
    assert c is not None
    return c


def _write_png(path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (64, 64), (20, 40, 80)).save(path)


@pytest.fixture
def pygame_display() -> Iterator[None]:
    """pygame's display (the dummy driver unless one is set) and fonts for one test; afterwards
    the theme's fonts are released and pygame quits, so the next test starts clean."""
    import pygame

    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    pygame.display.init()
    pygame.font.init()
    yield
    from kiosk.ui import theme

    theme.release()
    pygame.quit()


@pytest.fixture
def x_display() -> Iterator[str]:
    """A private Xvfb screen of ``testkit.window.SIZE``; its name (``:91``...)."""
    from testkit.window import xvfb

    with xvfb() as name:
        yield name


@pytest.fixture
def staged_installer() -> Iterator[Path]:
    """A world-readable folder: ``src/`` a copy of what ``install.sh`` reads, ``bin/`` stand-ins
    for the commands that change a machine, ``calls.log`` what they were asked to do."""
    from testkit.install import staged_installer as stage

    with stage() as folder:
        yield folder
