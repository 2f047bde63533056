"""Audio output: the :class:`AudioSink` interface, PortAudio output and a clocked null sink.

A sink owns a real-time thread (PortAudio's callback thread, or the null sink's own) that
repeatedly asks a *render* function to fill a buffer, telling it when the first sample of that
buffer will be heard, in ``time.monotonic()`` seconds. The player's mixer fills the buffer and
writes down which media position goes out at which moment: that record is the audio clock.

* :class:`SoundDeviceSink` plays through ``sounddevice``. It converts PortAudio's
  ``outputBufferDacTime`` to the monotonic clock and smooths it, so the clock is as good as the
  driver's latency report.
* :class:`NullSink` has no device: a thread consumes samples paced by ``time.monotonic()``, so a
  kiosk without a sound card (or a test) keeps exactly the same timing and code path.

The render function must not raise; if it does, the sink stores the error (see ``error``) and
outputs silence, because an exception in PortAudio's callback would stop the stream for good.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import numpy as np

from kiosk.media.errors import FaultKind, MediaError

log = logging.getLogger(__name__)

# render(out, t): fill ``out`` (frames x channels, float32) with the samples to be heard from
# monotonic time ``t`` on.
RenderFn = Callable[[np.ndarray, float], None]


@runtime_checkable
class AudioSink(Protocol):
    """Where the mixer's samples go. ``rate`` and ``channels`` are known before ``start``."""

    @property
    def rate(self) -> int: ...

    @property
    def channels(self) -> int: ...

    @property
    def name(self) -> str: ...

    @property
    def error(self) -> BaseException | None:
        """An error raised in the sink's thread (or by the device), if any."""
        ...

    def start(self, render: RenderFn) -> None:
        """Open the output and start calling ``render``. Raises MediaError(audio_device)."""
        ...

    def last_render(self) -> float:
        """Monotonic time of the most recent render call (0.0 before the first)."""
        ...

    def close(self) -> None:
        """Stop calling ``render`` and release the device; joins the sink's thread."""
        ...


class _Smoother:
    """Turns noisy per-callback output timestamps into a steady sample clock.

    Consecutive buffers are contiguous, so the start of the next buffer is predictable to the
    sample; each measurement only nudges the prediction (a first-order PLL). A jump larger than
    ``max_error`` (an underflow, a device restart) resets it.
    """

    def __init__(self, rate: int, gain: float = 0.05, max_error: float = 0.015) -> None:
        self.rate = rate
        self.gain = gain
        self.max_error = max_error
        self._next: float | None = None
        self.resets = 0
        self.last_reset = False

    def __call__(self, measured: float, frames: int) -> float:
        pred = self._next
        self.last_reset = pred is None or abs(measured - pred) > self.max_error
        if pred is None or self.last_reset:
            t = measured
            self.resets += 1
        else:
            t = pred + self.gain * (measured - pred)
        self._next = t + frames / self.rate
        return t


class _ClockOffset:
    """The offset between PortAudio's stream clock and ``time.monotonic()``.

    PortAudio stamps a callback's ``currentTime`` in its own clock (ALSA: the wall clock) when it
    measures the output delay, but Python reads ``time.monotonic()`` later, after the callback
    thread got the GIL. ``current - monotonic`` is therefore the true offset minus a delay >= 0,
    so the running maximum is the best estimate. It decays slowly so that a drifting wall clock
    is followed, and resets when the wall clock is stepped (NTP) by more than half a second.
    """

    def __init__(self, decay_per_s: float = 0.001) -> None:
        self.decay_per_s = decay_per_s
        self._offset: float | None = None
        self._at = 0.0

    def __call__(self, sample: float, now: float) -> float:
        off = self._offset
        if off is None or sample > off or sample < off - 0.5:
            off = sample
        else:
            off = max(sample, off - self.decay_per_s * (now - self._at))
        self._offset, self._at = off, now
        return off


