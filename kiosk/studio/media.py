"""Media for the studio: files probed and explained in words, uploads streamed to disk, frames
and audio peaks decoded on the server for the scrubber and the caption timeline.

Probing is the kiosk's own (:mod:`kiosk.media.probe`); what counts as too large to play smoothly
or an unusual codec comes from the validation settings and the validator's list of codecs, not a
copy here. Frames and peaks are decoded with PyAV, exactly (a frame is the one whose time is the
nearest at or before the asked time), so an in or out point chosen on the scrubber is the frame
the kiosk will show.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.studio import parts
from kiosk.studio.security import clean_name, inside

VIDEO_EXT = {".mp4", ".m4v", ".mov", ".mkv", ".webm"}
IMAGE_EXT = {".png", ".jpg", ".jpeg", ".webp"}
AUDIO_EXT = {".m4a", ".mp3", ".wav", ".ogg", ".flac"}
CAPTION_EXT = {".vtt"}
ALLOWED_EXT = VIDEO_EXT | IMAGE_EXT | AUDIO_EXT | CAPTION_EXT
REENCODE = (
    "ffmpeg -i INPUT -c:v libx264 -preset slow -crf 20 -vf scale=-2:1080 -pix_fmt yuv420p "
    "-c:a aac -b:a 160k -movflags +faststart OUTPUT.mp4"
)


class UploadRefused(Exception):
    """An upload or import that is refused; nothing was written."""


@dataclass(frozen=True)
class Explained:
    """A media file described for a curator: facts, then advice."""

    rel: str
    kind: str
    facts: list[str]
    advice: list[str]
    reencode: bool


def kind_of(path: Path) -> str:
    ext = path.suffix.lower()
    if ext in VIDEO_EXT:
        return "video"
    if ext in IMAGE_EXT:
        return "image"
    if ext in AUDIO_EXT:
        return "audio"
    if ext in CAPTION_EXT:
        return "captions"
    return "other"


def explain(path: Path, rel: str, rules: parts.ValidationSettings) -> Explained:
    """Probe a file with the kiosk's probe and say in words what it is and what to do."""
    kind = kind_of(path)
    size_mb = path.stat().st_size / 1_000_000
    facts = [f"{size_mb:.1f} MB"]
    advice: list[str] = []
    if kind not in ("video", "audio"):
        return Explained(rel, kind, facts, advice, False)
    try:
        info = parts.quick_probe(path)
    except parts.probe_error() as exc:
        return Explained(rel, kind, facts, [f"cannot be played: {exc}"], True)
    facts.append(f"{info.duration:.2f} s")
    reencode = False
    if info.has_video:
        facts.append(f"{info.width}×{info.height}, {info.fps:.3g} frames/s, {info.video_codec}")
        if info.video_codec not in set(parts.playable_codecs()):
            advice.append(f"the video codec {info.video_codec} is unusual: re-encode to H.264")
            reencode = True
        if info.width * info.height > rules.video_max_pixels:
            advice.append(
                f"{info.width}×{info.height} is heavier than this kiosk plays smoothly: "
                "re-encode to 1920×1080"
            )
            reencode = True
    elif kind == "video":
        advice.append("no pictures in this file")
    if info.has_audio:
        facts.append(f"sound: {info.audio_codec}, {info.sample_rate} Hz, {info.channels} ch")
    else:
        advice.append("no sound: the clip will play silently")
    return Explained(rel, kind, facts, advice, reencode)


async def save_upload(
    chunks: AsyncIterator[bytes], folder: Path, name: str, limit: int, declared: int | None
) -> Path:
    """Stream an upload into ``folder/name`` (name cleaned); refused over ``limit`` bytes, with
    nothing left behind. The file appears only when complete (temporary name, then rename)."""
    cleaned = clean_name(name)
    if Path(cleaned).suffix.lower() not in ALLOWED_EXT:
        raise UploadRefused(
            f"'{name}': only clips, images, sound and captions "
            f"({', '.join(sorted(ALLOWED_EXT))}) can be added"
        )
    if declared is not None and declared > limit:
        raise UploadRefused(
            f"'{name}' is {declared / 1e6:.1f} MB; the limit is {limit / 1e6:.1f} MB"
        )
    folder.mkdir(parents=True, exist_ok=True)
    target = inside(folder, cleaned)
    if target.exists():
        raise UploadRefused(
            f"'{cleaned}' already exists there; rename the file or delete the old one"
        )
    tmp = folder / f".upload-{secrets.token_hex(6)}"
    written = 0
    try:
        with tmp.open("wb") as fh:
            async for chunk in chunks:
                written += len(chunk)
                if written > limit:
                    raise UploadRefused(
                        f"'{name}' is larger than the limit of {limit / 1e6:.1f} MB; "
                        "nothing was saved"
                    )
                fh.write(chunk)
        tmp.rename(target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return target


def frame_jpeg(path: Path, t: float, width: int = 640) -> tuple[bytes, float]:
    """The frame shown at ``t`` seconds (the last one starting at or before it), as JPEG, and
    that frame's own time."""
    import av
    import numpy as np

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        tb = stream.time_base
        container.seek(max(0, int(t / tb)) if tb else 0, stream=stream, backward=True)
        chosen: Any = None
        for frame in container.decode(stream):
            if frame.time is None:
                continue
            if frame.time <= t + 1e-6 or chosen is None:
                chosen = frame
            if frame.time > t + 1e-6:
                break
        if chosen is None:
            raise ValueError("no picture at that time")
        h = max(2, round(chosen.height * width / chosen.width) // 2 * 2)
        rgb = chosen.reformat(width=width, height=h, format="rgb24").to_ndarray()
        return _jpeg(np.ascontiguousarray(rgb)), float(chosen.time)


def _jpeg(rgb: Any) -> bytes:
    import pygame

    surf = pygame.image.frombuffer(rgb.tobytes(), (rgb.shape[1], rgb.shape[0]), "RGB")
    buf = io.BytesIO()
    pygame.image.save(surf, buf, "frame.jpg")
    return buf.getvalue()


def peaks(path: Path, start: float, end: float | None, buckets: int = 800) -> list[float]:
    """The loudest sample (0..1) of each of ``buckets`` slices of ``start``..``end``."""
    import av
    import numpy as np

    with av.open(str(path)) as container:
        if not container.streams.audio:
            return []
        stream = container.streams.audio[0]
        rate = 8000
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        if start > 0 and stream.time_base:
            container.seek(int(start / stream.time_base), stream=stream, backward=True)
        pieces: list[Any] = []
        first: float | None = None
        for frame in container.decode(stream):
            if frame.time is not None and end is not None and frame.time > end:
                break
            for out in resampler.resample(frame):
                if first is None:
                    first = float(out.time) if out.time is not None else start
                pieces.append(out.to_ndarray().reshape(-1))
        if not pieces:
            return []
        samples = np.abs(np.concatenate(pieces))
        skip = max(0, round((start - (first or 0.0)) * rate))
        samples = samples[skip:]
        if end is not None:
            samples = samples[: max(1, round((end - start) * rate))]
        if samples.size == 0:
            return []
        edges = np.linspace(0, samples.size, buckets + 1).astype(int)
        out_peaks = [
            float(samples[a:b].max()) if b > a else 0.0 for a, b in itertools.pairwise(edges)
        ]
        top = max(out_peaks) or 1.0
        return [round(p / top, 3) for p in out_peaks]
