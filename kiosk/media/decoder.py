"""Demux and decode threads: one for a segment's video, one for its audio.

Each thread opens its own container (so a badly interleaved file cannot make one bounded queue
starve the other), seeks to the segment's in point and runs a chain of small generators::

    video: demux -> decode -> timestamps -> trim to [in, out) | skip late -> to RGB at size
    audio: demux -> decode -> resample to the sink -> align to the segment -> declick

The video chain is split in two threads at ``|`` (:class:`_ReadAhead`): one keeps FFmpeg's
decoder fed while the other converts, so conversion overlaps decoding instead of stalling it.
The results go through bounded queues: :class:`Frame` objects (pixels already converted and
scaled by swscale in this thread, ready for ``pygame.image.frombuffer``) and float32 sample
chunks. Errors are not raised into the main thread: they are stored (``error``) as
:class:`MediaError` with a fault kind, and the queue gets its end marker, so the main thread
handles them on its own schedule. Non-fatal problems (a damaged packet, a short file) go to
``warnings``.

Every workaround for a property of real-world media has a comment saying what causes it.
"""

from __future__ import annotations

import contextlib
import logging
import math
import queue
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, ClassVar, Literal

import av
import av.error
import numpy as np

from kiosk.media.captions import CaptionTrack, load_captions
from kiosk.media.errors import FaultKind, MediaError
from kiosk.media.mixer import AudioEnd

log = logging.getLogger(__name__)

Fit = Literal["contain", "stretch"]
PixelFormat = Literal["RGB", "BGRA"]
_SWS_FORMATS: dict[str, str] = {"RGB": "rgb24", "BGRA": "bgra"}

MAX_BAD_PACKETS = 50  # consecutive undecodable packets before a stream is declared corrupt
TRUNCATION_SLACK = 0.5  # seconds short of the expected end before a file counts as truncated
AUDIO_PREROLL = 0.3  # seconds decoded before an audio in point, then dropped
AUDIO_RESYNC = 0.02  # audio timestamp error (s) tolerated before padding or dropping samples
READ_AHEAD_BYTES = 24 * 2**20  # decoded frames held between the decode and convert threads
DECLICK_SECONDS = 0.004  # fade at a segment's audio edges, so loops and cuts do not click


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


# -- opening --------------------------------------------------------------------------------


def open_container(path: Path) -> av.container.InputContainer:
    """Open a media file for reading or raise :class:`MediaError` with the reason."""
    try:
        st = path.stat()
    except FileNotFoundError as e:
        raise MediaError(FaultKind.MISSING, f"{path} does not exist") from e
    except OSError as e:
        raise MediaError(FaultKind.UNREADABLE, f"cannot read {path}: {e}") from e
    if not path.is_file():
        raise MediaError(FaultKind.UNREADABLE, f"{path} is not a file")
    if st.st_size == 0:
        raise MediaError(FaultKind.EMPTY, f"{path} is empty (0 bytes)")
    try:
        # metadata_errors="replace": tags written in a legacy 8-bit encoding (common in files
        # from old cameras and editors) would otherwise raise UnicodeDecodeError on open.
        return av.open(str(path), mode="r", metadata_errors="replace")
    except av.error.FileNotFoundError as e:
        raise MediaError(FaultKind.MISSING, f"{path} does not exist") from e
    except av.FFmpegError as e:
        raise MediaError(FaultKind.UNREADABLE, f"FFmpeg cannot open {path}: {e}") from e
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise MediaError(FaultKind.UNREADABLE, f"cannot open {path}: {e}") from e


def media_origin(container: av.container.InputContainer) -> float:
    """The file's time zero: segment times count from the container's start time.

    MPEG-TS and some MP4 edit lists start at a non-zero timestamp; players (and ffmpeg -ss)
    measure positions from the container's start, so in/out points do too.
    """
    st = container.start_time
    return 0.0 if st is None else st / 1_000_000


def _seek(container: av.container.InputContainer, stream: av.stream.Stream, t: float) -> None:
    """Seek to the last keyframe at or before media time ``t`` (no-op at the very start)."""
    if t <= 0.0 or stream.time_base is None:
        return
    try:
        container.seek(int(t / stream.time_base), stream=stream, backward=True, any_frame=False)
    except av.FFmpegError as e:
        # An unseekable file (a stream without an index): decode from the start and let the
        # trim stage drop what precedes the in point.
        log.warning("seek to %.3f failed (%s); decoding from the start", t, e)
        container.seek(0)


