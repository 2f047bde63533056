"""The face-cue map: where on each face the rime grows, where the hood sits, where breath goes.

Drawn from each tracked face's 468 landmarks (:mod:`kiosk.mirror.facemesh`) at the map's size
(half the frame's by default), channel by channel (:data:`CUE_CHANNELS`):

* ``rime``: the brows (between their upper and lower contours), the upper and lower lashes (just
  outside the lids; the eye opening itself stays clear), the moustache (between the nose and the
  upper lip), the beard (between the lower lip and the jaw, weaker), the hairline (just outside
  the face oval over the forehead) and the hair (the person mask above the face, outside it);
* ``face``: the face oval and the outline of the whole mesh, filled: what the hood never covers
  (the face mesh as an occluder; in a face turned aside the nose stands out of the oval);
* ``hood_r``, ``hood_a``: coordinates round the face for the fur hood: the distance from the face's
  centre in units of the face oval's own radius in that direction (1 on the oval), and the angle
  from the top of the head (0) to the chin (+-1), turning with the head;
* ``breath``: in front of the mouth, as far as the mouth is open;
* ``flush``: the nose and the cheeks, where the cold shows.

Each face is drawn only inside its own window and scaled by its strength (fading in, out, or
unsure landmarks); a fading face's hood slides outward. The frost model reads the channels by
position. numpy and OpenCV only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from kiosk.mirror import facemesh as fm

CUE_CHANNELS = ("rime", "face", "hood_r", "hood_a", "breath", "flush")
"""The face-cue map's channels, in order (the frost model reads them by position)."""

NO_FACE_RADIUS = 9.0
"""hood_r where there is no face: far outside any hood."""

F32 = NDArray[np.float32]


class FaceLike(Protocol):
    """What the map needs of a face: landmarks in frame pixels and a strength."""

    @property
    def points(self) -> np.ndarray: ...
    @property
    def strength(self) -> float: ...


def empty_cue_map(width: int, height: int) -> F32:
    """A cue map with no face in it."""
    cue = np.zeros((len(CUE_CHANNELS), height, width), np.float32)
    cue[2].fill(NO_FACE_RADIUS)
    return cue


def _outward(line: np.ndarray, centre: np.ndarray, by: float) -> np.ndarray:
    """A contour moved ``by`` pixels away from ``centre``, point by point."""
    d = line - centre
    n = np.linalg.norm(d, axis=1, keepdims=True)
    return np.asarray(line + d / np.maximum(n, 1e-6) * by, np.float32)


def _poly(points: np.ndarray) -> list[np.ndarray]:
    """Points in fixed point (4 fractional bits) as cv2's drawing wants them."""
    return [np.round(points * 16).astype(np.int32).reshape(-1, 1, 2)]


def _fill(canvas: np.ndarray, points: np.ndarray, value: float) -> None:
    cv2.fillPoly(canvas, _poly(points), float(value), cv2.LINE_AA, 4)


def _line(canvas: np.ndarray, points: np.ndarray, value: float, thick: float) -> None:
    if thick < 1.0:
        # Thinner than a pixel (a small face, far from the camera): a fainter one-pixel line,
        # so its lashes and brows keep their share of frost instead of merging into a band.
        value, thick = value * max(thick, 0.25), 1.0
    cv2.polylines(canvas, _poly(points), False, float(value), max(1, round(thick)), cv2.LINE_AA, 4)


def _blur(a: np.ndarray, sigma: float) -> np.ndarray:
    return a if sigma < 0.3 else cv2.GaussianBlur(a, (0, 0), sigma)


ANGLE_STEPS = 512
"""Steps of the face oval's radius table, round the face."""


