"""The visitor's exhibit driven through its loop with a fake player and a frozen clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pygame
import pytest

from kiosk.analytics.events import (
    CaptionsToggled,
    EndReason,
    LanguageChosen,
    Scene,
    SceneViewed,
    VisitEnded,
    VisitStarted,
)
from kiosk.app import make_context
from kiosk.content.loader import load_collection
from kiosk.content.model import Collection
from kiosk.media import Player, PlayerState
from kiosk.media.stills import StillPlayer
from kiosk.settings import Settings, TimeoutSettings
from kiosk.ui import text as ktext
from kiosk.ui.context import Transition
from kiosk.ui.input import Gesture, InputMapper
from kiosk.ui.loop import Loop
from kiosk.ui.ports import PlayerPort
from kiosk.ui.scenes import SCENES, ExplorerScene, GalleryScene
from kiosk.ui.scenes.explorer import FIRST_FRAME_POLL_S
from kiosk.ui.widgets import contrast
from testkit.ui import BUNDLED, Rig
from testkit.ui_fakes import FakePlayer

pytestmark = pytest.mark.usefixtures("pygame_display")


def test_visit_attract_gallery_explorer_back(small: Collection) -> None:
    rig = Rig(small)
    assert rig.loop.scene.name == "attract"
    assert rig.player.calls[:1] == ["playlist:clip"]
    assert rig.player.volume == 0.0  # the montage plays without sound
    rig.tap((500, 500))
    assert rig.loop.scene.name == "gallery"
    assert VisitStarted() in rig.events
    scene = rig.loop.scene
    assert isinstance(scene, GalleryScene)
    rect, first = scene.cards[0]
    rig.tap(rect.center)
    assert rig.loop.scene.name == "explorer"
    assert first.slug == "alpha"
    assert rig.player.calls[-2:] == ["play:clip", "preload:cut"]
    rig.press("back")
    assert rig.loop.scene.name == "gallery"
    assert "stop" in rig.player.calls


def test_language_switch_mid_clip_keeps_place_and_playback(small: Collection) -> None:
    rig = Rig(small)
    rig.loop.go(Transition("explorer", "alpha"))
    scene = rig.loop.scene
    assert isinstance(scene, ExplorerScene)
    rig.player.time = 1.2
    rig.press("tab:facts")
    calls_before = list(rig.player.calls)
    assert rig.ctx.lang == "ru"
    rig.press("lang:en")
    assert rig.ctx.lang == "en"
    assert rig.loop.scene is scene and scene.tab == "facts"  # same place
    assert rig.player.calls == calls_before  # the clip was neither restarted nor stopped
    assert rig.player.state == PlayerState.PLAYING and rig.player.time == 1.2
    assert rig.player.caption(rig.ctx.lang) == "Boats."
    assert LanguageChosen("en") in rig.events
    # The language button shows which one is chosen.
    active = [b.action for b in scene.buttons if b.active and b.action.startswith("lang:")]
    assert active == ["lang:en"]


@pytest.mark.parametrize("where", ["gallery", "explorer", "explorer-paused"])
def test_idle_timeout_from_every_scene(small: Collection, where: str) -> None:
    settings = Settings(timeouts=TimeoutSettings(idle_s=30, countdown_s=10))
    rig = Rig(small, settings=settings)
    rig.tap((10, 10))
    if where.startswith("explorer"):
        rig.loop.go(Transition("explorer", "alpha"))
    if where == "explorer-paused":
        rig.press("playpause")
        assert rig.player.state == PlayerState.PAUSED
    rig.ctx.lang = "en"
    rig.wait(29)
    assert rig.loop.countdown_left(rig.now) is None
    rig.wait(2)
    assert rig.loop.countdown_left(rig.now) == pytest.approx(9, abs=0.01)
    rig.wait(5)
    assert rig.loop.scene.name != "attract"
    rig.wait(6)
    assert rig.loop.scene.name == "attract"
    assert rig.events[-2:] == [VisitEnded(EndReason.IDLE), SceneViewed(Scene.ATTRACT)]
    assert rig.ctx.lang == "ru"  # the next visitor starts afresh
    assert rig.housekeeping == 1  # between visitors: the kiosk gives freed memory back here


def test_touch_during_countdown_keeps_the_visit(small: Collection) -> None:
    rig = Rig(small, settings=Settings(timeouts=TimeoutSettings(idle_s=10, countdown_s=10)))
    rig.tap((10, 10))
    rig.wait(12)
    assert rig.loop.countdown_left(rig.now) is not None
    rig.tap((5, 5))
    assert rig.loop.countdown_left(rig.now) is None
    assert rig.loop.scene.name == "gallery"
    rig.wait(9)
    assert rig.loop.scene.name == "gallery"


def test_attract_never_times_out(small: Collection) -> None:
    rig = Rig(small)
    rig.wait(100000)
    assert rig.loop.scene.name == "attract" and rig.loop.countdown_left(rig.now) is None


def test_long_text_pages_and_never_overflows(small: Collection) -> None:
    rig = Rig(small)
    long_body = " ".join(["Необыкновенно-продолжительное путешествие через льды."] * 300)
    ktext_layout = ktext.layout_text(long_body, "serif", 32, (600, 400), "ru")
    assert ktext_layout.count > 10
    fnt = pygame.font.Font(str(__import__("kiosk.ui.theme", fromlist=["x"]).FONTS["serif"]), 32)
    for page in ktext_layout.pages:
        assert len(page) * ktext_layout.line_height <= 400
        for line in page:
            assert fnt.size(line)[0] <= 600, line
    # The explorer page: paging buttons walk through all pages and stop at the ends.
    rig.loop.go(Transition("explorer", "alpha"))
    scene = rig.loop.scene
    assert isinstance(scene, ExplorerScene)
    assert scene.text_layout is not None
    pages = scene.text_layout.count
    for _ in range(pages + 2):
        if any(b.action == "page+" and b.enabled for b in scene.buttons):
            rig.press("page+")
    assert scene.text_page == pages - 1


def test_long_words_are_hyphenated_or_cut() -> None:
    lines = ktext.wrap("Превысокомногорассмотрительствующий " * 3, 150, lambda s: len(s) * 10, "ru")
    assert all(len(line) * 10 <= 150 for line in lines)
    assert any(line.endswith("-") for line in lines)


def test_missing_clip_page_still_works(small: Collection) -> None:
    alpha = small.explorer("alpha")
    alpha.segments[0].path.unlink()
    rig = Rig(small)
    rig.loop.go(Transition("explorer", "alpha"))
    assert rig.player.state == PlayerState.FAILED
    rig.loop.draw()
    scene = rig.loop.scene
    assert isinstance(scene, ExplorerScene)
    rig.press("tab:facts")
    rig.press("next-seg")  # the other segment (a cut of the master) still plays
    assert rig.player.state == PlayerState.PLAYING
    rig.press("back")
    assert rig.loop.scene.name == "gallery"


def test_volume_stays_within_the_cap(small: Collection) -> None:
    from kiosk.settings import AudioSettings

    rig = Rig(small, settings=Settings(audio=AudioSettings(volume=0.5, volume_cap=0.6)))
    rig.loop.go(Transition("explorer", "alpha"))
    for _ in range(10):
        rig.press("vol+")
    assert rig.player.volume == pytest.approx(0.6)
    for _ in range(10):
        rig.press("vol-")
    assert rig.player.volume == 0.0


def test_captions_toggle(small: Collection) -> None:
    rig = Rig(small)
    rig.loop.go(Transition("explorer", "alpha"))
    assert rig.ctx.captions_on
    rig.press("captions")
    assert not rig.ctx.captions_on
    assert CaptionsToggled(False) in rig.events


def test_targets_are_big_enough_and_within_reach(small: Collection) -> None:
    for size in ((1920, 1080), (1080, 1920), (1280, 800)):
        rig = Rig(small, size=size)
        mm = rig.ctx.metrics.mm
        for tr in (Transition("gallery"), Transition("explorer", "alpha")):
            rig.loop.go(tr)
            for b in rig.loop.scene.buttons:
                assert b.rect.w >= mm(20) - 1 and b.rect.h >= mm(20) - 1, (size, b)
            controls = [b for b in rig.loop.scene.buttons if not b.action.startswith("tab:")]
            for b in controls:
                assert b.rect.top >= size[1] / 3 - 1, (size, b.action, b.rect)


def test_text_contrast(small: Collection) -> None:
    rig = Rig(small)
    pal = rig.ctx.pal
    assert contrast(pal.text, pal.bg) >= 4.5
    assert contrast(pal.text, pal.surface) >= 4.5
    assert contrast(pal.accent, pal.bg) >= 4.5
    assert contrast(pal.text, pal.button) >= 4.5
    assert contrast(pal.on_accent, pal.accent) >= 4.5
    assert contrast((255, 255, 255), (0, 0, 0)) == pytest.approx(21)


def test_bundled_theme_contrast() -> None:
    c = load_collection(BUNDLED).collection
    assert c is not None
    from kiosk.ui.widgets import Palette

    th = c.theme
    pal = Palette(th.background, th.surface, th.text, th.accent)
    for fg, bg in (
        (pal.text, pal.bg),
        (pal.text, pal.surface),
        (pal.accent, pal.bg),
        (pal.text, pal.button),
        (pal.on_accent, pal.accent),
        (pal.accent, pal.surface),
    ):
        assert contrast(fg, bg) >= 4.5, (fg, bg)


def test_touch_is_not_counted_twice() -> None:
    mapper = InputMapper((1000, 1000))
    down = pygame.event.Event(pygame.FINGERDOWN, x=0.5, y=0.5, finger_id=1, touch_id=1)
    up = pygame.event.Event(pygame.FINGERUP, x=0.5, y=0.5, finger_id=1, touch_id=1)
    mdown = pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(500, 500), button=1, touch=True)
    mup = pygame.event.Event(pygame.MOUSEBUTTONUP, pos=(500, 500), button=1, touch=True)
    gestures = []
    for ev in (down, mdown, up, mup):
        gestures += mapper.feed(ev, 0.0)
    assert [g.kind for g in gestures] == ["touch", "tap"]


def test_swipe_and_long_press() -> None:
    mapper = InputMapper((1000, 1000), long_press_s=0.8)
    ev = pygame.event.Event
    assert mapper.feed(ev(pygame.MOUSEBUTTONDOWN, pos=(800, 500), button=1), 0.0)[0].kind == "touch"
    mapper.feed(ev(pygame.MOUSEMOTION, pos=(300, 520), rel=(0, 0), buttons=(1, 0, 0)), 0.1)
    (swipe,) = mapper.feed(ev(pygame.MOUSEBUTTONUP, pos=(300, 520), button=1), 0.2)
    assert swipe.kind == "swipe" and swipe.direction == "left"
    mapper.feed(ev(pygame.MOUSEBUTTONDOWN, pos=(100, 100), button=1), 1.0)
    assert mapper.poll(1.5) == []
    (lp,) = mapper.poll(1.9)
    assert lp.kind == "long_press"
    assert mapper.feed(ev(pygame.MOUSEBUTTONUP, pos=(100, 100), button=1), 2.0) == []


def test_the_loop_knows_when_a_resting_finger_becomes_a_long_press() -> None:
    """The loop sleeps while a finger rests on a still scene (it wakes when the finger lifts)
    and must wake in time for the long press: the mapper says when that is."""
    mapper = InputMapper((1000, 1000), slop_px=24, long_press_s=0.8)
    ev = pygame.event.Event
    assert mapper.long_press_in(0.0) is None  # nothing down
    mapper.feed(ev(pygame.MOUSEBUTTONDOWN, pos=(100, 100), button=1), 1.0)
    assert mapper.long_press_in(1.3) == pytest.approx(0.5)
    assert mapper.long_press_in(2.5) == 0.0  # overdue: at once
    mapper.poll(2.5)
    assert mapper.long_press_in(2.6) is None  # sent already
    mapper.feed(ev(pygame.MOUSEBUTTONUP, pos=(100, 100), button=1), 2.7)
    mapper.feed(ev(pygame.MOUSEBUTTONDOWN, pos=(100, 100), button=1), 3.0)
    mapper.feed(ev(pygame.MOUSEMOTION, pos=(400, 100), rel=(0, 0), buttons=(1, 0, 0)), 3.1)
    assert mapper.long_press_in(3.2) is None  # a finger on its way (a swipe) never will


def test_a_finger_resting_on_a_still_page_still_becomes_a_long_press(small: Collection) -> None:
    """While a finger rests on a page where nothing moves, the loop sleeps on the event queue
    instead of pacing at the display's rate; it must still wake for the long press."""
    settings = Settings(timeouts=TimeoutSettings(long_press_s=0.2))
    ctx = make_context(small, settings, FakePlayer(), (800, 600))
    loop = Loop(ctx, pygame.display.set_mode((800, 600)))
    loop.go(Transition("gallery"))
    seen: list[str] = []
    handle = loop.handle_gesture

    def spy(g: Gesture, now: float) -> None:
        seen.append(g.kind)
        handle(g, now)

    loop.handle_gesture = spy  # type: ignore[method-assign]
    clock = [100.0]
    loop.now = lambda: clock[0]  # how long the loop sleeps, read on a clock the test moves
    assert loop._wait_ms() == 250  # nothing down: the idle timer's pace
    loop.step([pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(5, 300), button=1)])
    assert loop._wait_ms() == 200  # until the long press
    clock[0] += 0.15
    assert loop._wait_ms() == 50
    loop.step([pygame.event.Event(pygame.MOUSEBUTTONUP, pos=(5, 300), button=1)])
    seen.clear()
    loop.now = time.monotonic
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(5, 300), button=1))
    loop.run(max_seconds=1.5)
    assert seen[:2] == ["touch", "long_press"]
    assert not loop.scene.animating  # the still page the loop slept on


