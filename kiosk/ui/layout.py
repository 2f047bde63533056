"""Where things go on the visitor's pages: sizes and regions in pixels, from millimetres.

:class:`PageLayout` holds the sizes every page shares (margins, touch targets, type sizes, the
bottom bar), computed once per screen size and text size, so landscape and portrait screens share
one layout. :func:`gallery_grid` places the gallery's cards (the explorers', then the frost
mirror's), :func:`gallery_heading` and :func:`gallery_title_px` its title,
:func:`explorer_regions` places the explorer page's parts, and :func:`camera_sign_rect` and
:func:`invitation_rect` the attract loop's camera sign and invitation to the mirror. The scenes
draw with these, and ``kiosk content validate`` (:mod:`kiosk.ui.fit`) checks that texts fit with
the very same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import pygame

from kiosk.ui import theme
from kiosk.ui.text import fit_words, wrap_lines

LARGE_TEXT = 1.3  # how much larger type is in large-text mode
CARD_NAME_LARGE = 1.1  # a gallery card's name grows less: the card does not
BODY_LEADING = 1.45  # line height of the explorer's text panel, in type sizes


class PageLayout:
    """Sizes and regions of the screen in pixels for one screen size and text size."""

    def __init__(self, size: tuple[int, int], metrics: theme.Metrics, large: bool) -> None:
        w, h = size
        self.w, self.h = w, h
        self.large = large
        self.portrait = h > w
        mm = metrics.mm
        k = LARGE_TEXT if large else 1.0
        base = min(w, h)
        self.margin = max(12, mm(8))
        self.gap = max(8, mm(4))
        # Touch targets: at least 20 mm square.
        self.target = max(mm(20), 48)
        self.radius = max(6, mm(2.5))
        self.px_title = round(base * 0.062 * k)
        self.px_head = round(base * 0.042 * k)
        self.px_body = round(base * (0.030 if not self.portrait else 0.028) * k)
        self.px_small = round(base * 0.024 * k)
        self.px_button = round(min(self.target * 0.36, base * 0.026) * min(k, 1.15))
        self.px_caption = round(base * 0.032 * k)
        bar_h = self.target
        self.bottom_bar = pygame.Rect(
            self.margin, h - self.margin - bar_h, w - 2 * self.margin, bar_h
        )
        self.content = pygame.Rect(
            self.margin, self.margin, w - 2 * self.margin, self.bottom_bar.top - 2 * self.margin
        )

    @property
    def px_attract_title(self) -> int:
        """The collection's title over the attract loop."""
        return int(self.px_title * 1.3)

    @property
    def px_card_name(self) -> int:
        """An explorer's name on a gallery card, before it shrinks to fit the card."""
        return self.px_head if not self.large else int(self.px_head * CARD_NAME_LARGE)


@dataclass(frozen=True)
class GalleryGrid:
    """The gallery's cards: ``cols`` x ``rows`` per page in ``area``, paged when they overflow.

    With ``mirror`` the last card is the frost mirror's, after every explorer's.
    """

    area: pygame.Rect
    cols: int
    rows: int
    pages: int
    card: tuple[int, int]
    gap: int
    mirror: bool = False

    @property
    def per_page(self) -> int:
        return self.cols * self.rows

    @property
    def arrows(self) -> bool:
        return self.pages > 1

    def cards(self, count: int) -> list[pygame.Rect]:
        """The rectangles of the first ``count`` cards on a page."""
        cw, ch = self.card
        out = []
        for i in range(count):
            r, c = divmod(i, self.cols)
            out.append(
                pygame.Rect(
                    self.area.left + c * (cw + self.gap),
                    self.area.top + r * (ch + self.gap),
                    cw,
                    ch,
                )
            )
        return out

    @property
    def name_width(self) -> int:
        """Room for the explorer's name on a card (inside its padding)."""
        return self.card[0] - 2 * self.gap


