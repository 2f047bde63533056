"""The audio decode thread: one segment's sound, resampled to the sink and cut to the segment.

Its chain of small generators::

    demux -> decode -> resample to the sink -> align to the segment -> declick

The float32 chunks go through a bounded queue to the mixer's voice (:mod:`kiosk.media.mixer`);
sample ``n`` of the output is segment time ``n / rate`` exactly. Errors are stored, as for the
video thread (:class:`~kiosk.media.workers.Worker`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np

from kiosk.media.container import decode, demux, media_origin, open_container, seek
from kiosk.media.errors import FaultKind, MediaError
from kiosk.media.mixer import AudioEnd
from kiosk.media.workers import Worker

AUDIO_PREROLL = 0.3  # seconds decoded before an audio in point, then dropped
AUDIO_RESYNC = 0.02  # audio timestamp error (s) tolerated before padding or dropping samples
DECLICK_SECONDS = 0.004  # fade at a segment's audio edges, so loops and cuts do not click


class AudioDecoder(Worker):
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
            seek(container, stream, media_start - AUDIO_PREROLL)
            packets = demux(container, stream, self._stop)
            frames = decode(packets, stream, self.warnings, self._stop)
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
