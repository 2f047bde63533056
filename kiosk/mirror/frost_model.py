"""The frost look as a torch module, exported to ONNX by ``kiosk models build``.

Not a trained network: a hand-built, differentiable image-processing graph, so that it is
small (under two megabytes, nearly all of it baked textures), runs in a few milliseconds on an
ordinary CPU and looks the same on every machine. torch is imported only inside
:func:`build_module` (it is in the ``models`` extra); the kiosk at run time needs onnxruntime and
the exported file alone.

What the graph does, in the order a viewer notices it:

* an icy colour grade of the visitor (desaturated, cold shadows, pale skin) at full resolution;
* the background, where the person mask says so, replaced by the Arctic backdrop;
* rime on brows, lashes, moustache, beard, hairline and hair where the landmark cues point
  (:mod:`kiosk.mirror.cuemap`): the dark strands there are whitened and hoarfrost needles
  glitter on them (more on dark hairs than on bare skin), growing in over the first seconds;
* a cold flush on nose and cheeks;
* a fur hood round each face, sampled in the face's own coordinates (angle round it, radius in
  face-oval units) so it turns and tilts with the head, deeper at the sides and falling over the
  shoulders, and never over the face oval (the face mesh is its occluder);
* breath vapour in front of an open mouth, frost ferns creeping in from the frame's edges
  like a frozen window, a cold vignette, and snow in three layers driven by a gusting wind.

The smooth layers (hood, breath, light, vignette) are computed at a quarter of the frame's size,
the fine ones (rime needles, frost ferns, snow) at half, and everything is folded into four planes
brought up with one bilinear resize: ``out = graded * k + add``. The full-size work is one 3x3
colour matrix and a multiply-add per pixel; measured on one CPU core, a single full-size op costs
about as much as a dozen half-size ones, so there are few of them on purpose. Snow and breath
scroll their textures with row gathers rather than a grid sample (several times cheaper).

Inputs (see :data:`INPUTS`): ``frame`` uint8 HxWx3 RGB; ``mask`` float32 h x w in 0..1, any size;
``cues`` float32 6 x h x w (the channels of :data:`kiosk.mirror.cuemap.CUE_CHANNELS`), any size
(half the frame's by default: the rime is read at that detail);
``time`` float32 [1] seconds since the mirror started; ``background`` float32 3 x H/2 x W/2 RGB
0..255 (half the frame's size, rounded down: the backdrop is far away and soft, and sharing the
half-size planes saves a full-size pass). Output ``image`` uint8 HxWx3 RGB.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from kiosk.mirror import textures
from kiosk.mirror.cuemap import CUE_CHANNELS

OPSET = 17

INPUTS: list[dict[str, Any]] = [
    {
        "name": "frame",
        "role": "frame",
        "dtype": "uint8",
        "layout": "HWC",
        "channels": "RGB",
        "range": [0, 255],
        "shape": ["H", "W", 3],
    },
    {
        "name": "mask",
        "role": "mask",
        "dtype": "float32",
        "layout": "HW",
        "range": [0, 1],
        "shape": ["h", "w"],
        "note": "person mask, 1 = person; any size, resized inside; all ones = no mask",
    },
    {
        "name": "cues",
        "role": "cues",
        "dtype": "float32",
        "layout": "CHW",
        "channels": list(CUE_CHANNELS),
        "range": [0, 1],
        "shape": [len(CUE_CHANNELS), "h", "w"],
        "note": "face-cue map drawn by kiosk.mirror.cuemap; any size, resized inside",
    },
    {
        "name": "time",
        "role": "time",
        "dtype": "float32",
        "layout": "scalar",
        "range": [0, 1e6],
        "shape": [1],
        "note": "seconds since the mirror started: snow, breath and creeping frost move with it",
    },
    {
        "name": "background",
        "role": "background",
        "dtype": "float32",
        "layout": "CHW",
        "channels": "RGB",
        "range": [0, 255],
        "shape": [3, "H/2", "W/2"],
        "note": "the backdrop shown where the mask is 0, at half the frame's size (rounded down)",
    },
]

OUTPUTS: list[dict[str, Any]] = [
    {
        "name": "image",
        "role": "image",
        "dtype": "uint8",
        "layout": "HWC",
        "channels": "RGB",
        "range": [0, 255],
        "shape": ["H", "W", 3],
    }
]


@dataclass(frozen=True)
class FrostParams:
    """The look's knobs; recorded in the manifest so a build can be repeated."""

    seed: int = 7
    frost_size: tuple[int, int] = (400, 300)  # frost ferns and rime needles texture, w x h
    fur_size: tuple[int, int] = (512, 48)  # angles x radii
    snow_tile: int = 256
    noise_size: int = 64
    saturation: float = 0.55
    tint: tuple[float, float, float] = (0.86, 0.98, 1.14)
    lift: tuple[float, float, float] = (4.0, 10.0, 22.0)  # shadows go deep blue, 0..255
    gain: float = 1.04
    contrast: float = 1.12
    ice: tuple[float, float, float] = (228.0, 240.0, 252.0)
    frost_reach: tuple[float, float, float] = (0.08, 0.22, 2.6)  # start, growth, time constant s
    # hood: inner edge, depth at the top and at the sides (face-oval radii), extra below the chin
    hood: tuple[float, float, float, float] = (1.0, 0.45, 0.6, 0.3)
    flush: tuple[float, float, float] = (22.0, -6.0, -4.0)  # the cold on nose and cheeks
    fur_dark: tuple[float, float, float] = (84.0, 76.0, 74.0)
    fur_light: tuple[float, float, float] = (236.0, 236.0, 240.0)
    snow_layers: tuple[tuple[float, float, float, float], ...] = field(
        # tiles across the height, fall speed (tiles/s), wind (tiles/s), opacity
        default=((1.2, 0.22, 0.10, 0.85), (2.2, 0.30, 0.16, 0.7), (3.8, 0.34, 0.2, 0.5))
    )
    breath_period: float = 4.5
    vignette: float = 0.5

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def bake(params: FrostParams) -> dict[str, np.ndarray]:
    """The constant textures, as uint8 arrays (what the graph stores)."""
    fw, fh = params.frost_size
    crystals, reach = textures.frost_window(fw, fh, params.seed)
    needles = textures.rime(fw, fh, params.seed + 4)
    return {
        "detail": np.stack([textures.to_u8(a) for a in (crystals, reach, needles)])[None],
        "fur": textures.to_u8(textures.fur(*params.fur_size, seed=params.seed + 2))[None, None],
        "snow": textures.to_u8(textures.snow_tile(params.snow_tile, params.seed + 3)),
        "noise": textures.to_u8(
            textures.smooth_noise(params.noise_size, params.noise_size, 4, params.seed + 9)
        ),
    }