def gallery_grid(layout: PageLayout, explorers: int, mirror: bool = False) -> GalleryGrid:
    """Where the gallery puts ``explorers`` cards and, with ``mirror``, the frost mirror's card
    after them; room is left for page arrows if they page."""
    lay = layout
    area = lay.content.copy()
    head = _gallery_head(lay)
    area.top += head
    area.height -= head
    cols = 2 if lay.portrait else 3
    rows = 3 if lay.portrait else 2
    if lay.large:
        cols, rows = (2, 2) if lay.portrait else (3, 1)
    count = explorers + int(mirror)
    if mirror and explorers <= cols * rows < count:
        # The mirror's card alone on a second page would hardly be found: one more row
        # (portrait) or column (landscape) keeps it beside the explorers.
        if lay.portrait:
            rows += 1
        else:
            cols += 1
    pages = max(1, -(-count // (cols * rows)))
    if pages > 1:
        area.left += lay.target + lay.gap
        area.width -= 2 * (lay.target + lay.gap)
    cw = (area.w - lay.gap * (cols - 1)) // cols
    ch = (area.h - lay.gap * (rows - 1)) // rows
    return GalleryGrid(area, cols, rows, pages, (cw, ch), lay.gap, mirror)


def _gallery_head(layout: PageLayout) -> int:
    return int(layout.px_title * 1.6)


def gallery_heading(layout: PageLayout, grid: GalleryGrid, page_label: str = "") -> pygame.Rect:
    """The room of the gallery's title at the top of the page. When the gallery pages, its page
    number (``page_label``, e.g. "2 of 3") stands at the top right, and the centred title keeps
    clear of it on both sides."""
    lay = layout
    heading = pygame.Rect(lay.content.left, lay.content.top, lay.content.w, _gallery_head(lay))
    if grid.pages > 1 and page_label:
        label_w = theme.font("sans", lay.px_small).size(page_label)[0]
        heading.inflate_ip(-2 * (label_w + lay.gap), 0)
    return heading


def fit_line(text: str, kind: str, px: int, width: int, min_px: int) -> int:
    """The largest size from ``px`` down to ``min_px`` at which ``text`` fits ``width`` on one
    line (``min_px`` when even that is too wide: the fit check reports it)."""
    while px > min_px and theme.font(kind, px).size(text)[0] > width:
        px -= 1
    return px


CARD_NAME_LINES = 2  # a name on a gallery card takes at most two lines


def card_name_px(layout: PageLayout, name: str, width: int) -> int:
    """The size of a name on a gallery card ``width`` wide: the card's name size, smaller until
    every word fits and the name takes at most two lines (a long name on a narrow card, in large
    text on a portrait screen); never under the small text size (the fit check reports that)."""
    lay = layout
    return fit_lines(name, "sans-bold", lay.px_card_name, width, lay.px_small, CARD_NAME_LINES)


def fit_lines(text: str, kind: str, px: int, width: int, min_px: int, lines: int) -> int:
    """The largest size from ``px`` down to ``min_px`` at which every word of ``text`` fits
    ``width`` and the whole takes at most ``lines`` lines (``min_px`` when nothing does)."""
    px = fit_words(text, kind, px, width, min_px)
    while px > min_px and len(wrap_lines(text, kind, px, width)) > lines:
        px -= 1
    return px


def gallery_title_px(layout: PageLayout, heading: pygame.Rect, title: str) -> int:
    """The gallery title's size: the page's title size, smaller where a long title (a long
    language, large text on a portrait screen) would run past its ``heading`` room; never under
    the small text size."""
    return fit_line(title, "serif", layout.px_title, heading.w, layout.px_small)


def camera_sign_rect(layout: PageLayout) -> pygame.Rect:
    """The attract loop's "camera on" sign while it watches for a visitor: at the bottom left,
    on the title's dark band, clear of the title and of the clips' own captions at the top."""
    lay = layout
    h = round(lay.px_small * 2.9)  # room for two lines where one would run into the pulse
    w = lay.w // 2 - lay.target - lay.gap - lay.margin  # left of the touch pulse at the bottom
    return pygame.Rect(lay.margin, lay.h - lay.margin - h, w, h)


def invitation_rect(layout: PageLayout, languages: int) -> pygame.Rect:
    """The attract loop's invitation to the mirror: a plate at the top, where a visitor's eyes
    are, clear of the title's band at the bottom; the visitor's language on the first line,
    each other language on one line under it."""
    lay = layout
    w = lay.content.w if lay.portrait else int(lay.w * 0.62)
    lines = round(lay.px_head * 1.35) + max(0, languages - 1) * round(lay.px_body * 1.35)
    h = max(lay.target * 2, lines + 2 * lay.gap)
    return pygame.Rect((lay.w - w) // 2, lay.margin, w, h)


@dataclass(frozen=True)
class ExplorerRegions:
    """The explorer page: the clip, its controls, the route map, and the side with the texts."""

    video: pygame.Rect
    controls: pygame.Rect
    map: pygame.Rect
    side: pygame.Rect
    tabs_y: int  # the story/facts tabs' top
    panel: pygame.Rect  # the text panel, between the tabs and the page buttons
    nav_y: int  # the page buttons' top


def explorer_regions(layout: PageLayout) -> ExplorerRegions:
    lay = layout
    c = lay.content
    if lay.portrait:
        vw = c.w
        vh = vw * 9 // 16
        # Portrait: picture and map above, the controls below them in reach, then the text.
        video = pygame.Rect(c.left, c.top, vw, vh)
        map_h = int(c.h * 0.17)
        map_rect = pygame.Rect(c.left, video.bottom + lay.gap, c.w, map_h)
        controls = pygame.Rect(c.left, map_rect.bottom + lay.gap, c.w, lay.target)
        top = controls.bottom + lay.gap
        side = pygame.Rect(c.left, top, c.w, c.bottom - top)
    else:
        vw = int(c.w * 0.56)
        vh = vw * 9 // 16
        video = pygame.Rect(c.left, c.top, vw, vh)
        controls = pygame.Rect(c.left, video.bottom + lay.gap, vw, lay.target)
        top = controls.bottom + lay.gap
        map_rect = pygame.Rect(c.left, top, vw, c.bottom - top)
        left = c.left + vw + lay.margin
        side = pygame.Rect(left, c.top, c.right - left, c.h)
    # Title block, tabs, then the text panel with its page buttons at the bottom.
    head_h = int(lay.px_title * 1.25) + int(lay.px_body * 1.5)
    tabs_y = side.top + head_h + lay.gap
    nav_y = side.bottom - lay.target
    panel_top = tabs_y + lay.target + lay.gap
    panel = pygame.Rect(side.left, panel_top, side.w, nav_y - lay.gap - panel_top)
    return ExplorerRegions(video, controls, map_rect, side, tabs_y, panel, nav_y)
