"""The clip player the visitor UI uses.

Threads: the main thread (which owns pygame) calls :meth:`Player.update` — directly, or through
:meth:`Player.latest_frame` / :meth:`Player.clock` — once per display frame; that is all the
work it does besides blitting. Each playing or preloaded segment has a video and an audio decode
thread (:mod:`kiosk.media.decoder`) handing results through bounded queues, and the audio sink
has its real-time thread running the :class:`~kiosk.media.mixer.Mixer`. Worker errors are stored
and handled here, on the main thread: a bad segment is counted in :attr:`Player.faults`, logged,
and skipped (or the player goes to ``failed``); the player stays usable. Every thread is joined
by :meth:`Player.close`.

Clock: the mixer's timeline says which segment position is being heard now. It is the audio
clock while a device plays (PortAudio's output timestamps), and the monotonic clock with the
:class:`~kiosk.media.audio.NullSink` (no device); a segment without sound runs on silence, so
both kinds of segment share one timeline and follow each other without a gap. Video frames are
shown when their time comes; late ones are dropped, by the decoder (not converted) or here.
"""

from __future__ import annotations

import logging
import queue
import time
from collections import OrderedDict
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Literal, Protocol

from kiosk.content.model import Segment
from kiosk.media.audio import AudioSink, NullSink, SoundDeviceSink
from kiosk.media.decoder import AudioDecoder, Fit, Frame, PixelFormat, VideoDecoder, VideoEnd
from kiosk.media.errors import FaultKind, Faults, MediaError
from kiosk.media.mixer import Mixer, TimelinePoint, Voice

log = logging.getLogger(__name__)

PRELOAD_AFTER = 0.5  # seconds into a segment before the next one is prepared
STALL_TIMEOUT = 15.0  # seconds without a first frame before a segment is given up
SINK_STALL = 2.5  # seconds without a render call before the sound device is declared dead
FRAME_EPS = 0.002  # a frame due within this many seconds is shown now
MAX_RETIRED = 6  # stopped sources waiting to be joined before play() waits for one


_M_TRIM_THRESHOLD = -1  # glibc mallopt() parameters
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
# The pixel format the kiosk's screen asks for. A 32-bit frame blits to the 32-bit screen with
# no conversion: 0.33 ms a 720p frame on the main thread against 0.60 ms for 24-bit RGB (Xvfb),
# and swscale writes it no slower. The library default stays RGB (what numpy users expect).
SCREEN_FORMAT: PixelFormat = "BGRA"
ARENAS = 2  # as MALLOC_ARENA_MAX=2 in the kiosk's unit; applies however the kiosk is started
_allocator_tuned = False


def tune_allocator() -> bool:
    """Keep video-frame-sized blocks in the C heap for reuse (glibc only; once per process).

    Each decoded and converted frame is a fresh 1-8 MB buffer, allocated in a decoder thread
    and freed on the main thread. glibc hands blocks that large back to the kernel on free
    (mmap threshold, heap trimming), so every new frame faults its pages in again: ~400 page
    faults per 1080p frame, 1-3 ms of CPU. Raising both thresholds makes the freed buffers
    reusable; the cost is that the heap keeps its high-water mark, which for a kiosk showing
    video all day is the working set anyway (the kiosk gives the free part back between visits,
    see ``kiosk.ops.memory``).

    It also caps glibc at two heaps ("arenas"): by default every thread that allocates may get a
    heap of its own (up to 8 per core), and the clip, mirror and audio threads each kept a
    high-water mark of frames; a 1200-visit soak measured 650-720 MB resident that way against
    ~410 MB with two, at the same speed. Returns whether the allocator was tuned.
    """
    global _allocator_tuned
    if _allocator_tuned:
        return True
    try:
        import ctypes
        import ctypes.util

        name = ctypes.util.find_library("c")
        if name is None or "libc" not in name:
            return False
        libc = ctypes.CDLL(name)
        if not hasattr(libc, "mallopt"):
            return False
        ok = (
            libc.mallopt(_M_MMAP_THRESHOLD, 32 * 2**20)
            and libc.mallopt(_M_TRIM_THRESHOLD, 256 * 2**20)
            and libc.mallopt(_M_ARENA_MAX, ARENAS)
        )
    except OSError:
        return False
    _allocator_tuned = bool(ok)
    return _allocator_tuned


