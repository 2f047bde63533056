"""Polar map geometry: the baked Arctic coastline, a north-polar projection and animated routes.

The kiosk draws explorers' routes on a map of the Arctic, both in the pre-rendered demo videos and
live in the UI. Everything here is plain Python and numpy (no pygame), so the build script, the UI
and the tests share one definition of where a place lands on the screen.

Coordinates:

* geographic points are ``(lat, lon)`` in degrees, lon in -180..180, east positive;
* :func:`project` gives *unit* coordinates of a north-polar stereographic projection: the pole is
  ``(0, 0)``, the equator is the circle of radius 1, ``x`` grows to the right and ``y`` grows
  *downwards* (screen convention) with the central meridian ``lon0`` pointing down;
* :class:`Fit` maps unit coordinates to pixels of a rectangle, preserving the aspect ratio.

A :class:`Route` moves along great circles (or straight lines in lat/lon) between its points and
reaches each point exactly at its time, so a map can show the progress at a time ``t`` of a clip.
"""

from __future__ import annotations

import bisect
import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

EARTH_RADIUS_KM = 6371.0088
DEFAULT_LON0 = 105.0
"""Central meridian: 105°E points down, so the Russian Arctic from the White Sea to Chukotka
faces the visitor the right way up."""

COASTLINE_PATH = Path(__file__).resolve().parent.parent / "assets" / "geo" / "arctic_coast.json"

FloatArray = NDArray[np.float64]
LatLon = tuple[float, float]
Mode = Literal["great_circle", "linear"]


# --- projection -----------------------------------------------------------------------------


def project_many(lat: ArrayLike, lon: ArrayLike, lon0: float = DEFAULT_LON0) -> FloatArray:
    """Project arrays of latitudes and longitudes; returns an ``(N, 2)`` array of unit x, y.

    Stereographic from the south pole: ``r = tan((90° - lat) / 2)``, conformal, so coastlines
    keep their familiar shapes over the whole Arctic.
    """
    la = np.radians(np.asarray(lat, dtype=np.float64))
    lo = np.radians(np.asarray(lon, dtype=np.float64) - lon0)
    r = np.tan((np.pi / 2 - la) / 2)
    return np.stack([r * np.sin(lo), r * np.cos(lo)], axis=-1)


def project(lat: float, lon: float, lon0: float = DEFAULT_LON0) -> tuple[float, float]:
    """Project one point to unit coordinates (pole at the centre, ``y`` down)."""
    x, y = project_many([lat], [lon], lon0)[0]
    return float(x), float(y)


def unproject(x: float, y: float, lon0: float = DEFAULT_LON0) -> LatLon:
    """The inverse of :func:`project`."""
    r = math.hypot(x, y)
    lat = 90.0 - math.degrees(2 * math.atan(r))
    lon = math.degrees(math.atan2(x, y)) + lon0 if r > 0 else 0.0
    return lat, _wrap_lon(lon)


def _wrap_lon(lon: float) -> float:
    return (lon + 180.0) % 360.0 - 180.0


@dataclass(frozen=True)
class Fit:
    """Maps unit coordinates to pixels: ``px = x * scale + dx``, ``py = y * scale + dy``."""

    scale: float
    dx: float
    dy: float

    def apply(self, xy: ArrayLike) -> FloatArray:
        """Unit ``(N, 2)`` coordinates to pixel coordinates."""
        a = np.asarray(xy, dtype=np.float64)
        return a * self.scale + np.array([self.dx, self.dy])

    def point(self, lat: float, lon: float, lon0: float = DEFAULT_LON0) -> tuple[float, float]:
        """Pixel position of a geographic point."""
        x, y = project(lat, lon, lon0)
        return x * self.scale + self.dx, y * self.scale + self.dy

    def invert(self, px: float, py: float) -> tuple[float, float]:
        """Pixel position back to unit coordinates."""
        return (px - self.dx) / self.scale, (py - self.dy) / self.scale


def fit_bounds(
    xy: ArrayLike,
    rect: tuple[float, float, float, float],
    margin: float = 0.1,
    min_span: float = 0.0,
) -> Fit:
    """The :class:`Fit` that shows the bounding box of unit points ``xy`` centred in ``rect``.

    ``rect`` is ``(left, top, width, height)`` in pixels. ``margin`` is a fraction of the rect
    left free on every side. ``min_span`` (unit coordinates) stops a short route from being
    zoomed in so far that the coastline looks coarse and the place loses its context.
    """
    a = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    if a.size == 0:
        raise ValueError("fit_bounds needs at least one point")
    lo, hi = a.min(axis=0), a.max(axis=0)
    centre = (lo + hi) / 2
    span = np.maximum(hi - lo, min_span)
    span = np.maximum(span, 1e-9)
    left, top, width, height = rect
    inner_w, inner_h = width * (1 - 2 * margin), height * (1 - 2 * margin)
    scale = float(min(inner_w / span[0], inner_h / span[1]))
    return Fit(
        scale=scale,
        dx=left + width / 2 - float(centre[0]) * scale,
        dy=top + height / 2 - float(centre[1]) * scale,
    )


