"""How fast this machine decodes a clip, and the check that names clips too heavy for it.

``kiosk content validate`` and ``kiosk doctor`` decode a few seconds of each clip the way the
player does (:class:`~kiosk.media.decoder.VideoDecoder` converting to the screen's size and
pixel format, :class:`~kiosk.media.audio_decoder.AudioDecoder` beside it) as fast as they can,
and warn about a clip that runs at less than :data:`MARGIN` times real time: the player needs
that room for the sound, the page and the rest of the machine, or the clip stutters in front of
visitors (a 4K HEVC file from a camera is the usual case). The warning names the machine that
measured, since a curator's laptop is often several times faster than the kiosk, and gives the
command that re-encodes the clip to what every kiosk plays (1080p H.264 High, 8 Mbit/s, AAC
48 kHz).
"""

from __future__ import annotations

import os
import platform
import shlex
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from kiosk.content.model import Collection, Explorer, Segment
from kiosk.content.validate import find_line
from kiosk.yamlsrc import Problem

MARGIN = 1.5  # real time x this: the least decode speed a clip needs on the kiosk
SAMPLE_S = 3.0  # seconds of each clip decoded
KIOSK_UNIT = Path("/etc/systemd/system/kiosk.service")  # present on an installed kiosk


@dataclass(frozen=True)
class DecodeSpeed:
    """What :func:`measure` found: ``speed`` is clip seconds decoded per second."""

    speed: float
    sampled_s: float
    width: int
    height: int
    fps: float
    codec: str


def machine() -> str:
    """This machine in words: its name, processor and the cores the kiosk may use."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("model name", "Model")):
                cpu = " ".join(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{socket.gethostname()} ({cpu}, {cores} cores)"


def measure(
    path: Path, size: tuple[int, int] = (1920, 1080), seconds: float = SAMPLE_S
) -> DecodeSpeed:
    """Decode ``seconds`` of ``path`` (from a third of the way in) as the player would, as fast
    as possible; the speed counts from the first frame out, as a preloaded clip starts.

    Raises :class:`~kiosk.media.errors.MediaError` for a clip that cannot be decoded.
    """
    from kiosk.media.audio_decoder import AudioDecoder
    from kiosk.media.convert import SCREEN_FORMAT
    from kiosk.media.decoder import VideoDecoder, VideoEnd
    from kiosk.media.errors import FaultKind, MediaError

    duration = _duration(path)
    start = max(0.0, min(duration / 3, duration - seconds)) if duration else 0.0
    end = start + seconds
    video = VideoDecoder(path, start=start, end=end, size=size, pixel_format=SCREEN_FORMAT)
    audio = AudioDecoder(path, rate=48000, channels=2, start=start, end=end, queue_size=4096)
    video.start()
    audio.start()
    first_at = first_pts = last_end = 0.0
    frames = 0
    try:
        while True:
            item = video.queue.get(timeout=60)
            if isinstance(item, VideoEnd):
                last_end = item.end if item.end is not None else last_end
                break
            if frames == 0:
                first_at, first_pts = time.perf_counter(), item.pts
            frames += 1
            last_end = item.pts
        wall = time.perf_counter() - first_at
    finally:
        video.stop()
        audio.stop()
        video.join(10)
        audio.join(10)
    if video.error is not None:
        raise video.error
    if frames == 0:
        raise MediaError(FaultKind.CORRUPT, f"{path}: no frames to time")
    info = video.info
    fps = (info.rate if info is not None else None) or 25.0
    span = max(last_end - first_pts, frames / fps)
    return DecodeSpeed(
        speed=span / max(wall, 1e-6),
        sampled_s=span,
        width=info.width if info else 0,
        height=info.height if info else 0,
        fps=fps,
        codec=info.codec if info else "",
    )


def _duration(path: Path) -> float:
    from kiosk.media.container import open_container

    with open_container(path) as c:
        return (c.duration or 0) / 1_000_000


def reencode_command(path: Path, fps: float) -> str:
    """The ffmpeg command that makes ``path`` light for any kiosk: 1080p (its shape kept, a
    phone's rotation applied), H.264 High at 8 Mbit/s, at most 30 frames a second, AAC 48 kHz."""
    out = path.with_name(f"{path.stem}-1080p.mp4")
    rate = ["-r", "30"] if fps > 30.5 else []
    args = [
        "ffmpeg", "-i", str(path),
        "-vf", "scale=w=1920:h=1080:force_original_aspect_ratio=decrease:force_divisible_by=2",
        *rate,
        "-c:v", "libx264", "-profile:v", "high", "-preset", "slow", "-pix_fmt", "yuv420p",
        "-b:v", "8M", "-maxrate", "10M", "-bufsize", "16M",
        "-c:a", "aac", "-ar", "48000", "-b:a", "192k",
        "-movflags", "+faststart", str(out),
    ]  # fmt: skip
    return shlex.join(args)


Measure = Callable[[Path], DecodeSpeed]


def slow_clips(
    collection: Collection,
    size: tuple[int, int] = (1920, 1080),
    *,
    measure_fn: Measure | None = None,
    on_kiosk: bool | None = None,
) -> list[Problem]:
    """A warning for every clip of ``collection`` this machine decodes at less than
    :data:`MARGIN` x real time, at the line of the first segment that plays it.

    Clips are measured one after another (two at once would share the processor and both look
    slow); one found slow is measured again and the faster result kept, so that a moment of
    other work on the machine does not condemn it. Clips that cannot be decoded are left to the
    validator's other checks.
    """
    from kiosk.media.errors import MediaError

    def default(path: Path) -> DecodeSpeed:
        return measure(path, size)

    run = measure_fn or default
    if on_kiosk is None:
        on_kiosk = KIOSK_UNIT.exists()
    here = machine()
    problems = []
    for path, (explorer, seg) in _clips(collection).items():
        try:
            found = run(path)
            if found.speed < MARGIN:
                again = run(path)
                found = again if again.speed > found.speed else found
        except (MediaError, OSError):
            continue
        if found.speed >= MARGIN:
            continue
        ypath = explorer.folder / "explorer.yaml"
        check_there = "" if on_kiosk else " Measured here, not on the kiosk: check there too."
        problems.append(
            Problem(
                ypath,
                find_line(ypath, f"id: {seg.id}"),
                f"segment '{seg.id}': {path.name} ({found.width}x{found.height} {found.codec} "
                f"{found.fps:g} fps) decodes at {found.speed:.2f}x real time on {here}; it "
                f"needs {MARGIN:g}x to play without stutter. Re-encode it: "
                f"{reencode_command(path, found.fps)}.{check_there}",
                "warning",
            )
        )
    return problems


def _clips(collection: Collection) -> dict[Path, tuple[Explorer, Segment]]:
    out: dict[Path, tuple[Explorer, Segment]] = {}
    for explorer in collection.explorers:
        for seg in explorer.segments:
            if Path(seg.path).is_file():
                out.setdefault(Path(seg.path), (explorer, seg))
    return out


def slow_clip_check(size: tuple[int, int]) -> Callable[[Collection], Iterable[Problem]]:
    """:func:`slow_clips` as an extra check for :func:`kiosk.content.validate.validate`."""

    def check(collection: Collection) -> Iterable[Problem]:
        return slow_clips(collection, size)

    return check
