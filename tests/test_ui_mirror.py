"""The frost mirror reached from the visitor's pages: fed from a real photograph, and with a fake
mirror the ways in (the gallery's card, the attract loop's invitation when someone is there)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pygame
import pytest

from kiosk.analytics.events import MirrorUsed, VisitStarted
from kiosk.content.loader import load_collection
from kiosk.content.model import Collection
from kiosk.settings import CameraSettings, PathSettings, Settings
from kiosk.ui import theme
from kiosk.ui.context import Transition
from kiosk.ui.input import Gesture
from kiosk.ui.layout import (
    PageLayout,
    camera_sign_rect,
    gallery_grid,
    gallery_title_px,
    invitation_rect,
)
from kiosk.ui.scenes import AttractScene, GalleryScene, MirrorUIScene
from testkit.ui import BUNDLED, Rig
from testkit.ui_fakes import FakeMirror

ROOT = Path(__file__).resolve().parent.parent
PHOTO = ROOT / "tests" / "data" / "mirror" / "astronaut.jpg"

pytestmark = pytest.mark.usefixtures("pygame_display")


def _settings() -> Settings:
    return Settings(
        camera=CameraSettings(device=str(PHOTO), width=320, height=240),
        paths=PathSettings(models=str(ROOT / "models" / "onnx")),
    )


def test_mirror_button_follows_the_camera(make_collection: Callable[..., Path]) -> None:
    from kiosk.mirror.service import create_mirror

    collection = load_collection(make_collection()).collection
    assert collection is not None
    settings = _settings()
    present = [True]
    rig = Rig(collection, settings=settings)
    rig.ctx.mirror = create_mirror(settings, warm_up=False)
    rig.loop.mirror_check = lambda: present[0]
    rig.tap((10, 10))
    rig.wait(0.1)
    assert rig.ctx.mirror_available
    rig.button("mirror")
    present[0] = False  # the camera is unplugged: the button goes within a few seconds
    rig.wait(6)
    assert not any(b.action == "mirror" for b in rig.loop.scene.buttons)
    present[0] = True
    rig.wait(6)
    rig.press("mirror")
    scene = rig.loop.scene
    assert isinstance(scene, MirrorUIScene)
    try:
        deadline = time.monotonic() + 20
        while rig.ctx.mirror.latest_frame() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert rig.ctx.mirror.latest_frame() is not None, rig.ctx.mirror.status()
        rig.wait(0.1)
        assert scene.buttons_at, "the mirror drew its buttons"
        rig.now += 12
        rig.tap(scene.buttons_at["back"].center)
        assert rig.loop.scene.name == "gallery"
        assert rig.ctx.mirror.status().camera_on is False
        used = [e for e in rig.events if isinstance(e, MirrorUsed)]
        assert len(used) == 1 and used[0].duration_s == pytest.approx(12.1, abs=0.05)
    finally:
        rig.ctx.mirror.stop()


def test_no_mirror_no_scene(make_collection: Callable[..., Path]) -> None:
    collection = load_collection(make_collection()).collection
    assert collection is not None
    rig = Rig(collection)
    rig.loop.go(Transition("mirror"))  # e.g. a stale tap after the camera went away
    assert rig.loop.scene.name == "gallery"


# ---- the way in: the gallery's card and the attract loop's invitation (a fake mirror) ----


def _rig(small: Collection, size: tuple[int, int] = (1920, 1080)) -> tuple[Rig, FakeMirror]:
    rig = Rig(small, size=size)
    mirror = FakeMirror()
    rig.ctx.mirror = mirror
    rig.ctx.mirror_available = True  # the loop's camera check says a camera is there
    return rig, mirror


def _invitation(rig: Rig) -> pygame.Rect:
    return invitation_rect(rig.ctx.layout, len(rig.ctx.languages))


def test_someone_in_front_of_the_kiosk_is_invited_to_the_mirror(small: Collection) -> None:
    rig, mirror = _rig(small)
    rig.wait(0.1)
    scene = rig.loop.scene
    assert isinstance(scene, AttractScene)
    assert mirror.calls == ["watch:True"] and mirror.watching  # the camera glances, slowly
    assert not scene.inviting  # nobody there: the attract loop as ever
    mirror.present = True
    rig.wait(0.1)
    rig.wait(0.4)  # it fades in
    assert scene.inviting
    # The invitation in the visitor's language, the others under it.
    plate = scene._invitation()
    assert plate.get_size() == _invitation(rig).size
    assert rig.ctx.t("mirror_invite") == "Подойдите ближе — увидите себя в инее"
    assert rig.ctx.t("mirror_invite", lang="en") == "Step closer: see yourself in the frost"
    rig.tap(_invitation(rig).center)
    assert rig.loop.scene.name == "mirror"
    assert mirror.calls[-2:] == ["watch:False", "start"]  # the watch lets go of the camera
    assert VisitStarted() in rig.events
    assert not [e for e in rig.events if type(e).__name__ not in KNOWN_EVENTS]


KNOWN_EVENTS = {"VisitStarted", "SceneViewed", "MirrorUsed", "VisitEnded"}


def test_a_tap_beside_the_invitation_still_opens_the_gallery(small: Collection) -> None:
    rig, mirror = _rig(small)
    mirror.present = True
    rig.wait(0.1)
    rig.wait(1.0)
    assert isinstance(rig.loop.scene, AttractScene) and rig.loop.scene.inviting
    rig.tap((rig.ctx.layout.w // 2, rig.ctx.layout.h - 10))
    assert rig.loop.scene.name == "gallery"
    assert mirror.calls[-1] == "watch:False" and not mirror.watching  # camera off on the pages


@pytest.mark.parametrize("why", ["hidden by staff", "no camera", "no mirror"])
def test_no_invitation_and_no_watch_when_the_mirror_is_off(small: Collection, why: str) -> None:
    rig, mirror = _rig(small)
    if why == "hidden by staff":
        rig.ctx.mirror_enabled = False
    elif why == "no camera":
        rig.ctx.mirror_available = False
    else:
        rig.ctx.mirror = None
    mirror.present = True
    for _ in range(5):
        rig.wait(0.3)
    scene = rig.loop.scene
    assert isinstance(scene, AttractScene)
    assert not scene.inviting and not scene.watching
    assert mirror.calls == [] and not mirror.watching
    rig.tap(_invitation(rig).center)
    assert rig.loop.scene.name == "gallery"


def test_the_watch_follows_the_mirror_being_switched_off_and_on(small: Collection) -> None:
    rig, mirror = _rig(small)
    mirror.present = True
    rig.wait(0.1)
    rig.wait(1.0)
    scene = rig.loop.scene
    assert isinstance(scene, AttractScene) and scene.inviting
    rig.ctx.mirror_enabled = False  # staff hide the mirror (admin panel)
    rig.wait(0.1)
    assert not mirror.watching and not scene.inviting
    rig.ctx.mirror_enabled = True
    rig.wait(0.1)
    assert mirror.watching
    assert mirror.calls == ["watch:True", "watch:False", "watch:True"]


def test_without_anyone_the_attract_loop_looks_as_ever(small: Collection) -> None:
    plain, _ = _rig(small)
    plain.ctx.mirror = None
    plain.wait(0.1)
    watched, _ = _rig(small)
    watched.wait(0.1)
    a = pygame.surfarray.array3d(plain.surface)
    b = pygame.surfarray.array3d(watched.surface)
    differs = (a != b).any(axis=2)
    # Only the small "camera on" sign at the bottom left tells them apart.
    sign = camera_sign_rect(watched.ctx.layout)
    ys, xs = differs.T.nonzero()
    assert len(xs) and sign.collidepoint(int(xs.min()), int(ys.min()))
    assert sign.collidepoint(int(xs.max()), int(ys.max()))


def test_the_gallery_has_a_mirror_card_among_the_explorers(small: Collection) -> None:
    rig, mirror = _rig(small)
    rig.tap((10, 10))
    scene = rig.loop.scene
    assert isinstance(scene, GalleryScene)
    assert scene.mirror_card is not None
    explorer_card = scene.cards[0][0]
    assert scene.mirror_card.size == explorer_card.size  # the same size, laid out with them
    assert scene.mirror_card.top == explorer_card.top  # beside them on the first page
    # Its button is the card itself; the bottom bar's small one is gone.
    assert [b.rect for b in scene.buttons if b.action == "mirror"] == [scene.mirror_card]
    rig.tap(scene.mirror_card.center)
    assert rig.loop.scene.name == "mirror" and mirror.running
    rig.loop.handle_gesture(Gesture("key", key="back"), rig.now)
    assert rig.loop.scene.name == "gallery" and not mirror.running


@pytest.mark.parametrize("why", ["hidden by staff", "no camera"])
def test_no_mirror_card_when_the_mirror_is_off(small: Collection, why: str) -> None:
    rig, _ = _rig(small)
    if why == "hidden by staff":
        rig.ctx.mirror_enabled = False
    else:
        rig.ctx.mirror_available = False
    rig.tap((10, 10))
    scene = rig.loop.scene
    assert isinstance(scene, GalleryScene)
    assert scene.mirror_card is None
    assert "mirror" not in [b.action for b in scene.buttons]
    assert len(scene.cards) == len(small.explorers)


def test_the_mirror_card_stays_beside_six_explorers() -> None:
    """Six explorers fill a page; the mirror's card makes room with one more column (landscape)
    or row (portrait) rather than going alone to a second page."""
    for size, grid_shape in (((1920, 1080), (4, 2)), ((1080, 1920), (2, 4))):
        lay = PageLayout(size, theme.Metrics(size), False)
        assert (gallery_grid(lay, 6).cols, gallery_grid(lay, 6).rows) == (
            (3, 2) if size[0] > size[1] else (2, 3)
        )
        grid = gallery_grid(lay, 6, mirror=True)
        assert (grid.cols, grid.rows) == grid_shape and grid.pages == 1
        # Seven explorers already page: the card goes after them, no grid grows.
        assert gallery_grid(lay, 7, mirror=True).per_page == gallery_grid(lay, 7).per_page


@pytest.mark.parametrize("size", [(1080, 1920), (1920, 1080), (800, 1280), (1280, 800)])
@pytest.mark.parametrize("lang", ["ru", "en"])
@pytest.mark.parametrize("large", [False, True])
def test_the_gallery_title_never_runs_off_the_screen(
    size: tuple[int, int], lang: str, large: bool
) -> None:
    """A long title (Russian, large text, a portrait screen) gets smaller to fit its room, and
    keeps clear of the page number when the gallery pages."""
    c = load_collection(BUNDLED).collection
    assert c is not None
    rig = Rig(c, size=size)
    rig.ctx.lang = lang
    rig.ctx.set_large_text(large)
    rig.ctx.mirror_available = True
    rig.loop.go(Transition("gallery"))
    scene = rig.loop.scene
    assert isinstance(scene, GalleryScene)
    title = rig.ctx.t("choose")
    px = gallery_title_px(rig.ctx.layout, scene.heading, title)
    width = theme.font("serif", px).size(title)[0]
    assert width <= scene.heading.w <= rig.ctx.layout.w - 2 * rig.ctx.layout.margin
    assert px >= rig.ctx.layout.px_body  # still a heading
    # As drawn: nothing of the title in the margins on either side.
    rig.loop.draw()
    lay = rig.ctx.layout
    band = pygame.surfarray.array3d(rig.surface)[:, lay.margin : scene.heading.bottom]
    bg = np.array(rig.ctx.pal.bg)
    assert (band[: lay.margin] == bg).all() and (band[lay.w - lay.margin :] == bg).all()
    if scene.pages > 1:
        label = rig.ctx.t("page", i=scene.pages, n=scene.pages)
        label_w = theme.font("sans", rig.ctx.layout.px_small).size(label)[0]
        assert (
            scene.heading.centerx + width // 2 < rig.ctx.layout.w - rig.ctx.layout.margin - label_w
        )


def test_the_fit_check_sees_the_gallery_as_the_kiosk_draws_it(
    make_collection: Callable[..., Path],
) -> None:
    """``kiosk content validate`` measures with the same layout: the mirror's card among the
    explorers' where the settings switch the mirror on, and the gallery's title in its room."""
    from kiosk.settings import DisplaySettings
    from kiosk.ui.fit import check_text_fit

    portrait = DisplaySettings(width=1080, height=1920)
    bundled = load_collection(BUNDLED).collection
    assert bundled is not None
    for camera in (True, False):
        settings = Settings(display=portrait, camera=CameraSettings(enabled=camera))
        assert list(check_text_fit(bundled, settings)) == []
    root = make_collection()
    yaml = (root / "collection.yaml").read_text(encoding="utf-8")
    long_title = "Выберите путешественника, о котором хотите узнать всё-всё-всё"
    (root / "collection.yaml").write_text(
        yaml + f"words:\n  ru:\n    choose: {long_title}\n", encoding="utf-8"
    )
    c = load_collection(root).collection
    assert c is not None and c.word("ru", "choose") == long_title
    problems = list(check_text_fit(c, Settings(display=portrait)))
    assert [p.message for p in problems] == [
        "the gallery's title (ru, word 'choose') is too long for the screen at 1080x1920, "
        "large text"
    ]
    assert (
        problems[0].line
        == (root / "collection.yaml").read_text().splitlines().index(f"    choose: {long_title}")
        + 1
    )


@pytest.mark.parametrize("size", [(1080, 1920), (1920, 1080), (800, 1280)])
@pytest.mark.parametrize("large", [False, True])
def test_nothing_on_a_gallery_card_spills_out_of_it(size: tuple[int, int], large: bool) -> None:
    """Names, years and the mirror's card words, in both languages, on every page: between the
    cards there is only the page's background."""
    c = load_collection(BUNDLED).collection
    assert c is not None
    rig = Rig(c, size=size)
    rig.ctx.set_large_text(large)
    rig.ctx.mirror_available = True
    for lang in ("ru", "en"):
        rig.ctx.lang = lang
        rig.loop.go(Transition("gallery"))
        scene = rig.loop.scene
        assert isinstance(scene, GalleryScene)
        for page in range(scene.pages):
            scene.page = page
            scene.relayout()
            rig.loop.draw()
            pixels = pygame.surfarray.array3d(rig.surface)
            inside = np.zeros(size, bool)
            cards = [r for r, _ in scene.cards] + ([scene.mirror_card] if scene.mirror_card else [])
            for r in cards:
                inside[r.left : r.right, r.top : r.bottom] = True
            area = cards[0].unionall(cards)
            outside = ~inside[area.left : area.right, area.top : area.bottom]
            spill = (pixels[area.left : area.right, area.top : area.bottom] != rig.ctx.pal.bg).any(
                axis=2
            ) & outside
            assert not spill.any(), (lang, page, np.argwhere(spill)[:3] + area.topleft)
