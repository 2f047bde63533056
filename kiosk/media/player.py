"""The clip player the visitor UI uses.

Threads: the main thread (which owns pygame) calls :meth:`Player.update` — directly, or through
:meth:`Player.latest_frame` / :meth:`Player.clock` — once per display frame: its only work
besides blitting. Each playing or preloaded segment has a video and an audio decode
thread (:mod:`kiosk.media.sources`) handing results through bounded queues, and the audio sink
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
import time
from collections.abc import Sequence
from enum import StrEnum

from kiosk.content.model import Segment
from kiosk.media.allocator import tune_allocator
from kiosk.media.audio import AudioSink
from kiosk.media.convert import Fit, PixelFormat
from kiosk.media.decoder import Frame
from kiosk.media.errors import FaultKind, Faults, MediaError
from kiosk.media.output import AudioChoice, SoundOutput
from kiosk.media.sources import Source, SourcePool

log = logging.getLogger(__name__)

PRELOAD_AFTER = 0.5  # seconds into a segment before the next one is prepared
STALL_TIMEOUT = 15.0  # seconds without a first frame before a segment is given up
FRAME_EPS = 0.002  # a frame due within this many seconds is shown now
UPDATE_EPS = 0.001  # the UI's clock, frame and caption calls of one display frame: one update


class PlayerState(StrEnum):
    IDLE = "idle"
    PLAYING = "playing"
    PAUSED = "paused"
    ENDED = "ended"
    FAILED = "failed"


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
        audio: AudioChoice = "auto",
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
        self._faults = Faults()
        self._state = PlayerState.IDLE
        self._closed = False
        self._current: Source | None = None
        self._upcoming: Source | None = None
        self._playlist: list[Segment] = []
        self._index = 0
        self._loop = False  # loop the playlist (a single segment is a playlist of one)
        self._fail_streak = 0
        self._pos = 0.0
        self._updated = -1.0  # monotonic time of the last update() that did its work
        self._held: Frame | None = None  # the previous segment's last frame, until a new one
        self.frames_shown = 0
        self.frames_dropped = 0
        self.segments_started = 0
        self._out = SoundOutput(audio, self._faults, volume=volume, volume_cap=volume_cap)
        self._mixer = self._out.mixer
        self._sources = SourcePool(
            rate=self._out.rate, channels=self._out.channels, size=size, fit=fit,
            pixel_format=pixel_format, video_queue=video_queue, audio_queue=audio_queue,
            threads=decoder_threads, slots=preload_slots,
        )  # fmt: skip

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
    def preload_slots(self) -> int:
        return self._sources.slots

    @property
    def sink(self) -> AudioSink:
        return self._out.sink

    @property
    def volume(self) -> float:
        return self._out.volume

    @property
    def volume_cap(self) -> float:
        return self._out.volume_cap

    @property
    def muted(self) -> bool:
        return self._out.muted

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
        self._start(self._sources.take(segments[0]))

    def preload(self, segment: Segment) -> None:
        """Open and start decoding ``segment`` so that a later play() starts it instantly."""
        self._check_open()
        playing = self._current if self._state is PlayerState.PLAYING else None
        self._sources.preload(segment, playing)  # waits for the playing one's first frame

    def set_size(self, size: tuple[int, int]) -> None:
        """Deliver frames at ``size`` from now on (queued frames keep the old size)."""
        self.size = size = (max(2, int(size[0])), max(2, int(size[1])))
        self._sources.set_size(size, self._playing())

    def drop_preloaded(self) -> None:
        """Forget every preloaded segment: a new content release makes them stale, and a
        resource count is only fair with none held."""
        self._sources.drop_preloaded()

    def is_preloaded(self, segment: Segment) -> bool:
        """Whether ``segment`` is preloaded and its first frame is decoded (play() is instant)."""
        return self._sources.is_preloaded(segment)

    def stop(self) -> None:
        """Stop playing; the player is idle (and keeps its preloaded segments)."""
        self._mixer.play(None)
        for src in (self._current, self._upcoming):
            if src is not None:
                self._sources.retire(src)
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
        new = self._sources.take(seg) if position == 0.0 else self._sources.new(seg, position)
        self._start(new, paused=paused)

    def set_volume(self, volume: float) -> None:
        """Set the volume (0..1), clamped to the curator's cap."""
        self._out.set_volume(volume)

    def mute(self, muted: bool = True) -> None:
        self._out.mute(muted)

    def clock(self) -> float:
        """Seconds into the current segment, as heard (or, silent, as shown)."""
        self.update()
        return self._pos

    def latest_frame(self) -> Frame | None:
        """The frame to show now (already at the UI's size), or None if there is none."""
        self.update()
        src = self._current
        if src is not None and src.frame is not None:
            self.frames_shown += src.show()
            return src.frame
        return self._held

    def frame_due_in(self) -> float | None:
        """Seconds until the next frame is due on screen; None when not known (see due_in)."""
        self.update()
        src = self._current
        if src is None or self._state is not PlayerState.PLAYING:
            return None
        return src.due_in(self._pos + FRAME_EPS)

    def caption(self, lang: str) -> str | None:
        """The caption text in ``lang`` at the current position, or None."""
        self.update()
        src = self._current
        if src is None or self._state in (PlayerState.IDLE, PlayerState.FAILED):
            return None
        track = src.video.captions.get(lang)
        return track.at(self._pos) if track is not None else None

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
            "decoders_alive": sum(s.alive for s in self._playing() + self._sources.all()),
        }

    # -- the main-thread step -----------------------------------------------------------------

    def update(self) -> None:
        """Advance: handle worker results, switch segments, pick the frame due now."""
        if self._closed:
            return
        now = time.monotonic()
        if now - self._updated < UPDATE_EPS:
            return
        self._updated = now
        self._sources.reap()
        self._sources.start_deferred()
        self._out.check(now)
        self._sources.check_preloaded(self._faults)
        src = self._current
        if src is None or self._state in (PlayerState.IDLE, PlayerState.FAILED):
            return
        if self._upcoming is not None:
            self._check_upcoming(self._upcoming)
        if self._check_failed(src):
            return
        src.collect_warnings(self._faults)
        src.learn_end(self._out.rate)
        point = self._mixer.timeline(now)
        up = self._upcoming
        if up is not None and point is not None and point.token == up.token:
            self._advance(up)
            src = up
            if self._check_failed(src):
                return
        self._pos = src.position(point)
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

    def _pull_frames(self, src: Source) -> None:
        had_frame = src.frame is not None
        self.frames_dropped += src.pull_frames(self._pos + FRAME_EPS)
        if not had_frame and src.frame is not None:
            self._held = None  # the new segment's first frame replaces the old one's last
            self._fail_streak = 0

    def _prepare_upcoming(self, src: Source) -> None:
        if self._upcoming is not None or not self._playlist:
            return
        nxt = self._next_index()
        if nxt is None:
            return
        elapsed = self._pos - src.origin
        dur = src.segment.duration
        if elapsed < PRELOAD_AFTER and not (dur is not None and dur < 2 * PRELOAD_AFTER):
            return
        up = self._sources.take(self._playlist[nxt])
        self._upcoming = up
        up.learn_end(self._out.rate)
        self._mixer.queue_next(up.voice)

    def _next_index(self) -> int | None:
        i = self._index + 1
        if i < len(self._playlist):
            return i
        return 0 if self._loop else None

    def _advance(self, up: Source) -> None:
        """The timeline has moved on to the upcoming segment: make it current."""
        old = self._current
        self._current, self._upcoming = up, None
        nxt = self._next_index()
        self._index = nxt if nxt is not None else self._index
        up.started_at = time.monotonic()
        self.segments_started += 1
        if old is not None:
            self._held = old.frame
            self._sources.retire(old)

    def _start(self, src: Source, *, paused: bool = False) -> None:
        """Make ``src`` current now (a hard cut)."""
        self._updated = -1.0  # the next update() looks at the new source
        old, up = self._current, self._upcoming
        self._current, self._upcoming = src, None
        self._held = old.frame if old is not None else None
        for s in (old, up):
            if s is not None and s is not src:
                self._sources.retire(s)
        src.started_at = time.monotonic()
        self.segments_started += 1
        self._pos = src.origin
        src.learn_end(self._out.rate)
        self._mixer.set_paused(paused)
        self._mixer.play(src.voice)
        self._state = PlayerState.PAUSED if paused else PlayerState.PLAYING

    def _segment_ended(self, src: Source) -> None:
        nxt = self._next_index()
        if nxt is None:
            self._state = PlayerState.ENDED
            self._pos = src.voice.position
            return
        # The next segment was not ready in time (it failed, or the clip was shorter than the
        # preload lead): start it now, with a short gap.
        self._index = nxt
        self._start(self._sources.take(self._playlist[nxt]))

    # -- faults -------------------------------------------------------------------------------

    def _check_failed(self, src: Source) -> bool:
        err = src.video.error
        if err is None:
            return False
        self._fail(src, err)
        return True

    def _fail(self, src: Source, err: MediaError) -> None:
        src.mark_failed(err, self._faults)
        self._fail_streak += 1
        if src is self._current:
            nxt = self._next_index()
            if nxt is None or self._fail_streak >= len(self._playlist):
                self._mixer.play(None)
                self._sources.retire(src)
                if self._upcoming is not None:
                    self._sources.retire(self._upcoming)
                    self._upcoming = None
                self._state = PlayerState.FAILED
                return
            self._index = nxt
            self._start(self._sources.take(self._playlist[nxt]))

    def _check_upcoming(self, up: Source) -> None:
        err = up.video.error
        if err is None:
            return
        # Drop it before the timeline reaches it; the current segment's end then starts the
        # one after it (see _segment_ended), and the failure is counted once.
        up.mark_failed(err, self._faults)
        self._mixer.queue_next(None)
        self._upcoming = None
        self._sources.retire(up)
        nxt = self._next_index()
        if nxt is not None:
            self._index = nxt  # skip it in the playlist
        self._fail_streak += 1

    # -- thread bookkeeping -------------------------------------------------------------------

    def _playing(self) -> list[Source]:
        return [s for s in (self._current, self._upcoming) if s is not None]

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the player is closed")

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Join the threads of stopped segments (tests, and before measuring resources)."""
        return self._sources.wait_idle(timeout)

    def close(self) -> None:
        """Stop everything and join every thread (decoders and the sink's)."""
        if self._closed:
            return
        self.stop()
        self._sources.drop_preloaded()
        self._closed = True
        self._out.close()
        self._sources.close()
        self._state = PlayerState.IDLE

    def __enter__(self) -> Player:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            log.warning("Player was not closed")
