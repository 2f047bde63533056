"""Test kit: synthetic clips for the player's tests and benchmarks (not shipped with the kiosk).

:func:`write_clip` encodes a small video with PyAV whose frames carry their own number as a
barcode along the top edge (read back with :func:`read_barcode`), so a test can tell exactly
which frame the player shows. It can add white flash frames and tone beeps at chosen times (for
measuring A/V sync), a steady tone (for hearing gaps and clicks), odd pixel formats, variable
frame rate, rotation metadata (with the picture stored turned, as a phone stores it) and any
sample rate or channel layout.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

BARCODE_BITS = 12


def _barcode(img: np.ndarray, index: int, bits: int = BARCODE_BITS) -> None:
    h, w = img.shape[:2]
    band = max(8, h // 10)
    for b in range(bits):
        on = (index >> (bits - 1 - b)) & 1
        img[:band, round(b * w / bits) : round((b + 1) * w / bits)] = 235 if on else 16


def read_barcode(pixels: np.ndarray, bits: int = BARCODE_BITS) -> int:
    """The frame number written by :func:`write_clip` (any size; RGB or BGRA pixels)."""
    img = np.asarray(pixels)
    h, w = img.shape[:2]
    band = max(8, h // 10)
    cell = w / bits
    y0, y1 = band // 4, max(band // 4 + 1, (3 * band) // 4)
    value = 0
    for b in range(bits):
        x0 = int(b * cell + cell / 4)
        x1 = max(x0 + 1, int(b * cell + 3 * cell / 4))
        level = float(img[y0:y1, x0:x1, :3].mean())
        value = (value << 1) | (1 if level > 128 else 0)
    return value


def is_flash(pixels: np.ndarray) -> bool:
    """True for the white flash frames of :func:`write_clip` (barcode band excluded)."""
    img = np.asarray(pixels)
    h = img.shape[0]
    return float(img[h // 4 :, :, :3].mean()) > 200.0


def _sample_format(codec: av.Codec) -> str:
    formats = [f.name for f in (codec.audio_formats or ())]
    for pref in ("fltp", "flt", "s16p", "s16", "s32p", "s32"):
        if pref in formats:
            return pref
    return formats[0] if formats else "fltp"


def write_clip(
    path: Path,
    *,
    size: tuple[int, int] = (320, 180),
    fps: float = 25.0,
    duration: float = 2.0,
    video: bool = True,
    video_codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    gop: int | None = None,
    video_options: dict[str, str] | None = None,
    audio: bool = True,
    audio_codec: str = "aac",
    audio_rate: int = 48000,
    layout: str = "stereo",
    tone_hz: float | None = 440.0,
    tone_level: float = 0.2,
    tone_channels: Sequence[int] | None = None,
    flashes: Sequence[float] = (),
    beeps: Sequence[float] = (),
    beep_hz: float = 1000.0,
    beep_seconds: float = 0.04,
    beep_level: float = 0.6,
    vfr: bool = False,
    rotation: int = 0,
    upright: bool = False,
    detail: float = 0.0,
    container_format: str | None = None,
    container_options: dict[str, str] | None = None,
) -> Path:
    """Encode a test clip to ``path`` and return it.

    Frame ``i`` is shown at ``i / fps`` (with ``vfr``, frames alternate between half and one
    and a half frame periods) and carries ``i`` as a barcode. A frame whose time is within half
    a frame of a ``flashes`` entry is white. ``beeps`` are ``beep_seconds`` bursts of
    ``beep_hz`` over the steady ``tone_hz`` tone (None: silence between beeps).
    ``tone_channels`` limits the tone to some channels (e.g. the centre of 5.1). ``detail``
    (0..1) adds a panning noise texture, so the encoder and decoder work like on real footage.
    ``container_options`` go to the muxer (e.g. ``{"movflags": "faststart"}``: index first).

    ``rotation`` (degrees counter-clockwise, FFmpeg's ``-display_rotation``) goes into the
    container's display matrix. By default the picture is stored as drawn, so a player that
    applies the rotation shows it turned. With ``upright`` the picture is drawn at ``size`` as
    it should look and stored turned the other way, the way a phone stores a clip filmed
    upright: a player that applies the rotation shows the barcode along the top, one that
    ignores it shows the picture on its side (or upside down).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    turns = (rotation // 90) % 4 if upright else 0
    w, h = size if turns % 2 == 0 else (size[1], size[0])  # the stored (coded) size
    with av.open(
        str(path), mode="w", format=container_format, options=container_options or {}
    ) as out:
        vstream: av.video.stream.VideoStream | None = None
        astream: av.audio.stream.AudioStream | None = None
        if video:
            rate = Fraction(fps).limit_denominator(1001)
            added = out.add_stream(video_codec, rate=rate)
            assert isinstance(added, av.video.stream.VideoStream)
            vstream = added
            vstream.width, vstream.height = w, h
            vstream.pix_fmt = pix_fmt
            opts = {"preset": "veryfast"} if "264" in video_codec else {}
            if video_options:
                opts.update(video_options)
            if opts:
                vstream.codec_context.options = opts
            if gop:
                vstream.codec_context.gop_size = gop
            if vfr:
                vstream.codec_context.time_base = Fraction(1, 1000)
                vstream.time_base = Fraction(1, 1000)
            if rotation:
                vstream.set_display_rotation(rotation)
        if audio:
            codec = av.Codec(audio_codec, "w")
            added_a = out.add_stream(audio_codec, rate=audio_rate, layout=layout)
            assert isinstance(added_a, av.audio.stream.AudioStream)
            astream = added_a
            sfmt = _sample_format(codec)
            astream.format = sfmt

        packets: list[av.Packet] = []
        if vstream is not None:
            packets += _encode_video(vstream, size, fps, duration, flashes, vfr, detail, turns)
        if astream is not None:
            packets += _encode_audio(
                astream,
                duration,
                audio_rate,
                tone_hz,
                tone_level,
                tone_channels,
                beeps,
                beep_hz,
                beep_seconds,
                beep_level,
            )
        # Interleave by time, as a real muxer would have received them.
        packets.sort(key=_packet_time)
        for packet in packets:
            out.mux(packet)
    return path


def _packet_time(packet: av.Packet) -> float:
    ts = packet.dts if packet.dts is not None else packet.pts
    if ts is None or packet.time_base is None:
        return 0.0
    return float(ts * packet.time_base)


def _encode_video(
    stream: av.video.stream.VideoStream,
    size: tuple[int, int],
    fps: float,
    duration: float,
    flashes: Sequence[float],
    vfr: bool,
    detail: float = 0.0,
    turns: int = 0,
) -> list[av.Packet]:
    """Frames drawn at ``size``, each stored turned clockwise ``turns`` quarter turns."""
    w, h = size
    packets: list[av.Packet] = []
    xs = np.arange(w, dtype=np.float32)[None, :]
    ys = np.arange(h, dtype=np.float32)[:, None]
    texture = None
    if detail > 0:
        rng = np.random.default_rng(1)
        texture = rng.standard_normal((h, w + 4096), dtype=np.float32) * 40 * detail
    t = 0.0
    i = 0
    while t < duration - 1e-9:
        img = np.empty((h, w, 3), np.uint8)
        if any(abs(t - f) < 0.5 / fps for f in flashes):
            img[:] = 255
        else:
            # A slowly moving pattern, so the encoder has real motion to code.
            phase = i * 0.15
            img[..., 0] = (60 + 40 * np.sin(xs / 23.0 + phase) + 0 * ys).astype(np.uint8)
            img[..., 1] = (60 + 40 * np.sin(ys / 17.0 - phase) + 0 * xs).astype(np.uint8)
            img[..., 2] = (90 + 30 * np.sin((xs + ys) / 31.0 + phase)).astype(np.uint8)
            if texture is not None:
                shift = (2 * i) % 4096
                noise = texture[:, shift : shift + w, None]
                img[:] = np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)
        _barcode(img, i)
        if turns:
            # Undone by the display matrix's counter-clockwise rotation of as many turns.
            img = np.ascontiguousarray(np.rot90(img, -turns))
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        if stream.pix_fmt not in ("rgb24",):
            frame = frame.reformat(format=stream.pix_fmt)
        if vfr:
            frame.pts = round(t * 1000)
            frame.time_base = Fraction(1, 1000)
            step = (0.5 if i % 2 == 0 else 1.5) / fps
        else:
            frame.pts = i
            frame.time_base = 1 / Fraction(fps).limit_denominator(1001)
            step = 1.0 / fps
        packets += stream.encode(frame)
        i += 1
        t = t + step if vfr else i / fps
    packets += stream.encode(None)
    return packets


def _encode_audio(
    stream: av.audio.stream.AudioStream,
    duration: float,
    rate: int,
    tone_hz: float | None,
    tone_level: float,
    tone_channels: Sequence[int] | None,
    beeps: Sequence[float],
    beep_hz: float,
    beep_seconds: float,
    beep_level: float,
) -> list[av.Packet]:
    packets: list[av.Packet] = []
    channels = stream.codec_context.channels or stream.layout.nb_channels
    total = round(duration * rate)
    t = np.arange(total, dtype=np.float64) / rate
    mono = np.zeros(total, np.float64)
    if tone_hz:
        mono += tone_level * np.sin(2 * math.pi * tone_hz * t)
    ramp = max(1, round(0.002 * rate))
    for b in beeps:
        i0 = round(b * rate)
        n = round(beep_seconds * rate)
        if i0 >= total:
            continue
        n = min(n, total - i0)
        env = np.ones(n)
        r = min(ramp, n // 2)
        if r:
            env[:r] = np.linspace(0, 1, r, endpoint=False)
            env[-r:] = np.linspace(1, 0, r, endpoint=False)
        # The beep starts at full amplitude on its first sample (a sine from phase 90°), so its
        # onset time is exact to the sample.
        env[:r] = 1.0
        mono[i0 : i0 + n] = beep_level * np.cos(2 * math.pi * beep_hz * t[:n]) * env
    planar = np.zeros((channels, total), np.float32)
    chans = range(channels) if tone_channels is None else tone_channels
    for c in chans:
        planar[c] = mono
    frame_size = stream.codec_context.frame_size or 1024
    resampler = av.AudioResampler(format=stream.format.name, layout=stream.layout, rate=rate)
    pts = 0
    for start in range(0, total, frame_size):
        chunk = np.ascontiguousarray(planar[:, start : start + frame_size])
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=stream.layout)
        frame.sample_rate = rate
        frame.pts = pts
        frame.time_base = Fraction(1, rate)
        pts += chunk.shape[1]
        for f in resampler.resample(frame):
            packets += stream.encode(f)
    for f in resampler.resample(None):
        packets += stream.encode(f)
    packets += stream.encode(None)
    return packets
