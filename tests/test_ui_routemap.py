"""The route map while a clip plays: repainting only around the marker gives the picture a whole
new map gives, at every step, and repaints far less than the whole map."""

from __future__ import annotations

from pathlib import Path

import pygame
import pytest

from kiosk.content.loader import load_collection
from kiosk.content.model import Explorer
from kiosk.ui.routemap import RouteMap
from kiosk.ui.text import TextCache
from kiosk.ui.widgets import Palette

CONTENT = Path(__file__).resolve().parent.parent / "content"
SIZE = (700, 420)
POS = (40, 30)


def _explorers() -> list[Explorer]:
    return [e for e in load_collection(CONTENT).collection.explorers if len(e.route) >= 2]


BACKGROUNDS: dict[tuple[str, tuple[int, int]], pygame.Surface] = {}  # the coast, drawn once


def _map(explorer: Explorer) -> RouteMap:
    pal = Palette("#0b1420", "#14263a", "#eef4fa", "#9fd3ff")
    return RouteMap(explorer, SIZE, pal, "en", BACKGROUNDS, circa="c.")


def _fresh(explorer: Explorer, t: float, cache: TextCache) -> bytes:
    screen = pygame.Surface((800, 500))
    screen.fill((1, 2, 3))
    _map(explorer).draw(screen, POS, t, cache, 18)
    return pygame.image.tobytes(screen, "RGB")


@pytest.mark.usefixtures("pygame_display")
@pytest.mark.parametrize("explorer", _explorers(), ids=lambda e: e.slug)
def test_stepping_the_map_draws_what_a_whole_map_draws(explorer: Explorer) -> None:
    cache = TextCache()
    live = _map(explorer)
    screen = pygame.Surface((800, 500))
    screen.fill((1, 2, 3))
    assert live.route is not None
    end = live.route.times[-1]
    live.draw(screen, POS, 0.0, cache, 18)
    partial = 0
    t = 0.0
    while t < end + 0.3:
        t += 0.1  # the explorer page's step while a clip plays
        box = live.advance(screen, POS, t, cache, 18)
        assert pygame.Rect(POS, SIZE).contains(box)
        if box.size != SIZE:
            partial += 1
            assert box.w * box.h < SIZE[0] * SIZE[1] // 4
        assert pygame.image.tobytes(screen, "RGB") == _fresh(explorer, t, cache), f"t={t:.1f}"
    assert partial > len(explorer.route)  # most steps repaint a small box, not the map


@pytest.mark.usefixtures("pygame_display")
def test_a_clock_gone_back_or_a_moved_map_is_drawn_whole() -> None:
    explorer = _explorers()[0]
    cache = TextCache()
    live = _map(explorer)
    screen = pygame.Surface((800, 500))
    screen.fill((1, 2, 3))
    live.draw(screen, POS, 3.0, cache, 18)
    assert live.advance(screen, POS, 1.0, cache, 18) == pygame.Rect(POS, SIZE)  # replay
    assert pygame.image.tobytes(screen, "RGB") == _fresh(explorer, 1.0, cache)
    moved = (POS[0] + 10, POS[1])
    assert live.advance(screen, moved, 1.1, cache, 18) == pygame.Rect(moved, SIZE)
