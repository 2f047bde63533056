"""The clip's picture on screen: the straight copy into an XRGB screen draws what pygame's blit
draws, and every other surface still gets the picture through the blit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pygame
import pytest

from kiosk.ui import video
from kiosk.ui.video import blit_frame, frame_surface, letterbox


@dataclass(frozen=True)
class _Frame:
    data: Any
    size: tuple[int, int]
    pts: float = 0.0
    format: str = "BGRA"


def _opaque_bgra(w: int, h: int, seed: int = 1) -> np.ndarray:
    """A frame as the decode thread makes it: BGRA, C-contiguous, every alpha 255."""
    rng = np.random.default_rng(seed)
    arr = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
    arr[..., 3] = 255
    return arr


def _reference(surface: pygame.Surface, frame: _Frame, pos: tuple[int, int]) -> bytes:
    ref = surface.copy()
    ref.blit(frame_surface(frame), pos)
    return pygame.image.tobytes(ref, "RGB")


def _xrgb(size: tuple[int, int]) -> pygame.Surface:
    surf = pygame.Surface(size, 0, 32, (0xFF0000, 0xFF00, 0xFF, 0))
    surf.fill((20, 40, 60))
    return surf


def test_a_frame_copied_into_an_xrgb_screen_is_the_picture_pygame_would_blit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    surf = _xrgb((320, 200))
    frame = _Frame(_opaque_bgra(124, 70), (124, 70))
    want = _reference(surf, frame, (101, 57))

    def no_blit(_frame: Any) -> pygame.Surface:
        raise AssertionError("an XRGB screen must get the frame's rows copied, not blitted")

    monkeypatch.setattr(video, "frame_surface", no_blit)
    got = blit_frame(surf, frame, (101, 57))
    assert got == pygame.Rect(101, 57, 124, 70)
    assert pygame.image.tobytes(surf, "RGB") == want
    surf.fill((0, 0, 0))  # the surface is unlocked again: it can be drawn on and blitted
    pygame.Surface((8, 8)).blit(surf, (0, 0))


@pytest.mark.parametrize(
    "surface",
    [
        pytest.param(lambda: pygame.Surface((160, 100), 0, 24), id="24-bit"),
        pytest.param(
            lambda: pygame.Surface((160, 100), 0, 32, (0xFF, 0xFF00, 0xFF0000, 0)), id="XBGR"
        ),
        pytest.param(lambda: pygame.Surface((160, 100), 0, 16), id="16-bit"),
    ],
)
def test_other_surfaces_get_the_same_picture_through_the_blit(surface: Any) -> None:
    surf = surface()
    surf.fill((90, 10, 200))
    frame = _Frame(_opaque_bgra(60, 40, seed=2), (60, 40))
    want = _reference(surf, frame, (30, 20))
    blit_frame(surf, frame, (30, 20))
    assert pygame.image.tobytes(surf, "RGB") == want


def test_a_frame_reaching_past_the_clip_leaves_the_rest_of_the_screen_alone() -> None:
    surf = _xrgb((160, 100))
    surf.set_clip(pygame.Rect(0, 0, 100, 100))
    frame = _Frame(_opaque_bgra(80, 50, seed=3), (80, 50))
    want = _reference(surf, frame, (60, 10))
    blit_frame(surf, frame, (60, 10))
    assert pygame.image.tobytes(surf, "RGB") == want
    assert surf.get_at((150, 30))[:3] == (20, 40, 60)  # right of the clip: untouched


def test_rgb_frames_and_bytes_are_blitted() -> None:
    surf = _xrgb((64, 48))
    rgb = np.random.default_rng(4).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    for data in (rgb, rgb.tobytes()):
        frame = _Frame(data, (30, 20), format="RGB")
        want = _reference(surf, frame, (5, 6))
        blit_frame(surf, frame, (5, 6))
        assert pygame.image.tobytes(surf, "RGB") == want


@pytest.mark.parametrize(
    "picture",
    [
        pygame.Rect(10, 0, 80, 50),  # pillarbox
        pygame.Rect(0, 5, 100, 40),  # letterbox
        pygame.Rect(1, 0, 98, 50),  # the worker's width rounded down to 4n pixels
        pygame.Rect(0, 0, 100, 50),  # fills the panel
        pygame.Rect(30, 10, 20, 20),  # small, in the middle
    ],
)
def test_the_bars_and_the_picture_cover_the_panel_exactly(picture: pygame.Rect) -> None:
    panel = pygame.Rect(0, 0, 100, 50)
    covered = np.zeros((50, 100), dtype=np.int32)
    for r in [picture, *letterbox(panel, picture)]:
        covered[r.top : r.bottom, r.left : r.right] += 1
    assert (covered == 1).all()
