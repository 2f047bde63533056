"""Procedural textures the frost model bakes in, and the default Arctic backdrop.

Everything here is drawn with numpy and OpenCV from a fixed seed, so ``kiosk models build`` makes
the same model on every machine and nothing is downloaded. The frost model stores these arrays as
constant tensors (uint8, a few hundred kilobytes in all); the backdrop is written beside the model
as a picture a curator can replace.
"""

from __future__ import annotations

import itertools
import math

import cv2
import numpy as np
from numpy.typing import NDArray

F32 = NDArray[np.float32]
U8 = NDArray[np.uint8]


def smooth_noise(w: int, h: int, cells: int, seed: int, octaves: int = 3) -> F32:
    """Tileable value noise in 0..1: random grids upscaled with a cubic filter, summed by octave."""
    rng = np.random.default_rng(seed)
    out = np.zeros((h, w), np.float32)
    amp, total = 1.0, 0.0
    for o in range(octaves):
        n = cells * 2**o
        grid = rng.random((n, n), dtype=np.float32)
        # Pad by wrapping so that the texture tiles without a seam.
        big = np.tile(grid, (3, 3))
        up = cv2.resize(big, (3 * w, 3 * h), interpolation=cv2.INTER_CUBIC)
        out += amp * up[h : 2 * h, w : 2 * w]
        total += amp
        amp *= 0.5
    out /= total
    lo, hi = float(out.min()), float(out.max())
    return ((out - lo) / max(hi - lo, 1e-6)).astype(np.float32)


def _fern(
    canvas: F32,
    rng: np.random.Generator,
    x: float,
    y: float,
    angle: float,
    length: float,
    width: float,
    level: int,
) -> None:
    """One frost fern: a wavering stem with side branches at about 60 degrees, recursively."""
    steps = max(2, int(length / 3.0))
    step = length / steps
    bright = (1.0, 0.7, 0.45)[level]
    px, py = x, y
    for i in range(steps):
        angle += rng.normal(0.0, 0.06)
        nx, ny = px + step * math.cos(angle), py + step * math.sin(angle)
        thickness = max(1, round(4 * width * (1.0 - 0.6 * i / steps)))
        cv2.line(
            canvas,
            (round(px * 16), round(py * 16)),
            (round(nx * 16), round(ny * 16)),
            bright,
            thickness,
            cv2.LINE_AA,
            2,
        )
        if level < 2 and i % 2 == 1 and rng.random() < 0.8:
            side_len = length * (0.42 - 0.25 * i / steps) * rng.uniform(0.7, 1.2)
            for sign in (-1.0, 1.0):
                if side_len > 3.0:
                    _fern(
                        canvas,
                        rng,
                        nx,
                        ny,
                        angle + sign * math.radians(rng.uniform(50, 70)),
                        side_len,
                        max(1.0, width * 0.6),
                        level + 1,
                    )
        px, py = nx, ny


def frost_window(w: int, h: int, seed: int = 7) -> tuple[F32, F32]:
    """Frost ferns growing in from the frame's edges, as on a frozen window.

    Returns (crystals, reach): crystal brightness 0..1, and for each pixel how far the frost must
    have crept in (0 at the edge, 1 in the middle, roughened by noise) before it shows there.
    """
    rng = np.random.default_rng(seed)
    canvas = np.zeros((h * 4, w * 4), np.float32)
    perimeter = 2 * (w + h)
    count = int(perimeter / 22)
    for _ in range(count):
        pos = rng.uniform(0, perimeter)
        if pos < w:
            x, y, inward = pos, 0.0, math.pi / 2
        elif pos < w + h:
            x, y, inward = float(w), pos - w, math.pi
        elif pos < 2 * w + h:
            x, y, inward = pos - w - h, float(h), -math.pi / 2
        else:
            x, y, inward = 0.0, pos - 2 * w - h, 0.0
        # Corners freeze first and deepest.
        cx = min(x, w - x) / w
        cy = min(y, h - y) / h
        corner = 1.0 - min(cx, cy) * 2.0
        length = rng.uniform(0.06, 0.16) * min(w, h) * (1.0 + 1.0 * corner)
        _fern(canvas, rng, x, y, inward + rng.normal(0, 0.5), length, 0.8, 0)
    crystals = cv2.resize(canvas, (w, h), interpolation=cv2.INTER_AREA)
    glow = cv2.GaussianBlur(crystals, (0, 0), 2.0)
    crystals = np.clip(crystals * 0.9 + glow * 0.5, 0.0, 1.0)
    # Fine sparkle: the glass between the ferns is rimed too.
    sparkle = (rng.random((h, w)) > 0.985).astype(np.float32) * rng.uniform(0.3, 0.9, (h, w))
    crystals = np.maximum(crystals, sparkle.astype(np.float32))

    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    aspect = w / h
    dx = np.minimum(xx, w - 1 - xx) / (w / 2)
    dy = np.minimum(yy, h - 1 - yy) / (h / 2)
    # A rounded rectangle distance, so the corners are reached first.
    edge = np.minimum(dx * aspect**0.5, dy / aspect**0.5)
    soft = np.sqrt(dx * dy)
    reach = 0.6 * edge + 0.4 * soft
    reach = reach / max(float(reach.max()), 1e-6)
    reach += (smooth_noise(w, h, 6, seed + 1) - 0.5) * 0.22
    return crystals.astype(np.float32), np.clip(reach, 0.0, 1.0).astype(np.float32)


