"""Render the exhibit's bundled demo media from the collection's YAML.

    python content/build/render.py [--content content] [--only SLUG|master]

For every explorer: ``explorers/<slug>/clips/voyage.mp4`` (20 s: title card, the route drawn on
a polar map reaching each point at its ``at`` time, closing card) and
``explorers/<slug>/portrait.png`` (an emblem: there are no reliable portraits of most of them).
Then ``media/white_road.mp4``: 60 s, one 10 s tableau per explorer in gallery order, one tune
running through.

The output depends only on the YAML, the bundled fonts and coastline, and fixed seeds. The build
needs pygame-ce, PyAV, numpy and PyYAML (all of them the kiosk's own dependencies).
"""

from __future__ import annotations

import argparse
import hashlib
import math
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script from a checkout: `kiosk` may not be installed

import draw  # noqa: E402  (sets the dummy SDL drivers before pygame starts)
import numpy as np  # noqa: E402
import pygame  # noqa: E402
import sound  # noqa: E402
import yaml  # noqa: E402
from encode import FPS, HEIGHT, WIDTH, Mp4Writer  # noqa: E402

from kiosk.content import geo  # noqa: E402
from kiosk.content.model import LifeDate  # noqa: E402
from kiosk.content.words import BUILTIN  # noqa: E402

SIZE = (WIDTH, HEIGHT)
VOYAGE_SECONDS = 20.0
TITLE_END = 3.0  # title card 0-3 s
MAP_END = 18.0  # map 3-18 s, closing card 18-20 s
PART_SECONDS = 10.0
MASTER = "white_road"
MASTER_SEED = 1937
MASTER_TONIC = 62  # D minor

# Pictograms: what each explorer's emblem shows and what moves along the route.
MOTIFS = {
    "dezhnev": "sail",
    "laptev": "ship",
    "krasheninnikov": "volcano",
    "chelyuskin": "sled",
    "wrangel": "sled",
    "papanin": "floe",
}
MARKERS = {
    "laptev": "ship",
    "krasheninnikov": "sled",
    "chelyuskin": "sled",
    "wrangel": "sled",
    "papanin": "floe",
}
TONICS = (62, 64, 60, 59, 61, 57)  # a different minor key per clip, by gallery position

# The map's safe area: below the header, above the band where the kiosk shows captions.
MAP_RECT = (40.0, 112.0, 1200.0, 470.0)
SAFE = pygame.Rect(16, 100, WIDTH - 32, HEIGHT - 100 - 128)


# --- the collection ------------------------------------------------------------------------


@dataclass(frozen=True)
class Stop:
    lat: float
    lon: float
    ru: str
    en: str
    date: LifeDate | None
    segment: str | None
    at: float | None


@dataclass(frozen=True)
class Person:
    slug: str
    folder: Path
    name_ru: str
    name_en: str
    born: LifeDate
    died: LifeDate | None
    order: int | None
    stops: tuple[Stop, ...]
    segments: tuple[dict[str, Any], ...]
    seed: int = field(default=0)

    def years(self, lang: str) -> str:
        circa = BUILTIN[lang]["circa"]
        died = self.died.display(circa=circa) if self.died else "?"
        return f"{self.born.display(circa=circa)} – {died}"

    @property
    def initials(self) -> str:
        """``СД`` for Семён Дежнёв; ``СП-1`` for «Северный полюс-1» (a station, not a person)."""
        words = [w.strip("«»\"'.,") for w in self.name_ru.split()]
        words = [w for w in words if w]
        if not words:
            return "?"
        letters = words[0][:1] + (words[-1][:1] if len(words) > 1 else "")
        number = re.search(r"-(\d+)$", words[-1])
        return letters.upper() + (f"-{number[1]}" if number else "")


def _text(value: Any, lang: str, fallback: str = "") -> str:
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("ru") or next(iter(value.values()), fallback))
    return str(value) if value is not None else fallback


def _seconds(raw: Any) -> float:
    """``12.5`` or ``"00:00:12.500"`` to seconds."""
    if isinstance(raw, int | float):
        return float(raw)
    parts = [float(p) for p in str(raw).split(":")]
    return sum(p * 60**i for i, p in enumerate(reversed(parts)))


def _seed(name: str) -> int:
    # hash() is salted per process; a digest keeps the seeds, and so the frames, stable.
    return int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)


