"""The tour's still pictures fit a clip into its panel exactly as the kiosk's player does.

``kiosk tour``, the golden pictures and the studio's preview draw clips through
:class:`~kiosk.media.stills.StillPlayer`; where a clip's shape differs from the box it is shown
in (a landscape clip on a portrait screen, a square panel) the player letterboxes it, and so
must the still: a stretched still would show the curators a picture no visitor sees.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pygame
import pytest

from kiosk.app import make_context, render_tour
from kiosk.content.loader import load_collection
from kiosk.content.model import Collection
from kiosk.media.convert import SCREEN_FORMAT
from kiosk.media.player import Player
from kiosk.media.stills import StillPlayer
from kiosk.settings import Settings
from kiosk.ui.loop import Loop
from testkit.media import ClipFactory, drive, segment
from testkit.waits import wait_for

pytestmark = pytest.mark.usefixtures("pygame_display")

PORTRAIT = (540, 960)


def landscape_clip(clips: ClipFactory) -> Path:
    """2 s of 16:9 picture, the shape of the collection's clips."""
    return clips("wide.mp4", size=(320, 180), duration=2.0, fps=25.0, upright=True)


def with_clip(root: Path, clip: Path) -> Collection:
    """The test collection with explorer alpha's clip (also the attract loop's) set to ``clip``."""
    shutil.copy(clip, root / "explorers" / "alpha" / "clips" / "clip.mp4")
    collection = load_collection(root).collection
    assert collection is not None
    return collection


def pixels(surf: pygame.Surface) -> np.ndarray:
    return pygame.surfarray.array3d(surf).transpose(1, 0, 2).copy()


def lit_rows(px: np.ndarray) -> tuple[int, int]:
    """First and last row (exclusive) of the picture: the letterbox around it is black."""
    rows = np.flatnonzero(px.any(axis=2).any(axis=1))
    return int(rows[0]), int(rows[-1]) + 1


@pytest.mark.parametrize("box", [(400, 400), (180, 640), PORTRAIT])
def test_the_still_is_the_players_frame_in_a_box_of_another_shape(
    clips: ClipFactory, box: tuple[int, int]
) -> None:
    clip = landscape_clip(clips)
    with Player(box, audio="null", pixel_format=SCREEN_FORMAT) as player:
        player.play(segment(clip))
        played = drive(player, until=lambda p: p.clock() >= 0.6, timeout=20)
        frame = next(f for _, f in played.frames if f.pts >= 0.5)
        data = frame.data.tobytes()
    assert frame.size[0] == box[0] - box[0] % 4 and frame.size[1] < box[1]  # letterboxed
    still = StillPlayer(at=frame.pts)
    still.set_size(box)
    still.play(segment(clip))
    shown = still.latest_frame()
    assert shown is not None
    assert (shown.size, shown.format) == (frame.size, frame.format)
    assert shown.data == data  # the same pixels: the player's conversion, not a copy of it


def test_the_tour_letterboxes_the_attract_loop_on_a_portrait_screen_as_the_kiosk_does(
    clips: ClipFactory, make_collection: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_collection()
    collection = with_clip(root, landscape_clip(clips))
    # The kiosk: the real player in the attract loop, paused on a frame.
    kiosk = pygame.Surface(PORTRAIT)
    with Player(PORTRAIT, audio="null", pixel_format=SCREEN_FORMAT) as player:
        loop = Loop(make_context(collection, Settings(), player, PORTRAIT), kiosk)
        assert loop.scene.name == "attract"

        def shown() -> bool:
            loop.step([])
            loop.draw()
            frame = player.latest_frame()
            return frame is not None and frame.pts >= 0.5

        assert wait_for(shown, timeout=20.0, poll=0.01), "the clip did not play"
        player.pause()
        frame = player.latest_frame()
        assert frame is not None
        loop.draw()
    # The tour's still player at the moment of that frame, in the same scene.
    still = pygame.Surface(PORTRAIT)
    Loop(make_context(collection, Settings(), StillPlayer(at=frame.pts), PORTRAIT), still).draw()
    real, drawn = pixels(kiosk), pixels(still)
    # The clip's part of the screen, above the band of words, is the same picture, bars and all:
    # a 16:9 picture as wide as the screen, centred, with black above it.
    clip_part = PORTRAIT[1] * 6 // 10
    top = lit_rows(real[:clip_part])[0]
    assert frame.size == (PORTRAIT[0], round(PORTRAIT[0] * 9 / 16))
    assert top == (PORTRAIT[1] - frame.size[1]) // 2, "not letterboxed as the player's frame"
    assert not drawn[:top].any(), "no black bar above the picture"
    assert np.array_equal(drawn[:clip_part], real[:clip_part])
    # And ``kiosk tour`` itself draws its attract picture letterboxed in the same place.
    render_tour(Settings(), root, tmp_path / "tour", PORTRAIT, ["en"])
    pygame.display.init()  # render_tour quits pygame when it is done
    shot = pixels(pygame.image.load(str(tmp_path / "tour" / "en-01-attract.png")))
    assert lit_rows(shot[:clip_part])[0] == top
