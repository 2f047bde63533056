"""A test tone the player can play: the admin panel's sound check.

The player plays clips with video (a sound-only file is a fault there), so the tone comes with
small black frames. The clip is encoded in memory; whoever keeps it writes the bytes to a file.
"""

from __future__ import annotations

import io
from fractions import Fraction

import av
import numpy as np

TONE_HZ = 1000.0
SIDE = 64  # pixels: the picture is only there to make a clip the player accepts
FPS = 25
CHUNK = 1024  # audio samples per encoded frame


def encode_tone(seconds: float = 1.0, rate: int = 48000, hz: float = TONE_HZ) -> bytes:
    """An MP4 clip: ``hz`` sine at -10 dBFS for ``seconds`` over black ``SIDE``-pixel frames."""
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        vs = out.add_stream("libx264", rate=FPS)
        vs.width, vs.height = SIDE, SIDE
        vs.pix_fmt = "yuv420p"
        vs.options = {"preset": "ultrafast"}
        a_s = out.add_stream("aac", rate=rate, layout="stereo")
        black = np.zeros((SIDE, SIDE, 3), np.uint8)
        for _ in range(round(seconds * FPS)):
            for packet in vs.encode(av.VideoFrame.from_ndarray(black, format="rgb24")):
                out.mux(packet)
        for packet in vs.encode():
            out.mux(packet)
        n = round(seconds * rate)
        tone = 0.3 * np.sin(2 * np.pi * hz * np.arange(n) / rate)
        fade = np.minimum(1.0, np.minimum(np.arange(n), n - 1 - np.arange(n)) / (0.01 * rate))
        samples = (tone * fade).astype(np.float32)  # 10 ms fades: no click at either end
        for start in range(0, n, CHUNK):
            chunk = samples[start : start + CHUNK]
            frame = av.AudioFrame.from_ndarray(
                np.stack([chunk, chunk]), format="fltp", layout="stereo"
            )
            frame.sample_rate = rate
            frame.pts = start
            frame.time_base = Fraction(1, rate)
            for packet in a_s.encode(frame):
                out.mux(packet)
        for packet in a_s.encode():
            out.mux(packet)
    return buf.getvalue()
