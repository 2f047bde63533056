"""Pixel formats and sizes: decoded frames become pictures ready to blit, in the worker.

:class:`Converter` turns each decoded frame into the UI's pixel format at the size it draws
video in, with swscale, in the video decode thread: the main thread only blits (no per-frame
colour conversion or scaling there). :func:`fit_size` and :func:`display_size` say what that size
is for a picture's shape, pixel aspect ratio and rotation.
"""

from __future__ import annotations

from fractions import Fraction
from typing import ClassVar, Literal

import av
import numpy as np

from kiosk.media.errors import FaultKind, MediaError

Fit = Literal["contain", "stretch"]
PixelFormat = Literal["RGB", "BGRA"]
_SWS_FORMATS: dict[str, str] = {"RGB": "rgb24", "BGRA": "bgra"}

# The pixel format the kiosk's screen asks for. A 32-bit frame blits to the 32-bit screen with
# no conversion: 0.33 ms a 720p frame on the main thread against 0.60 ms for 24-bit RGB (Xvfb),
# and swscale writes it no slower. The library default stays RGB (what numpy users expect).
SCREEN_FORMAT: PixelFormat = "BGRA"


def display_size(
    width: int, height: int, sar: Fraction | None, rotation: int
) -> tuple[float, float]:
    """The picture's shape on screen: pixel aspect ratio applied, 90/270° rotation swapped."""
    w = width * float(sar) if sar and sar > 0 else float(width)
    h = float(height)
    return (h, w) if rotation % 180 else (w, h)


def fit_size(src: tuple[float, float], box: tuple[int, int], fit: Fit) -> tuple[int, int]:
    """Output size for a picture of shape ``src`` asked for at ``box``."""
    if fit == "stretch":
        return box
    scale = min(box[0] / src[0], box[1] / src[1])
    return max(2, min(box[0], round(src[0] * scale))), max(2, min(box[1], round(src[1] * scale)))


class Converter:
    """Converts decoded frames to the UI's pixel format and size with swscale (this thread)."""

    # AVColorSpace values that swscale's SWS_CS_* constants share; 6 (SMPTE 170M) is BT.601.
    _SWS_CS: ClassVar[dict[int, int]] = {1: 1, 4: 4, 5: 5, 6: 5, 7: 7, 9: 9, 10: 9}

    def __init__(self, box: tuple[int, int], fit: Fit, pixel_format: PixelFormat) -> None:
        self.box = box
        self.fit = fit
        self.pixel_format = pixel_format
        self.sws_format = _SWS_FORMATS[pixel_format]
        self._reformatter = av.video.reformatter.VideoReformatter()
        self._scaler = av.video.reformatter.VideoReformatter()
        self._yuv: dict[str, bool] = {}
        self._key: tuple[int, int, Fraction | None, int] | None = None
        self._out = (0, 0)

    def _is_yuv(self, frame: av.VideoFrame) -> bool:
        name = frame.format.name
        if name not in self._yuv:
            fmt = frame.format
            self._yuv[name] = not fmt.is_rgb and not fmt.has_palette and len(fmt.components) >= 3
        return self._yuv[name]

    def __call__(
        self, frame: av.VideoFrame, rotation: int, sar: Fraction | None, box: tuple[int, int]
    ) -> np.ndarray:
        if box != self.box:
            self.box, self._key = box, None  # the UI asked for another size
        key = (frame.width, frame.height, sar, rotation)
        if key != self._key:
            # The size can change mid-stream (adaptive streams, concatenated files).
            disp = display_size(frame.width, frame.height, sar, rotation)
            self._out = fit_size(disp, self.box, self.fit)
            self._key = key
        w, h = self._out
        if rotation % 180:
            w, h = h, w  # scale to the pre-rotation shape, then rotate
        elif self.pixel_format == "BGRA" and w > 4:
            # swscale pads each row to 16 bytes; a width of 4n pixels leaves none, so the
            # frame needs no copy to pack its rows for pygame (2.4 MB a frame at 1042x586).
            # The picture is at most 3 px narrower than the box: centred, it does not show.
            w -= w % 4
        cs = frame.colorspace
        # Untagged video: swscale assumes BT.601, but HD material is BT.709 (what every player
        # assumes for HD), and the wrong matrix shifts greens and reds visibly.
        src_cs = self._SWS_CS.get(int(cs), 1 if frame.height >= 720 else 5)
        try:
            if (w, h) != (frame.width, frame.height) and self._is_yuv(frame):
                # Scale in YUV first, then convert at the output size. swscale's scaled path to
                # packed RGB24 has no fast (SIMD) output stage: 1080p to 720p costs ~4.8 ms
                # that way, and ~1.4 ms as YUV scaling plus the fast unscaled YUV->RGB step.
                mid = self._scaler.reformat(
                    frame,
                    width=w,
                    height=h,
                    format="yuv420p",
                    src_colorspace=src_cs,
                    dst_colorspace=src_cs,
                    interpolation="BILINEAR",
                    threads=1,
                )
                out = self._reformatter.reformat(
                    mid,
                    format=self.sws_format,
                    src_colorspace=src_cs,
                    dst_colorspace=src_cs,
                    threads=1,
                )
            else:
                out = self._reformatter.reformat(
                    frame,
                    width=w,
                    height=h,
                    format=self.sws_format,
                    src_colorspace=src_cs,
                    dst_colorspace=src_cs,
                    interpolation="BILINEAR",
                    threads=1,
                )
        except (av.FFmpegError, ValueError) as e:
            raise MediaError(
                FaultKind.UNSUPPORTED_FORMAT,
                f"cannot convert {frame.format.name} {frame.width}x{frame.height} frames: {e}",
            ) from e
        arr: np.ndarray = out.to_ndarray()
        k = (rotation // 90) % 4
        if k:
            # The display matrix says how to turn the coded picture (phones record sideways);
            # rotation is counter-clockwise, as np.rot90 turns.
            arr = np.rot90(arr, k)
        if not arr.flags.c_contiguous:
            # to_ndarray returns a strided view when swscale pads rows; frombuffer needs rows
            # packed, and rot90 returns a view.
            arr = np.ascontiguousarray(arr)
        return arr
