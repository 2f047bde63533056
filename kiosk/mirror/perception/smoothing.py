"""The One Euro filter (Casiez, Roussel, Vogel, CHI 2012) over whole arrays of landmarks.

A low-pass filter whose cutoff rises with speed: a still face is smoothed hard (no shimmer), a
moving one lightly (no lag). As MediaPipe's landmark smoothing does, values are divided by the
face's size before filtering, so one set of parameters suits a face near the camera and one far
away: ``beta`` is per face-size per second.

Tuned by the paper's recipe on real photographs with camera noise added (tests/test_mirror_track):
``beta`` 0 first, ``min_cutoff`` lowered until a still face stopped shimmering, then ``beta``
raised until a quick turn of the head stopped trailing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class OneEuroOptions:
    """The filter's three parameters (frequencies in Hz).

    Attributes:
        min_cutoff: the cutoff when still; lower = steadier, laggier.
        beta: how fast the cutoff rises with speed (face sizes per second).
        d_cutoff: the cutoff of the speed estimate itself.
    """

    min_cutoff: float = 0.8
    beta: float = 6.0
    d_cutoff: float = 1.0


def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """Filters an array of any fixed shape, each element on its own, at irregular times."""

    def __init__(self, options: OneEuroOptions | None = None) -> None:
        self.options = options or OneEuroOptions()
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t = 0.0

    def reset(self) -> None:
        self._x = self._dx = None

    def __call__(self, value: np.ndarray, t: float, scale: float = 1.0) -> np.ndarray:
        """The filtered value at time ``t`` (seconds); speeds are measured in units of ``scale``
        (a face's size in pixels), the values themselves stay in pixels."""
        o = self.options
        x = np.asarray(value, np.float64)
        if self._x is None or self._dx is None or self._x.shape != x.shape:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), t
            return x.copy()
        dt = t - self._t
        if dt <= 0:  # the same frame again (a photo): nothing new to learn
            return self._x.copy()
        dx = (x - self._x) / (max(scale, 1e-6) * dt)
        a_d = _alpha(o.d_cutoff, dt)
        self._dx = self._dx + a_d * (dx - self._dx)
        a = _alpha(o.min_cutoff + o.beta * np.abs(self._dx), dt)
        self._x = self._x + a * (x - self._x)
        self._t = t
        return self._x.copy()
