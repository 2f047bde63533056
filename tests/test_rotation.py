"""Clips filmed on a phone held upright: stored on their side (or upside down) with a rotation in
the container's display matrix, played upright, letterboxed, wherever the kiosk shows a clip.

Every check reads the picture itself: the synthetic clips carry their frame number as a barcode
along the top edge of the upright picture (``testkit.synth``), so a picture shown on its side or
upside down reads as a wrong number, or none.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pygame
import pytest

from kiosk.app import make_context, render_tour
from kiosk.content.loader import load_collection
from kiosk.content.model import Collection
from kiosk.media.convert import SCREEN_FORMAT
from kiosk.media.player import Player, PlayerState
from kiosk.media.stills import StillPlayer
from kiosk.settings import Settings
from kiosk.ui.context import Transition
from kiosk.ui.layout import explorer_regions
from kiosk.ui.loop import Loop
from testkit.media import ClipFactory, drive, segment
from testkit.synth import read_barcode
from testkit.waits import wait_for

pytestmark = pytest.mark.usefixtures("pygame_display")

ROTATIONS = [90, 180, 270]
FPS = 25.0
SCREEN = (1280, 720)


def phone_clip(clips: ClipFactory, rotation: int) -> Path:
    """2 s filmed upright (portrait) or upside down (landscape), stored turned as a phone does."""
    size = (180, 320) if rotation % 180 else (320, 180)
    return clips(
        f"phone{rotation}.mp4", size=size, duration=2.0, fps=FPS, rotation=rotation, upright=True
    )


def with_clip(root: Path, clip: Path) -> Collection:
    """``make_collection``'s collection with explorer alpha's clip (also the attract loop's)
    replaced by ``clip``."""
    shutil.copy(clip, root / "explorers" / "alpha" / "clips" / "clip.mp4")
    collection = load_collection(root).collection
    assert collection is not None
    return collection


def picture(surf: pygame.Surface, box: pygame.Rect, size: tuple[int, int]) -> np.ndarray:
    """The picture of ``size`` on ``surf`` inside ``box``, after checking that it sits in the
    middle of ``box`` (to a pixel) and that the rest of ``box``, the letterbox, is black."""
    px = pygame.surfarray.array3d(surf.subsurface(box)).transpose(1, 0, 2)
    lit = px.any(axis=2)
    cols, rows = np.flatnonzero(lit.any(axis=0)), np.flatnonzero(lit.any(axis=1))
    x0, x1, y0, y1 = cols[0], cols[-1] + 1, rows[0], rows[-1] + 1
    assert (x1 - x0, y1 - y0) == size, "the picture is not the frame's size"
    assert abs(x0 - (box.w - x1)) <= 1 and abs(y0 - (box.h - y1)) <= 1, "not centred"
    pic = px[y0:y1, x0:x1]
    assert pic[size[1] // 3 :].mean() > 30, "no picture"
    return pic


def play_until(loop: Loop, player: Player, t: float) -> None:
    """Run the loop until the clip's clock passes ``t``, then pause on the frame shown."""

    def ticked() -> bool:
        loop.step([])
        loop.draw()
        return player.clock() >= t

    assert wait_for(ticked, timeout=20.0, poll=0.01), "the clip did not play"
    player.pause()
    loop.draw()


def expected(clock: float) -> int:
    return int(clock * FPS + 1e-6)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")
@pytest.mark.parametrize("rotation", ROTATIONS)
def test_the_clips_are_what_ffmpeg_calls_upright(
    clips: ClipFactory, rotation: int, tmp_path: Path
) -> None:
    # FFmpeg's own player logic (autorotate) is the reference for what the matrix means.
    still = tmp_path / "frame.png"
    clip = str(phone_clip(clips, rotation))
    pick = ["-vf", r"select=eq(n\,7)", "-frames:v", "1"]
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", clip, *pick, str(still)],
        check=True,
        timeout=60,
    )
    from PIL import Image

    img = np.asarray(Image.open(still).convert("RGB"))
    assert read_barcode(img) == 7
    assert (img.shape[0] > img.shape[1]) == (rotation % 180 == 90)


@pytest.mark.parametrize("rotation", ROTATIONS)
def test_the_player_delivers_every_frame_upright(clips: ClipFactory, rotation: int) -> None:
    with Player((400, 400), audio="null", pixel_format=SCREEN_FORMAT) as player:
        player.play(segment(phone_clip(clips, rotation)))
        played = drive(player, timeout=20)
    frames = [f for _, f in played.frames]
    assert played.barcodes() == list(range(len(frames))) and len(frames) >= 45
    w, h = frames[0].size
    assert (h > w) == (rotation % 180 == 90)  # portrait stays portrait, fitted into the box
    assert max(w, h) == 400