def _demux(
    container: av.container.InputContainer, stream: av.stream.Stream, stop: threading.Event
) -> Iterator[av.Packet]:
    packets = container.demux(stream)
    while not stop.is_set():
        try:
            packet = next(packets)
        except StopIteration:
            return
        except av.error.EOFError:
            return
        except av.FFmpegError as e:
            # A read error mid-file (a truncated or damaged container): end the stream here;
            # the decoder is flushed by the caller and the short end is reported as truncated.
            log.warning("demux stopped early: %s", e)
            return
        yield packet
    return


def _decode(
    packets: Iterator[av.Packet],
    stream: av.video.stream.VideoStream | av.audio.stream.AudioStream,
    warnings: deque[MediaError],
    stop: threading.Event,
) -> Iterator[Any]:
    """Decode packets; skip damaged ones (counted) unless too many come in a row."""
    bad = 0
    flushed = False
    for packet in packets:
        flushed = packet.size == 0  # PyAV's demux ends with an empty packet that flushes
        try:
            frames = packet.decode()
        except av.FFmpegError as e:
            # Bit rot or a cut download damages single packets; the decoder recovers at the
            # next keyframe, so skip the packet instead of failing the whole clip.
            bad += 1
            if bad == 1:
                warnings.append(MediaError(FaultKind.DECODE_ERROR, f"damaged packet: {e}"))
            if bad >= MAX_BAD_PACKETS:
                raise MediaError(
                    FaultKind.CORRUPT, f"{bad} damaged packets in a row, last: {e}"
                ) from e
            continue
        bad = 0
        yield from frames
        if stop.is_set():
            return
    if not flushed and not stop.is_set():
        # The demuxer gave up before its end: drain the frames still inside the decoder
        # (frame threading holds several).
        try:
            yield from stream.decode(None)
        except av.FFmpegError as e:
            log.warning("flushing the decoder failed: %s", e)


# -- video ----------------------------------------------------------------------------------


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


class _Converter:
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


def _put_until(q: queue.Queue[Any], item: Any, *stops: threading.Event) -> bool:
    """Put ``item`` in a bounded queue, waiting for room until one of ``stops`` is set."""
    while not any(e.is_set() for e in stops):
        try:
            q.put(item, timeout=0.05)
            return True
        except queue.Full:
            continue
    return False


class _ReadAhead:
    """Runs an iterator in a thread of its own, ``size`` items ahead of the consumer.

    The video thread converts frames while this one keeps FFmpeg's frame-threaded decoder fed:
    converting in the feeding thread leaves the decoder's threads waiting for their next packet
    (on a light 720p clip swscale costs a quarter of the decode time, and it was all added to
    the wall time). Used as a context manager: leaving it stops the thread and joins it, also
    when the consumer stops early. An exception in the iterator is raised in the consumer.
    """

    _END = object()

    def __init__(self, items: Iterator[Any], stop: threading.Event, name: str, size: int = 6):
        self._items = items
        self._stop = stop
        self._quit = threading.Event()
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=size)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name=f"decode-{name}", daemon=True)

    def __enter__(self) -> _ReadAhead:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._quit.set()
        while self._thread.is_alive():
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=0.05)  # unblock a put
        self._thread.join()

    def _main(self) -> None:
        try:
            for item in self._items:
                if not self._offer(item):
                    return
        except BaseException as e:  # handed to the consumer, which classifies it
            self._error = e
        self._offer(self._END)

    def _offer(self, item: Any) -> bool:
        return _put_until(self._queue, item, self._quit, self._stop)

    def __iter__(self) -> Iterator[Any]:
        # The thread always ends with _END unless the worker is being stopped.
        while not self._stop.is_set():
            try:
                item = self._queue.get(timeout=0.05)
            except queue.Empty:
                continue
            if item is self._END:
                if self._error is not None:
                    raise self._error
                return
            yield item


