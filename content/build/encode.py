"""Write H.264 + AAC MP4 files with PyAV, interleaving sound with the pictures as they come."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import numpy as np
from numpy.typing import NDArray
from sound import SR

WIDTH, HEIGHT, FPS = 1280, 720, 25
AUDIO_FRAME = 1024  # samples per AAC frame

# Quality knobs, chosen so the six clips and the master fit the exhibit's size budget: the map
# is mostly still, so a long-ish fixed GOP and a high CRF cost little visible quality. GOP = 2 s
# puts a keyframe on every 10 s boundary of the master, where the kiosk cuts its segments.
CRF = 27
GOP = 5 * FPS
AUDIO_BITRATE = 80_000


class Mp4Writer:
    """Feed RGB frames (``bytes`` of ``WIDTH*HEIGHT*3``); the soundtrack is given up front."""

    def __init__(self, path: Path, soundtrack: NDArray[np.float32], frames: int) -> None:
        self.path = path
        self.frames = frames
        self.audio = np.ascontiguousarray(soundtrack, dtype=np.float32)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = path.with_name(path.stem + ".part.mp4")
        # faststart moves the index to the front: the kiosk opens the file without a seek to end.
        self.out = av.open(str(self.tmp), "w", options={"movflags": "+faststart"})
        # Fixed creation time and no encoder tag keep rebuilds byte-comparable.
        self.out.metadata["creation_time"] = "2024-01-01T00:00:00Z"
        v = self.out.add_stream("libx264", rate=FPS)
        v.width, v.height, v.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        v.time_base = Fraction(1, FPS)
        v.codec_context.gop_size = GOP
        v.options = {
            "crf": str(CRF),
            "preset": "slow",
            "tune": "animation",
            # A fixed thread count makes the bitstream the same on any machine; BT.601 matrix is
            # what the frames are converted with (swscale's default) and what decoders assume.
            "threads": "2",
            "x264-params": (
                f"keyint={GOP}:min-keyint={GOP}:scenecut=0:aq-mode=3"
                ":colorprim=bt709:transfer=bt709:colormatrix=smpte170m"
            ),
        }
        a = self.out.add_stream("aac", rate=SR)
        a.layout = "stereo"
        a.bit_rate = AUDIO_BITRATE
        self.vstream, self.astream = v, a
        self.written = 0
        self.audio_pos = 0

    def add(self, rgb: bytes) -> None:
        frame = av.VideoFrame.from_ndarray(
            np.frombuffer(rgb, dtype=np.uint8).reshape(HEIGHT, WIDTH, 3), format="rgb24"
        )
        frame.pts = self.written
        for packet in self.vstream.encode(frame):
            self.out.mux(packet)
        self.written += 1
        self._audio_until(self.written * SR // FPS)

    def _audio_until(self, sample: int) -> None:
        total = self.audio.shape[1]
        while self.audio_pos < min(sample, total):
            chunk = self.audio[:, self.audio_pos : self.audio_pos + AUDIO_FRAME]
            if chunk.shape[1] < AUDIO_FRAME:
                # The AAC encoder wants full frames except the last; pad the tail with silence.
                chunk = np.pad(chunk, ((0, 0), (0, AUDIO_FRAME - chunk.shape[1])))
            af = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(chunk), format="fltp", layout="stereo"
            )
            af.sample_rate = SR
            af.pts = self.audio_pos
            for packet in self.astream.encode(af):
                self.out.mux(packet)
            self.audio_pos += AUDIO_FRAME

    def close(self) -> None:
        if self.written != self.frames:
            raise RuntimeError(f"{self.path}: wrote {self.written} frames, expected {self.frames}")
        self._audio_until(self.audio.shape[1])
        for packet in self.vstream.encode():
            self.out.mux(packet)
        for packet in self.astream.encode():
            self.out.mux(packet)
        self.out.close()
        self.tmp.replace(self.path)

    def __enter__(self) -> Mp4Writer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.out.close()
            self.tmp.unlink(missing_ok=True)