def rime(w: int, h: int, seed: int = 11) -> F32:
    """Hoarfrost: bright specks and short ice needles in every direction, 0..1."""
    rng = np.random.default_rng(seed)
    canvas = np.zeros((h * 2, w * 2), np.float32)
    n = int(w * h * 0.06)
    xs = rng.uniform(0, w * 2, n)
    ys = rng.uniform(0, h * 2, n)
    angles = rng.uniform(0, math.pi, n)
    lengths = rng.gamma(2.0, 1.4, n)
    values = rng.uniform(0.5, 1.0, n)
    for x, y, a, ln, v in zip(xs, ys, angles, lengths, values, strict=True):
        dx, dy = math.cos(a) * ln, math.sin(a) * ln
        cv2.line(
            canvas,
            (round(x - dx), round(y - dy)),
            (round(x + dx), round(y + dy)),
            float(v),
            1,
            cv2.LINE_AA,
        )
    out = cv2.resize(canvas, (w, h), interpolation=cv2.INTER_AREA)
    out = np.clip(out * 2.2, 0.0, 1.0)
    return out.astype(np.float32)


def snow_tile(size: int, seed: int = 3, flakes: int = 36) -> F32:
    """A tileable square of soft round snowflakes, 0..1."""
    rng = np.random.default_rng(seed)
    canvas = np.zeros((size * 3, size * 3), np.float32)
    for _ in range(flakes):
        x, y = rng.uniform(0, size, 2)
        r = float(rng.choice([1.0, 1.4, 2.0, 2.8], p=[0.4, 0.3, 0.2, 0.1])) * size / 128
        v = rng.uniform(0.55, 1.0)
        for ox in (0, size, 2 * size):
            for oy in (0, size, 2 * size):
                cv2.circle(
                    canvas,
                    (round((x + ox) * 4), round((y + oy) * 4)),
                    round(r * 4),
                    v,
                    -1,
                    cv2.LINE_AA,
                    2,
                )
    small = cv2.resize(canvas, (size * 3, size * 3), interpolation=cv2.INTER_AREA)
    tile = small[size : 2 * size, size : 2 * size]
    tile = cv2.GaussianBlur(tile, (0, 0), size / 256)
    return np.clip(tile, 0.0, 1.0).astype(np.float32)


def fur(width: int, height: int, seed: int = 5) -> F32:
    """Fur strands in (angle, radius) space: columns are angles round the face, rows run outward.

    Strands grow in locks: neighbours share a lean and a curl, as real fur parts into clumps.
    Their lengths differ, so the outer edge is ragged and fluffy. 0..1, zero where there is none.
    """
    rng = np.random.default_rng(seed)
    k = 4  # supersampling
    canvas = np.zeros((height * k, width * k), np.float32)
    locks = width // 5
    for _ in range(locks):
        centre = rng.uniform(0, width)
        lean = rng.normal(0, 4.0)
        curl = rng.normal(0, 3.0)
        lock_len = rng.uniform(0.55, 1.0)
        for _ in range(14):
            col = centre + rng.normal(0, 3.0)
            length = lock_len * rng.uniform(0.6, 1.0)
            bright = rng.uniform(0.25, 1.0)
            my_lean = lean + rng.normal(0, 1.0)
            root = rng.uniform(0.0, 0.22)  # a ragged inner edge too
            pts = []
            for j in range(10):
                t = j / 9 * length
                pts.append(
                    (col + my_lean * t + curl * t * t, (root + t * (1 - root)) * (height - 1))
                )
            for (x0, y0), (x1, y1) in itertools.pairwise(pts):
                fade = 1.0 - 0.5 * (y0 / (height - 1) / length) ** 2
                for ox in (-width, 0, width):
                    cv2.line(
                        canvas,
                        (round((x0 + ox) * k), round(y0 * k)),
                        (round((x1 + ox) * k), round(y1 * k)),
                        float(bright * fade),
                        2,
                        cv2.LINE_AA,
                    )
    out = cv2.resize(canvas, (width, height), interpolation=cv2.INTER_AREA)
    out = cv2.GaussianBlur(out, (0, 0), 0.5)
    rows = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    under = np.clip(np.minimum(rows * 6.0, 1.0 - rows * 1.6), 0.0, 1.0) * 0.7  # under-fur
    out = np.clip(np.maximum(out * 1.6, under), 0.0, 1.0)
    return out.astype(np.float32)