class SoundDeviceSink:
    """Output through PortAudio (``sounddevice``).

    ``device`` is a sounddevice device (index or name substring; None: the default output).
    ``samplerate`` None uses the device's default rate; the decoders resample to it.
    ``start`` waits up to ``settle`` seconds for the output to run steadily: some drivers (the
    ALSA plugin for PulseAudio) take a buffer up front and only start playing it up to seconds
    later, which would make the first moments' timestamps wrong. The player opens its sink
    once, at start-up, so this wait is paid once.
    ``blocksize`` is the samples a callback renders (0: PortAudio's choice). Each callback
    costs ~0.3 ms of CPU in PortAudio's ALSA path to PulseAudio, whatever its size: PortAudio
    chose 20 ms blocks there, 50 callbacks a second; 2048 samples (43 ms at 48 kHz) halve that
    within the same latency.
    Raises :class:`MediaError` (``audio_device``) if PortAudio or the device is not there.
    """

    def __init__(
        self,
        device: int | str | None = None,
        *,
        samplerate: int | None = None,
        channels: int = 2,
        latency: float | str = 0.08,
        blocksize: int = 2048,
        settle: float = 2.0,
    ) -> None:
        try:
            import sounddevice as sd  # PortAudio is loaded here: OSError if it is missing
        except (OSError, ImportError) as e:
            raise MediaError(FaultKind.AUDIO_DEVICE, f"PortAudio is not available: {e}") from e
        self._sd: Any = sd
        try:
            info = sd.query_devices(device, "output")
        except (ValueError, sd.PortAudioError) as e:
            raise MediaError(FaultKind.AUDIO_DEVICE, f"no audio output device: {e}") from e
        max_ch = int(info["max_output_channels"])
        if max_ch < 1:
            raise MediaError(FaultKind.AUDIO_DEVICE, f"device {info['name']!r} has no outputs")
        self._device = device if device is not None else int(info["index"])
        self._rate = int(samplerate or round(float(info["default_samplerate"])))
        self._channels = max(1, min(channels, max_ch))
        self._latency = latency
        self._blocksize = blocksize
        self._name = f"sounddevice:{info['name']}"
        self._render: RenderFn | None = None
        self._stream: Any = None
        self._error: BaseException | None = None
        self._last = 0.0
        self._smooth = _Smoother(self._rate)
        self._offset = _ClockOffset()
        self.underflows = 0
        self.nominal_latency = 0.0
        self.settle = settle
        self._steady = threading.Event()
        self._streak = 0
        self._streak_start = 0.0

    @property
    def rate(self) -> int:
        return self._rate

    @property
    def channels(self) -> int:
        return self._channels

    @property
    def name(self) -> str:
        return self._name

    @property
    def error(self) -> BaseException | None:
        return self._error

    def last_render(self) -> float:
        return self._last

    @property
    def steady(self) -> bool:
        """Whether the output has been running with consistent timestamps."""
        return self._steady.is_set()

    def start(self, render: RenderFn) -> None:
        sd = self._sd
        self._render = render
        try:
            self._stream = sd.OutputStream(
                device=self._device,
                samplerate=self._rate,
                channels=self._channels,
                dtype="float32",
                latency=self._latency,
                blocksize=self._blocksize,
                callback=self._callback,
            )
            self._stream.start()
        except (sd.PortAudioError, ValueError) as e:
            self._stream = None
            raise MediaError(FaultKind.AUDIO_DEVICE, f"cannot open {self._name}: {e}") from e
        self.nominal_latency = float(self._stream.latency)
        if self.settle > 0 and not self._steady.wait(self.settle):
            log.warning("%s did not settle within %.1fs", self._name, self.settle)
        log.info(
            "audio output %s at %d Hz, %d ch, latency %.1f ms",
            self._name,
            self._rate,
            self._channels,
            self.nominal_latency * 1000,
        )

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        now = time.monotonic()
        self._last = now
        try:
            if status.output_underflow:
                self.underflows += 1
            cur = float(time_info.currentTime)
            dac = float(time_info.outputBufferDacTime)
            if cur > 0.0 and dac > 0.0 and 0.0 <= dac - cur < 2.0:
                t = dac - self._offset(cur - now, now)
            else:
                # Some host APIs give no timestamps (or zeros while priming): assume the
                # stream's nominal latency.
                t = now + self.nominal_latency
            t = self._smooth(t, frames)
            if self._smooth.last_reset:
                self._streak, self._streak_start = 0, now
            else:
                self._streak += 1
                if self._streak >= 3 and now - self._streak_start >= 0.1:
                    self._steady.set()
            assert self._render is not None
            self._render(outdata, t)
        except BaseException as e:  # never let an exception stop PortAudio's stream
            if self._error is None:
                self._error = e
                log.exception("audio render failed; output is silent")
            outdata.fill(0)

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is None:
            return
        try:
            stream.stop(ignore_errors=True)
            stream.close(ignore_errors=True)
        except Exception:  # closing a dead device must not take the player down
            log.exception("closing %s failed", self._name)


class NullSink:
    """A sink without a device: samples are consumed in real time by a thread.

    Each block is rendered ``lead`` seconds before it is "heard", like a device buffer, and the
    times come from ``time.monotonic()``. With ``record=True`` the output is kept (``recorded``:
    a list of ``(t, samples)``) so tests can inspect what would have been heard.
    """

    def __init__(
        self,
        rate: int = 48000,
        channels: int = 2,
        *,
        block: int = 480,
        lead: float = 0.03,
        record: bool = False,
    ) -> None:
        self._rate = rate
        self._channels = channels
        self.block = block
        self.lead = lead
        self.record = record
        self.recorded: list[tuple[float, np.ndarray]] = []
        self._render: RenderFn | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._last = 0.0
        self.resyncs = 0

    @property
    def rate(self) -> int:
        return self._rate

    @property
    def channels(self) -> int:
        return self._channels

    @property
    def name(self) -> str:
        return "null"

    @property
    def error(self) -> BaseException | None:
        return self._error

    def last_render(self) -> float:
        return self._last

    def start(self, render: RenderFn) -> None:
        if self._thread is not None:
            raise RuntimeError("NullSink already started")
        self._render = render
        self._thread = threading.Thread(target=self._run, name="audio-null", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        buf = np.zeros((self.block, self._channels), np.float32)
        base = time.monotonic() + self.lead
        done = 0
        assert self._render is not None
        while not self._stop.is_set():
            t = base + done / self._rate
            now = time.monotonic()
            if t < now:
                # The thread was starved (a loaded machine): restart the sample clock from now
                # rather than render a burst of buffers "in the past".
                self.resyncs += 1
                base, done = now + self.lead, 0
                t = base
            self._last = now
            buf.fill(0)
            try:
                self._render(buf, t)
            except BaseException as e:
                if self._error is None:
                    self._error = e
                    log.exception("audio render failed; null sink keeps time")
            if self.record:
                self.recorded.append((t, buf.copy()))
            done += self.block
            wait = base + done / self._rate - self.lead - time.monotonic()
            if wait > 0:
                self._stop.wait(wait)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            if self._thread.is_alive():
                log.error("null audio thread did not stop")
            self._thread = None