def read_collection(content: Path) -> tuple[dict[str, Any], list[Person]]:
    coll = yaml.safe_load((content / "collection.yaml").read_text(encoding="utf-8")) or {}
    people = []
    for path in sorted((content / "explorers").glob("*/explorer.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        stops = []
        for p in doc.get("route") or []:
            stops.append(
                Stop(
                    lat=float(p["lat"]),
                    lon=float(p["lon"]),
                    ru=_text(p.get("label"), "ru"),
                    en=_text(p.get("label"), "en"),
                    date=LifeDate.parse(p["date"]) if p.get("date") else None,
                    segment=p.get("segment"),
                    at=float(p["at"]) if p.get("at") is not None else None,
                )
            )
        people.append(
            Person(
                slug=path.parent.name,
                folder=path.parent,
                name_ru=_text(doc.get("name"), "ru"),
                name_en=_text(doc.get("name"), "en"),
                born=LifeDate.parse(doc.get("born", "0")),
                died=LifeDate.parse(doc["died"]) if doc.get("died") else None,
                order=doc.get("order"),
                stops=tuple(stops),
                segments=tuple(doc.get("segments") or ()),
                seed=_seed(path.parent.name),
            )
        )
    people.sort(
        key=lambda p: (p.order if p.order is not None else 1 << 30, p.born.sort_key, p.slug)
    )
    return coll, people


def _monotonic(times: Sequence[float]) -> list[float]:
    return [float(t) for t in np.maximum.accumulate(np.asarray(times, dtype=np.float64))]


def voyage_times(p: Person) -> list[float]:
    """When the voyage clip's map reaches each stop: the YAML's ``at`` where the stop belongs
    to the ``voyage`` segment (or to none and voyage is the first), the rest spread evenly."""
    first = p.segments[0].get("id") if p.segments else None
    raw: list[float | None] = [
        s.at if (s.segment or first) == "voyage" and s.at is not None else None for s in p.stops
    ]
    for s, t in zip(p.stops, raw, strict=True):
        if t is not None and not TITLE_END <= t <= MAP_END:
            print(f"  note: {p.slug}: {s.en} at {t:.1f} s is outside the map (3-18 s)")
    return _monotonic(geo.fill_times(raw, TITLE_END + 0.7, MAP_END - 1.0))


def master_times(p: Person, part_start: float) -> list[float]:
    """Stop times within a 10 s master part: from a segment cut from this part if the YAML gives
    ``at`` for it, otherwise spread over the part."""
    cuts = {s.get("id"): _seconds(s.get("in", 0)) for s in p.segments if s.get("master") == MASTER}
    raw: list[float | None] = []
    for s in p.stops:
        if s.segment in cuts and s.at is not None:
            raw.append(cuts[s.segment] + s.at - part_start)
        else:
            raw.append(None)
    raw = [t if t is not None and 0 <= t <= PART_SECONDS else None for t in raw]
    return _monotonic(geo.fill_times(raw, 3.4, 8.8))


# --- formatting ------------------------------------------------------------------------------


def km_text(km: float, lang: str) -> str:
    step = 10 if km < 2000 else 50
    v = int(round(km / step) * step)
    if lang == "ru":
        return f"{v:,}".replace(",", "\u202f") + " км"
    return f"{v:,} km"


def date_text(d: LifeDate | None, lang: str) -> str:
    return d.display(circa=BUILTIN[lang]["circa"]) if d else ""


# --- scenes --------------------------------------------------------------------------------


def _circular_mean_lon(stops: Sequence[Stop]) -> float:
    # Points near the pole say little about which way is "down": weight by cos(lat).
    w = np.array([math.cos(math.radians(s.lat)) for s in stops]) + 1e-6
    lon = np.radians([s.lon for s in stops])
    return float(math.degrees(math.atan2((w * np.sin(lon)).sum(), (w * np.cos(lon)).sum())))


@dataclass
class Label:
    """A place name on the map: the full two-line block (ru, then en with the date) while the
    place is among the two latest reached, then a small ru-only tag, or nothing if that would
    collide with anything shown at the same time."""

    full: pygame.Surface
    full_rect: pygame.Rect  # where the block's letters go
    tag: pygame.Surface
    tag_rect: pygame.Rect | None


def label_block(ru: str, en: str) -> pygame.Surface:
    """Two lines, ru bold over en regular, on one transparent surface with halos."""
    top = draw.text(ru, "NotoSans-Bold", 20, draw.TEXT)
    bottom = draw.text(en, "NotoSans-Regular", 14, draw.MUTED)
    pad = draw.HALO_PAD
    gap = top.get_height() - 2 * pad - 3
    w = max(top.get_width(), bottom.get_width())
    out = pygame.Surface((w, gap + bottom.get_height()), pygame.SRCALPHA)
    out.blit(top, (0, 0))
    out.blit(bottom, (0, gap))
    return out


def letters_size(img: pygame.Surface) -> tuple[int, int]:
    return img.get_width() - 2 * draw.HALO_PAD, img.get_height() - 2 * draw.HALO_PAD


class MapScene:
    """The route on the polar map; :meth:`draw` must be called with non-decreasing ``t``
    because the glowing trail is painted incrementally."""

    def __init__(
        self, p: Person, times: Sequence[float], coast: geo.Coastline, header: bool = True
    ) -> None:
        self.p = p
        self.header = header
        pts = [(s.lat, s.lon) for s in p.stops] or [(90.0, 0.0)]
        self.times = list(times) if p.stops else [0.0]
        self.route = geo.Route(pts, self.times)
        lon0 = _circular_mean_lon(p.stops) if p.stops else geo.DEFAULT_LON0
        xy = geo.project_many([a for a, _ in pts], [b for _, b in pts], lon0)
        fit = geo.fit_bounds(xy, MAP_RECT, margin=0.09, min_span=0.17)
        self.view = draw.MapView(lon0, fit)
        ghost = self.route.path_at_time(self.times[-1], step_km=15)
        self.bg = draw.map_background(SIZE, self.view, coast, ghost)
        self.trail = pygame.Surface(SIZE, pygame.SRCALPHA)
        self.trail_len = 0.0
        self.glow = draw.glow_sprite(10, draw.WARM_GLOW, 0.42)
        self.core = draw.glow_sprite(2, (255, 240, 214), 1.0)
        self.stop_px = self.view.px(np.array(pts))
        self.labels = self._place_labels(ghost)
        kind = MARKERS.get(p.slug, "sail")
        self.marker = pygame.Surface((64, 64), pygame.SRCALPHA)
        draw.draw_motif(self.marker, kind, (32, 32), 0.62, draw.ICE)
        self.marker_flip = pygame.transform.flip(self.marker, True, False)
        self.total_km = self.route.length_km
        # Label fades take 0.6 s, less where places follow each other quickly (the master's
        # 10 s parts), so that at most two labels are ever changing at once.
        gaps = np.diff(self.times)
        gaps = gaps[gaps > 0]
        self.fade = float(np.clip(0.6 * gaps.min(), 0.15, 0.6)) if gaps.size else 0.6

    def _candidates(self, i: int, w: int, h: int, near: float) -> list[pygame.Rect]:
        """Label rectangles around point ``i``, in order of preference (right, left, above...)."""
        x, y = self.stop_px[i]
        d = near
        spots = [
            (x + d, y - h / 2), (x - d - w, y - h / 2),
            (x + d * 0.7, y - h - d * 0.7), (x + d * 0.7, y + d * 0.7),
            (x - w - d * 0.7, y - h - d * 0.7), (x - w - d * 0.7, y + d * 0.7),
            (x - w / 2, y - h - d), (x - w / 2, y + d),
        ]  # fmt: skip
        return [pygame.Rect(round(cx), round(cy), w, h) for cx, cy in spots]

    def _cost(
        self, r: pygame.Rect, i: int, avoid: Sequence[pygame.Rect], route_px: np.ndarray
    ) -> float:
        cost = 0.0
        for q in avoid:
            c = r.inflate(8, 6).clip(q)
            cost += c.w * c.h * 1.0
        for j, (sx, sy) in enumerate(self.stop_px):
            if j != i and r.inflate(16, 16).collidepoint(sx, sy):
                cost += 2500
        inside = np.sum(
            (route_px[:, 0] >= r.left - 3) & (route_px[:, 0] <= r.right + 3)
            & (route_px[:, 1] >= r.top - 3) & (route_px[:, 1] <= r.bottom + 3)
        )  # fmt: skip
        cost += float(inside) * 12
        c = r.clip(SAFE)
        cost += (r.w * r.h - c.w * c.h) * 6.0
        return cost

    def _place_labels(self, ghost: np.ndarray) -> list[Label]:
        """Greedy placement against everything visible at the same time: the previous full
        label, every point, the route line, the safe area; then the small tags, kept only
        where they fit."""
        route_px = self.view.px(ghost)[::2]
        fulls: list[tuple[pygame.Surface, pygame.Rect]] = []
        for i, s in enumerate(self.p.stops):
            en = s.en + (f" · {date_text(s.date, 'en')}" if s.date else "")
            img = label_block(s.ru, en)
            w, h = letters_size(img)
            x, y = self.stop_px[i]
            # The previous label is still shown, and the marker sits on this point on arrival.
            avoid = [pygame.Rect(round(x) - 30, round(y) - 40, 60, 60)]
            avoid += [fulls[-1][1]] if fulls else []
            best = min(
                (
                    (self._cost(r, i, avoid, route_px) + k * 40 + near * 4, r)
                    for near in (14, 40)
                    for k, r in enumerate(self._candidates(i, w, h, near))
                ),
                key=lambda c: c[0],
            )[1]
            fulls.append((img, best))
        out: list[Label] = []
        tags: list[pygame.Rect] = []
        for i, s in enumerate(self.p.stops):
            tag = draw.text(s.ru, "NotoSans-Regular", 15, draw.MUTED)
            w, h = letters_size(tag)
            avoid = [r for _, r in fulls[i + 1 :]] + tags
            cost, rect = min(
                (
                    (self._cost(r, i, avoid, route_px) + k * 20, r)
                    for k, r in enumerate(self._candidates(i, w, h, 10))
                ),
                key=lambda c: c[0],
            )
            placed = rect if cost < 150 else None
            if placed is not None:
                tags.append(placed)
            out.append(Label(fulls[i][0], fulls[i][1], tag, placed))
        return out

    def _stamp_trail(self, t: float) -> np.ndarray:
        pts = self.view.px(self.route.path_at_time(t, step_km=8))
        if len(pts) < 2:
            return pts
        seg = np.hypot(*np.diff(pts, axis=0).T)
        cum = np.concatenate([[0.0], np.cumsum(seg)])
        if cum[-1] > self.trail_len:
            for d in np.arange(self.trail_len, cum[-1], 1.5):
                x, y = np.interp(d, cum, pts[:, 0]), np.interp(d, cum, pts[:, 1])
                # MAX blending: overlapping stamps saturate instead of piling up into blobs.
                self.trail.blit(
                    self.glow, (round(x) - 10, round(y) - 10), special_flags=pygame.BLEND_RGBA_MAX
                )
                self.trail.blit(
                    self.core, (round(x) - 2, round(y) - 2), special_flags=pygame.BLEND_RGBA_MAX
                )
            self.trail_len = float(cum[-1])
        return pts

    def draw(self, surf: pygame.Surface, t: float, header_alpha: float = 1.0) -> None:
        surf.blit(self.bg, (0, 0))
        self._stamp_trail(t)
        surf.blit(self.trail, (0, 0))
        reached = self.route.reached(t)
        for i in range(len(self.p.stops)):
            if i >= reached:
                break
            age = t - self.times[i]
            x, y = self.stop_px[i]
            if age < 1.6:  # a ripple where the explorers arrive
                k = age / 1.6
                ring = pygame.Surface((90, 90), pygame.SRCALPHA)
                pygame.draw.circle(
                    ring, (*draw.WARM, round(200 * (1 - k) ** 1.5)), (45, 45), 6 + 36 * k, 2
                )
                surf.blit(ring, (round(x) - 45, round(y) - 45))
            g = draw.glow_add(9, draw.WARM, 0.8)
            surf.blit(g, (round(x) - 9, round(y) - 9), special_flags=pygame.BLEND_RGB_ADD)
            pygame.draw.circle(surf, draw.ICE, (round(x), round(y)), 4)
            pygame.draw.circle(surf, draw.WARM, (round(x), round(y)), 4, 1)
        self._draw_marker(surf, t)
        # Labels over the marker: the text must stay readable. The two latest places get their
        # full label; earlier ones shrink to a small tag (if it has room).
        for i in range(min(reached, len(self.labels))):
            lab = self.labels[i]
            age = t - self.times[i]
            f = self.fade
            if i == reached - 1:
                full_a, tag_a = draw.ramp(age, 0.0, f), 0.0
            else:
                # Step back once the next place is reached; give way to the tag one place later.
                later = t - self.times[i + 2] if i + 2 < reached else -1.0
                full_a = 0.7 * (1 - draw.ramp(later, 0.0, f))
                tag_a = 0.75 * draw.ramp(later, f / 3, f) if lab.tag_rect is not None else 0.0
            if full_a > 0:
                draw.blit_text(surf, lab.full, lab.full_rect.topleft, alpha=full_a)
            if tag_a > 0 and lab.tag_rect is not None:
                draw.blit_text(surf, lab.tag, lab.tag_rect.topleft, alpha=tag_a)
        self._draw_hud(surf, t, header_alpha)

    def _draw_marker(self, surf: pygame.Surface, t: float) -> None:
        lat, lon = self.route.at_time(t)
        x, y = self.view.px(np.array([[lat, lon]]))[0]
        ahead = self.route.at_time(t + 0.4)
        behind = self.route.at_time(t - 0.4)
        dx = self.view.px(np.array([ahead]))[0][0] - self.view.px(np.array([behind]))[0][0]
        img = self.marker_flip if dx < -0.5 else self.marker
        bob = 1.5 * math.sin(t * 2 * math.pi * 0.7)
        g = draw.glow_add(26, draw.WARM_GLOW, 0.45)
        surf.blit(g, (round(x) - 26, round(y) - 26), special_flags=pygame.BLEND_RGB_ADD)
        surf.blit(img, (round(x) - 32, round(y - 40 + bob)))

    def _draw_hud(self, surf: pygame.Surface, t: float, header_alpha: float) -> None:
        p = self.p
        if self.header and header_alpha > 0:
            draw.blit_text(
                surf,
                draw.text(p.name_ru, "NotoSerif-Regular", 32, draw.TEXT),
                (40, 22),
                alpha=header_alpha,
            )
            sub = f"{p.name_en}   {p.years('en')}"
            draw.blit_text(
                surf,
                draw.text(sub, "NotoSerif-Italic", 19, draw.ACCENT),
                (42, 66),
                alpha=header_alpha,
            )
        # The date of the latest place reached, large, top right.
        reached = self.route.reached(t)
        dated = [i for i in range(reached) if p.stops and p.stops[i].date]
        if dated:
            i = dated[-1]
            a = draw.ramp(t - self.times[i], 0.0, 0.5)
            txt = draw.text(date_text(p.stops[i].date, "ru"), "NotoSerif-Regular", 44, draw.WARM)
            draw.blit_text(surf, txt, (WIDTH - 40, 18), "topright", alpha=a)
            if len(dated) > 1 and a < 1:
                prev = p.stops[dated[-2]].date
                old = draw.text(date_text(prev, "ru"), "NotoSerif-Regular", 44, draw.WARM)
                draw.blit_text(surf, old, (WIDTH - 40, 18), "topright", alpha=1 - a)
        # Distance so far and a scale bar, bottom corners.
        km = self.route.fraction_at_time(t) * self.total_km
        if km > 0:
            line = f"{km_text(km, 'ru')}  ·  {km_text(km, 'en')}"
            draw.blit_text(
                surf,
                draw.text(line, "NotoSans-Regular", 17, draw.MUTED),
                (WIDTH - 40, HEIGHT - 40),
                "bottomright",
            )
        self._scale_bar(surf)

    def _scale_bar(self, surf: pygame.Surface) -> None:
        cx, cy = self.view.fit.invert(WIDTH / 2, HEIGHT / 2)
        lat, _ = geo.unproject(cx, cy, self.view.lon0)
        kmpx = self.view.km_per_px(lat)
        for km in (50, 100, 200, 250, 500, 1000, 2000):
            if km / kmpx >= 90:
                break
        w = round(km / kmpx)
        x0, y0 = 40, HEIGHT - 46
        pygame.draw.line(surf, draw.MUTED, (x0, y0), (x0 + w, y0), 2)
        for x in (x0, x0 + w):
            pygame.draw.line(surf, draw.MUTED, (x, y0 - 5), (x, y0 + 5), 2)
        label = draw.text(f"{km} км · km", "NotoSans-Regular", 15, draw.MUTED)
        draw.blit_text(surf, label, (x0 + w + 12, y0), "midleft")


def card_background(seed: int) -> pygame.Surface:
    """Night sky over an ice field: the static part of the title and closing cards."""
    w, h = SIZE
    sky = draw.vertical_gradient(SIZE, draw.NIGHT, (20, 40, 64)) * draw.vignette(SIZE, 0.5)
    surf = draw.to_surface(sky)
    rng = np.random.default_rng(seed)
    for _ in range(140):  # stars, thinning toward the horizon
        x, y = rng.uniform(0, w), rng.uniform(0, h * 0.7) ** 1.0
        r = int(rng.choice([1, 1, 1, 2]))
        a = rng.uniform(0.3, 0.9) * (1 - y / (h * 0.75))
        surf.blit(draw.glow_sprite(r + 1, draw.ICE, float(a)), (int(x) - r - 1, int(y) - r - 1))
    # Ice floes on the horizon: layered irregular slabs, lighter toward the viewer, each with a
    # moonlit upper edge.
    for layer in range(3):
        base_y = h * (0.83 + 0.06 * layer)
        xs = np.linspace(-40, w + 40, 18 + 7 * layer)
        top = base_y - rng.uniform(2, 10 + 8 * layer, len(xs))
        pts = [(float(x), float(y)) for x, y in zip(xs, top, strict=True)] + [(w + 40, h), (-40, h)]
        col = ((26, 44, 66), (36, 58, 84), (48, 74, 104))[layer]
        pygame.draw.polygon(surf, col, pts)
        edge = tuple(min(255, c + 40) for c in col)
        pygame.draw.aalines(surf, edge, False, pts[:-2])
    return surf


class Card:
    """A title or closing card: centred lines that rise in one after another, over aurora."""

    def __init__(
        self,
        seed: int,
        lines: Sequence[tuple[str, str, int, tuple[int, int, int], float]],
        stagger: float = 0.22,
    ) -> None:
        self.stagger = stagger
        self.bg = card_background(seed)
        self.aurora = draw.Aurora(SIZE, seed, height=0.5)
        # (text, face, size, colour, y)
        self.lines = [(draw.text(s, face, size, col), y) for s, face, size, col, y in lines]

    def draw(self, surf: pygame.Surface, t: float, ornament_y: float | None = None) -> None:
        surf.blit(self.bg, (0, 0))
        surf.blit(self.aurora.frame(t, 0.55), (0, 0), special_flags=pygame.BLEND_RGB_ADD)
        for k, (img, y) in enumerate(self.lines):
            a = draw.ramp(t, 0.15 + self.stagger * k, 0.7)
            rise = (1 - a) * 12
            draw.blit_text(surf, img, (WIDTH / 2, y + rise), "center", alpha=a)
        if ornament_y is not None:
            a = draw.ramp(t, 0.5, 0.9)
            half = 150 * a
            col = (*draw.ACCENT, 160)
            layer = pygame.Surface((400, 20), pygame.SRCALPHA)
            pygame.draw.line(layer, col, (200 - half, 10), (200 - 14, 10), 1)
            pygame.draw.line(layer, col, (200 + 14, 10), (200 + half, 10), 1)
            pygame.draw.polygon(
                layer, (*draw.WARM, round(220 * a)), [(200, 4), (206, 10), (200, 16), (194, 10)]
            )
            surf.blit(layer, (WIDTH / 2 - 200, ornament_y - 10))


def title_card(p: Person, coll: dict[str, Any]) -> Card:
    title = coll.get("title")
    kicker = f"{_text(title, 'ru', 'Белая дорога')}  ·  {_text(title, 'en', 'White Road')}"
    return Card(
        p.seed,
        [
            (kicker.upper(), "NotoSans-Regular", 17, draw.ACCENT, 214),
            (p.name_ru, "NotoSerif-Regular", 74, draw.TEXT, 300),
            (p.name_en, "NotoSerif-Italic", 36, draw.ACCENT, 372),
            (p.years("ru"), "NotoSans-Regular", 28, draw.MUTED, 470),
        ],
    )


def closing_card(p: Person, coll: dict[str, Any], total_km: float) -> Card:
    dates = [s.date for s in p.stops if s.date]
    span = ""
    if dates:
        y0, y1 = dates[0].year, dates[-1].year
        span = f"{y0}" if y0 == y1 else f"{y0}–{y1}"
    way_ru = f"Путь: около {km_text(total_km, 'ru')}" + (f", {span}" if span else "")
    way_en = f"The way: about {km_text(total_km, 'en')}" + (f", {span}" if span else "")
    name, sub = coll.get("title"), coll.get("subtitle")
    title = f"{_text(name, 'ru', 'Белая дорога')} · {_text(sub, 'ru', '')}"
    title_en = f"{_text(name, 'en', 'White Road')} · {_text(sub, 'en', '')}"
    return Card(
        p.seed + 1,
        [
            (p.name_ru, "NotoSerif-Regular", 54, draw.TEXT, 250),
            (p.name_en, "NotoSerif-Italic", 28, draw.ACCENT, 306),
            (way_ru, "NotoSans-Bold", 24, draw.WARM, 392),
            (way_en, "NotoSans-Regular", 20, draw.MUTED, 428),
            (title.strip(" ·"), "NotoSerif-Italic", 19, draw.MUTED, 520),
            (title_en.strip(" ·"), "NotoSerif-Italic", 17, draw.MUTED, 548),
        ],
        stagger=0.1,
    )


# --- compositing helpers -------------------------------------------------------------------


class Fader:
    """Reusable full-frame overlays for crossfades and dips to night."""

    def __init__(self) -> None:
        self.night = pygame.Surface(SIZE)
        self.night.fill(draw.NIGHT)
        self.other = pygame.Surface(SIZE)

    def dip(self, surf: pygame.Surface, amount: float) -> None:
        if amount > 0.003:
            self.night.set_alpha(round(255 * min(1.0, amount)))
            surf.blit(self.night, (0, 0))

    def mix(
        self, surf: pygame.Surface, paint: Callable[[pygame.Surface], None], amount: float
    ) -> None:
        """Blend what ``paint`` draws over ``surf`` with weight ``amount``."""
        paint(self.other)
        self.other.set_alpha(round(255 * amount))
        surf.blit(self.other, (0, 0))
        self.other.set_alpha(None)


def _progress(label: str, i: int, n: int, started: float) -> None:
    if i % 50 == 0 or i == n - 1:
        rate = (i + 1) / max(1e-6, time.monotonic() - started)
        print(f"\r  {label}: {i + 1}/{n} frames, {rate:.1f} fps", end="", flush=True)
        if i == n - 1:
            print()


# --- the outputs ---------------------------------------------------------------------------


def render_voyage(p: Person, coll: dict[str, Any], coast: geo.Coastline, position: int) -> Path:
    out = p.folder / "clips" / "voyage.mp4"
    frames = round(VOYAGE_SECONDS * FPS)
    scene = MapScene(p, voyage_times(p), coast)
    title = title_card(p, coll)
    closing = closing_card(p, coll, scene.total_km)
    snow = draw.Snow(SIZE, 80, p.seed)
    fader = Fader()
    audio = sound.soundtrack(VOYAGE_SECONDS, p.seed % 100_000, TONICS[position % len(TONICS)])
    frame = pygame.Surface(SIZE)
    started = time.monotonic()
    with Mp4Writer(out, audio, frames) as writer:
        for i in range(frames):
            t = i / FPS
            if t < TITLE_END:
                title.draw(frame, t, ornament_y=420)
                k = draw.ramp(t, TITLE_END - 0.5, 0.5)
                if k > 0:
                    fader.mix(frame, partial(scene.draw, t=t, header_alpha=0.0), k)
            elif t < MAP_END:
                scene.draw(frame, t, header_alpha=draw.ramp(t, TITLE_END + 0.1, 0.8))
            else:
                scene.draw(frame, t)
                k = draw.ramp(t, MAP_END, 0.5)
                fader.mix(frame, partial(closing.draw, t=t - MAP_END + 0.2), k)
            snow.draw(frame, t, 0.9)
            fader.dip(frame, 1 - draw.ramp(t, 0.0, 0.5))  # from night ...
            fader.dip(frame, draw.ramp(t, VOYAGE_SECONDS - 0.7, 0.66))  # ... back to night
            writer.add(pygame.image.tobytes(frame, "RGB"))
            _progress(f"{p.slug}/voyage", i, frames, started)
    return out


def render_master(people: Sequence[Person], coast: geo.Coastline, content: Path) -> Path:
    out = content / "media" / f"{MASTER}.mp4"
    n_parts = 6
    frames = round(n_parts * PART_SECONDS * FPS)
    audio = sound.soundtrack(n_parts * PART_SECONDS, MASTER_SEED, MASTER_TONIC)
    snow = draw.Snow(SIZE, 90, MASTER_SEED)
    aurora = draw.Aurora(SIZE, MASTER_SEED, height=0.26)
    fader = Fader()
    band = draw.to_alpha_surface(
        draw.NIGHT,
        np.repeat(
            (np.exp(-(((np.arange(HEIGHT) - 360) / 130.0) ** 2)) * 0.62)[:, None], WIDTH, axis=1
        ),
    )
    frame = pygame.Surface(SIZE)
    started = time.monotonic()
    cast = [people[k % len(people)] for k in range(n_parts)] if people else []
    scenes: dict[int, MapScene] = {}
    with Mp4Writer(out, audio, frames) as writer:
        for i in range(frames):
            t = i / FPS
            k = min(n_parts - 1, int(t // PART_SECONDS))
            u = t - k * PART_SECONDS
            if not cast:
                frame.fill(draw.NIGHT)
            else:
                p = cast[k]
                if k not in scenes:
                    scenes.clear()  # one map in memory at a time
                    scenes[k] = MapScene(p, master_times(p, k * PART_SECONDS), coast)
                scene = scenes[k]
                title_a = draw.ramp(u, 0.3, 0.7) * (1 - draw.ramp(u, 2.9, 0.6))
                scene.draw(frame, u, header_alpha=draw.ramp(u, 3.1, 0.7))
                frame.blit(aurora.frame(t, 0.5), (0, 0), special_flags=pygame.BLEND_RGB_ADD)
                if title_a > 0:
                    band.set_alpha(round(255 * title_a))
                    frame.blit(band, (0, 0))
                    draw.blit_text(
                        frame,
                        draw.text(
                            f"{k + 1} / {n_parts}", "NotoSans-Regular", 17, draw.ACCENT, tracking=2
                        ),
                        (WIDTH / 2, 262),
                        "center",
                        title_a,
                    )
                    draw.blit_text(
                        frame,
                        draw.text(p.name_ru, "NotoSerif-Regular", 66, draw.TEXT),
                        (WIDTH / 2, 330),
                        "center",
                        title_a,
                    )
                    draw.blit_text(
                        frame,
                        draw.text(p.name_en, "NotoSerif-Italic", 32, draw.ACCENT),
                        (WIDTH / 2, 394),
                        "center",
                        title_a,
                    )
                    draw.blit_text(
                        frame,
                        draw.text(p.years("ru"), "NotoSans-Regular", 24, draw.MUTED),
                        (WIDTH / 2, 446),
                        "center",
                        title_a,
                    )
            snow.draw(frame, t, 0.9)
            # Each part rises from and sinks into the night, so any 10 s cut starts and ends clean.
            fader.dip(frame, 1 - draw.ramp(u, 0.0, 0.45))
            fader.dip(frame, draw.ramp(u, PART_SECONDS - 0.5, 0.46))
            writer.add(pygame.image.tobytes(frame, "RGB"))
            _progress(MASTER, i, frames, started)
    return out


def render_emblem(p: Person) -> Path:
    """A 512x512 emblem: initials over a compass rose in a medallion, the explorer's motif."""
    big = 1024
    c = big / 2
    yy, xx = np.mgrid[0:big, 0:big].astype(np.float64)
    d = np.hypot(xx - c, yy - c * 0.9) / big
    k = np.clip(d * 1.6, 0, 1)[..., None]
    rgb = np.array(draw.SURFACE, float) * (1 - k) + np.array(draw.NIGHT, float) * k
    surf = draw.to_surface(rgb)
    draw.compass_rose(surf, (c, c), 360, draw.ACCENT, 34)
    pygame.draw.circle(surf, draw.ICE, (c, c), 470, 5)
    pygame.draw.circle(surf, draw.ACCENT, (c, c), 448, 2)
    # North star at the top of the ring.
    pygame.draw.polygon(surf, draw.WARM, [(c, 22), (c + 14, 54), (c, 86), (c - 14, 54)])
    initials = draw.text(p.initials, "NotoSerif-Regular", 270, draw.ICE, halo=8)
    draw.blit_text(surf, initials, (c, 400), "center", halo=8)
    draw.draw_motif(surf, MOTIFS.get(p.slug, "compass"), (c, 680), 2.3, draw.WARM)
    draw.blit_text(
        surf,
        draw.text(p.years("ru"), "NotoSans-Regular", 46, draw.MUTED, halo=4),
        (c, 846),
        "center",
        halo=4,
    )
    out = p.folder / "portrait.png"
    pygame.image.save(pygame.transform.smoothscale(surf, (512, 512)), str(out))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Render the exhibit's demo media.")
    ap.add_argument("--content", type=Path, default=ROOT / "content")
    ap.add_argument("--only", help="one explorer's slug, or 'master'")
    args = ap.parse_args(argv)
    content: Path = args.content
    coll, people = read_collection(content)
    if not people:
        print(f"no explorers under {content / 'explorers'}", file=sys.stderr)
        return 1
    coast = geo.load_coastline()
    written: list[Path] = []
    for pos, p in enumerate(people):
        if args.only in (None, p.slug):
            print(f"{p.slug}:")
            written.append(render_emblem(p))
            written.append(render_voyage(p, coll, coast, pos))
    if args.only in (None, "master"):
        written.append(render_master(people, coast, content))
    for path in written:
        print(f"{path.relative_to(content)}: {path.stat().st_size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