class PlayerState(StrEnum):
    IDLE = "idle"
    PLAYING = "playing"
    PAUSED = "paused"
    ENDED = "ended"
    FAILED = "failed"


class ClipPlayer(Protocol):
    """What the UI needs from a player; :class:`Player` and test fakes implement it."""

    @property
    def state(self) -> PlayerState: ...

    @property
    def faults(self) -> Faults: ...

    @property
    def segment(self) -> Segment | None: ...

    def play(self, segment: Segment, *, loop: bool = False) -> None: ...

    def play_playlist(self, segments: Sequence[Segment], *, loop: bool = True) -> None: ...

    def preload(self, segment: Segment) -> None: ...

    def stop(self) -> None: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def seek_to_start(self) -> None: ...

    def set_volume(self, volume: float) -> None: ...

    def set_size(self, size: tuple[int, int]) -> None: ...

    def mute(self, muted: bool = True) -> None: ...

    def clock(self) -> float: ...

    def latest_frame(self) -> Frame | None: ...

    def caption(self, lang: str) -> str | None: ...

    def update(self) -> None: ...

    def close(self) -> None: ...


def _segment_key(segment: Segment) -> tuple[str, float, float | None]:
    return (str(segment.path), float(segment.start), segment.end)


class _Source:
    """A segment being decoded: its video and audio threads and its voice in the mixer."""

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
            gate=self.video.first_frame,
            name=name,
        )
        if segment.end is not None:
            self.voice.set_end(float(segment.end) - float(segment.start))
        self.created = time.monotonic()
        self.started_at: float | None = None  # when play() made it current
        self.frame: Frame | None = None
        self.pending: Frame | None = None
        self.frame_returned = False
        self.video_ended = False
        self.end_known = False
        self.failed = False
        self.audio_reported = False

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

    def describe(self) -> str:
        seg = self.segment
        rng = "" if seg.start == 0 and seg.end is None else f" [{seg.start:g}-{seg.end or 'end'}]"
        return f"{seg.id} ({seg.path}{rng})"


