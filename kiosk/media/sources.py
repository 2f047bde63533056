"""A segment's decode threads, and the pool that makes, preloads and joins them for the player.

A :class:`Source` is one segment being decoded: its video thread
(:class:`~kiosk.media.decoder.VideoDecoder`), its audio thread
(:class:`~kiosk.media.audio_decoder.AudioDecoder`) and its voice in the mixer. The
:class:`SourcePool` makes sources with the player's settings, keeps a few preloaded ones (so a
later play() starts instantly) and joins the threads of stopped ones without making the main
thread wait, except when too many are still stopping.
"""

from __future__ import annotations

import logging
import queue
import time
from collections import OrderedDict
from pathlib import Path

from kiosk.content.model import Segment
from kiosk.media.audio_decoder import AudioDecoder
from kiosk.media.convert import Fit, PixelFormat
from kiosk.media.decoder import Frame, VideoDecoder, VideoEnd
from kiosk.media.errors import FaultKind, Faults, MediaError
from kiosk.media.mixer import TimelinePoint, Voice

log = logging.getLogger(__name__)

MAX_RETIRED = 6  # stopped sources waiting to be joined before the pool waits for one

SegmentKey = tuple[str, float, float | None]


def segment_key(segment: Segment) -> SegmentKey:
    """Segments with the same file and range decode to the same thing."""
    return (str(segment.path), float(segment.start), segment.end)


