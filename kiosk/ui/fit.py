"""Checks of a collection that need the screens themselves: does every text fit its panel at the
configured screen size (and in large-text mode), and can every image be shown?

A long body text pages, so it always fits; but a name, a summary or the collection's title that
cannot fit its place even at the smallest size is an error a curator must fix, and so is a
gallery title (the kiosk's word ``choose``, which a collection may write) that would have to
shrink below the body text's size. The gallery is checked as the kiosk draws it where the
settings switch the mirror on: with the mirror's card among the explorers'. Run by
``kiosk content validate`` through the validator's ``extra`` hook.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

import pygame

from kiosk.content.model import Collection
from kiosk.content.validate import find_line
from kiosk.settings import Settings
from kiosk.ui import theme
from kiosk.ui.layout import (
    CARD_NAME_LINES,
    PageLayout,
    card_name_px,
    explorer_regions,
    gallery_grid,
    gallery_heading,
    gallery_title_px,
)
from kiosk.ui.text import layout_text, wrap_lines
from kiosk.yamlsrc import Problem


def _sizes(settings: Settings) -> list[tuple[int, int]]:
    d = settings.display
    return [(d.width, d.height)]


def check_text_fit(collection: Collection, settings: Settings) -> Iterable[Problem]:
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    if not pygame.font.get_init():
        pygame.font.init()
    if not collection.explorers:
        return
    seen: set[tuple[str, str, str]] = set()
    for size in _sizes(settings):
        metrics = theme.Metrics(size, settings.display.screen_width_mm)
        for large in (False, True):
            layout = PageLayout(size, metrics, large)
            mode = f"{size[0]}x{size[1]}" + (", large text" if large else "")
            yield from _check_mode(collection, layout, mode, seen, settings.camera.enabled)


def _check_mode(
    collection: Collection,
    lay: PageLayout,
    mode: str,
    seen: set[tuple[str, str, str]],
    mirror: bool = True,
) -> Iterable[Problem]:
    """The scenes' own layout at one screen and text size: does each text fit its place?"""
    page = explorer_regions(lay)
    grid = gallery_grid(lay, len(collection.explorers), mirror)
    card_w = grid.name_width
    cpath = collection.root / "collection.yaml"

    def once(path: Path, key: str, problem: Problem) -> Iterable[Problem]:
        if (str(path), key, problem.message.split(" at ")[0]) not in seen:
            seen.add((str(path), key, problem.message.split(" at ")[0]))
            yield problem

    for lang in collection.languages:
        title = collection.title.get(lang)
        title_w = theme.font("serif", lay.px_attract_title).size(title)[0]
        if title_w > lay.w - 2 * lay.margin:
            yield from once(
                cpath,
                f"title{lang}",
                Problem(
                    cpath,
                    find_line(cpath, "title:"),
                    f"title ({lang}) is too long for the screen at {mode}",
                ),
            )
        choose = collection.word(lang, "choose")
        label = collection.word(lang, "page", i=grid.pages, n=grid.pages)
        heading = gallery_heading(lay, grid, label)
        px = gallery_title_px(lay, heading, choose)
        if px < lay.px_body or theme.font("serif", px).size(choose)[0] > heading.w:
            yield from once(
                cpath,
                f"choose{lang}",
                Problem(
                    cpath,
                    find_line(cpath, "choose:"),
                    f"the gallery's title ({lang}, word 'choose') is too long for the screen "
                    f"at {mode}",
                ),
            )
        for e in collection.explorers:
            ypath = e.folder / "explorer.yaml"
            name = e.name.get(lang)
            # The page shrinks a long name down to the body size, no further.
            if theme.font("serif", lay.px_body).size(name)[0] > page.side.w:
                yield from once(
                    ypath,
                    f"name{lang}",
                    Problem(
                        ypath,
                        find_line(ypath, "name:"),
                        f"name ({lang}) does not fit the explorer page at {mode}",
                    ),
                )
            px = card_name_px(lay, name, card_w)
            if len(wrap_lines(name, "sans-bold", px, card_w)) > CARD_NAME_LINES:
                yield from once(
                    ypath,
                    f"card{lang}",
                    Problem(
                        ypath,
                        find_line(ypath, "name:"),
                        f"name ({lang}) needs more than 2 lines on its gallery card at {mode}",
                    ),
                )
            summary = layout_text(e.summary.get(lang), "serif", lay.px_body, page.panel.size, lang)
            if summary.count > 1:
                yield from once(
                    ypath,
                    f"summary{lang}",
                    Problem(
                        ypath,
                        find_line(ypath, "summary:"),
                        f"summary ({lang}) is longer than one page of the text panel at {mode}; "
                        "shorten it (the body may be long: it pages)",
                    ),
                )


def check_images(collection: Collection, settings: Settings) -> Iterable[Problem]:
    rules = settings.validation
    for e in collection.explorers:
        if e.portrait is None:
            continue
        ypath = e.folder / "explorer.yaml"
        line = find_line(ypath, "portrait:")
        try:
            size = e.portrait.stat().st_size
        except OSError as exc:
            yield Problem(ypath, line, f"portrait cannot be read: {exc.strerror}")
            continue
        if size > rules.image_max_bytes:
            yield Problem(
                ypath,
                line,
                f"portrait is {size / 1e6:.0f} MB; at most {rules.image_max_bytes / 1e6:.0f} MB",
            )
            continue
        try:
            img = pygame.image.load(str(e.portrait))
        except (pygame.error, OSError, ValueError) as exc:
            yield Problem(ypath, line, f"portrait cannot be shown as an image: {exc}")
            continue
        w, h = img.get_size()
        if w * h > rules.image_max_pixels:
            yield Problem(ypath, line, f"portrait is {w}x{h} pixels; far larger than needed")
        elif max(w, h) > 3 * min(w, h):
            yield Problem(
                ypath, line, f"portrait is {w}x{h}: a square picture works best", "warning"
            )


def screen_checks(settings: Settings) -> Callable[[Collection], Iterable[Problem]]:
    """The validator's ``extra`` hook for these checks."""

    def run(collection: Collection) -> Iterable[Problem]:
        yield from check_text_fit(collection, settings)
        yield from check_images(collection, settings)

    return run