def _hood_coords(pts: np.ndarray, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """(radius in face-oval units, angle in half turns from the top) at the window's pixels.

    The oval's radius in each direction comes from a table of :data:`ANGLE_STEPS` steps
    (interpolated once per face), so each pixel costs an arctangent and a lookup.
    """
    oval = fm.contour(pts, fm.FACE_OVAL)
    centre = oval.mean(axis=0)
    up = pts[fm.FOREHEAD, :2] - pts[fm.CHIN, :2]
    up = up / max(float(np.linalg.norm(up)), 1e-6)
    right = np.array([-up[1], up[0]], np.float32)
    d = oval - centre
    table_a = np.arctan2(d @ right, d @ up)
    order = np.argsort(table_a)
    steps = np.linspace(-math.pi, math.pi, ANGLE_STEPS + 1, dtype=np.float32)
    table = np.interp(steps, table_a[order], np.linalg.norm(d, axis=1)[order], period=2 * math.pi)
    inverse = (1.0 / np.maximum(table, 1e-3)).astype(np.float32)
    dx = np.arange(w, dtype=np.float32)[None, :] - np.float32(centre[0])
    dy = np.arange(h, dtype=np.float32)[:, None] - np.float32(centre[1])
    along = dx * np.float32(up[0]) + dy * np.float32(up[1])
    across = dx * right[0] + dy * right[1]
    turns = np.arctan2(across, along) * np.float32(1.0 / math.pi)
    index = ((turns + 1.0) * (ANGLE_STEPS / 2)).astype(np.int32)
    radius = np.sqrt(along * along + across * across) * inverse[index]
    return radius, turns


def _window(
    pts: np.ndarray, size: float, width: int, height: int
) -> tuple[int, int, int, int] | None:
    lo, hi = pts[:, :2].min(axis=0), pts[:, :2].max(axis=0)
    x0, x1 = max(0, int(lo[0] - 1.0 * size)), min(width, int(hi[0] + 1.0 * size) + 1)
    y0, y1 = max(0, int(lo[1] - 0.9 * size)), min(height, int(hi[1] + 1.6 * size) + 1)
    if x0 >= x1 or y0 >= y1:
        return None
    return x0, y0, x1, y1


def render_cue_map(
    faces: Sequence[FaceLike],
    width: int,
    height: int,
    scale: float,
    mask: F32 | None = None,
) -> F32:
    """Draw the face-cue map (channels :data:`CUE_CHANNELS`) at ``width`` x ``height``.

    ``scale`` turns frame pixels into map pixels (0.5 for a map half the frame's size); ``mask``,
    the person mask at the map's size, lets the rime into the hair above each face.
    """
    cue = empty_cue_map(width, height)
    for face in faces:
        s = float(np.clip(face.strength, 0.0, 1.0))
        if s <= 0.01:
            continue
        pts = np.asarray(face.points[:, :2], np.float32) * scale
        size = float(np.ptp(pts, axis=0).max())
        if size < 4:
            continue
        win = _window(pts, size, width, height)
        if win is None:
            continue
        x0, y0, x1, y1 = win
        local = pts - np.array([x0, y0], np.float32)
        shape = (y1 - y0, x1 - x0)
        _draw_face(cue[:, y0:y1, x0:x1], local, size, s, shape,
                   None if mask is None else mask[y0:y1, x0:x1])  # fmt: skip
    return cue


def _draw_face(
    win: np.ndarray, pts: np.ndarray, size: float, s: float, shape: tuple[int, int],
    mask: F32 | None,
) -> None:  # fmt: skip
    h, w = shape
    rime = np.zeros(shape, np.float32)
    # Brows: the band between their upper and lower contours, a little fuller than the hairs.
    for upper, lower in ((fm.RIGHT_BROW_UPPER, fm.RIGHT_BROW_LOWER),
                         (fm.LEFT_BROW_UPPER, fm.LEFT_BROW_LOWER)):  # fmt: skip
        band = np.concatenate([fm.contour(pts, upper), fm.contour(pts, lower)[::-1]])
        _fill(rime, band, 1.0)
        _line(rime, band, 1.0, size * 0.025)
    # Lashes: just outside the lids, the upper ones thicker; the eye opening stays clear. On a
    # small face (far away, or one of a group) a line cannot be as thin as lashes are, and full
    # rime round both lids read as white spectacles: there it is fainter.
    eyes = []
    lashes = float(np.clip(size / 90.0, 0.4, 1.0))
    for right, upper, lower in ((True, fm.RIGHT_EYE_UPPER, fm.RIGHT_EYE_LOWER),
                                (False, fm.LEFT_EYE_UPPER, fm.LEFT_EYE_LOWER)):  # fmt: skip
        centre = fm.eye_centre(pts, right)
        th = size * 0.035
        _line(rime, _outward(fm.contour(pts, upper), centre, th * 0.6), 0.95 * lashes, th)
        _line(rime, _outward(fm.contour(pts, lower), centre, th * 0.4), 0.6 * lashes, th * 0.6)
        eyes.append(np.concatenate([fm.contour(pts, upper), fm.contour(pts, lower)[::-1]]))
    # Moustache: from the upper lip half way up to the nose.
    lip = fm.contour(pts, fm.LIPS_OUTER_UPPER)
    nose = pts[fm.SUBNASALE]
    _fill(rime, np.concatenate([lip, (lip + (nose - lip) * 0.6)[::-1]]), 0.75)
    # Beard: between the lower lip and the jaw, weaker (a clean chin takes only a little).
    lower_lip = fm.contour(pts, fm.LIPS_OUTER_LOWER)
    chin = pts[fm.CHIN]
    jaw = fm.contour(pts, fm.JAW[2:-2])
    _fill(rime, np.concatenate([jaw, (lower_lip + (chin - lower_lip) * 0.25)[::-1]]), 0.4)
    oval = fm.contour(pts, fm.FACE_OVAL)
    centre = oval.mean(axis=0)
    # The hairline: just outside the oval over the forehead and down the temples.
    th = max(1.0, size * 0.06)
    _line(rime, _outward(fm.contour(pts, fm.HAIRLINE), centre, th * 0.5), 0.8, th)

    radius, angle = _hood_coords(pts, h, w)
    if mask is not None:
        # The hair: the person above the face, outside its oval, up to a hood's depth.
        top = np.clip(1.0 - np.abs(angle) * 2.2, 0.0, 1.0)
        band = np.clip((radius - 1.0) * 12.0, 0.0, 1.0) * np.clip((1.55 - radius) * 5.0, 0, 1)
        np.maximum(rime, mask * band * top * 0.7, out=rime)
    rime = _blur(rime, size * 0.012)
    for eye in eyes:
        _fill(rime, eye, 0.0)

    face = np.zeros(shape, np.float32)
    _fill(face, oval, 1.0)
    # A face turned aside shows its nose, its far eye and its mouth outside the oval's outline
    # (the oval runs along the far cheek, behind them): the whole mesh's outline occludes too.
    # A little wider than the landmarks, so the soft edge below does not let fur onto them.
    hull = cv2.convexHull(pts).reshape(-1, 2)
    _fill(face, _outward(hull, hull.mean(axis=0), size * 0.03), 1.0)
    face = _blur(face, size * 0.015)

    flush = np.zeros(shape, np.float32)
    for index, r in ((fm.NOSE_TIP, 0.07), (fm.RIGHT_CHEEK, 0.13), (fm.LEFT_CHEEK, 0.13)):
        x, y = pts[index]
        cv2.circle(flush, (round(x * 16), round(y * 16)), round(size * r * 16), 1.0, -1,
                   cv2.LINE_AA, 4)  # fmt: skip
    flush = _blur(flush, size * 0.05)

    breath = np.zeros(shape, np.float32)
    opened = float(np.clip((fm.mouth_open(pts) - 0.015) / 0.06, 0.0, 1.0))
    if opened > 0:
        mouth = (pts[fm.UPPER_LIP_CENTRE] + pts[fm.LOWER_LIP_CENTRE]) * 0.5
        down = pts[fm.CHIN] - pts[fm.FOREHEAD]
        down = down / max(float(np.linalg.norm(down)), 1e-6)
        cx, cy = mouth + down * size * 0.14
        axes = (round(size * 0.28 * 16), round(size * 0.2 * 16))
        cv2.ellipse(breath, (round(cx * 16), round(cy * 16)), axes, 0, 0, 360, opened, -1,
                    cv2.LINE_AA, 4)  # fmt: skip
        breath = _blur(breath, size * 0.08)

    # A fading face's hood slides outward (a smaller radius reads as further out).
    radius = radius - (1.0 - s) * 2.5
    nearer = radius < win[2]
    win[2] = np.where(nearer, radius, win[2])
    win[3] = np.where(nearer, angle, win[3])
    np.maximum(win[0], rime * s, out=win[0])
    np.maximum(win[1], face * s, out=win[1])
    np.maximum(win[4], breath * s, out=win[4])
    np.maximum(win[5], flush * s, out=win[5])
