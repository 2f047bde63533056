"""What a media file holds, read with PyAV, and whether it can be played to its end.

Used by ``kiosk content validate`` to check a curator's clips before visitors see them. The deep
check reads every packet (cheap: no decoding) and decodes the first frame and the last second
of video, which finds truncated and damaged files in milliseconds instead of the seconds a full
decode would cost.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any


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
    checked_to_end: bool = False
    problems: tuple[str, ...] = ()
    # Degrees the picture is turned counter-clockwise to be shown upright (the display matrix
    # of its first frame: phones store a clip filmed upright on its side), 0, 90, 180 or 270;
    # read by the deep probe only.
    rotation: int = 0


def probe_deep(path: Path) -> MediaInfo:
    """:func:`probe`, then read every packet and decode the first and the last frames."""
    return probe(path, deep=True)


def probe(path: Path, *, deep: bool = False) -> MediaInfo:
    """Open ``path`` with PyAV and read its streams' headers (and more with ``deep``)."""
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
            if deep and video is not None:
                info = replace(info, **_read_to_end(container, video, info.duration))
            return info
    except av.error.FFmpegError as exc:
        raise ProbeError(f"cannot be read as media: {exc.strerror or exc}") from None


def _read_to_end(container: Any, video: Any, duration: float) -> dict[str, Any]:
    """Demux every packet; decode the first frame and the last second of video."""
    import av

    problems: list[str] = []
    rotation = 0
    last_pts = None
    packets = 0
    try:
        for packet in container.demux(video):
            if packet.size == 0:
                continue
            packets += 1
            if packet.pts is not None and packet.time_base is not None:
                last_pts = float(packet.pts * packet.time_base)
    except av.error.FFmpegError as exc:
        problems.append(f"the file is damaged after {packets} video packets ({exc.strerror})")
    if packets == 0:
        return {"problems": ("the video stream holds no pictures",), "checked_to_end": False}
    if last_pts is not None and duration > 1.0 and last_pts < duration - 1.5:
        problems.append(f"the pictures stop at {last_pts:.1f}s of {duration:.1f}s (truncated?)")
    # Decode the start and the last key frame: the parts a visitor sees first and a truncation
    # breaks. Only key frames are decoded near the end, so a long GOP costs no more.
    for where in (0.0, max(0.0, duration - 1.0)):
        if where > 0.0:
            video.codec_context.skip_frame = "NONKEY"
        try:
            if video.time_base is not None:
                container.seek(int(where / video.time_base), stream=video, backward=True)
            decoded = 0
            for frame in container.decode(video):
                decoded += 1
                if where == 0.0:
                    rotation = round(frame.rotation / 90) * 90 % 360
                    break
            if decoded == 0:
                problems.append(f"no picture can be decoded near {where:.1f}s")
        except av.error.FFmpegError as exc:
            problems.append(f"cannot decode near {where:.1f}s ({exc.strerror})")
    return {"problems": tuple(problems), "checked_to_end": not problems, "rotation": rotation}