def build_module(params: FrostParams | None = None) -> Any:
    """The frost graph as a ``torch.nn.Module`` (needs torch: ``pip install '.[models]'``)."""
    try:
        # Imported by name so that type checking does not depend on whether torch is installed.
        torch: Any = importlib.import_module("torch")
        F: Any = importlib.import_module("torch.nn.functional")
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "building the frost model needs torch: pip install torch==2.13.0 onnx "
            "(the 'models' extra); the kiosk itself does not"
        ) from exc

    p = params or FrostParams()
    baked = bake(p)

    def const(values: Any) -> Any:
        return torch.tensor(values, dtype=torch.float32).reshape(1, -1, 1, 1)

    class FrostNet(torch.nn.Module):  # type: ignore[misc,unused-ignore]
        def __init__(self) -> None:
            super().__init__()
            for name, arr in baked.items():
                self.register_buffer(f"tex_{name}", torch.from_numpy(arr.copy()))
            # The colour grade as one 3x3 matrix on RGB rows: desaturate, tint cold, add contrast.
            luma = np.array([0.299, 0.587, 0.114])
            s, c = p.saturation, p.contrast * p.gain
            grade = c * (s * np.eye(3) + (1 - s) * np.outer(luma, np.array(p.tint)))
            self.register_buffer("grade", torch.tensor(grade, dtype=torch.float32))
            self.register_buffer("grade_d", const([d + (1 - p.contrast) * 128.0 for d in p.lift]))
            self.register_buffer("ice", const(p.ice))
            self.register_buffer("fur_dark", const(p.fur_dark))
            self.register_buffer("fur_light", const(p.fur_light))
            self.register_buffer(
                "ramp", torch.tensor([[[[0.0, 1.0], [0.0, 1.0]], [[0.0, 0.0], [1.0, 1.0]]]])
            )

        @staticmethod
        def over(premult: Any, alpha: Any, colour: Any, a: Any) -> tuple[Any, Any]:
            """Composite a layer (colour, coverage a) over premultiplied (premult, alpha)."""
            return colour * a + premult * (1 - a), a + alpha * (1 - a)

        @staticmethod
        def scroll(tile_t: Any, rows: Any, cols: Any) -> Any:
            """Sample a tileable texture at wrapped coordinates (0..1 per tile), nearest texel.

            ``tile_t`` is the texture transposed (columns first). Two row gathers and a small
            transpose instead of a grid sample: whole rows are copied, never single texels
            (measured several times cheaper than a grid sample or a gather along columns).
            """
            n_cols, n_rows = tile_t.shape[0], tile_t.shape[1]
            iy = (torch.remainder(rows, 1.0) * n_rows).floor().clamp(0, n_rows - 1).long()
            ix = (torch.remainder(cols, 1.0) * n_cols).floor().clamp(0, n_cols - 1).long()
            picked = tile_t.index_select(0, ix).transpose(0, 1).contiguous()  # rows x w
            return picked.index_select(0, iy)

        def forward(self, frame: Any, mask: Any, cues: Any, time: Any, background: Any) -> Any:
            graded = torch.matmul(frame.to(torch.float32), self.grade)  # HxWx3, 0..255
            g = graded.permute(2, 0, 1).unsqueeze(0)  # 1x3xHxW
            full = (g.shape[2], g.shape[3])
            y2 = F.avg_pool2d(g[:, 1:2], 2) * (1.0 / 255.0)  # half size, green ~ luminance
            mid = (y2.shape[2], y2.shape[3])
            lo = (mid[0] // 2, mid[1] // 2)
            t = time.reshape(1, 1, 1, 1)

            def resize(a: Any, size: Any, corners: bool = False) -> Any:
                return F.interpolate(a, size=size, mode="bilinear", align_corners=corners)

            # ---- quarter size: the smooth layers (hood, breath, light, vignette) ----
            cues = cues.unsqueeze(0)
            c = resize(cues, lo)
            face_w = c[:, 1:2]
            hood_r, hood_a = c[:, 2:3], c[:, 3:4]
            breath_w, flush = c[:, 4:5], c[:, 5:6]
            m = resize(mask.unsqueeze(0).unsqueeze(0), lo).clamp(0, 1)
            ramp = resize(self.ramp, lo, corners=True)
            u, v = ramp[:, 0:1], ramp[:, 1:2]  # 0..1 left to right, top to bottom

            premult = face_w * const([4.0, 10.0, 20.0]) + flush * const(p.flush)
            alpha = torch.zeros_like(face_w)

            # The fur hood, in the face's own coordinates (angle round it, radius in face-oval
            # units): from the oval outward, leaving the hair at the forehead free, deeper at
            # the sides, and falling over the shoulders below the chin.
            r0, depth_top, depth_side, drape = p.hood
            side = hood_a.abs()
            top = (1.0 - side * 2.2).clamp(0, 1)
            inner = r0 + 0.16 * top
            span = depth_top + (depth_side - depth_top) * (1.0 - top)
            span = span + drape * ((side - 0.6) * 2.5).clamp(0, 1)
            gy = (hood_r - inner) * 2.0 / span - 1.0
            fur = F.grid_sample(
                self.tex_fur.to(torch.float32) * (1.0 / 255.0),
                torch.cat([hood_a, gy], dim=1).permute(0, 2, 3, 1),
                mode="bilinear",
                padding_mode="zeros",
                align_corners=False,
            )
            # The face mesh is the occluder: the hood never covers the face oval.
            fur_a = (fur * 1.9).clamp(0, 1) * (1.0 - face_w).clamp(0, 1)
            depth = ((gy + 1.0) * 0.5).clamp(0, 1)
            tone = (fur * 0.75 + depth * 0.2 + 0.15).clamp(0, 1)
            fur_col = self.fur_dark + (self.fur_light - self.fur_dark) * tone
            premult, alpha = self.over(premult, alpha, fur_col, fur_a)

            # Breath: vapour in front of an open mouth, drifting up and sideways.
            noise = self.scroll(
                self.tex_noise.to(torch.float32).t() * (1.0 / 255.0),
                v[0, 0, :, 0] * 2.0 - t.reshape(1) * 0.12,
                u[0, 0, 0, :] * 2.0 + t.reshape(1) * 0.05,
            )
            swirl = 0.85 + 0.15 * torch.sin(t * (2 * math.pi / p.breath_period))
            breath = (breath_w * (0.4 + 0.9 * noise) * swirl * 0.8).clamp(0, 0.8)
            premult, alpha = self.over(premult, alpha, const([232.0, 240.0, 250.0]), breath)

            # A cold vignette.
            du, dv = u - 0.5, v - 0.5
            ring = ((du * du + dv * dv) * 2.2).clamp(0, 1)
            premult, alpha = self.over(premult, alpha, const([6.0, 18.0, 42.0]), ring * p.vignette)

            up = resize(torch.cat([premult, alpha, m], dim=1), mid)
            premult, alpha, m = up[:, 0:3], up[:, 3:4], up[:, 4:5]
            rime_w = resize(cues[:, 0:1], mid)  # the rime's contours come at the map's detail

            # ---- half size: the fine layers (rime, frost ferns, snow) ----
            grow = 1 - torch.exp(-t * 0.45)
            dark = ((0.62 - y2) * 2.5).clamp(0, 1)
            rime = rime_w * (0.6 + 0.4 * grow)
            lift = (rime * (0.15 + 0.85 * dark) * 1.1).clamp(0, 0.9)
            detail = resize(self.tex_detail.to(torch.float32) * (1.0 / 255.0), mid)
            crystals, reach, needles = detail[:, 0:1], detail[:, 1:2], detail[:, 2:3]
            # Hoarfrost grows on hairs: needles glitter most on dark strands, little on bare skin.
            sparkle = ((rime * 1.6 - 0.1).clamp(0, 1) * (0.3 + 0.7 * dark) * needles * 1.8).clamp(
                0, 1
            )
            premult, alpha = self.over(premult, alpha, self.ice, sparkle * 0.85)

            # Frost ferns creeping in from the edges like a frozen window.
            start, growth, tau = p.frost_reach
            level = start + growth * (1 - torch.exp(-t * (1.0 / tau))) + 0.015 * torch.sin(t * 0.9)
            shown = ((level - reach) * 9.0).clamp(0, 1)
            frost_a = (crystals * shown * 0.95 + shown * shown * 0.28).clamp(0, 1)
            premult, alpha = self.over(premult, alpha, const([226.0, 238.0, 252.0]), frost_a)

            # Snow: three layers of one tile, nearer layers bigger and faster, in a gusting wind.
            tile = self.tex_snow.to(torch.float32).t() * (1.0 / 255.0)
            rows = torch.linspace(0.0, 1.0, 2).reshape(1, 1, 2, 1)
            rows = resize(rows, (mid[0], 1), corners=True).reshape(-1)
            cols = torch.linspace(0.0, 1.0, 2).reshape(1, 1, 1, 2)
            cols = resize(cols, (1, mid[1]), corners=True).reshape(-1)
            aspect = mid[1] / mid[0]
            tt = t.reshape(1)
            gust = 0.06 * torch.sin(tt * 0.7) + 0.03 * torch.sin(tt * 1.9 + 1.0)
            layers = [
                self.scroll(
                    tile,
                    rows * scale - tt * fall,
                    cols * (aspect * scale) - tt * wind - gust * scale,
                )
                * opacity
                for scale, fall, wind, opacity in p.snow_layers
            ]
            snow = layers[0]
            for layer in layers[1:]:
                snow = torch.maximum(snow, layer)
            snow = snow.reshape(1, 1, mid[0], mid[1])
            premult, alpha = self.over(premult, alpha, const([240.0, 246.0, 255.0]), snow)

            # Fold it all into four full-size planes: out = graded * k + add.
            keep = 1 - alpha
            k = (1 - lift) * m * keep
            add = premult + self.ice * (lift * m * keep) + self.grade_d * k
            add = add + background.unsqueeze(0) * ((1 - m) * keep)
            planes = resize(torch.cat([k, add], dim=1), full)
            out = g * planes[:, 0:1] + planes[:, 1:4]
            return out.clamp(0, 255).to(torch.uint8).squeeze(0).permute(1, 2, 0)

    return FrostNet().eval()