def test_the_explorer_page_looks_often_for_its_clips_first_picture(small: Collection) -> None:
    rig = Rig(small)
    rig.loop.go(Transition("explorer", small.explorers[0].slug))
    scene = rig.loop.scene
    assert isinstance(scene, ExplorerScene)
    scene._drawn_frame = None  # the clip started, its first picture not drawn yet
    assert scene.wake_in() == FIRST_FRAME_POLL_S  # not the display's rate
    rig.loop.draw()  # the picture came and is on screen
    assert scene._drawn_frame is not None
    assert scene.wake_in() is None  # the fake player does not say when the next one is due


def test_gallery_pages_when_cards_do_not_fit(make_collection: Callable[..., Path]) -> None:
    import shutil

    root = make_collection()
    for i in range(7):
        shutil.copytree(root / "explorers" / "beta", root / "explorers" / f"extra{i}")
    c = load_collection(root).collection
    assert c is not None and len(c.explorers) == 9
    rig = Rig(c)
    rig.loop.go(Transition("gallery"))
    scene = rig.loop.scene
    assert isinstance(scene, GalleryScene)
    assert scene.pages == 2 and len(scene.cards) == 6
    rig.loop.handle_gesture(Gesture("swipe", (1500, 500), dx=-600), rig.now)
    assert scene.page == 1 and len(scene.cards) == 3
    rig.press("prev")
    assert scene.page == 0