class _Worker:
    """Base of the two decode threads: a stop flag, a bounded queue, stored errors."""

    kind = "worker"

    def __init__(self, name: str, maxsize: int) -> None:
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=maxsize)
        self.error: MediaError | None = None
        self.warnings: deque[MediaError] = deque(maxlen=32)
        self.done = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._main, name=f"{self.kind}-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to end; it does within one decode step. Does not wait."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        if self._thread.ident is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _put(self, item: Any) -> bool:
        return _put_until(self.queue, item, self._stop)

    def _put_end(self, item: Any) -> None:
        # The end marker must get through even when the consumer is gone, without blocking.
        while True:
            try:
                self.queue.put_nowait(item)
                return
            except queue.Full:
                if not self._stop.is_set():
                    try:
                        self.queue.put(item, timeout=0.05)
                        return
                    except queue.Full:
                        continue
                with contextlib.suppress(queue.Empty):
                    self.queue.get_nowait()

    def _main(self) -> None:
        try:
            self._run()
        except MediaError as e:
            self.error = e
        except av.FFmpegError as e:
            self.error = MediaError(FaultKind.CORRUPT, f"FFmpeg: {e}")
        except MemoryError as e:
            self.error = MediaError(FaultKind.UNSUPPORTED_FORMAT, f"out of memory: {e}")
        except Exception as e:
            log.exception("%s thread crashed", self.kind)
            self.error = MediaError(FaultKind.INTERNAL, f"{type(e).__name__}: {e}")
        finally:
            self._finish()
            self.done.set()

    def _run(self) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        raise NotImplementedError


