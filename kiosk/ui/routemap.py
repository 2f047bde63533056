"""The animated route map beside the clip: the polar coast, the explorer's whole road, and the
road travelled as far as the clip has got, with a pulsing marker at its head.

The coast and the whole road are drawn once into a background shared by the maps of one explorer
and size; while a clip plays, :meth:`RouteMap.advance` repaints only the box around the marker
that moved (a whole map cost ~1.1 ms ten times a second on the main thread, a box ~0.3 ms).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pygame

from kiosk.content import geo
from kiosk.content.model import Explorer
from kiosk.ui.text import TextCache
from kiosk.ui.widgets import Palette


@dataclass(frozen=True)
class _Rings:
    """Rings already projected to unit coordinates, with their bounding boxes for culling."""

    xy: tuple[Any, ...]
    boxes: Any  # (N, 4): min x, min y, max x, max y

    def visible(self, x0: float, y0: float, x1: float, y1: float) -> list[Any]:
        b = self.boxes
        if len(b) == 0:
            return []
        hit = (b[:, 2] >= x0) & (b[:, 0] <= x1) & (b[:, 3] >= y0) & (b[:, 1] <= y1)
        return [self.xy[i] for i in np.flatnonzero(hit)]


def _rings(rings: Sequence[Any]) -> _Rings:
    xy = tuple(geo.project_many(r[:, 0], r[:, 1]) for r in rings)
    boxes = np.array([[*a.min(axis=0), *a.max(axis=0)] for a in xy]) if xy else np.zeros((0, 4))
    return _Rings(xy, boxes)


@lru_cache(maxsize=1)
def _projected_coast() -> tuple[_Rings, _Rings, _Rings] | None:
    """The coastline projected once per process: every map after the first only scales it."""
    try:
        coast = geo.load_coastline()
    except (OSError, ValueError):
        return None
    return _rings(coast.land), _rings(coast.lakes), _rings(coast.outlines)


Point = tuple[float, float]
_PULSE_MAX = 13  # the marker's largest radius in pixels: 10 + 3 sin(4t)


@dataclass(frozen=True)
class _Drawn:
    """The map as last drawn: where, at what clip time, and its head."""

    pos: tuple[int, int]
    t: float
    leg: int
    reached: int
    count: int  # points of the road travelled
    head: Point


class RouteMap:
    """An explorer's route on the polar map, drawn as far as the clip has got.

    The coastline and the whole route are drawn once into a cached background; each frame only
    adds the travelled part and the marker, so the map costs little while a clip plays.
    """

    def __init__(
        self,
        explorer: Explorer,
        size: tuple[int, int],
        pal: Palette,
        lang: str,
        backgrounds: dict[tuple[str, tuple[int, int]], pygame.Surface] | None = None,
        *,
        circa: str,
    ) -> None:
        self.explorer = explorer
        self.circa = circa  # the word before an approximate year, in ``lang``
        # Shared between maps of the same explorer and size: a language switch redraws none.
        self.backgrounds = backgrounds if backgrounds is not None else {}
        self.size = size
        self.pal = pal
        self.lang = lang
        self.route: geo.Route | None = None
        self.fit: geo.Fit | None = None
        self.background: pygame.Surface | None = None
        # Per leg: the road behind it and the leg's own points, in map pixels (_travelled).
        self._behind: tuple[int, list[Point], list[Point]] | None = None
        self._drawn: _Drawn | None = None  # what the last draw showed (advance)
        points = [(p.lat, p.lon) for p in explorer.route]
        if len(points) >= 2:
            first = explorer.segments[0] if explorer.segments else None
            end = (first.duration if first else None) or 20.0
            times = geo.fill_times([p.at for p in explorer.route], 0.0, end)
            self.route = geo.Route(points, times)
            xy = geo.project_many([p[0] for p in points], [p[1] for p in points])
            self.fit = geo.fit_bounds(xy, (0, 0, size[0], size[1]), margin=0.12, min_span=0.12)

    def _travelled(self, t: float) -> list[tuple[float, float]]:
        """The route travelled at ``t`` in map pixels: the legs behind, the leg under way's
        fixed points passed so far, and the head. The legs behind and the leg under way are
        projected once per leg, not with every frame. The leg's points are the same at every
        ``t`` (``leg_path`` of the whole leg), so the road already drawn never moves and
        :meth:`advance` repaints only around the head."""
        assert self.route is not None
        leg, u = self.route.leg_at_time(t)
        if self._behind is None or self._behind[0] != leg:
            pts = [self.route.points[0]]
            for i in range(leg):
                pts += self.route.leg_path(i)
            ahead = self.route.leg_path(leg)
            self._behind = (
                leg,
                self._px(np.array(pts, dtype=np.float64)),
                self._px(np.array(ahead, dtype=np.float64)) if ahead else [],
            )
        _, behind, leg_points = self._behind
        if u <= 0.0 or not leg_points:
            return list(behind)
        # leg_path's points lie at s/n of the leg (s = 1..n): those before u are passed.
        passed = leg_points[: max(0, math.ceil(u * len(leg_points)) - 1)]
        lat, lon = self.route.at_time(t)
        return behind + passed + self._px(np.array([[lat, lon]], dtype=np.float64))

    def _px(self, latlon: geo.FloatArray) -> list[tuple[float, float]]:
        assert self.fit is not None
        xy = self.fit.apply(geo.project_many(latlon[:, 0], latlon[:, 1]))
        return [(float(x), float(y)) for x, y in xy]

    def _build_background(self) -> pygame.Surface:
        w, h = self.size
        bg = pygame.Surface(self.size)
        sea = tuple(max(0, c - 8) for c in self.pal.surface)
        bg.fill(sea)
        land = tuple(min(255, c + 22) for c in self.pal.surface)
        shore = tuple(min(255, c + 60) for c in self.pal.surface)
        coast = _projected_coast()
        if coast is not None and self.fit is not None:
            # Only rings that reach into the map (with a margin) are scaled and drawn.
            x0, y0 = self.fit.invert(-0.2 * w, -0.2 * h)
            x1, y1 = self.fit.invert(1.2 * w, 1.2 * h)
            lands, lakes, outlines = coast
            for rings, colour, kind in (
                (lands, land, "fill"),
                (lakes, sea, "fill"),
                (outlines, shore, "line"),
            ):
                for ring in rings.visible(x0, y0, x1, y1):
                    pts = self.fit.apply(ring).tolist()
                    if kind == "fill" and len(pts) >= 3:
                        pygame.draw.polygon(bg, colour, pts)
                    elif kind == "line" and len(pts) >= 2:
                        pygame.draw.lines(bg, colour, False, pts, 1)
        if self.route is not None:
            whole = self._px(self.route.path_at_time(self.route.times[-1]))
            if len(whole) >= 2:
                # The road still ahead: visible, but quieter than the road travelled.
                ahead = tuple(
                    (2 * a + b) // 3 for a, b in zip(self.pal.surface, self.pal.accent, strict=True)
                )
                pygame.draw.lines(bg, ahead, False, whole, 2)
        return bg

    def draw(
        self, surf: pygame.Surface, pos: tuple[int, int], t: float, cache: TextCache, px: int
    ) -> pygame.Rect:
        """Draw the whole map at ``pos`` as it is at clip time ``t``; returns where it went.
        Nothing is drawn outside it (a marker near the edge is cut, not drawn over the page)."""
        area = pygame.Rect(pos, self.size)
        clip = surf.get_clip()
        surf.set_clip(area.clip(clip))
        try:
            self._paint(surf, pos, t, cache, px)
        finally:
            surf.set_clip(clip)
        return area

    def advance(
        self, surf: pygame.Surface, pos: tuple[int, int], t: float, cache: TextCache, px: int
    ) -> pygame.Rect:
        """Bring the map drawn at ``pos`` to clip time ``t``, repainting only what changed since
        the last draw; returns the part of ``surf`` repainted.

        Between two places on the road only the head moves: the box around the old and the
        new marker and the road between them is repainted, with everything in it drawn in the
        same order as a whole map, so the picture is the one :meth:`draw` makes. A place
        reached (its name appears), a new leg, a clock gone back or another position: the
        whole map."""
        last = self._drawn
        if self.route is None or last is None or last.pos != pos or t < last.t:
            return self.draw(surf, pos, t, cache, px)
        leg, _ = self.route.leg_at_time(t)
        if leg != last.leg or self.route.reached(t) != last.reached:
            return self.draw(surf, pos, t, cache, px)
        done = self._travelled(t)
        # Points before the old head stay; the segment from the one before it to the old head
        # is replaced by the road from there to the new head.
        moved = [*done[max(0, last.count - 2) :], last.head]
        xs, ys = [p[0] for p in moved], [p[1] for p in moved]
        reach = _PULSE_MAX + 2  # the marker's ring (wider than the road's half width)
        box = pygame.Rect(
            math.floor(min(xs)) - reach + pos[0],
            math.floor(min(ys)) - reach + pos[1],
            math.ceil(max(xs) - min(xs)) + 2 * reach + 1,
            math.ceil(max(ys) - min(ys)) + 2 * reach + 1,
        ).clip(pygame.Rect(pos, self.size))
        clip = surf.get_clip()
        surf.set_clip(box.clip(clip))
        try:
            self._paint(surf, pos, t, cache, px, done)
        finally:
            surf.set_clip(clip)
        return box

    def _paint(
        self,
        surf: pygame.Surface,
        pos: tuple[int, int],
        t: float,
        cache: TextCache,
        px: int,
        travelled: list[tuple[float, float]] | None = None,
    ) -> None:
        if self.background is None:
            key = (self.explorer.slug, self.size)
            if key not in self.backgrounds:
                self.backgrounds[key] = self._build_background()
            self.background = self.backgrounds[key]
        surf.blit(self.background, pos)
        if self.route is None or self.fit is None:
            self._drawn = None
            return
        ox, oy = pos
        route = travelled if travelled is not None else self._travelled(t)
        done = [(x + ox, y + oy) for x, y in route]
        if len(done) >= 2:
            pygame.draw.lines(surf, self.pal.accent, False, done, 5)
        reached = self.route.reached(t)
        for i, p in enumerate(self.explorer.route):
            x, y = self.fit.point(p.lat, p.lon)
            at = (round(x + ox), round(y + oy))
            pygame.draw.circle(
                surf, self.pal.accent if i < reached else self.pal.text, at, 7 if i < reached else 4
            )
        if reached:
            # Only the latest place is named: close places would write over each other.
            p = self.explorer.route[reached - 1]
            x, y = self.fit.point(p.lat, p.lon)
            name = p.label.get(self.lang)
            if p.date is not None:
                name = f"{name} · {p.date.display(circa=self.circa)}"
            label = cache.render(name, "sans-bold", px, self.pal.text)
            box = label.get_rect()
            box.midbottom = (round(x + ox), round(y + oy) - 12)
            box.clamp_ip(pygame.Rect(ox + 4, oy + 4, self.size[0] - 8, self.size[1] - 8))
            shade = pygame.Surface(box.inflate(12, 6).size, pygame.SRCALPHA)
            shade.fill((*self.pal.bg, 200))
            surf.blit(shade, box.inflate(12, 6))
            surf.blit(label, box)
        if done:
            pulse = 10 + 3 * math.sin(t * 4)
            mx, my = done[-1]
            pygame.draw.circle(surf, self.pal.text, (round(mx), round(my)), int(pulse), 3)
        leg, _ = self.route.leg_at_time(t)
        head = route[-1] if route else (0.0, 0.0)
        self._drawn = _Drawn(pos, t, leg, reached, len(route), head)
