"""The video decode thread: one segment's pictures, trimmed to the segment, ready to blit.

The thread opens its own container (so a badly interleaved file cannot make one bounded queue
starve the audio thread's, :mod:`kiosk.media.audio_decoder`), seeks to the segment's in point
and runs a chain of small generators::

    demux -> decode -> timestamps -> trim to [in, out) | skip late -> to the UI's format and size

The chain is split in two threads at ``|`` (:class:`~kiosk.media.workers.ReadAhead`): one keeps
FFmpeg's decoder fed while the other converts (:mod:`kiosk.media.convert`), so conversion
overlaps decoding instead of stalling it. :class:`Frame` objects (pixels already converted and
scaled by swscale, ready for ``pygame.image.frombuffer``) go through a bounded queue, then
:class:`VideoEnd`. Errors are not raised into the main thread: they are stored (``error``) as
:class:`MediaError` with a fault kind, and the queue gets its end marker, so the main thread
handles them on its own schedule. Non-fatal problems (a damaged packet, a short file) go to
``warnings``.

Every workaround for a property of real-world media has a comment saying what causes it.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import av
import numpy as np

from kiosk.media.captions import CaptionTrack, load_captions
from kiosk.media.container import decode, demux, media_origin, open_container, seek
from kiosk.media.convert import Converter, Fit, PixelFormat
from kiosk.media.errors import FaultKind, MediaError
from kiosk.media.workers import ReadAhead, Worker

TRUNCATION_SLACK = 0.5  # seconds short of the expected end before a file counts as truncated
READ_AHEAD_BYTES = 24 * 2**20  # decoded frames held between the decode and convert threads
# Frames queued before the segment's sound may start. Frame threading delivers the first
# pictures of a clip in a burst after a pause; starting the clock at the first frame made the
# next two or three late at once (dropped at every 1080p start).
READY_FRAMES = 3


@dataclass(frozen=True, slots=True)
class Frame:
    """One video frame ready to blit: ``pygame.image.frombuffer(f.data, f.size, f.format)``.

    ``data`` is a C-contiguous uint8 array (height x width x 3 for RGB, x 4 for BGRA).
    ``pts`` is seconds into the segment. ``index`` counts frames delivered by this decoder.
    """

    data: np.ndarray
    size: tuple[int, int]
    pts: float
    format: PixelFormat
    index: int


@dataclass(frozen=True, slots=True)
class VideoEnd:
    """Queued after the last frame. ``end``: segment time the last frame stops showing."""

    end: float | None
    error: MediaError | None = None


@dataclass(frozen=True)
class VideoInfo:
    """What the video thread learned on opening the file."""

    width: int
    height: int
    codec: str
    pix_fmt: str
    rate: float | None
    rotation: int
    duration: float | None  # of the file, seconds (container metadata; may be absent)


# -- the video stages ------------------------------------------------------------------------


def _frame_rate(stream: av.video.stream.VideoStream) -> float | None:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate:
            r = float(rate)
            if 1.0 <= r <= 240.0:
                return r
    return None


def _timestamps(
    frames: Iterator[av.VideoFrame], rate: float | None, origin: float
) -> Iterator[tuple[float, av.VideoFrame]]:
    """Pair each frame with its media time in seconds relative to ``origin``.

    Files without timestamps (raw H.264 in AVI, some screen recordings) give frames with no
    pts, and broken muxers give pts that go backwards; both get a time one frame after the
    previous frame, so the clip still plays at its nominal rate.
    """
    step = 1.0 / (rate or 25.0)
    last: float | None = None
    for frame in frames:
        t = frame.time
        if t is None or (last is not None and t <= last - 1e-6):
            t = 0.0 if last is None else last + step
        else:
            t = float(t) - origin
        last = t
        yield t, frame


def _trim(
    frames: Iterator[tuple[float, av.VideoFrame]], start: float, end: float | None
) -> Iterator[tuple[float, float, av.VideoFrame]]:
    """Keep frames showing inside [start, end) and yield (pts, duration, frame), pts - start.

    Frame-accurate at both ends: the first frame is the one on screen at ``start`` (the last
    frame with pts <= start, shown from 0), the last is the one before ``end``. A frame's
    duration is known only when the next frame arrives, so each frame is held back by one.
    """
    eps = 1e-4
    held: tuple[float, av.VideoFrame] | None = None
    last_step = 0.04
    for t, frame in frames:
        if end is not None and t >= end - eps and held is None:
            return
        if held is not None:
            ht, hframe = held
            if t > ht:
                last_step = t - ht
            if t <= start + eps:
                held = (t, frame)  # still before the in point: the newer frame replaces it
                continue
            yield max(ht, start) - start, t - max(ht, start), hframe
            if end is not None and t >= end - eps:
                return
        held = (t, frame)
    if held is not None:
        ht, hframe = held
        dur = hframe.duration
        step = float(dur * hframe.time_base) if dur and hframe.time_base else last_step
        stop_at = ht + step if end is None else min(ht + step, end)
        if stop_at <= start + eps:
            return  # the file ends before the in point: nothing to show
        yield max(ht, start) - start, stop_at - max(ht, start), hframe


class VideoDecoder(Worker):
    """Decodes one segment's video into RGB frames at the UI's size.

    ``clock_hint`` and ``size`` are latest-value slots the main thread writes (the segment
    position now; the size the UI wants, applied from the next frame on);
    frames already late by the time they are decoded are not converted, so a slow machine
    drops frames instead of falling behind. ``first_frame`` is set when the first frame is
    queued (or the thread ended without one), ``ready`` when a few are (:data:`READY_FRAMES`,
    or the thread ended): the segment's clock starts then. Captions are parsed here too
    (``captions``).
    """

    kind = "video"

    def __init__(
        self,
        path: Path,
        *,
        start: float = 0.0,
        end: float | None = None,
        size: tuple[int, int] = (1280, 720),
        fit: Fit = "contain",
        pixel_format: PixelFormat = "RGB",
        queue_size: int = 6,
        threads: int = 0,
        captions: Mapping[str, Path] | None = None,
        pts_offset: float = 0.0,
        name: str = "",
    ) -> None:
        super().__init__(name or path.name, queue_size)
        self.path = path
        self.pts_offset = pts_offset
        self.start_at = start
        self.end_at = end
        self.size = size
        self.fit: Fit = fit
        self.pixel_format: PixelFormat = pixel_format
        self.threads = threads
        self.caption_paths = dict(captions or {})
        self.captions: dict[str, CaptionTrack] = {}
        self.caption_errors: list[tuple[str, MediaError]] = []
        self.clock_hint = -math.inf
        self.first_frame = threading.Event()
        self.ready = threading.Event()
        self.ready_frames = max(1, min(READY_FRAMES, queue_size))
        self.info: VideoInfo | None = None
        self.frames_out = 0
        self.frames_skipped = 0
        self.end_time: float | None = None  # segment time the last frame ends, once known

    def _run(self) -> None:
        if self.caption_paths:
            self.captions, self.caption_errors = load_captions(self.caption_paths)
        with open_container(self.path) as container:
            stream = self._pick_stream(container)
            ctx = stream.codec_context
            # Frame threading decodes several frames in parallel (what makes 1080p and 4K
            # H.264 real-time on a small CPU); it adds a few frames of latency at the start,
            # which preloading hides.
            ctx.thread_type = "FRAME"
            ctx.thread_count = self.threads
            rate = _frame_rate(stream)
            rotation = self._rotation(stream)
            duration = None
            if stream.duration and stream.time_base:
                duration = float(stream.duration * stream.time_base)
            if duration is None and container.duration:
                duration = container.duration / 1_000_000
            self.info = VideoInfo(
                stream.width, stream.height, ctx.name, ctx.pix_fmt or "", rate, rotation, duration
            )
            origin = media_origin(container)
            seek(container, stream, origin + self.start_at)
            packets = demux(container, stream, self._stop)
            frames = decode(packets, stream, self.warnings, self._stop)
            trimmed = _trim(_timestamps(frames, rate, origin), self.start_at, self.end_at)
            convert = self.make_converter()
            sar = stream.sample_aspect_ratio
            end: float | None = None
            first = True
            off = self.pts_offset
            # Decoded frames waiting for conversion: six absorb the jitter between the two
            # threads; fewer for big pictures (a 4K frame is 12 MB of YUV).
            ahead_n = max(
                2, min(6, READ_AHEAD_BYTES // max(1, stream.width * stream.height * 3 // 2))
            )
            with ReadAhead(trimmed, self._stop, self.path.name, ahead_n) as ahead:
                for rel, dur, frame in ahead:
                    pts = rel + off
                    end = pts + dur
                    if not first and end < self.clock_hint:
                        self.frames_skipped += 1  # already late: do not spend swscale on it
                        continue
                    rot = int(frame.rotation or rotation)
                    if first:
                        # The display matrix travels with the frames (phones' clips); the
                        # older "rotate" tag is all the stream header says. The pixel format
                        # too: the probe that would have read it skips decoding (container).
                        self.info = replace(self.info, rotation=rot, pix_fmt=frame.format.name)
                    arr = convert(frame, rot, sar, self.size)
                    out = Frame(
                        arr, (arr.shape[1], arr.shape[0]), pts, self.pixel_format, self.frames_out
                    )
                    if not self._put(out):
                        return
                    self.frames_out += 1
                    if first:
                        first = False
                        self.first_frame.set()
                    if self.frames_out == self.ready_frames:
                        self.ready.set()
            if self._stop.is_set():
                return
            if self.frames_out == 0:
                raise MediaError(
                    FaultKind.CORRUPT
                    if duration is None or self.start_at < duration
                    else FaultKind.TRUNCATED,
                    f"no video frames between {self.start_at:.3f}s and "
                    f"{'the end' if self.end_at is None else f'{self.end_at:.3f}s'}",
                )
            self.end_time = end
            file_end = None if end is None else end - off + self.start_at
            expected = self.end_at if self.end_at is not None else duration
            short = file_end is not None and expected is not None
            if short and file_end < expected - TRUNCATION_SLACK:  # type: ignore[operator]
                self.warnings.append(
                    MediaError(
                        FaultKind.TRUNCATED,
                        f"video ends at {file_end:.2f}s, expected {expected:.2f}s",
                    )
                )

    def make_converter(self) -> Converter:
        """The stage that makes each decoded frame a picture, made in the video thread (a
        subclass may measure it or take it out: ``bench/media.py`` splits the cost so)."""
        return Converter(self.size, self.fit, self.pixel_format)

    def _finish(self) -> None:
        self.first_frame.set()
        self.ready.set()
        self._put_end(VideoEnd(self.end_time, self.error))

    def _pick_stream(self, container: av.container.InputContainer) -> av.video.stream.VideoStream:
        candidates = [
            s
            for s in container.streams.video
            # Cover art in audio files (and thumbnails in some MP4s) is a "video stream" of
            # one picture; it is not a clip.
            if not (s.disposition & av.stream.Disposition.attached_pic)
        ]
        if not candidates:
            kinds = ", ".join(sorted({str(s.type) for s in container.streams})) or "nothing"
            raise MediaError(FaultKind.NO_VIDEO, f"{self.path} has no video stream (has {kinds})")
        decodable = [s for s in candidates if s.codec_context is not None]
        if not decodable:
            raise MediaError(
                FaultKind.UNSUPPORTED_CODEC,
                f"{self.path}: FFmpeg has no decoder for its video codec ({candidates[0]!r})",
            )
        stream = max(decodable, key=lambda s: (s.width or 0) * (s.height or 0))
        if not stream.width or not stream.height:
            raise MediaError(FaultKind.UNSUPPORTED_CODEC, f"{self.path}: video has no frame size")
        return stream

    @staticmethod
    def _rotation(stream: av.video.stream.VideoStream) -> int:
        # Older files carry rotation as a "rotate" tag instead of a display matrix side data.
        tag = stream.metadata.get("rotate")
        try:
            return -int(float(tag)) if tag else 0
        except ValueError:
            return 0
