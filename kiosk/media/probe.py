"""What a media file holds, read with PyAV without decoding it all.

Used by ``kiosk content validate`` to check a curator's clips before visitors see them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path


class ProbeError(Exception):
    """The file cannot be opened as media; the message says why in plain words."""


@dataclass(frozen=True)
class MediaInfo:
    duration: float
    has_video: bool
    width: int = 0
    height: int = 0
    video_codec: str = ""
    fps: float = 0.0
    has_audio: bool = False
    audio_codec: str = ""
    sample_rate: int = 0
    channels: int = 0


def probe(path: Path) -> MediaInfo:
    """Open ``path`` with PyAV and read its streams' headers."""
    import av  # PyAV is heavy; only the commands that probe media pay for it.

    if not path.is_file():
        raise ProbeError("file not found")
    if path.stat().st_size == 0:
        raise ProbeError("the file is empty (0 bytes)")
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            video = next(iter(container.streams.video), None)
            audio = next(iter(container.streams.audio), None)
            duration = 0.0
            if container.duration is not None:
                duration = container.duration / 1_000_000
            elif video is not None and video.duration is not None and video.time_base:
                duration = float(video.duration * video.time_base)
            info = MediaInfo(duration=duration, has_video=video is not None)
            if video is not None:
                ctx = video.codec_context
                rate = video.average_rate or video.guessed_rate
                info = replace(
                    info,
                    width=ctx.width,
                    height=ctx.height,
                    video_codec=ctx.name,
                    fps=float(rate) if rate else 0.0,
                )
            if audio is not None:
                actx = audio.codec_context
                info = replace(
                    info,
                    has_audio=True,
                    audio_codec=actx.name,
                    sample_rate=actx.sample_rate or 0,
                    channels=actx.layout.nb_channels if actx.layout else 0,
                )
            return info
    except av.error.FFmpegError as exc:
        raise ProbeError(f"cannot be read as media: {exc.strerror or exc}") from None
