"""Composition root: settings -> content -> the scene loop.

Until the full visitor interface lands this shows a first, honest version of the exhibit: the
collection's title and invitation in every language, the explorers as cards in chronological
order, and each explorer's summary and key facts. Bad content never stops it: a collection that
cannot be loaded shows a calm "temporarily unavailable" screen and the problems go to the log.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import pygame

from kiosk.content.loader import load_collection
from kiosk.content.model import Collection, Explorer
from kiosk.settings import Settings
from kiosk.ui import theme

log = logging.getLogger(__name__)


@dataclass
class View:
    """What is on screen: the home page, or one explorer (by slug)."""

    lang: str
    explorer: str | None = None


def _wrap(text: str, fnt: pygame.font.Font, width: int) -> list[str]:
    lines: list[str] = []
    for para in text.split("\n"):
        words, line = para.split(), ""
        for word in words:
            trial = f"{line} {word}".strip()
            if fnt.size(trial)[0] <= width or not line:
                line = trial
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines


class Painter:
    """Draws the placeholder scenes onto any surface (window or off-screen for ``tour``)."""

    def __init__(self, collection: Collection | None, settings: Settings, size: tuple[int, int]):
        self.collection = collection
        self.size = size
        self.metrics = theme.Metrics(size, settings.display.screen_width_mm)
        th = collection.theme if collection else None
        self.bg = theme.hex_rgb(th.background if th else "#0b1622")
        self.surface_col = theme.hex_rgb(th.surface if th else "#13243a")
        self.fg = theme.hex_rgb(th.text if th else "#f2f6fa")
        self.accent = theme.hex_rgb(th.accent if th else "#9fd3ff")
        self.portraits: dict[str, pygame.Surface] = {}
        self.cards: list[tuple[pygame.Rect, str]] = []

    def _portrait(self, explorer: Explorer, side: int) -> pygame.Surface | None:
        key = f"{explorer.slug}:{side}"
        if key not in self.portraits and explorer.portrait is not None:
            try:
                img = pygame.image.load(str(explorer.portrait))
                self.portraits[key] = pygame.transform.smoothscale(img, (side, side))
            except (pygame.error, OSError) as exc:
                log.warning("portrait of %s cannot be shown: %s", explorer.slug, exc)
                self.portraits[key] = pygame.Surface((0, 0))
        surf = self.portraits.get(key)
        return surf if surf is not None and surf.get_width() else None

    def draw(self, surf: pygame.Surface, view: View) -> None:
        surf.fill(self.bg)
        if self.collection is None:
            self._unavailable(surf)
        elif view.explorer is None:
            self._home(surf, self.collection, view.lang)
        else:
            self._explorer(surf, self.collection.explorer(view.explorer), view.lang)

    def _text(
        self,
        surf: pygame.Surface,
        text: str,
        kind: str,
        px: int,
        pos: tuple[int, int],
        colour: tuple[int, int, int] | None = None,
        center: bool = False,
    ) -> pygame.Rect:
        img = theme.font(kind, px).render(text, True, colour or self.fg)
        rect = img.get_rect(midtop=pos) if center else img.get_rect(topleft=pos)
        surf.blit(img, rect)
        return rect

    def _unavailable(self, surf: pygame.Surface) -> None:
        w, h = self.size
        self._text(
            surf,
            "Экспозиция временно недоступна",
            "sans-bold",
            h // 16,
            (w // 2, h // 3),
            center=True,
        )
        self._text(
            surf,
            "The exhibit is temporarily unavailable",
            "sans",
            h // 22,
            (w // 2, h // 3 + h // 10),
            self.accent,
            center=True,
        )

    def _home(self, surf: pygame.Surface, c: Collection, lang: str) -> None:
        w, h = self.size
        mm = self.metrics.mm
        y = h // 14
        self._text(surf, c.title.get(lang), "serif", h // 11, (w // 2, y), center=True)
        y += h // 11 + h // 40
        self._text(
            surf, c.subtitle.get(lang), "sans", h // 30, (w // 2, y), self.accent, center=True
        )
        y += h // 12
        others = [c.invitation.get(x) for x in c.languages if x != lang]
        self._text(surf, c.invitation.get(lang), "sans-bold", h // 28, (w // 2, y), center=True)
        if others:
            self._text(
                surf,
                "  ·  ".join(others),
                "sans",
                h // 40,
                (w // 2, y + h // 22),
                self.accent,
                center=True,
            )
        # Cards in the lower two thirds, within reach from a wheelchair.
        n = max(1, len(c.explorers))
        cols = min(n, 3 if w < h else 6)
        rows = -(-n // cols)
        gap = mm(6)
        top = h // 3 + h // 12
        card_w = (w - gap * (cols + 1)) // cols
        card_h = min((h - top - gap * (rows + 1)) // rows, int(card_w * 1.45))
        self.cards = []
        for i, e in enumerate(c.explorers):
            r, col = divmod(i, cols)
            rect = pygame.Rect(
                gap + col * (card_w + gap), top + gap + r * (card_h + gap), card_w, card_h
            )
            pygame.draw.rect(surf, self.surface_col, rect, border_radius=mm(3))
            side = min(card_w - 2 * mm(4), card_h // 2)
            portrait = self._portrait(e, side)
            if portrait is not None:
                surf.blit(portrait, portrait.get_rect(midtop=(rect.centerx, rect.top + mm(4))))
            ty = rect.top + mm(4) + side + mm(3)
            name_px = max(12, min(card_w // 11, h // 34))
            for line in _wrap(e.name.get(lang), theme.font("sans-bold", name_px), card_w - mm(6)):
                self._text(surf, line, "sans-bold", name_px, (rect.centerx, ty), center=True)
                ty += int(name_px * 1.25)
            self._text(
                surf,
                e.years(lang),
                "sans",
                int(name_px * 0.85),
                (rect.centerx, ty + 4),
                self.accent,
                center=True,
            )
            self.cards.append((rect, e.slug))

    def _explorer(self, surf: pygame.Surface, e: Explorer, lang: str) -> None:
        w, h = self.size
        mm = self.metrics.mm
        margin = mm(12)
        y = margin
        self._text(surf, e.name.get(lang), "serif", h // 14, (margin, y))
        y += h // 14 + mm(3)
        self._text(surf, e.years(lang), "sans", h // 30, (margin, y), self.accent)
        y += h // 30 + mm(8)
        body_px = max(14, h // 38)
        col_w = w - 2 * margin if w < h else int(w * 0.55)
        fnt = theme.font("serif", body_px)
        for line in _wrap(e.summary.get(lang), fnt, col_w):
            self._text(surf, line, "serif", body_px, (margin, y))
            y += int(body_px * 1.45)
        y += mm(6)
        fx = margin if w < h else margin + col_w + mm(16)
        fy = y if w < h else margin + h // 14 + h // 30 + mm(11)
        fact_w = w - fx - margin
        small = max(12, h // 46)
        for fact in e.facts:
            self._text(surf, fact.date.display(lang), "sans-bold", small, (fx, fy), self.accent)
            fy += int(small * 1.35)
            for line in _wrap(fact.text.get(lang), theme.font("sans", small), fact_w):
                self._text(surf, line, "sans", small, (fx, fy))
                fy += int(small * 1.35)
            fy += mm(3)
        hint = {"ru": "Коснитесь, чтобы вернуться", "en": "Touch to go back"}.get(lang, "←")
        self._text(
            surf, hint, "sans", small, (w // 2, h - margin - small), self.accent, center=True
        )

    def hit(self, pos: tuple[int, int]) -> str | None:
        for rect, slug in self.cards:
            if rect.collidepoint(pos):
                return slug
        return None


def _load(content_dir: Path) -> Collection | None:
    result = load_collection(content_dir)
    for p in result.errors:
        log.error("%s", p)
    if result.collection is None or not result.collection.explorers:
        log.error("collection in %s cannot be shown; showing the 'unavailable' screen", content_dir)
        return None
    return result.collection


def _languages(collection: Collection | None, settings: Settings) -> list[str]:
    if collection is None:
        return ["ru"]
    enabled = [x for x in settings.languages.enabled if x in collection.languages]
    return enabled or list(collection.languages)


def render_tour(
    settings: Settings, content_dir: Path, out: Path, size: tuple[int, int], langs: list[str]
) -> list[Path]:
    """Write a PNG of every scene in every language; return the files written."""
    import os

    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    pygame.display.init()
    pygame.font.init()
    try:
        collection = _load(content_dir)
        painter = Painter(collection, settings, size)
        out.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        surf = pygame.Surface(size)
        for lang in langs or _languages(collection, settings):
            views = [View(lang)]
            if collection is not None:
                views += [View(lang, e.slug) for e in collection.explorers]
            for view in views:
                painter.draw(surf, view)
                name = f"{lang}-{view.explorer or 'home'}.png"
                pygame.image.save(surf, str(out / name))
                written.append(out / name)
        return written
    finally:
        pygame.quit()


def run_kiosk(
    settings: Settings,
    content_dir: Path,
    *,
    fullscreen: bool | None = None,
    max_seconds: float | None = None,
) -> int:
    """The kiosk's main loop. Returns the process exit code."""
    pygame.display.init()
    pygame.font.init()
    full = settings.display.fullscreen if fullscreen is None else fullscreen
    try:
        if full:
            screen = pygame.display.set_mode((0, 0), pygame.FULLSCREEN)
        else:
            screen = pygame.display.set_mode((settings.display.width, settings.display.height))
    except pygame.error as exc:
        log.error("cannot open the screen: %s", exc)
        pygame.quit()
        return 3
    pygame.display.set_caption("White Road")
    collection = _load(content_dir)
    langs = _languages(collection, settings)
    default = settings.languages.default or (collection.default_language if collection else "ru")
    view = View(default if default in langs else langs[0])
    painter = Painter(collection, settings, screen.get_size())
    started = time.monotonic()
    dirty = True
    running = True
    while running:
        if max_seconds is not None and time.monotonic() - started > max_seconds:
            break
        # Block while nothing moves: an idle kiosk uses almost no CPU.
        event = pygame.event.wait(500)
        events = [event, *pygame.event.get()] if event.type != pygame.NOEVENT else []
        for ev in events:
            if ev.type == pygame.QUIT or (
                ev.type == pygame.KEYDOWN and ev.key == pygame.K_ESCAPE and not full
            ):
                running = False
            elif ev.type == pygame.KEYDOWN and ev.key == pygame.K_l:
                view.lang = langs[(langs.index(view.lang) + 1) % len(langs)]
                dirty = True
            elif ev.type == pygame.MOUSEBUTTONUP:
                if view.explorer is None:
                    view.explorer = painter.hit(ev.pos)
                else:
                    view.explorer = None
                dirty = True
            elif ev.type in (pygame.WINDOWEXPOSED, pygame.VIDEOEXPOSE):
                dirty = True
        if dirty:
            painter.draw(screen, view)
            pygame.display.flip()
            dirty = False
    pygame.quit()
    return 0
