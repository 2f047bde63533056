"""The face-cue map: where on a face the rime grows, where breath goes, where the ruff sits.

Drawn from the tracked face boxes at a quarter of the frame's size (:data:`CUE_CHANNELS`): soft
gaussians at the brows, lashes, hairline, moustache and beard (where the rime grows), the face
itself, the mouth (breath), the cheeks, and the face's polar coordinates for the ruff. The frost
model reads the channels by position.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from kiosk.mirror.faces import Box, Face

CUE_CHANNELS = ("rime", "face", "hood_r", "hood_a", "breath", "cheeks")
"""The face-cue map's channels, in order (the frost model reads them by position)."""

NO_FACE_RADIUS = 9.0
"""hood_r where there is no face: far outside any ruff."""

F32 = NDArray[np.float32]


def empty_cue_map(width: int, height: int) -> F32:
    """A cue map with no face in it."""
    cue = np.zeros((len(CUE_CHANNELS), height, width), np.float32)
    cue[2] = NO_FACE_RADIUS
    return cue


def render_cue_map(faces: list[Face], width: int, height: int, scale: float) -> F32:
    """Draw the face-cue map (channels :data:`CUE_CHANNELS`) at ``width`` x ``height``.

    ``scale`` turns frame pixels into map pixels (0.25 for a map a quarter of the frame's size).
    Each face is drawn only in the window its ruff and breath can reach.
    """
    cue = empty_cue_map(width, height)
    for face in faces:
        b = face.box.scaled(scale)
        s = float(np.clip(face.strength, 0.0, 1.0))
        if s <= 0.01 or b.w < 2:
            continue
        cx, cy = b.x + 0.5 * b.w, b.y + 0.5 * b.h
        x0, x1 = max(0, int(cx - 1.4 * b.w)), min(width, int(cx + 1.4 * b.w) + 1)
        y0, y1 = max(0, int(cy - 1.7 * b.h)), min(height, int(cy + 1.8 * b.h) + 1)
        if x0 >= x1 or y0 >= y1:
            continue
        ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        win = cue[:, y0:y1, x0:x1]

        def blob(
            fx: float, fy: float, sx: float, sy: float, b: Box = b, xs: F32 = xs, ys: F32 = ys
        ) -> F32:
            gx = (xs - (b.x + fx * b.w)) / (sx * b.w)
            gy = (ys - (b.y + fy * b.h)) / (sy * b.h)
            return np.exp(-(gx * gx + gy * gy))

        (lx, ly), (rx, ry) = face.eyes
        rime = np.zeros_like(xs)
        for ex, ey in ((lx, ly), (rx, ry)):
            rime = np.maximum(rime, blob(ex, ey - 0.11, 0.15, 0.045))  # brow
            rime = np.maximum(rime, 0.85 * blob(ex, ey - 0.02, 0.1, 0.035))  # lashes
        rime = np.maximum(rime, 0.75 * blob(0.5, 0.77, 0.2, 0.05))  # moustache
        rime = np.maximum(rime, 0.6 * blob(0.5, 0.98, 0.28, 0.09))  # beard, chin
        # The hairline: a band along the top of the head's ellipse, and down the temples.
        dx, dy = (xs - cx) / (0.5 * b.w), (ys - (b.y + 0.55 * b.h)) / (0.62 * b.h)
        er = np.sqrt(dx * dx + dy * dy)
        hair = np.exp(-(((er - 0.95) / 0.14) ** 2)) * np.clip(-dy * 1.4, 0.0, 1.0)
        rime = np.maximum(rime, 0.7 * hair)
        face_w = np.clip((1.05 - er) * 4.0, 0.0, 1.0)

        # The ruff: elliptical radius and angle round the face (0 at the top, +-1 at the chin).
        # A fading face's ruff slides outward and off, rather than snapping away.
        qx, qy = (xs - cx) / (0.62 * b.w), (ys - cy) / (0.8 * b.h)
        radius = np.sqrt(qx * qx + qy * qy) - (1.0 - s) * 2.5
        angle = np.arctan2(qx, -qy) * (1.0 / math.pi)
        nearer = radius < win[2]
        win[2] = np.where(nearer, radius, win[2])
        win[3] = np.where(nearer, angle, win[3])

        np.maximum(win[0], rime * s, out=win[0])
        np.maximum(win[1], face_w * s, out=win[1])
        np.maximum(win[4], blob(0.5, 1.12, 0.32, 0.2) * s, out=win[4])
        cheeks = np.maximum(blob(lx - 0.04, 0.66, 0.11, 0.08), blob(rx + 0.04, 0.66, 0.11, 0.08))
        np.maximum(win[5], cheeks * s, out=win[5])
    return cue