def test_the_back_key_on_the_gallery_says_goodbye(small: Collection) -> None:
    rig = Rig(small)
    rig.tap((10, 10))
    rig.ctx.lang = "en"
    rig.loop.handle_gesture(Gesture("key", key="back"), rig.now)
    assert rig.loop.scene.name == "attract"
    assert rig.events[-2:] == [VisitEnded(EndReason.GOODBYE), SceneViewed(Scene.ATTRACT)]
    assert rig.ctx.lang == "ru"


def test_every_scene_is_registered_by_its_name() -> None:
    assert set(SCENES) == {"attract", "gallery", "explorer", "mirror", "admin"}
    assert all(cls.name == name for name, cls in SCENES.items())


@pytest.mark.parametrize(
    "player", [FakePlayer(), StillPlayer(), Player], ids=["fake", "still", "media"]
)
def test_players_implement_the_whole_port(player: object) -> None:
    wanted = {name for name in vars(PlayerPort) if not name.startswith("_")}
    assert wanted and wanted <= set(dir(player)), wanted - set(dir(player))


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)])
def test_the_attract_loop_draws_the_same_picture_every_frame(
    small: Collection, size: tuple[int, int]
) -> None:
    # The scene keeps what does not change between frames (the band behind the words) and skips
    # clearing a screen its frame covers: every frame must still be the picture a fresh scene
    # draws, whatever the screen held before (a letterbox is cleared), in either text size.
    def fresh(large: bool, playing: bool = True) -> pygame.Surface:
        surf = pygame.Surface(size)
        ctx = make_context(small, Settings(), StillPlayer(at=1.0), size)
        ctx.set_large_text(large)
        loop = Loop(ctx, surf, now=lambda: 0.0)
        if not playing:
            ctx.player.stop()
        loop.draw()
        return surf

    surf = pygame.Surface(size)
    ctx = make_context(small, Settings(), StillPlayer(at=1.0), size)
    loop = Loop(ctx, surf, now=lambda: 0.0)
    assert loop.scene.name == "attract"
    for large, playing in [(False, True), (False, True), (True, True), (True, False)]:
        ctx.set_large_text(large)
        if not playing:
            ctx.player.stop()
        surf.fill((255, 255, 255))  # whatever the previous scene left
        loop.draw()
        expected = fresh(large, playing)
        assert pygame.image.tobytes(surf, "RGB") == pygame.image.tobytes(expected, "RGB")
