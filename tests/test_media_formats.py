"""Decoding whatever a curator may drop in: pixel formats, codecs, rotation, VFR, audio layouts.

These drive the decode threads directly (as fast as they decode, no real-time playback).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kiosk.media.audio_decoder import AudioDecoder
from kiosk.media.decoder import Frame, VideoDecoder, VideoEnd
from kiosk.media.mixer import AudioEnd
from testkit.media import ClipFactory
from testkit.synth import read_barcode

RATE = 48000


def decode_video(path: Path, **kwargs: Any) -> tuple[list[Frame], VideoEnd, VideoDecoder]:
    dec = VideoDecoder(path, **kwargs)
    dec.start()
    frames: list[Frame] = []
    while True:
        item = dec.queue.get(timeout=20)
        if isinstance(item, VideoEnd):
            break
        frames.append(item)
    assert dec.join(5)
    return frames, item, dec


def decode_audio(path: Path, **kwargs: Any) -> tuple[np.ndarray, AudioDecoder]:
    kwargs.setdefault("rate", RATE)
    kwargs.setdefault("channels", 2)
    dec = AudioDecoder(path, **kwargs)
    dec.start()
    chunks: list[np.ndarray] = []
    while True:
        item = dec.queue.get(timeout=20)
        if isinstance(item, AudioEnd):
            break
        chunks.append(item)
    assert dec.join(5)
    data = np.concatenate(chunks) if chunks else np.zeros((0, kwargs["channels"]), np.float32)
    return data, dec


FORMATS: dict[str, dict[str, Any]] = {
    "h264_yuv420p.mp4": {},
    "h264_yuv444p.mp4": {"pix_fmt": "yuv444p"},
    "ffv1_yuv420p10le.mkv": {
        "video_codec": "ffv1",
        "pix_fmt": "yuv420p10le",
        "audio_codec": "flac",
    },
    "ffv1_gray.mkv": {"video_codec": "ffv1", "pix_fmt": "gray", "audio": False},
    "png_rgb24.mov": {"video_codec": "png", "pix_fmt": "rgb24", "audio_codec": "pcm_s16le"},
    "mjpeg_yuvj420p.avi": {
        "video_codec": "mjpeg",
        "pix_fmt": "yuvj420p",
        "audio_codec": "libmp3lame",
        "audio_rate": 44100,
    },
    "vp9_opus.webm": {"video_codec": "libvpx-vp9", "audio_codec": "libopus"},
    "gif_rgb8.gif": {"video_codec": "gif", "pix_fmt": "rgb8", "audio": False, "fps": 10.0},
    "mpeg4_odd_size.mp4": {"video_codec": "mpeg4", "size": (166, 94)},
}


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_pixel_formats_and_codecs_decode_to_rgb(clips: ClipFactory, name: str) -> None:
    kwargs: dict[str, Any] = {"size": (160, 90), "duration": 0.6, **FORMATS[name]}
    path = clips(name, **kwargs)
    fps = kwargs.get("fps", 25.0)
    frames, end, dec = decode_video(path, size=(160, 90))
    assert dec.error is None
    # What the decoder says it decoded (the probe that opens the file no longer decodes);
    # FFmpeg's GIF decoder gives BGRA pictures whatever the palette.
    assert dec.info is not None and dec.info.pix_fmt not in ("", "None")
    decoded = "bgra" if name.endswith(".gif") else kwargs.get("pix_fmt", dec.info.pix_fmt)
    assert dec.info.pix_fmt == decoded
    n = round(0.6 * fps)
    assert [read_barcode(f.data) for f in frames] == list(range(n))
    assert end.end == pytest.approx(0.6, abs=0.041)  # AVI (no timestamps) may skip one
    for f in frames:
        assert f.data.dtype == np.uint8 and f.data.flags.c_contiguous
        assert f.data.shape == (f.size[1], f.size[0], 3)
        assert f.size[0] <= 160 and f.size[1] <= 90
    # the picture itself survives the conversion (the pattern's mid-tones, not garbage)
    body = frames[0].data[30:, :, :].astype(float)
    assert 20 < body.mean() < 200


@pytest.mark.parametrize("rotation", [90, -90])
def test_rotation_metadata_turns_the_picture(clips: ClipFactory, rotation: int) -> None:
    path = clips(f"rot{rotation}.mp4", size=(320, 180), duration=0.2, rotation=rotation)
    frames, _, dec = decode_video(path, size=(320, 320))
    assert dec.info is not None
    assert frames[0].size == (180, 320)  # portrait, fitted into the box
    # undo the display rotation: the barcode is back along the top edge
    k = -1 if rotation == 90 else 1
    upright = np.ascontiguousarray(np.rot90(frames[0].data, k))
    assert read_barcode(upright) == 0
    assert read_barcode(np.rot90(frames[-1].data, k)) == len(frames) - 1


def test_variable_frame_rate_keeps_each_frames_time(clips: ClipFactory) -> None:
    path = clips("vfr.mkv", size=(160, 90), duration=0.5, vfr=True)
    frames, _, _ = decode_video(path, size=(160, 90))
    pts = [round(f.pts, 3) for f in frames]
    assert pts[:6] == [0.0, 0.02, 0.08, 0.1, 0.16, 0.18]
    assert [read_barcode(f.data) for f in frames] == list(range(len(frames)))


def test_4k_is_scaled_in_the_worker(clips: ClipFactory) -> None:
    path = clips(
        "uhd.mp4",
        size=(3840, 2160),
        duration=0.12,
        audio=False,
        video_options={"preset": "ultrafast"},
    )
    frames, _, _ = decode_video(path, size=(320, 180))
    assert [f.size for f in frames] == [(320, 180)] * 3
    assert [read_barcode(f.data) for f in frames] == [0, 1, 2]


def test_size_can_change_while_decoding(clips: ClipFactory) -> None:
    path = clips("resize.mp4", size=(320, 180), duration=0.4, audio=False)
    dec = VideoDecoder(path, size=(320, 180), queue_size=2)
    dec.start()
    first = dec.queue.get(timeout=10)
    dec.size = (160, 90)
    sizes = [first.size]
    while not isinstance(item := dec.queue.get(timeout=10), VideoEnd):
        sizes.append(item.size)
    dec.join(5)
    assert sizes[0] == (320, 180) and sizes[-1] == (160, 90)


def test_44k1_5_1_audio_is_downmixed_and_resampled(clips: ClipFactory) -> None:
    # the tone only in the centre channel: it must reach both stereo channels
    path = clips(
        "surround.mp4",
        size=(160, 90),
        duration=1.0,
        audio_rate=44100,
        layout="5.1",
        tone_channels=[2],
    )
    data, dec = decode_audio(path, rate=RATE, channels=2)
    assert dec.error is None and dec.has_audio
    assert data.shape[1] == 2
    assert abs(data.shape[0] - RATE) < 0.03 * RATE  # 1 s at 48 kHz (+ the codec's padding)
    mid = data[RATE // 4 : 3 * RATE // 4]
    left, right = np.abs(mid).max(axis=0)
    assert 0.08 < left < 0.25 and 0.08 < right < 0.25
    assert np.allclose(mid[:, 0], mid[:, 1], atol=1e-3)


def test_audio_cut_is_sample_accurate(clips: ClipFactory) -> None:
    path = clips("beep15.mp4", size=(160, 90), duration=2.0, tone_hz=None, beeps=[1.5])
    data, _ = decode_audio(path, start=1.0, end=1.9)
    assert data.shape[0] == round(0.9 * RATE)
    onset = int(np.flatnonzero(np.abs(data[:, 0]) > 0.3)[0])
    assert abs(onset - RATE // 2) <= RATE // 1000  # within 1 ms of 0.5 s into the segment
    # the segment's edges are faded (no click when cut or looped)
    assert data[0].max() == 0.0 and abs(data[-1]).max() < 0.05


def test_audio_that_starts_late_is_padded(clips: ClipFactory) -> None:
    path = clips("beep0.mp4", size=(160, 90), duration=1.0, tone_hz=None, beeps=[0.25])
    data, _ = decode_audio(path, start=0.0)
    onset = int(np.flatnonzero(np.abs(data[:, 0]) > 0.3)[0])
    assert abs(onset - RATE // 4) <= RATE // 1000


def test_file_without_audio_reports_none(clips: ClipFactory) -> None:
    path = clips("mute.mp4", size=(160, 90), duration=0.2, audio=False)
    data, dec = decode_audio(path)
    assert dec.has_audio is False and data.shape[0] == 0 and dec.error is None
