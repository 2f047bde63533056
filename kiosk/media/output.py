"""The player's sound output: the sink, the mixer it runs, the gain, and a watch on the device.

The sink's real-time thread runs the :class:`~kiosk.media.mixer.Mixer`, whose timeline is the
player's clock. A device that cannot be opened, fails to start, reports an error or stops
calling back is replaced by a :class:`~kiosk.media.audio.NullSink` with the same format, so the
clock keeps running and the clip plays on silently; each of these is counted as a fault.
Everything here is called from the main thread.
"""

from __future__ import annotations

from typing import Literal

from kiosk.media.audio import AudioSink, NullSink, SoundDeviceSink
from kiosk.media.errors import FaultKind, Faults, MediaError
from kiosk.media.mixer import Mixer

SINK_STALL = 2.5  # seconds without a render call before the sound device is declared dead

AudioChoice = AudioSink | Literal["auto", "null"]


class SoundOutput:
    """The sink and its mixer; ``volume`` (0..1) is held under the curator's ``volume_cap``.

    ``audio`` is a sink, or "auto" (the default sound device, falling back to a
    :class:`NullSink` if there is none) or "null".
    """

    def __init__(
        self, audio: AudioChoice, faults: Faults, *, volume: float, volume_cap: float
    ) -> None:
        self._faults = faults
        self.volume_cap = max(0.0, min(1.0, float(volume_cap)))
        self.volume = min(max(0.0, float(volume)), self.volume_cap)
        self.muted = False
        self.sink = self._open(audio)
        self.mixer = Mixer(self.sink.rate, self.sink.channels)
        self.mixer.set_gain(self._gain())
        try:
            self.sink.start(self.mixer.render)
        except MediaError as e:
            self._faults.record(e.kind, self.sink.name, e.reason)
            self.sink = NullSink(self.sink.rate, self.sink.channels)
            self.sink.start(self.mixer.render)

    def _open(self, audio: AudioChoice) -> AudioSink:
        if audio == "null":
            return NullSink()
        if audio == "auto":
            try:
                return SoundDeviceSink()
            except MediaError as e:
                self._faults.record(e.kind, "sounddevice", f"{e.reason}; playing silently")
                return NullSink()
        return audio

    @property
    def rate(self) -> int:
        return self.sink.rate

    @property
    def channels(self) -> int:
        return self.sink.channels

    def set_volume(self, volume: float) -> None:
        """Set the volume (0..1), clamped to the curator's cap."""
        self.volume = min(max(0.0, float(volume)), self.volume_cap)
        self.mixer.set_gain(self._gain())

    def mute(self, muted: bool = True) -> None:
        self.muted = bool(muted)
        self.mixer.set_gain(self._gain())

    def _gain(self) -> float:
        return 0.0 if self.muted else self.volume

    def check(self, now: float) -> None:
        """Replace a sink that has failed or stopped calling back with a silent one."""
        sink = self.sink
        dead = sink.error is not None
        last = sink.last_render()
        if not dead and last > 0.0 and now - last > SINK_STALL:
            dead = True
        if not dead:
            return
        reason = f"{sink.name} stopped ({sink.error or 'no callbacks'}); playing silently"
        self._faults.record(FaultKind.AUDIO_DEVICE, sink.name, reason)
        sink.close()
        self.sink = NullSink(sink.rate, sink.channels)
        self.sink.start(self.mixer.render)

    def close(self) -> None:
        self.sink.close()
