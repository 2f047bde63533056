"""A finger on an explorer's card opens the explorer's first clip before the tap: the press.

The tap counts when the finger lifts; the gallery starts opening the clip under the finger when
it comes down, so the explorer's page is served from the preload. What was opened for a card
that was not chosen is let go, as is the next segment a page prepared once the visitor is back
in the gallery: never more than one clip is held there, and none outlives it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pygame
import pytest

from kiosk.app import make_context
from kiosk.content.model import Collection, Segment
from kiosk.media import Player, PlayerState
from kiosk.settings import Settings, TimeoutSettings
from kiosk.ui.input import Gesture
from kiosk.ui.layout import explorer_regions
from kiosk.ui.loop import Loop
from kiosk.ui.scenes import GalleryScene
from testkit.ui import Rig
from testkit.waits import wait_for

pytestmark = pytest.mark.usefixtures("pygame_display")

SIZE = (1280, 720)


class Visit:
    """The real loop and a real player (no sound device) on an off-screen surface; the mouse
    is pressed and released through pygame events, as the kiosk gets them."""

    def __init__(self, collection: Collection, player: Player) -> None:
        self.now = 1000.0
        self.player = player
        self.ctx = make_context(collection, Settings(), player, SIZE)
        self.ctx.emit = lambda event: None
        self.loop = Loop(self.ctx, pygame.Surface(SIZE), now=lambda: self.now)

    def down(self, pos: tuple[int, int]) -> None:
        self.loop.step([pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1)])

    def up(self, pos: tuple[int, int]) -> None:
        self.loop.step([pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=1)])

    def tap(self, pos: tuple[int, int]) -> None:
        self.down(pos)
        self.up(pos)

    def gallery(self) -> GalleryScene:
        self.tap((SIZE[0] // 2, SIZE[1] // 2))  # any tap leaves the attract loop
        scene = self.loop.scene
        assert isinstance(scene, GalleryScene)
        return scene

    def card(self, slug: str) -> tuple[pygame.Rect, Segment]:
        scene = self.loop.scene
        assert isinstance(scene, GalleryScene)
        rect, explorer = next((r, e) for r, e in scene.cards if e.slug == slug)
        return rect, explorer.segments[0]


@pytest.fixture
def visit(small: Collection) -> Iterator[Visit]:
    with Player(SIZE, audio="null") as player:
        yield Visit(small, player)


def test_a_finger_on_a_card_opens_its_clip_and_the_page_starts_it_at_once(visit: Visit) -> None:
    visit.gallery()
    rect, seg = visit.card("alpha")
    visit.down(rect.center)
    assert visit.loop.scene.name == "gallery"  # nothing is tapped until the finger lifts
    assert wait_for(lambda: visit.player.is_preloaded(seg))
    visit.up(rect.center)
    assert visit.loop.scene.name == "explorer"
    assert visit.player.segment == seg and visit.player.state is PlayerState.PLAYING
    assert not visit.player.is_preloaded(seg)  # play() took the preloaded clip
    # Its first picture is there already, made at the size the page shows it (not scaled on
    # the UI thread): a clip opened now would have nothing yet.
    frame = visit.player.latest_frame()
    assert frame is not None
    panel = explorer_regions(visit.ctx.layout).video
    assert frame.size[0] <= panel.w and frame.size[1] <= panel.h
    assert panel.w - frame.size[0] <= 1 or panel.h - frame.size[1] <= 1


def test_a_touch_outside_the_cards_or_a_key_preloads_nothing(small: Collection) -> None:
    rig = Rig(small, size=SIZE)
    rig.tap((SIZE[0] // 2, SIZE[1] // 2))
    scene = rig.loop.scene
    assert isinstance(scene, GalleryScene)
    before = len(rig.player.calls)
    rig.loop.handle_gesture(Gesture("touch", (2, 2)), rig.now)  # the margin, above the title
    title = scene.heading.center
    rig.loop.handle_gesture(Gesture("touch", title), rig.now)
    rig.loop.step([pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RIGHT)])
    assert not [c for c in rig.player.calls[before:] if c.startswith("preload")]
    assert scene.preloaded is None


def test_a_touch_under_the_countdown_preloads_nothing(small: Collection) -> None:
    rig = Rig(small, size=SIZE, settings=Settings(timeouts=TimeoutSettings(idle_s=10)))
    rig.tap((SIZE[0] // 2, SIZE[1] // 2))
    rig.wait(11)
    assert rig.loop.countdown_left(rig.now) is not None
    scene = rig.loop.scene
    assert isinstance(scene, GalleryScene)
    before = len(rig.player.calls)
    rig.loop.handle_gesture(Gesture("touch", scene.cards[0][0].center), rig.now)
    assert not [c for c in rig.player.calls[before:] if c.startswith("preload")]


def test_a_swipe_from_one_card_to_another_holds_one_clip(visit: Visit) -> None:
    visit.gallery()
    (alpha, a), (beta, b) = visit.card("alpha"), visit.card("beta")
    visit.down(alpha.center)
    visit.up((alpha.centerx + SIZE[0] // 3, alpha.centery))  # a swipe: no tap
    assert visit.loop.scene.name == "gallery"
    assert wait_for(lambda: visit.player.is_preloaded(a))
    visit.down(beta.center)
    assert wait_for(lambda: visit.player.is_preloaded(b))
    assert not visit.player.is_preloaded(a)  # the card left behind let its clip go
    visit.down(beta.center)  # the same card again: the clip already opened is kept
    assert visit.player.is_preloaded(b)
    visit.up(beta.center)
    assert visit.loop.scene.name == "explorer" and visit.player.segment == b
    visit.player.stop()
    assert visit.player.wait_idle()
    # Only the page's own preload of its next segment remains, within the player's slots.
    assert visit.player.stats()["decoders_alive"] <= visit.player.preload_slots


def test_a_clip_opened_for_a_card_not_chosen_does_not_outlive_the_visit(visit: Visit) -> None:
    visit.gallery()
    beta, b = visit.card("beta")
    visit.down(beta.center)
    assert wait_for(lambda: visit.player.is_preloaded(b))
    visit.loop.step([pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE)])  # goodbye
    assert visit.loop.scene.name == "attract"
    assert not visit.player.is_preloaded(b)
    # Its decode threads stop: only the attract loop's clip (and the next one it prepares) runs.
    visit.player.wait_idle()
    assert wait_for(lambda: visit.player.stats()["decoders_alive"] <= 2)


def test_a_clip_opened_for_a_card_is_let_go_when_another_is_chosen_by_key(visit: Visit) -> None:
    visit.gallery()
    beta, b = visit.card("beta")
    _, a = visit.card("alpha")
    visit.down(beta.center)
    visit.up((beta.centerx, beta.centery + SIZE[1] // 3))  # a swipe down: nothing happens
    assert wait_for(lambda: visit.player.is_preloaded(b))
    visit.loop.step([pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN)])  # the first card
    assert visit.loop.scene.name == "explorer" and visit.player.segment == a
    assert not visit.player.is_preloaded(b)


def test_leaving_the_gallery_lets_go_of_the_last_page_s_next_segment(visit: Visit) -> None:
    visit.gallery()
    alpha, clip = visit.card("alpha")
    cut = next(e for e in visit.ctx.collection.explorers if e.slug == "alpha").segments[1]
    visit.tap(alpha.center)
    assert visit.loop.scene.name == "explorer"
    # The page prepares its next segment once its clip's first picture has come.
    assert wait_for(lambda: (visit.loop.step([]), visit.player.is_preloaded(cut))[1])
    visit.loop.step([pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE)])  # back
    assert visit.loop.scene.name == "gallery" and visit.player.is_preloaded(cut)
    visit.loop.step([pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE)])  # goodbye
    assert visit.loop.scene.name == "attract"
    assert not visit.player.is_preloaded(cut) and not visit.player.is_preloaded(clip)


def test_a_finger_on_a_card_lets_go_of_the_last_page_s_next_segment(visit: Visit) -> None:
    visit.gallery()
    alpha, _ = visit.card("alpha")
    cut = next(e for e in visit.ctx.collection.explorers if e.slug == "alpha").segments[1]
    visit.tap(alpha.center)
    assert wait_for(lambda: (visit.loop.step([]), visit.player.is_preloaded(cut))[1])
    visit.loop.step([pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE)])  # back
    beta, b = visit.card("beta")
    visit.down(beta.center)
    assert wait_for(lambda: visit.player.is_preloaded(b))
    assert not visit.player.is_preloaded(cut)  # one clip held: the card's under the finger
