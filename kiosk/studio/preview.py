"""Previews drawn by the kiosk's own renderer, on one thread that owns pygame.

A preview is made the way ``kiosk tour`` makes its pictures: the kiosk's context, loop and scenes
on an off-screen surface, time frozen, a still in place of the clip. So what the studio shows is
what the kiosk draws, pixel for pixel (a test compares the two). pygame is not thread-safe, so
every pygame call of the studio (previews, and the validator's text-fit checks) runs on the one
worker thread of :class:`Renderer`. Pictures are kept until the collection changes.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from kiosk.studio import parts
from kiosk.studio.checks import Fingerprint, fingerprint

T = TypeVar("T")

SCENES = ("attract", "gallery", "explorer", "facts", "still-there")


@dataclass(frozen=True)
class Shot:
    """Which picture: a scene (with an explorer for the explorer page), language, shape, size."""

    scene: str
    lang: str
    slug: str | None = None
    portrait: bool = False
    large_text: bool = False


class Renderer:
    """The studio's pygame thread, and the previews it draws."""

    def __init__(self, root: Path, settings: parts.Settings) -> None:
        self.root = root
        self.settings = settings
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="studio-pygame")
        self._started = False
        self._collection: tuple[Fingerprint, Any] | None = None
        self._pictures: dict[tuple[Fingerprint, Shot], bytes] = {}
        self._lock = threading.Lock()

    def run(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the pygame thread and wait for it."""
        return self._pool.submit(self._on_thread, fn).result()

    def _on_thread(self, fn: Callable[[], T]) -> T:
        if not self._started:
            os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
            os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
            import pygame

            pygame.display.init()
            pygame.font.init()
            self._started = True
        return fn()

    def close(self) -> None:
        def quit_() -> None:
            import pygame

            from kiosk.ui import theme

            theme.release()
            pygame.quit()

        if self._started:
            self._pool.submit(quit_).result()
        self._pool.shutdown(wait=True)

    def size(self, portrait: bool) -> tuple[int, int]:
        w, h = self.settings.display.width, self.settings.display.height
        w, h = max(w, h), min(w, h)
        return (h, w) if portrait else (w, h)

    def collection(self, print_: Fingerprint) -> Any:
        """The collection as the kiosk loads it (None if it cannot be shown), per fingerprint."""
        if self._collection is not None and self._collection[0] == print_:
            return self._collection[1]
        loaded = None
        if self._collection is not None and self._collection[1] is not None:
            loaded = reload_changed(self.root, self._collection, print_)
        if loaded is None:
            from kiosk.app import load_for_show

            loaded = load_for_show(self.root)
        self._collection = (print_, loaded)
        return loaded

    def png(self, shot: Shot) -> bytes:
        """The picture of ``shot`` as PNG bytes, drawn by the kiosk's scenes."""
        with self._lock:
            print_ = fingerprint(self.root)
            key = (print_, shot)
            if key in self._pictures:
                return self._pictures[key]
            data = self.run(lambda: self._draw(print_, shot))
            if len(self._pictures) > 256:
                self._pictures.clear()
            self._pictures[key] = data
            return data

    def _draw(self, print_: Fingerprint, shot: Shot) -> bytes:
        import pygame

        surf = pygame.Surface(self.size(shot.portrait))
        collection = self.collection(print_)
        if collection is None:
            from kiosk.app import draw_unavailable

            draw_unavailable(surf)
        else:
            draw_scene(collection, self.settings, surf, shot)
        buf = io.BytesIO()
        pygame.image.save(surf, buf, "preview.png")
        return buf.getvalue()


def draw_scene(collection: Any, settings: parts.Settings, surf: Any, shot: Shot) -> None:
    """Draw one scene exactly as ``kiosk tour`` does: the kiosk's context and loop, frozen time,
    a still player at the tour's moment."""
    from kiosk.app import make_context, tour_gallery
    from kiosk.media.stills import StillPlayer
    from kiosk.ui.context import Transition
    from kiosk.ui.loop import Loop
    from kiosk.ui.scenes import ExplorerScene

    clock = [0.0]
    player = StillPlayer(at=8.0)
    ctx = make_context(collection, settings, player, surf.get_size())
    ctx.lang = shot.lang if shot.lang in collection.languages else collection.default_language
    if shot.large_text != ctx.large_text:
        ctx.set_large_text(shot.large_text)
    loop = Loop(ctx, surf, now=lambda: clock[0])
    try:
        if shot.scene in ("gallery", "explorer", "facts", "still-there"):
            tour_gallery(loop, shot.lang if shot.lang in collection.languages else ctx.lang)
            if shot.scene != "gallery":
                ctx.mirror_available = False  # as the tour draws the pages after the gallery
        if shot.scene in ("explorer", "facts"):
            slug = shot.slug or collection.explorers[0].slug
            loop.go(Transition("explorer", slug))
            if shot.scene == "facts" and isinstance(loop.scene, ExplorerScene):
                loop.scene.on_button("tab:facts")
        if shot.scene == "still-there":
            clock[0] += settings.timeouts.idle_s + 1
            loop.step([])
        loop.draw()
    finally:
        player.close()


def reload_changed(root: Path, before: tuple[Fingerprint, Any], now: Fingerprint) -> Any:
    """The collection with only the explorers whose files changed read again (with the
    loader's own per-explorer reader), or None when more than explorers changed (then the
    whole collection is loaded again). A save of one explorer then costs one file, not all."""
    from dataclasses import replace

    from kiosk.content.explorer_file import read_explorer

    old_print, collection = before
    changed = set(old_print) ^ set(now)
    folder = (root / "explorers").resolve()
    slugs: set[str] = set()
    for name, _size, _mtime in changed:
        try:
            rel = Path(name).resolve().relative_to(folder)
        except ValueError:
            return None
        if len(rel.parts) < 2:
            return None
        slugs.add(rel.parts[0])
    by_slug = {e.slug: e for e in collection.explorers}
    if not slugs or not slugs <= set(by_slug):
        return None  # a new or a broken explorer: the loader decides from scratch
    problems: list[Any] = []
    fresh = dict(by_slug)
    for slug in slugs:
        explorer = read_explorer(
            folder / slug / "explorer.yaml",
            problems,
            collection.languages,
            collection.default_language,
            collection.masters,
            {},
        )
        if explorer is None:
            return None
        fresh[slug] = explorer
    # The attract montage holds segments of explorers: take them from the fresh ones.
    where = {id(s): (e.slug, s.id) for e in collection.explorers for s in e.segments}
    attract = []
    for seg in collection.attract:
        slug, seg_id = where.get(id(seg), (None, None))
        match = [s for s in fresh[slug].segments if s.id == seg_id] if slug in fresh else []
        if not match:
            return None
        attract.append(match[0])
    explorers = tuple(sorted(fresh.values(), key=lambda e: e.sort_key))
    return replace(collection, explorers=explorers, attract=tuple(attract))