class Source:
    """A segment being decoded: its video and audio threads and its voice in the mixer.

    ``origin`` is the position in the segment it starts from (0 but after a seek). The other
    attributes are the player's bookkeeping, read and written on the main thread only.
    """

    def __init__(
        self,
        segment: Segment,
        token: int,
        *,
        origin: float,
        rate: int,
        channels: int,
        size: tuple[int, int],
        fit: Fit,
        pixel_format: PixelFormat,
        video_queue: int,
        audio_queue: int,
        threads: int,
    ) -> None:
        self.segment = segment
        self.token = token
        self.origin = origin
        name = f"{segment.id}#{token}"
        path = Path(segment.path)
        start = float(segment.start) + origin
        self.video = VideoDecoder(
            path,
            start=start,
            end=segment.end,
            size=size,
            fit=fit,
            pixel_format=pixel_format,
            queue_size=video_queue,
            threads=threads,
            captions=segment.captions,
            pts_offset=origin,
            name=name,
        )
        self.audio = AudioDecoder(
            path,
            rate=rate,
            channels=channels,
            start=start,
            end=segment.end,
            queue_size=audio_queue,
            name=name,
        )
        self.voice = Voice(
            token,
            self.audio.queue,
            rate=rate,
            origin=origin,
            gate=self.video.ready,
            name=name,
        )
        if segment.end is not None:
            self.voice.set_end(float(segment.end) - float(segment.start))
        self.created = time.monotonic()
        self.started_at: float | None = None  # when play() made it current
        self.frame: Frame | None = None
        self.pending: Frame | None = None
        self.frame_returned = False
        self.shown = 0  # frames the UI was given (latest_frame returned them)
        self.dropped = 0  # frames superseded before the UI asked for them
        self.video_ended = False
        self.end_known = False
        self.failed = False
        self.audio_reported = False
        self.reported = False

    def start(self) -> None:
        self.video.start()
        self.audio.start()

    def stop(self) -> None:
        self.video.stop()
        self.audio.stop()

    def join(self, timeout: float | None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        ok = self.video.join(timeout)
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        return self.audio.join(left) and ok

    @property
    def alive(self) -> bool:
        return self.video.alive or self.audio.alive

    @property
    def usable(self) -> bool:
        """Not known to be broken: worth playing."""
        return not self.failed and self.video.error is None

    def describe(self) -> str:
        seg = self.segment
        rng = "" if seg.start == 0 and seg.end is None else f" [{seg.start:g}-{seg.end or 'end'}]"
        return f"{seg.id} ({seg.path}{rng})"

    def position(self, point: TimelinePoint | None) -> float:
        """Seconds into the segment now, from the mixer's timeline (``point``) if it is ours."""
        if point is not None and point.token == self.token:
            return point.pos
        if self.voice.finished:
            return self.voice.position
        return self.origin

    def pull_frames(self, due: float) -> int:
        """Take decoded frames up to the one due at ``due`` (segment seconds) as ``frame``.

        The first frame is taken whenever it comes. Returns how many frames were superseded
        before the UI asked for them (late, dropped).
        """
        dropped = 0
        q = self.video.queue
        while True:
            nxt = self.pending
            if nxt is None:
                try:
                    item = q.get_nowait()
                except queue.Empty:
                    self.dropped += dropped
                    return dropped
                if isinstance(item, VideoEnd):
                    self.video_ended = True
                    self.dropped += dropped
                    return dropped
                nxt = self.pending = item
            if self.frame is None or nxt.pts <= due:
                if self.frame is not None and not self.frame_returned:
                    dropped += 1
                self.frame, self.pending, self.frame_returned = nxt, None, False
                continue
            self.dropped += dropped
            return dropped

    def show(self) -> int:
        """The UI is given ``frame``: 1 the first time (counted as shown), else 0."""
        if self.frame_returned:
            return 0
        self.frame_returned = True
        self.shown += 1
        return 1

    def due_in(self, pos: float) -> float | None:
        """Seconds from segment position ``pos`` until the next frame is due: 0 when a frame
        came since the UI last asked; None while it is not decoded yet or the clock has not
        started (the UI then asks again at its display rate)."""
        if self.frame is not None and not self.frame_returned:
            return 0.0
        if self.pending is None or not self.voice.started:
            return None
        return max(0.0, self.pending.pts - pos)

    def learn_end(self, rate: int) -> None:
        """Tell the voice where the segment ends once both decoders know it."""
        if self.end_known or not self.video.done.is_set() or not self.audio.done.is_set():
            return
        self.end_known = True
        video_end = self.video.end_time or 0.0
        audio_end = self.origin + self.audio.samples_out / rate
        end = max(video_end, audio_end)
        seg = self.segment
        if seg.end is not None:
            end = min(end, float(seg.end) - float(seg.start))
        self.voice.set_end(end)

    def collect_warnings(self, faults: Faults) -> None:
        """Count what the decode threads reported without failing the segment."""
        for worker in (self.video, self.audio):
            while worker.warnings:
                w = worker.warnings.popleft()
                faults.record(w.kind, self.describe(), w.reason)
        if self.video.caption_errors:
            errors, self.video.caption_errors = self.video.caption_errors, []
            for lang, e in errors:
                faults.record(e.kind, f"{self.describe()} [{lang}]", e.reason)
        if not self.audio_reported and self.audio.error is not None:
            self.audio_reported = True
            e = self.audio.error
            # A file that cannot be opened at all is counted once, by the video side, even when
            # the audio thread happens to notice first.
            if e.kind not in (FaultKind.MISSING, FaultKind.EMPTY, FaultKind.UNREADABLE):
                faults.record(FaultKind.AUDIO, self.describe(), f"{e.reason}; playing silently")

    def report(self) -> None:
        """Log what the visitor saw of a segment that was played (once, when it stops)."""
        if self.started_at is None or self.reported:
            return
        self.reported = True
        log.info(
            "played %s for %.1f s: %d frames shown, %d dropped (%d of them late in the decoder)",
            self.describe(),
            time.monotonic() - self.started_at,
            self.shown,
            self.dropped + self.video.frames_skipped,
            self.video.frames_skipped,
        )

    def mark_failed(self, err: MediaError, faults: Faults) -> None:
        """The segment cannot play: count ``err`` (once per source)."""
        if not self.failed:
            self.failed = True
            faults.record(err.kind, self.describe(), err.reason)


class SourcePool:
    """Makes the player's sources, keeps up to ``slots`` preloaded, joins the stopped ones.

    ``rate`` and ``channels`` are the sound sink's (a sink that fails is replaced by one with
    the same format, so they do not change); ``size`` may change (:meth:`set_size`).
    """

    def __init__(
        self,
        *,
        rate: int,
        channels: int,
        size: tuple[int, int],
        fit: Fit,
        pixel_format: PixelFormat,
        video_queue: int,
        audio_queue: int,
        threads: int,
        slots: int,
    ) -> None:
        self.rate = rate
        self.channels = channels
        self.size = size
        self.fit: Fit = fit
        self.pixel_format: PixelFormat = pixel_format
        self.video_queue = video_queue
        self.audio_queue = audio_queue
        self.threads = threads
        self.slots = slots
        self._tokens = 0
        self._preloaded: OrderedDict[SegmentKey, Source] = OrderedDict()
        self._deferred: list[tuple[Segment, Source]] = []  # see preload(after=...)
        self._retired: list[Source] = []

    def new(self, segment: Segment, origin: float = 0.0) -> Source:
        """A new source for ``segment`` from ``origin`` seconds in, its threads started."""
        self._tokens += 1
        src = Source(
            segment,
            self._tokens,
            origin=origin,
            rate=self.rate,
            channels=self.channels,
            size=self.size,
            fit=self.fit,
            pixel_format=self.pixel_format,
            video_queue=self.video_queue,
            audio_queue=self.audio_queue,
            threads=self.threads,
        )
        src.start()
        return src

    def take(self, segment: Segment) -> Source:
        """A preloaded source for ``segment`` if there is one, else a new (cold) one."""
        src = self._preloaded.pop(segment_key(segment), None)
        if src is not None and src.usable:
            return src
        if src is not None:
            self.retire(src)
        return self.new(segment)

    def preload(self, segment: Segment, after: Source | None = None) -> None:
        """Start decoding ``segment``; the least recently asked-for one beyond ``slots`` goes.

        While ``after`` (the segment just started) has no first frame, the preload waits
        (:meth:`start_deferred`): both would share the processor, and the visitor who just
        tapped would wait longer for the picture (40 ms more for a 1080p clip).
        """
        if after is not None and after.frame is None and after.usable:
            if all(seg is not segment for seg, _ in self._deferred):
                self._deferred.append((segment, after))
            return
        key = segment_key(segment)
        if key in self._preloaded:
            self._preloaded.move_to_end(key)
            return
        self._preloaded[key] = self.new(segment)
        while len(self._preloaded) > self.slots:
            _, old = self._preloaded.popitem(last=False)
            self.retire(old)

    def start_deferred(self) -> None:
        """Start the preloads that waited for a segment's first frame, once it has one (or has
        failed or stopped)."""
        if not self._deferred:
            return
        waiting, self._deferred = self._deferred, []
        for segment, after in waiting:
            if after.frame is None and after.usable and not after.video.done.is_set():
                self._deferred.append((segment, after))
            else:
                self.preload(segment)

    def check_preloaded(self, faults: Faults) -> None:
        """Count a preloaded segment that failed (once; play() will not reuse it)."""
        for src in self._preloaded.values():
            if src.video.error is not None:
                src.mark_failed(src.video.error, faults)

    def is_preloaded(self, segment: Segment) -> bool:
        """Whether ``segment`` is preloaded and its first frame is decoded."""
        src = self._preloaded.get(segment_key(segment))
        return src is not None and src.video.first_frame.is_set() and src.video.error is None

    def drop_preloaded(self) -> None:
        self._deferred.clear()
        while self._preloaded:
            _, src = self._preloaded.popitem()
            self.retire(src)

    def set_size(self, size: tuple[int, int], playing: list[Source]) -> None:
        """Frames at ``size`` from now on, for every source (``playing``: the pool's users')."""
        self.size = size
        for src in [*playing, *self.all()]:
            src.video.size = size

    def retire(self, src: Source) -> None:
        """Stop ``src``; its threads are joined later (:meth:`reap`), or now if too many wait."""
        src.stop()
        src.report()
        if src not in self._retired:
            self._retired.append(src)
        if len(self._retired) > MAX_RETIRED:
            oldest = self._retired.pop(0)
            if not oldest.join(5.0):
                log.error("decoder threads of %s did not stop", oldest.describe())

    def reap(self) -> None:
        """Forget the stopped sources whose threads have ended (never waits)."""
        if self._retired:
            self._retired = [s for s in self._retired if not s.join(0.0)]

    def all(self) -> list[Source]:
        """The preloaded and the stopping sources."""
        return list(self._preloaded.values()) + list(self._retired)

    def wait_idle(self, timeout: float) -> bool:
        """Join the threads of stopped sources; whether all have ended within ``timeout``."""
        deadline = time.monotonic() + timeout
        for src in list(self._retired):
            if src.join(max(0.0, deadline - time.monotonic())):
                self._retired.remove(src)
        return not self._retired

    def close(self) -> None:
        """Stop the preloaded sources and join every thread."""
        self.drop_preloaded()
        for src in self._retired:
            if not src.join(5.0):
                log.error("decoder threads of %s did not stop", src.describe())
        self._retired.clear()
