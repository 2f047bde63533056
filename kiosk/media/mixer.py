"""The mixer: feeds segment audio to the sink and keeps the timeline that is the audio clock.

It runs inside the sink's real-time thread (``render``) and is read by the main thread
(``timeline``), under one short lock. For every stretch of output it appends a :class:`Run`:
"from monotonic time ``t``, ``n`` samples of segment ``token`` starting at position ``pos``
(advancing, or held while paused or waiting for data)". The player asks the timeline what is
audible *now*; that position is the master clock for video and captions.

A :class:`Voice` is one segment's audio: a bounded queue of sample chunks filled by the audio
decoder thread. The mixer plays the current voice and switches to the queued one on the very
sample the current one ends, which is how segments and loops follow each other without a gap.
A segment without audio is a voice of silence, so the same timeline drives it.

Clicks are avoided by ramps: the volume is ramped, a voice fades in after a start, pause or
underrun, and whatever was audible decays over a few milliseconds after a hard cut or a stop.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
from collections import deque
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

log = logging.getLogger(__name__)

RAMP_SECONDS = 0.005  # fade-ins, decays after cuts
GAIN_RAMP_SECONDS = 0.02  # volume changes


@dataclass(frozen=True)
class AudioEnd:
    """Queued by the audio decoder after the last chunk. ``error`` is set if it gave up."""

    error: BaseException | None = None


class Run(NamedTuple):
    t: float  # monotonic time the first sample is heard
    token: int | None  # which voice (None: nothing playing)
    pos: float  # seconds into the segment at t
    n: int  # samples
    advancing: bool  # False: position held (paused, waiting for data, idle)


class TimelinePoint(NamedTuple):
    token: int | None
    pos: float
    advancing: bool


class Voice:
    """One segment's audio as the mixer sees it.

    ``origin`` is the segment position of the first sample (0.0 unless started mid-segment).
    The voice waits until ``gate`` is set (the video decoder sets it once its first frames are
    queued, so sound does not run ahead of a slow start); the player calls ``set_end`` once the
    segment's end is known. The chunk queue holds float32 arrays
    (frames x channels) and finally an :class:`AudioEnd`.
    """

    def __init__(
        self,
        token: int,
        chunks: queue.Queue[np.ndarray | AudioEnd] | None,
        *,
        rate: int,
        origin: float = 0.0,
        gate: threading.Event | None = None,
        name: str = "",
    ) -> None:
        self.token = token
        self.gate = gate
        self.chunks = chunks
        self.rate = rate
        self.origin = origin
        self.name = name
        self.frames = 0  # samples output since origin, audio or padding
        self.started = False
        self.end_frames: int | None = None
        self.audio_done = chunks is None
        self.audio_error: BaseException | None = None
        self.finished = False
        self.finish_time: float | None = None
        self._chunk: np.ndarray | None = None
        self._off = 0
        self._ramp = max(1, round(RAMP_SECONDS * rate))
        self._fade_in = 0  # the decoder fades a segment's edges; this is for resuming

    @property
    def ready(self) -> bool:
        """Whether the voice may start: its gate (the first video frames) is open."""
        return self.gate is None or self.gate.is_set()

    @property
    def position(self) -> float:
        return self.origin + self.frames / self.rate

    def set_end(self, seconds: float) -> None:
        """The segment ends ``seconds`` after its start (a segment position, not a duration)."""
        self.end_frames = max(0, round((seconds - self.origin) * self.rate))

    def fade_in_next(self) -> None:
        self._fade_in = self._ramp

    def read_into(self, out: np.ndarray) -> int:
        """Fill the start of ``out``; return how many samples were produced (0..len(out)).

        Fewer than asked means the voice is finished (see ``finished``) or waiting for data.
        """
        n = out.shape[0]
        if self.end_frames is not None:
            n = min(n, self.end_frames - self.frames)
            if n <= 0:
                self.finished = True
                return 0
        i = 0
        while i < n:
            if self._chunk is None:
                if self.audio_done:
                    # No more audio (or none at all): silence keeps the segment's time running
                    # until its end (the end of the video) is known and reached.
                    self.frames += n - i
                    i = n
                    break
                assert self.chunks is not None
                try:
                    item = self.chunks.get_nowait()
                except queue.Empty:
                    break
                if isinstance(item, AudioEnd):
                    self.audio_done = True
                    self.audio_error = item.error
                    continue
                self._chunk, self._off = item, 0
            chunk = self._chunk
            take = min(n - i, chunk.shape[0] - self._off)
            out[i : i + take] = chunk[self._off : self._off + take]
            if self._fade_in:
                m = min(self._fade_in, take)
                done = self._ramp - self._fade_in
                ramp = np.arange(done + 1, done + m + 1, dtype=np.float32) / self._ramp
                out[i : i + m] *= ramp[:, None]
                self._fade_in -= m
            self._off += take
            if self._off >= chunk.shape[0]:
                self._chunk = None
            self.frames += take
            i += take
        if self.end_frames is not None and self.frames >= self.end_frames:
            self.finished = True
        return i


class Mixer:
    """Plays voices through a sink's render callback and records the timeline."""

    def __init__(self, rate: int, channels: int, *, max_runs: int = 1024) -> None:
        self.rate = rate
        self.channels = channels
        self._lock = threading.Lock()
        self._current: Voice | None = None
        self._next: Voice | None = None
        self._paused = False
        self._runs: deque[Run] = deque(maxlen=max_runs)
        self._gain = 1.0
        self._target_gain = 1.0
        self._gain_step = 0.0
        self._gain_ramp = max(1, round(GAIN_RAMP_SECONDS * rate))
        self._decay = max(1, round(RAMP_SECONDS * rate))
        self._last = np.zeros(channels, np.float32)
        self._cut = False
        self.underruns = 0
        self.switches = 0

    # -- control (main thread) --------------------------------------------------------------

    def play(self, voice: Voice | None) -> None:
        """Replace what is playing now (a hard cut, decayed to avoid a click)."""
        with self._lock:
            self._current = voice
            self._next = None
            self._cut = True

    def queue_next(self, voice: Voice | None) -> None:
        """Play ``voice`` on the sample after the current voice ends."""
        with self._lock:
            if self._current is None and voice is not None:
                self._current, self._cut = voice, True
            else:
                self._next = voice

    def set_paused(self, paused: bool) -> None:
        with self._lock:
            self._paused = paused

    def set_gain(self, gain: float) -> None:
        with self._lock:
            self._target_gain = float(gain)
            self._gain_step = (self._target_gain - self._gain) / self._gain_ramp

    def timeline(self, now: float) -> TimelinePoint | None:
        """What is heard at monotonic time ``now``; None if nothing was rendered for it yet."""
        with self._lock:
            for run in reversed(self._runs):
                if run.t <= now:
                    if not run.advancing:
                        return TimelinePoint(run.token, run.pos, False)
                    span = run.n / self.rate
                    dt = now - run.t
                    return TimelinePoint(run.token, run.pos + min(dt, span), dt < span)
        return None

    def rendered_until(self) -> float:
        """Monotonic time up to which output has been rendered (0.0 before any)."""
        with self._lock:
            if not self._runs:
                return 0.0
            r = self._runs[-1]
            return r.t + r.n / self.rate

    # -- real-time side (the sink's thread) -------------------------------------------------

    def render(self, out: np.ndarray, t: float) -> None:
        """The sink's render function: fill ``out`` with what is heard from ``t`` on."""
        out.fill(0.0)
        n = out.shape[0]
        rate = self.rate
        with self._lock:
            cut_at: int | None = 0 if self._cut else None
            self._cut = False
            i = 0
            while i < n:
                v = self._current
                ti = t + i / rate
                if v is None:
                    self._runs.append(Run(ti, None, 0.0, n - i, False))
                    if i > 0 and cut_at is None:
                        cut_at = i
                    break
                if self._paused or not v.ready:
                    self._runs.append(Run(ti, v.token, v.position, n - i, False))
                    if v.started:
                        v.fade_in_next()
                        if cut_at is None:
                            cut_at = i
                    break
                pos = v.position
                k = v.read_into(out[i:])
                if k:
                    self._runs.append(Run(ti, v.token, pos, k, True))
                    v.started = True
                    i += k
                if v.finished:
                    v.finish_time = t + i / rate
                    self._current, self._next = self._next, None
                    if self._current is not None:
                        self.switches += 1
                    continue
                if i < n:  # the decoder has not kept up (or not started yet)
                    self._runs.append(Run(t + i / rate, v.token, v.position, n - i, False))
                    if v.started:
                        self.underruns += 1
                        v.fade_in_next()
                        if cut_at is None:
                            cut_at = i
                    break
            self._apply_gain(out)
            if cut_at is not None:
                prev = out[cut_at - 1] if cut_at > 0 else self._last
                if np.any(prev):
                    m = min(self._decay, n - cut_at)
                    decay = np.arange(self._decay, self._decay - m, -1, dtype=np.float32)
                    out[cut_at : cut_at + m] += prev[None, :] * (decay / (self._decay + 1))[:, None]
            np.clip(out, -1.0, 1.0, out=out)
            self._last = out[-1].copy()

    def _apply_gain(self, out: np.ndarray) -> None:
        g0, g1, step = self._gain, self._target_gain, self._gain_step
        if g0 == g1 or step == 0.0:
            self._gain = g1
            if g1 != 1.0:
                out *= g1
            return
        remaining = max(1, math.ceil(abs((g1 - g0) / step) - 1e-9))
        m = min(out.shape[0], remaining)
        ramp = g0 + step * np.arange(1, m + 1, dtype=np.float64)
        ramp = np.minimum(ramp, g1) if step > 0 else np.maximum(ramp, g1)
        out[:m] *= ramp.astype(np.float32)[:, None]
        if m == remaining:
            self._gain = g1
            out[m:] *= g1
        else:
            self._gain = float(ramp[-1])