class Player:
    """Plays :class:`Segment` clips: video frames for the UI to blit, sound, captions.

    ``size`` is the box the UI draws video in; frames arrive already scaled to it (``fit``
    "contain" keeps the aspect ratio, so ``frame.size`` may be smaller in one dimension;
    "stretch" fills it). ``audio`` is a sink, or "auto" (the default sound device, falling back
    to a :class:`NullSink` if there is none) or "null". ``volume_cap`` is the curator's maximum.
    ``tune_malloc`` lets the player tune glibc's allocator for frame buffers (see
    :func:`tune_allocator`).
    """

    def __init__(
        self,
        size: tuple[int, int] = (1280, 720),
        *,
        audio: AudioSink | Literal["auto", "null"] = "auto",
        volume: float = 1.0,
        volume_cap: float = 1.0,
        fit: Fit = "contain",
        pixel_format: PixelFormat = "RGB",
        video_queue: int = 8,
        audio_queue: int = 48,
        decoder_threads: int = 0,
        preload_slots: int = 3,
        tune_malloc: bool = True,
    ) -> None:
        if tune_malloc:
            tune_allocator()
        self.size = size
        self.fit: Fit = fit
        self.pixel_format: PixelFormat = pixel_format
        self.video_queue = video_queue
        self.audio_queue = audio_queue
        self.decoder_threads = decoder_threads
        self.preload_slots = preload_slots
        self._faults = Faults()
        self._state = PlayerState.IDLE
        self._closed = False
        self._volume_cap = max(0.0, min(1.0, float(volume_cap)))
        self._volume = min(max(0.0, float(volume)), self._volume_cap)
        self._muted = False
        self._tokens = 0
        self._current: _Source | None = None
        self._upcoming: _Source | None = None
        self._preloaded: OrderedDict[tuple[str, float, float | None], _Source] = OrderedDict()
        self._retired: list[_Source] = []
        self._playlist: list[Segment] = []
        self._index = 0
        self._loop = False  # loop the playlist (a single segment is a playlist of one)
        self._fail_streak = 0
        self._pos = 0.0
        self._held: Frame | None = None  # the previous segment's last frame, until a new one
        self.frames_shown = 0
        self.frames_dropped = 0
        self.segments_started = 0
        self._sink = self._open_sink(audio)
        self._mixer = Mixer(self._sink.rate, self._sink.channels)
        self._mixer.set_gain(self._gain())
        try:
            self._sink.start(self._mixer.render)
        except MediaError as e:
            self._faults.record(e.kind, self._sink.name, e.reason)
            self._sink = NullSink(self._sink.rate, self._sink.channels)
            self._sink.start(self._mixer.render)

    # -- construction helpers -----------------------------------------------------------------

    def _open_sink(self, audio: AudioSink | Literal["auto", "null"]) -> AudioSink:
        if audio == "null":
            return NullSink()
        if audio == "auto":
            try:
                return SoundDeviceSink()
            except MediaError as e:
                self._faults.record(e.kind, "sounddevice", f"{e.reason}; playing silently")
                return NullSink()
        return audio

    def _new_source(self, segment: Segment, origin: float = 0.0) -> _Source:
        self._tokens += 1
        src = _Source(
            segment,
            self._tokens,
            origin=origin,
            rate=self._sink.rate,
            channels=self._sink.channels,
            size=self.size,
            fit=self.fit,
            pixel_format=self.pixel_format,
            video_queue=self.video_queue,
            audio_queue=self.audio_queue,
            threads=self.decoder_threads,
        )
        src.start()
        return src

    def _take_source(self, segment: Segment) -> _Source:
        """A preloaded source for ``segment`` if there is one, else a new (cold) one."""
        src = self._preloaded.pop(_segment_key(segment), None)
        if src is not None and not src.failed and src.video.error is None:
            return src
        if src is not None:
            self._retire(src)
        return self._new_source(segment)

    # -- the interface ------------------------------------------------------------------------

    @property
    def state(self) -> PlayerState:
        return self._state

    @property
    def faults(self) -> Faults:
        return self._faults

    @property
    def segment(self) -> Segment | None:
        """The segment playing (or paused, ended, failed) now."""
        return self._current.segment if self._current else None

    @property
    def playlist_index(self) -> int:
        return self._index

    @property
    def sink(self) -> AudioSink:
        return self._sink

    @property
    def volume(self) -> float:
        return self._volume

    @property
    def volume_cap(self) -> float:
        return self._volume_cap

    @property
    def muted(self) -> bool:
        return self._muted

    def play(self, segment: Segment, *, loop: bool = False) -> None:
        """Play ``segment`` now (instantly if it was preloaded); ``loop`` repeats it seamlessly."""
        self._play_list([segment], loop=loop)

    def play_playlist(self, segments: Sequence[Segment], *, loop: bool = True) -> None:
        """Play segments one after another without gaps (the attract montage); ``loop`` wraps."""
        if not segments:
            self.stop()
            return
        self._play_list(list(segments), loop=loop)

    def _play_list(self, segments: list[Segment], *, loop: bool) -> None:
        self._check_open()
        self._playlist = segments
        self._index = 0
        self._loop = loop
        self._fail_streak = 0
        self._start(self._take_source(segments[0]))

    def preload(self, segment: Segment) -> None:
        """Open and start decoding ``segment`` so that a later play() starts it instantly."""
        self._check_open()
        key = _segment_key(segment)
        if key in self._preloaded:
            self._preloaded.move_to_end(key)
            return
        self._preloaded[key] = self._new_source(segment)
        while len(self._preloaded) > self.preload_slots:
            _, old = self._preloaded.popitem(last=False)
            self._retire(old)

    def set_size(self, size: tuple[int, int]) -> None:
        """Deliver frames at ``size`` from now on (queued frames keep the old size)."""
        size = (max(2, int(size[0])), max(2, int(size[1])))
        self.size = size
        for src in self._all_sources():
            src.video.size = size

    def drop_preloaded(self) -> None:
        """Forget every preloaded segment: a new content release makes them stale, and a
        resource count is only fair with none held."""
        while self._preloaded:
            _, src = self._preloaded.popitem()
            self._retire(src)

    def is_preloaded(self, segment: Segment) -> bool:
        """Whether ``segment`` is preloaded and its first frame is decoded (play() is instant)."""
        src = self._preloaded.get(_segment_key(segment))
        return src is not None and src.video.first_frame.is_set() and src.video.error is None

    def stop(self) -> None:
        """Stop playing; the player is idle (and keeps its preloaded segments)."""
        self._mixer.play(None)
        for src in (self._current, self._upcoming):
            if src is not None:
                self._retire(src)
        self._current = self._upcoming = None
        self._held = None
        self._playlist = []
        self._pos = 0.0
        self._state = PlayerState.IDLE

    def pause(self) -> None:
        if self._state is PlayerState.PLAYING:
            self._mixer.set_paused(True)
            self._state = PlayerState.PAUSED

    def resume(self) -> None:
        if self._state is PlayerState.PAUSED:
            self._mixer.set_paused(False)
            self._state = PlayerState.PLAYING

    def seek_to_start(self) -> None:
        """Restart the current segment from its in point (paused stays paused)."""
        self.seek(0.0)

    def seek(self, position: float) -> None:
        """Jump to ``position`` seconds into the current segment (paused stays paused)."""
        src = self._current
        if src is None:
            return
        paused = self._state is PlayerState.PAUSED
        position = max(0.0, float(position))
        seg = src.segment
        if seg.duration is not None:
            position = min(position, max(0.0, seg.duration - 0.001))
        new = self._take_source(seg) if position == 0.0 else self._new_source(seg, position)
        self._start(new, paused=paused)

    def set_volume(self, volume: float) -> None:
        """Set the volume (0..1), clamped to the curator's cap."""
        self._volume = min(max(0.0, float(volume)), self._volume_cap)
        self._mixer.set_gain(self._gain())

    def set_volume_cap(self, cap: float) -> None:
        self._volume_cap = max(0.0, min(1.0, float(cap)))
        self.set_volume(self._volume)

    def mute(self, muted: bool = True) -> None:
        self._muted = bool(muted)
        self._mixer.set_gain(self._gain())

    def _gain(self) -> float:
        return 0.0 if self._muted else self._volume

    def clock(self) -> float:
        """Seconds into the current segment, as heard (or, silent, as shown)."""
        self.update()
        return self._pos

    def latest_frame(self) -> Frame | None:
        """The frame to show now (already at the UI's size), or None if there is none."""
        self.update()
        src = self._current
        if src is not None and src.frame is not None:
            if not src.frame_returned:
                src.frame_returned = True
                self.frames_shown += 1
            return src.frame
        return self._held

    def caption(self, lang: str) -> str | None:
        """The caption text in ``lang`` at the current position, or None."""
        self.update()
        src = self._current
        if src is None or self._state in (PlayerState.IDLE, PlayerState.FAILED):
            return None
        track = src.video.captions.get(lang)
        return track.at(self._pos) if track is not None else None

    def caption_languages(self) -> frozenset[str]:
        src = self._current
        return frozenset(src.video.captions) if src is not None else frozenset()

    def stats(self) -> dict[str, float]:
        """Counters for diagnostics and benchmarks."""
        src = self._current
        return {
            "frames_shown": self.frames_shown,
            "frames_dropped": self.frames_dropped,
            "frames_skipped_by_decoder": src.video.frames_skipped if src else 0,
            "audio_underruns": self._mixer.underruns,
            "segment_switches": self._mixer.switches,
            "segments_started": self.segments_started,
            "decoders_alive": sum(s.alive for s in self._all_sources()),
        }

    # -- the main-thread step -----------------------------------------------------------------

    def update(self) -> None:
        """Advance: handle worker results, switch segments, pick the frame due now."""
        if self._closed:
            return
        now = time.monotonic()
        self._reap()
        self._check_sink(now)
        for pre in list(self._preloaded.values()):
            self._check_preloaded(pre)
        src = self._current
        if src is None or self._state in (PlayerState.IDLE, PlayerState.FAILED):
            return
        if self._upcoming is not None:
            self._check_upcoming(self._upcoming)
        if self._check_failed(src):
            return
        self._collect_warnings(src)
        self._learn_end(src)
        point = self._mixer.timeline(now)
        up = self._upcoming
        if up is not None and point is not None and point.token == up.token:
            self._advance(up)
            src = up
            if self._check_failed(src):
                return
        self._pos = self._position(src, point)
        src.video.clock_hint = self._pos
        self._pull_frames(src)
        v = src.voice
        if self._state is PlayerState.PLAYING:
            if v.finished and self._upcoming is None and (v.finish_time or 0.0) <= now:
                self._segment_ended(src)
                return
            if src.frame is None and now - (src.started_at or now) > STALL_TIMEOUT:
                self._fail(src, MediaError(FaultKind.STALLED, f"no frame after {STALL_TIMEOUT}s"))
                return
        self._prepare_upcoming(src)

    def _position(self, src: _Source, point: TimelinePoint | None) -> float:
        if point is not None and point.token == src.token:
            return point.pos
        if src.voice.finished:
            return src.voice.position
        return src.origin

    def _pull_frames(self, src: _Source) -> None:
        q = src.video.queue
        due = self._pos + FRAME_EPS
        while True:
            nxt = src.pending
            if nxt is None:
                try:
                    item = q.get_nowait()
                except queue.Empty:
                    return
                if isinstance(item, VideoEnd):
                    src.video_ended = True
                    return
                nxt = src.pending = item
            if src.frame is None or nxt.pts <= due:
                if src.frame is not None and not src.frame_returned:
                    self.frames_dropped += 1  # superseded before the UI asked for it: late
                if src.frame is None:
                    self._held = None
                    self._fail_streak = 0
                src.frame, src.pending, src.frame_returned = nxt, None, False
                continue
            return

    def _learn_end(self, src: _Source) -> None:
        """Tell the voice where the segment ends once both decoders know it."""
        if src.end_known or not src.video.done.is_set() or not src.audio.done.is_set():
            return
        src.end_known = True
        video_end = src.video.end_time or 0.0
        audio_end = src.origin + src.audio.samples_out / self._sink.rate
        end = max(video_end, audio_end)
        seg = src.segment
        if seg.end is not None:
            end = min(end, float(seg.end) - float(seg.start))
        src.voice.set_end(end)

    def _prepare_upcoming(self, src: _Source) -> None:
        if self._upcoming is not None or not self._playlist:
            return
        nxt = self._next_index()
        if nxt is None:
            return
        elapsed = self._pos - src.origin
        dur = src.segment.duration
        if elapsed < PRELOAD_AFTER and not (dur is not None and dur < 2 * PRELOAD_AFTER):
            return
        up = self._take_source(self._playlist[nxt])
        self._upcoming = up
        self._learn_end(up)
        self._mixer.queue_next(up.voice)

    def _next_index(self) -> int | None:
        i = self._index + 1
        if i < len(self._playlist):
            return i
        return 0 if self._loop else None

    def _advance(self, up: _Source) -> None:
        """The timeline has moved on to the upcoming segment: make it current."""
        old = self._current
        self._current, self._upcoming = up, None
        nxt = self._next_index()
        self._index = nxt if nxt is not None else self._index
        up.started_at = time.monotonic()
        self.segments_started += 1
        if old is not None:
            self._held = old.frame
            self._retire(old)

    def _start(self, src: _Source, *, paused: bool = False) -> None:
        """Make ``src`` current now (a hard cut)."""
        old, up = self._current, self._upcoming
        self._current, self._upcoming = src, None
        self._held = old.frame if old is not None else None
        for s in (old, up):
            if s is not None and s is not src:
                self._retire(s)
        src.started_at = time.monotonic()
        self.segments_started += 1
        self._pos = src.origin
        self._learn_end(src)
        self._mixer.set_paused(paused)
        self._mixer.play(src.voice)
        self._state = PlayerState.PAUSED if paused else PlayerState.PLAYING

    def _segment_ended(self, src: _Source) -> None:
        nxt = self._next_index()
        if nxt is None:
            self._state = PlayerState.ENDED
            self._pos = src.voice.position
            return
        # The next segment was not ready in time (it failed, or the clip was shorter than the
        # preload lead): start it now, with a short gap.
        self._index = nxt
        self._start(self._take_source(self._playlist[nxt]))

    # -- faults -------------------------------------------------------------------------------

    def _check_failed(self, src: _Source) -> bool:
        err = src.video.error
        if err is None:
            return False
        self._fail(src, err)
        return True

    def _fail(self, src: _Source, err: MediaError) -> None:
        if not src.failed:
            src.failed = True
            self._faults.record(err.kind, src.describe(), err.reason)
        self._fail_streak += 1
        if src is self._current:
            nxt = self._next_index()
            if nxt is None or self._fail_streak >= len(self._playlist):
                self._mixer.play(None)
                self._retire(src)
                if self._upcoming is not None:
                    self._retire(self._upcoming)
                    self._upcoming = None
                self._state = PlayerState.FAILED
                return
            self._index = nxt
            self._start(self._take_source(self._playlist[nxt]))

    def _check_upcoming(self, up: _Source) -> None:
        err = up.video.error
        if err is None:
            return
        # Drop it before the timeline reaches it; the current segment's end then starts the
        # one after it (see _segment_ended), and the failure is counted once.
        if not up.failed:
            up.failed = True
            self._faults.record(err.kind, up.describe(), err.reason)
        self._mixer.queue_next(None)
        self._upcoming = None
        self._retire(up)
        nxt = self._next_index()
        if nxt is not None:
            self._index = nxt  # skip it in the playlist
        self._fail_streak += 1

    def _check_preloaded(self, src: _Source) -> None:
        err = src.video.error
        if err is not None and not src.failed:
            src.failed = True
            self._faults.record(err.kind, src.describe(), err.reason)

    def _collect_warnings(self, src: _Source) -> None:
        for worker in (src.video, src.audio):
            while worker.warnings:
                w = worker.warnings.popleft()
                self._faults.record(w.kind, src.describe(), w.reason)
        if src.video.caption_errors:
            errors, src.video.caption_errors = src.video.caption_errors, []
            for lang, e in errors:
                self._faults.record(e.kind, f"{src.describe()} [{lang}]", e.reason)
        if not src.audio_reported and src.audio.error is not None:
            src.audio_reported = True
            e = src.audio.error
            # A file that cannot be opened at all is counted once, by the video side, even when
            # the audio thread happens to notice first.
            if e.kind not in (FaultKind.MISSING, FaultKind.EMPTY, FaultKind.UNREADABLE):
                self._faults.record(
                    FaultKind.AUDIO, src.describe(), f"{e.reason}; playing silently"
                )

    def _check_sink(self, now: float) -> None:
        sink = self._sink
        dead = sink.error is not None
        last = sink.last_render()
        if not dead and last > 0.0 and now - last > SINK_STALL:
            dead = True
        if not dead:
            return
        reason = f"{sink.name} stopped ({sink.error or 'no callbacks'}); playing silently"
        self._faults.record(FaultKind.AUDIO_DEVICE, sink.name, reason)
        sink.close()
        self._sink = NullSink(sink.rate, sink.channels)
        self._sink.start(self._mixer.render)

    # -- thread bookkeeping -------------------------------------------------------------------

    def _retire(self, src: _Source) -> None:
        src.stop()
        if src not in self._retired:
            self._retired.append(src)
        if len(self._retired) > MAX_RETIRED:
            oldest = self._retired.pop(0)
            if not oldest.join(5.0):
                log.error("decoder threads of %s did not stop", oldest.describe())

    def _reap(self) -> None:
        if self._retired:
            self._retired = [s for s in self._retired if not s.join(0.0)]

    def _all_sources(self) -> list[_Source]:
        out = [s for s in (self._current, self._upcoming) if s is not None]
        return out + list(self._preloaded.values()) + list(self._retired)

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the player is closed")

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Join the threads of stopped segments (tests, and before measuring resources)."""
        deadline = time.monotonic() + timeout
        for src in list(self._retired):
            if src.join(max(0.0, deadline - time.monotonic())):
                self._retired.remove(src)
        return not self._retired

    def close(self) -> None:
        """Stop everything and join every thread (decoders and the sink's)."""
        if self._closed:
            return
        self.stop()
        for src in list(self._preloaded.values()):
            self._retire(src)
        self._preloaded.clear()
        self._closed = True
        self._sink.close()
        for src in self._retired:
            if not src.join(5.0):
                log.error("decoder threads of %s did not stop", src.describe())
        self._retired.clear()
        self._state = PlayerState.IDLE

    def __enter__(self) -> Player:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            log.warning("Player was not closed")