class VideoDecoder(_Worker):
    """Decodes one segment's video into RGB frames at the UI's size.

    ``clock_hint`` and ``size`` are latest-value slots the main thread writes (the segment
    position now; the size the UI wants, applied from the next frame on);
    frames already late by the time they are decoded are not converted, so a slow machine
    drops frames instead of falling behind. ``first_frame`` is set when the first frame is
    queued (or the thread ended without one). Captions are parsed here too (``captions``).
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
                stream.width, stream.height, ctx.name, str(ctx.pix_fmt), rate, rotation, duration
            )
            origin = media_origin(container)
            _seek(container, stream, origin + self.start_at)
            packets = _demux(container, stream, self._stop)
            frames = _decode(packets, stream, self.warnings, self._stop)
            trimmed = _trim(_timestamps(frames, rate, origin), self.start_at, self.end_at)
            convert = _Converter(self.size, self.fit, self.pixel_format)
            sar = stream.sample_aspect_ratio
            end: float | None = None
            first = True
            off = self.pts_offset
            # Decoded frames waiting for conversion: six absorb the jitter between the two
            # threads; fewer for big pictures (a 4K frame is 12 MB of YUV).
            ahead_n = max(
                2, min(6, READ_AHEAD_BYTES // max(1, stream.width * stream.height * 3 // 2))
            )
            with _ReadAhead(trimmed, self._stop, self.path.name, ahead_n) as ahead:
                for rel, dur, frame in ahead:
                    pts = rel + off
                    end = pts + dur
                    if not first and pts + dur < self.clock_hint:
                        self.frames_skipped += 1  # already late: do not spend swscale on it
                        continue
                    rot = frame.rotation or rotation
                    arr = convert(frame, int(rot), sar, self.size)
                    out = Frame(
                        arr, (arr.shape[1], arr.shape[0]), pts, self.pixel_format, self.frames_out
                    )
                    if not self._put(out):
                        return
                    self.frames_out += 1
                    if first:
                        first = False
                        self.first_frame.set()
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

    def _finish(self) -> None:
        self.first_frame.set()
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


# -- audio ----------------------------------------------------------------------------------


class AudioDecoder(_Worker):
    """Decodes one segment's audio, resampled to the sink's rate and channels.

    The chunks are continuous from the in point: gaps in the stream are filled with silence and
    overlaps dropped, so that sample ``n`` of the output is segment time ``n / rate`` exactly.
    ``has_audio`` becomes False if the file has no audio stream (the queue then holds just
    :class:`AudioEnd`).
    """

    kind = "audio"

    def __init__(
        self,
        path: Path,
        *,
        rate: int,
        channels: int,
        start: float = 0.0,
        end: float | None = None,
        queue_size: int = 48,
        name: str = "",
    ) -> None:
        super().__init__(name or path.name, queue_size)
        self.path = path
        self.rate = rate
        self.channels = channels
        self.start_at = start
        self.end_at = end
        self.has_audio: bool | None = None
        self.samples_out = 0

    def _run(self) -> None:
        with open_container(self.path) as container:
            streams = [s for s in container.streams.audio if s.codec_context is not None]
            if not streams:
                if container.streams.audio:
                    self.warnings.append(
                        MediaError(FaultKind.AUDIO, f"{self.path}: no decoder for the audio codec")
                    )
                self.has_audio = False
                return
            self.has_audio = True
            stream = max(streams, key=lambda s: (s.channels or 0, s.sample_rate or 0))
            origin = media_origin(container)
            media_start = origin + self.start_at
            # Seek a little before the in point: AAC and MP3 frames overlap, so the first frame
            # decoded after a seek is wrong; the pre-roll is decoded and dropped.
            _seek(container, stream, media_start - AUDIO_PREROLL)
            packets = _demux(container, stream, self._stop)
            frames = _decode(packets, stream, self.warnings, self._stop)
            chunks = self._resample(frames)
            end_frames = None
            if self.end_at is not None:
                end_frames = round((self.end_at - self.start_at) * self.rate)
            for chunk in _declick(self._align(chunks, media_start, end_frames), self.rate):
                if not self._put(chunk):
                    return
                self.samples_out += chunk.shape[0]

    def _resample(
        self, frames: Iterator[av.AudioFrame]
    ) -> Iterator[tuple[float | None, np.ndarray]]:
        layout = "mono" if self.channels == 1 else "stereo"
        resampler: av.AudioResampler | None = None
        fmt: tuple[Any, ...] | None = None
        for frame in frames:
            key = (frame.format.name, frame.layout.name, frame.sample_rate)
            if resampler is None or key != fmt:
                # A stream can change its sample rate or layout mid-way (concatenated files,
                # broadcast recordings); PyAV's resampler is built for one input format.
                resampler = av.AudioResampler(format="flt", layout=layout, rate=self.rate)
                fmt = key
            for out in resampler.resample(frame):
                arr = out.to_ndarray().reshape(-1, self.channels)
                yield (float(out.time) if out.time is not None else None), arr
        if resampler is not None:
            for out in resampler.resample(None):
                yield None, out.to_ndarray().reshape(-1, self.channels)

    def _align(
        self,
        chunks: Iterator[tuple[float | None, np.ndarray]],
        media_start: float,
        end_frames: int | None,
    ) -> Iterator[np.ndarray]:
        rate = self.rate
        written = 0
        tolerance = round(AUDIO_RESYNC * rate)
        for t, arr in chunks:
            if t is not None:
                pos = round((t - media_start) * rate)
                gap = pos - written
                if written == 0 and gap <= 0:
                    # Before the in point (seek pre-roll): drop exactly up to it.
                    arr = arr[-gap:] if -gap < arr.shape[0] else arr[:0]
                elif (written == 0 and gap > 0) or gap > tolerance:
                    # The audio starts after the video, or the stream has a hole: fill with
                    # silence so sound stays on time.
                    pad = min(gap, rate * 10)
                    if end_frames is not None:
                        pad = min(pad, end_frames - written)
                    yield np.zeros((pad, self.channels), np.float32)
                    written += pad
                elif gap < -tolerance:
                    # Overlapping timestamps (a muxer bug): drop what was already played.
                    arr = arr[-gap:] if -gap < arr.shape[0] else arr[:0]
            if arr.shape[0] == 0:
                continue
            if end_frames is not None and written + arr.shape[0] >= end_frames:
                arr = arr[: end_frames - written]
                if arr.shape[0]:
                    yield arr
                return
            written += arr.shape[0]
            yield arr

    def _finish(self) -> None:
        self._put_end(AudioEnd(self.error))


def _declick(chunks: Iterator[np.ndarray], rate: int) -> Iterator[np.ndarray]:
    """Fade the first and last few milliseconds of a segment's audio.

    A cut point or a loop seam joins two unrelated waveforms; the step between them is heard
    as a click. The last chunk is held back one step so its tail can be faded.
    """
    n_fade = max(1, round(DECLICK_SECONDS * rate))
    held: np.ndarray | None = None
    faded_in = 0
    for arr in chunks:
        arr = np.array(arr, dtype=np.float32, copy=True) if not arr.flags.writeable else arr
        if faded_in < n_fade and arr.shape[0]:
            m = min(n_fade - faded_in, arr.shape[0])
            ramp = np.arange(faded_in + 1, faded_in + m + 1, dtype=np.float32) / n_fade
            arr[:m] *= ramp[:, None]
            faded_in += m
        if held is not None:
            yield held
        held = arr
    if held is not None and held.shape[0]:
        m = min(n_fade, held.shape[0])
        held[-m:] *= (np.arange(m, 0, -1, dtype=np.float32) / (n_fade + 1))[:, None]
        yield held