@pytest.mark.parametrize("rotation", ROTATIONS)
def test_the_explorer_page_shows_it_upright_letterboxed(
    clips: ClipFactory, make_collection: Callable[..., Path], rotation: int
) -> None:
    collection = with_clip(make_collection(), phone_clip(clips, rotation))
    surf = pygame.Surface(SCREEN)
    with Player(SCREEN, audio="null", pixel_format=SCREEN_FORMAT) as player:
        ctx = make_context(collection, Settings(), player, SCREEN)
        ctx.captions_on = False  # a caption over the picture would hide nothing, but keep it bare
        loop = Loop(ctx, surf)
        loop.go(Transition("explorer", "alpha"))
        play_until(loop, player, 1.0)
        frame = player.latest_frame()
        assert frame is not None and player.state is PlayerState.PAUSED
        panel = explorer_regions(ctx.layout).video
        pic = picture(surf, panel, frame.size)
        assert read_barcode(pic) == expected(frame.pts)  # the frame drawn, read upright
        if rotation % 180:
            assert frame.size[1] == panel.h and frame.size[0] < panel.w // 2  # upright: narrow


@pytest.mark.parametrize("rotation", ROTATIONS)
def test_the_attract_loop_shows_it_upright_letterboxed(
    clips: ClipFactory, make_collection: Callable[..., Path], rotation: int
) -> None:
    collection = with_clip(make_collection(), phone_clip(clips, rotation))
    surf = pygame.Surface(SCREEN)
    with Player(SCREEN, audio="null", pixel_format=SCREEN_FORMAT) as player:
        ctx = make_context(collection, Settings(), player, SCREEN)
        loop = Loop(ctx, surf)  # starts in the attract loop, whose montage is alpha's clip
        assert loop.scene.name == "attract"
        play_until(loop, player, 1.0)
        frame = player.latest_frame()
        assert frame is not None
        # The montage's words sit on a band over the lower part; the top half is the clip's.
        w, h = frame.size
        top = pygame.Rect(0, 0, SCREEN[0], min(h, SCREEN[1] // 2))
        pic = picture(surf, top, (w, top.h))
        assert read_barcode(pic) == expected(frame.pts)  # the frame drawn, read upright


@pytest.mark.parametrize("rotation", ROTATIONS)
def test_the_tour_shows_it_upright(
    clips: ClipFactory, make_collection: Callable[..., Path], rotation: int, tmp_path: Path
) -> None:
    root = make_collection()
    collection = with_clip(root, phone_clip(clips, rotation))
    out = tmp_path / "tour"
    render_tour(Settings(), root, out, SCREEN, ["en"])
    pygame.display.init()  # render_tour quits pygame when it is done
    pygame.font.init()
    shot = pygame.image.load(str(out / "en-03-alpha.png"))
    ctx = make_context(collection, Settings(), StillPlayer(), SCREEN)
    panel = explorer_regions(ctx.layout).video
    # The tour's player stands still at 8 s, or just before the end of a shorter clip.
    still = StillPlayer(at=8.0)
    still.set_size(panel.size)
    still.play(collection.explorer("alpha").segments[0])
    frame = still.latest_frame()
    assert frame is not None
    pic = picture(shot, panel, frame.size)
    assert expected(1.9) - 1 <= read_barcode(pic) <= 49  # the frame of its last moment
    assert (frame.size[1] > frame.size[0]) == (rotation % 180 == 90)


def test_validate_names_the_rotation_and_the_shape(
    clips: ClipFactory, make_collection: Callable[..., Path]
) -> None:
    from kiosk.content.validate import validate
    from kiosk.media.probe import probe_deep

    root = make_collection()
    target = root / "explorers" / "alpha" / "clips" / "clip.mp4"
    for rotation in ROTATIONS:
        shutil.copy(phone_clip(clips, rotation), target)
        notes = [p.message for p in validate(root, probe_deep).warnings if "turned" in p.message]
        assert len(notes) == 1, notes
        note = notes[0]
        assert f"turned {rotation}°" in note
        if rotation % 180:
            assert "stored on its side (320x180" in note
            assert "plays it upright, 180x320 (portrait), letterboxed" in note
        else:
            assert "stored upside down (320x180" in note and "320x180 (landscape)" in note
