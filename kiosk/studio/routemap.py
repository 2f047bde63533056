"""The route editor's map: the kiosk's own polar projection and coastline, as SVG.

Positions come from :mod:`kiosk.content.geo` (the projection and coastline the kiosk's route map
draws with), fitted to the route the way the kiosk fits it, but with more room around so points
can be added nearby. A click or a drag in the page sends map coordinates back; the server turns
them into latitude and longitude with the same :class:`~kiosk.content.geo.Fit`, so the browser
never needs its own copy of the projection.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from kiosk.content import geo

WIDTH, HEIGHT = 900, 600
# Around the route, at least this much of the map (unit coordinates: the equator is 1).
MIN_SPAN = 0.35
# With no route yet: the Russian Arctic from the White Sea to Chukotka.
DEFAULT_VIEW = ((64.0, 30.0), (66.0, 180.0), (78.0, 100.0), (60.0, 100.0))


@dataclass(frozen=True)
class MapPoint:
    index: int
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class MapView:
    fit: geo.Fit
    land: list[str]
    lakes: list[str]
    shore: list[str]
    points: list[MapPoint]
    line: str
    width: int = WIDTH
    height: int = HEIGHT


@lru_cache(maxsize=1)
def _coast() -> geo.Coastline:
    return geo.load_coastline()


def _path(fit: geo.Fit, ring: Any, close: bool) -> str | None:
    xy = fit.apply(geo.project_many(ring[:, 0], ring[:, 1]))
    lo_x, lo_y = xy.min(axis=0)
    hi_x, hi_y = xy.max(axis=0)
    if hi_x < 0 or hi_y < 0 or lo_x > WIDTH or lo_y > HEIGHT:
        return None
    out: list[str] = []
    last: tuple[int, int] | None = None
    for x, y in xy:
        p = (round(float(x)), round(float(y)))
        if p != last:
            out.append(f"{p[0]},{p[1]}")
            last = p
    if len(out) < 2:
        return None
    return "M" + " L".join(out) + (" Z" if close else "")


def build(points: list[tuple[float, float, str]]) -> MapView:
    """The map for route points (lat, lon, label), fitted with room around them."""
    where = [(lat, lon) for lat, lon, _ in points] or list(DEFAULT_VIEW)
    xy = geo.project_many([p[0] for p in where], [p[1] for p in where])
    fit = geo.fit_bounds(xy, (0, 0, WIDTH, HEIGHT), margin=0.12, min_span=MIN_SPAN)
    coast = _coast()
    land = [d for ring in coast.land if (d := _path(fit, ring, True))]
    lakes = [d for ring in coast.lakes if (d := _path(fit, ring, True))]
    shore = [d for ring in coast.outlines if (d := _path(fit, ring, False))]
    placed = []
    for i, (lat, lon, label) in enumerate(points):
        x, y = fit.point(lat, lon)
        placed.append(MapPoint(i, round(x, 1), round(y, 1), label))
    line = " ".join(f"{p.x},{p.y}" for p in placed)
    return MapView(fit, land, lakes, shore, placed, line)


def to_latlon(fit: geo.Fit, x: float, y: float) -> tuple[float, float]:
    """A point of the map (pixels of the SVG) back to latitude and longitude, 2 decimals."""
    ux, uy = fit.invert(x, y)
    lat, lon = geo.unproject(ux, uy)
    return round(lat, 2), round(lon, 2)
