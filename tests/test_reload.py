"""A newly installed release reaches the running kiosk between visits, never during one; a
release that cannot be shown sends the kiosk back to the previous one."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pygame
import pytest

from kiosk.app import make_context
from kiosk.delivery import releases
from kiosk.delivery.signing import SecretKey
from kiosk.delivery.source import ContentSource
from kiosk.settings import Settings, TimeoutSettings
from kiosk.ui.context import Transition
from kiosk.ui.loop import Loop
from testkit.packs import build_pack, retitle
from testkit.ui_fakes import FakePlayer

pytestmark = pytest.mark.usefixtures("pygame_display")


def _install(src: Path, tmp: Path, root: Path, key: SecretKey, version: int) -> str:
    pack = build_pack(src, tmp / f"v{version}.wrpack", key, version)
    result = releases.install_pack(pack, root, [key.public], probe=None)
    return result.release.name


def test_release_installed_mid_visit_shows_after_the_visit(
    make_collection: Callable[..., Path], tmp_path: Path
) -> None:
    key = SecretKey.generate()
    src = make_collection()
    root = tmp_path / "releases"
    first = _install(src, tmp_path, root, key, 1)
    source = ContentSource(None, root)
    loaded = source.load_initial()
    assert loaded is not None and loaded.release == first
    now = [0.0]
    settings = Settings(timeouts=TimeoutSettings(idle_s=30, countdown_s=10))
    ctx = make_context(loaded.collection, settings, FakePlayer(), (1280, 720))
    loop = Loop(ctx, pygame.Surface((1280, 720)), now=lambda: now[0], source=source)
    # A visitor comes; meanwhile a curator installs a new release.
    loop.go(Transition("gallery"))
    loop.go(Transition("explorer", "alpha"))
    retitle(src, "White Road II")
    second = _install(src, tmp_path, root, key, 2)
    assert source.check_once() is not None
    for _ in range(5):
        now[0] += 5
        loop.step([])
        assert ctx.collection.title.get("en") == "White Road"  # never mid-visit
    assert loop.scene.name == "explorer"
    now[0] += 40  # the visitor leaves: countdown, then the attract loop
    loop.step([])
    assert loop.scene.name == "attract"
    loop.step([])
    assert ctx.collection.title.get("en") == "White Road II"
    assert source.release == second
    assert releases.read_state(root).confirmed


def test_unshowable_release_falls_back_to_the_previous(
    make_collection: Callable[..., Path], tmp_path: Path
) -> None:
    key = SecretKey.generate()
    src = make_collection()
    root = tmp_path / "releases"
    first = _install(src, tmp_path, root, key, 1)
    ContentSource(None, root).load_initial()
    releases.confirm(root)
    second = _install(src, tmp_path, root, key, 2)
    # The new release turns out unusable on this machine (e.g. a disk error ate its explorers).
    current = releases.current_release(root)
    assert current is not None and current.name == second
    shutil.rmtree(current.content / "explorers")
    loaded = ContentSource(None, root).load_initial()
    assert loaded is not None and loaded.release == first
    now_current = releases.current_release(root)
    assert now_current is not None and now_current.name == first


def test_crash_loop_returns_to_the_previous_release(
    make_collection: Callable[..., Path], tmp_path: Path
) -> None:
    key = SecretKey.generate()
    src = make_collection()
    root = tmp_path / "releases"
    first = _install(src, tmp_path, root, key, 1)
    releases.confirm(root)
    second = _install(src, tmp_path, root, key, 2)
    # Three starts that never confirm (the kiosk crashed each time), then the fourth.
    for _ in range(3):
        loaded = ContentSource(None, root, max_boots=3).load_initial()
        assert loaded is not None and loaded.release == second
    loaded = ContentSource(None, root, max_boots=3).load_initial()
    assert loaded is not None and loaded.release == first