def to_u8(a: F32) -> U8:
    """0..1 floats to bytes, as the model stores its textures."""
    return np.clip(np.rint(a * 255.0), 0, 255).astype(np.uint8)


def arctic_background(w: int = 1280, h: int = 720, seed: int = 21) -> U8:
    """An Arctic scene for behind the visitor: a low polar sky, aurora, pressure ridges, ice.

    RGB, uint8. Drawn, not photographed, so it ships with the program under its own licence.
    """
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    u, v = xx / w, yy / h
    horizon = 0.58
    # Sky: deep night blue overhead to a cold pale band at the horizon.
    t = np.clip(v / horizon, 0, 1)[..., None]
    top = np.array([12, 28, 62], np.float32)
    mid = np.array([60, 110, 160], np.float32)
    low = np.array([196, 214, 226], np.float32)
    sky = np.where(t < 0.7, top + (mid - top) * (t / 0.7), mid + (low - mid) * ((t - 0.7) / 0.3))
    # Aurora: two soft green-cyan curtains.
    curtain = np.zeros((h, w), np.float32)
    for k, (base, amp, freq, width) in enumerate([(0.2, 0.06, 2.3, 0.05), (0.3, 0.05, 3.1, 0.035)]):
        centre = base + amp * np.sin(u * freq * math.pi * 2 + k * 1.7)
        band = np.exp(-(((v - centre) / width) ** 2))
        rays = 0.6 + 0.4 * smooth_noise(w, h, 40 + 10 * k, seed + k, octaves=1)
        rays = np.asarray(cv2.resize(rays[:1, :], (w, h), interpolation=cv2.INTER_LINEAR))
        curtain += band * rays * (1.0 - v / horizon).clip(0, 1) * (0.7 - 0.25 * k)
    sky += curtain[..., None] * np.array([60, 170, 120], np.float32)
    # Stars, faint, only high up.
    stars = (rng.random((h, w)) > 0.9985) * (v < horizon * 0.6)
    sky += (stars * rng.uniform(80, 180, (h, w)))[..., None].astype(np.float32)
    img = sky
    # Pressure ridges along the horizon: layers of jagged ice in front of each other.
    ground_noise = smooth_noise(w, h, 8, seed + 5)
    for layer, (base, height, col) in enumerate(
        [
            (horizon - 0.01, 0.025, (150, 175, 200)),
            (horizon + 0.02, 0.04, (185, 205, 222)),
            (horizon + 0.06, 0.05, (215, 228, 238)),
        ]
    ):
        coarse = smooth_noise(w, 8, 5 + 3 * layer, seed + 10 + layer, octaves=1)[0]
        fine = smooth_noise(w, 8, 14 + 8 * layer, seed + 20 + layer, octaves=3)[0]
        peaks = np.abs(fine - 0.5) * 2.0  # sharp-topped hummocks of broken ice
        ridge = base - height * (0.55 * coarse + 0.45 * peaks) ** 1.3
        mask = v >= ridge[None, :]
        shade = np.clip((v - ridge[None, :]) / (height * 1.5 + 1e-6), 0, 1)
        # The low sun lights the ridges' left faces; their right faces are in blue shade.
        slope = cv2.GaussianBlur(np.gradient(ridge)[None, :].astype(np.float32), (0, 0), 3.0)
        face = np.clip(0.5 + slope * w * 0.6, 0.0, 1.0)
        colour = np.array(col, np.float32) * (0.78 + 0.22 * face[..., None])
        colour = colour * (1.0 - 0.18 * shade[..., None]) + np.array([0, 8, 22]) * shade[..., None]
        img = np.where(mask[..., None], colour, img)
    # The ice field: bright, with cold blue sastrugi streaks and a sheen toward the horizon.
    ice_v = np.clip((v - horizon - 0.06) / (1 - horizon), 0, 1)
    field_mask = v > horizon + 0.06 - 0.02 * ground_noise
    streaks = smooth_noise(w, h, 10, seed + 30, octaves=4)
    coarse_streaks = cv2.resize(streaks, (w, h // 6), interpolation=cv2.INTER_AREA)
    streaks = np.asarray(cv2.resize(coarse_streaks, (w, h), interpolation=cv2.INTER_CUBIC))
    ice = np.array([226, 236, 244], np.float32) * (0.9 + 0.1 * streaks[..., None])
    ice -= (ice_v**1.5)[..., None] * np.array([70, 50, 25], np.float32)  # colder in front
    img = np.where(field_mask[..., None], ice, img)
    # Low haze of blowing snow over the horizon.
    haze = np.exp(-(((v - horizon - 0.03) / 0.05) ** 2)) * 0.35
    img = img * (1 - haze[..., None]) + np.array([225, 235, 245]) * haze[..., None]
    img += rng.normal(0, 2.0, img.shape)  # a little grain against banding
    return np.clip(img, 0, 255).astype(np.uint8)