# --- coastline ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coastline:
    """Land polygons north of the cut latitude, as ``(N, 2)`` arrays of ``(lat, lon)``.

    ``land`` rings are for filling (closed, last point not repeated); ``lakes`` are large lakes
    to fill with the sea colour on top. ``outlines`` are the same rings split into polylines
    without the artificial edges (the cut latitude and the 180° seam), for stroking the shore.
    """

    land: tuple[FloatArray, ...]
    lakes: tuple[FloatArray, ...]
    outlines: tuple[FloatArray, ...]
    cut_lat: float
    source: str

    @property
    def point_count(self) -> int:
        return sum(len(r) for r in self.land) + sum(len(r) for r in self.lakes)


def load_coastline(path: Path = COASTLINE_PATH) -> Coastline:
    """Read the baked coastline (see ``assets/geo/README.md``)."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    q = float(doc["quantum"])
    cut = float(doc["cut_lat"])

    def rings(key: str) -> tuple[FloatArray, ...]:
        out = []
        for flat in doc[key]:
            # Integer multiples of ``quantum``, lat and lon interleaved, each pair after the first
            # a difference from the previous point: that keeps the file small.
            steps = np.asarray(flat, dtype=np.int64).reshape(-1, 2)
            out.append(np.cumsum(steps, axis=0).astype(np.float64) * q)
        return tuple(out)

    land, lakes = rings("land"), rings("lakes")
    outlines: list[FloatArray] = []
    for ring in land + lakes:
        outlines.extend(_shore_pieces(ring, cut))
    return Coastline(land, lakes, tuple(outlines), cut, str(doc.get("source", "")))


def _shore_pieces(ring: FloatArray, cut_lat: float) -> list[FloatArray]:
    """Split a closed ring into polylines, dropping edges that are not real shore."""
    closed = np.vstack([ring, ring[:1]])
    a, b = closed[:-1], closed[1:]
    eps = 1e-6
    on_cut = (a[:, 0] <= cut_lat + eps) & (b[:, 0] <= cut_lat + eps)
    on_seam = (np.abs(a[:, 1]) >= 180 - eps) & (np.abs(b[:, 1]) >= 180 - eps)
    real = ~(on_cut | on_seam)
    pieces: list[FloatArray] = []
    current: list[int] = []
    for i, ok in enumerate(real):
        if ok:
            if not current:
                current.append(i)
            current.append(i + 1)
        elif current:
            pieces.append(closed[current])
            current = []
    if current:
        # A ring whose start is mid-shore: join the tail piece to the head piece.
        tail = closed[current]
        if pieces and real[0] and current[-1] == len(closed) - 1:
            pieces[0] = np.vstack([tail, pieces[0][1:]])
        else:
            pieces.append(tail)
    return [p for p in pieces if len(p) >= 2]


# --- great circles and routes ---------------------------------------------------------------


def _to_vec(p: LatLon) -> FloatArray:
    la, lo = math.radians(p[0]), math.radians(p[1])
    return np.array([math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)])


def _from_vec(v: FloatArray) -> LatLon:
    x, y, z = (float(c) for c in v)
    return math.degrees(math.atan2(z, math.hypot(x, y))), math.degrees(math.atan2(y, x))


def distance_km(a: LatLon, b: LatLon) -> float:
    """Great-circle distance (haversine) between two points."""
    la1, la2 = math.radians(a[0]), math.radians(b[0])
    dla, dlo = la2 - la1, math.radians(b[1] - a[1])
    h = math.sin(dla / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin(dlo / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def interpolate(a: LatLon, b: LatLon, f: float, mode: Mode = "great_circle") -> LatLon:
    """The point a fraction ``f`` (0..1) of the way from ``a`` to ``b``.

    ``great_circle`` follows the shortest path on the sphere (slerp); ``linear`` moves straight
    in latitude and longitude, taking the short way across the 180° meridian.
    """
    if f <= 0:
        return a
    if f >= 1:
        return b
    if mode == "linear":
        dlon = _wrap_lon(b[1] - a[1])
        return a[0] + (b[0] - a[0]) * f, _wrap_lon(a[1] + dlon * f)
    va, vb = _to_vec(a), _to_vec(b)
    omega = math.acos(max(-1.0, min(1.0, float(va @ vb))))
    if omega < 1e-12:
        return a
    s = math.sin(omega)
    v = va * (math.sin((1 - f) * omega) / s) + vb * (math.sin(f * omega) / s)
    return _from_vec(v)


def fill_times(times: Sequence[float | None], start: float, end: float) -> list[float]:
    """Give every route point a time: known times stay, missing ones are spread evenly.

    Missing times between two known ones are spaced evenly between them; leading and trailing
    ones are spread towards ``start`` and ``end``. With no known time at all the points are
    spread evenly over ``start..end``. Times must be in route order (not decreasing).
    """
    n = len(times)
    if n == 0:
        return []
    known = [(i, t) for i, t in enumerate(times) if t is not None]
    if not known:
        if n == 1:
            return [start]
        return [start + (end - start) * i / (n - 1) for i in range(n)]
    # Anchors at the ends (unless a known time is already there) pin the leading/trailing points.
    anchors: list[tuple[float, float]] = [(float(i), float(t)) for i, t in known]
    if anchors[0][0] > 0:
        anchors.insert(0, (0.0, min(start, anchors[0][1])))
    if anchors[-1][0] < n - 1:
        anchors.append((float(n - 1), max(end, anchors[-1][1])))
    xs = np.array([a[0] for a in anchors])
    ts = np.array([a[1] for a in anchors])
    filled = np.interp(np.arange(n, dtype=np.float64), xs, ts)
    return [float(t) for t in filled]


class Route:
    """A polyline of geographic points, each reached at a time; positions in between.

    ``times`` must not decrease; without them the points are spaced evenly over 0..1, so
    :meth:`at_time` then equals progress by leg count. :meth:`at_fraction` instead moves at a
    constant speed along the whole length.
    """

    def __init__(
        self,
        points: Sequence[LatLon],
        times: Sequence[float] | None = None,
        mode: Mode = "great_circle",
    ) -> None:
        if not points:
            raise ValueError("a route needs at least one point")
        self.points: tuple[LatLon, ...] = tuple((float(p[0]), float(p[1])) for p in points)
        n = len(self.points)
        if times is None:
            times = [i / (n - 1) for i in range(n)] if n > 1 else [0.0]
        if len(times) != n:
            raise ValueError(f"{n} points but {len(times)} times")
        if any(b < a for a, b in itertools.pairwise(times)):
            raise ValueError("route times must not decrease")
        self.times: tuple[float, ...] = tuple(float(t) for t in times)
        self.mode: Mode = mode
        legs = [distance_km(a, b) for a, b in zip(self.points, self.points[1:], strict=False)]
        self._cum_km = np.concatenate([[0.0], np.cumsum(legs)])

    @property
    def length_km(self) -> float:
        return float(self._cum_km[-1])

    def _leg_position(self, leg: int, u: float) -> LatLon:
        return interpolate(self.points[leg], self.points[leg + 1], u, self.mode)

    def at_fraction(self, f: float) -> LatLon:
        """Position after a fraction ``f`` (0..1) of the route's length."""
        if len(self.points) == 1 or f <= 0:
            return self.points[0]
        if f >= 1:
            return self.points[-1]
        d = f * self.length_km
        leg = int(np.searchsorted(self._cum_km, d, side="right") - 1)
        leg = min(leg, len(self.points) - 2)
        span = self._cum_km[leg + 1] - self._cum_km[leg]
        return self._leg_position(leg, 0.0 if span <= 0 else float((d - self._cum_km[leg]) / span))

    def leg_at_time(self, t: float) -> tuple[int, float]:
        """``(leg, u)``: the route is ``u`` (0..1) of the way along leg ``leg`` at time ``t``."""
        n = len(self.points)
        if n == 1 or t <= self.times[0]:
            return 0, 0.0
        if t >= self.times[-1]:
            return n - 2, 1.0
        leg = bisect.bisect_right(self.times, t) - 1
        leg = min(max(leg, 0), n - 2)
        t0, t1 = self.times[leg], self.times[leg + 1]
        return leg, 1.0 if t1 <= t0 else (t - t0) / (t1 - t0)

    def at_time(self, t: float) -> LatLon:
        """Position at time ``t``: exactly ``points[i]`` at ``times[i]``, clamped at the ends."""
        if len(self.points) == 1:
            return self.points[0]
        leg, u = self.leg_at_time(t)
        return self._leg_position(leg, u)

    def fraction_at_time(self, t: float) -> float:
        """The share of the route's length covered at time ``t``."""
        if self.length_km <= 0:
            return 1.0 if t >= self.times[-1] else 0.0
        leg, u = self.leg_at_time(t)
        if len(self.points) == 1:
            return 1.0
        d = self._cum_km[leg] + u * (self._cum_km[leg + 1] - self._cum_km[leg])
        return float(d / self.length_km)

    def reached(self, t: float) -> int:
        """How many points have been reached at time ``t``."""
        return bisect.bisect_right(self.times, t)

    def leg_path(self, leg: int, end_u: float = 1.0, step_km: float = 20.0) -> list[LatLon]:
        """Leg ``leg`` from its start (excluded) to ``end_u`` (0..1) of the way along it,
        densified every ``step_km``; empty when the route has no such leg."""
        if not 0 <= leg < len(self.points) - 1:
            return []
        km = (self._cum_km[leg + 1] - self._cum_km[leg]) * end_u
        steps = max(1, math.ceil(km / step_km))
        return [self._leg_position(leg, end_u * s / steps) for s in range(1, steps + 1)]

    def path_at_time(self, t: float, step_km: float = 20.0) -> FloatArray:
        """The travelled part at time ``t`` as an ``(M, 2)`` array of ``(lat, lon)``, densified
        every ``step_km`` so that it bends along great circles when projected."""
        leg, u = self.leg_at_time(t)
        out: list[LatLon] = [self.points[0]]
        for i in range(min(leg + 1, len(self.points) - 1)):
            out += self.leg_path(i, u if i == leg else 1.0, step_km)
        return np.array(out, dtype=np.float64)
