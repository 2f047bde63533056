"""Benchmark the clip player; prints one JSON object last.

    python bench/media.py [--clip PATH ...] [--size 1280x720] [--quick]

Measured in one run, on the bundled 720p clip (content/explorers/dezhnev/clips/voyage.mp4, or a
synthetic 720p H.264 clip while it is missing) and a 1080p clip (synthetic unless a second
``--clip`` is given):

* ``decode_fps``: the player's video pipeline (decode, convert and scale to 1280x720 in the
  worker, through its bounded queue), consumed as fast as it comes, in the pixel format the
  kiosk's screen uses (``pixel_format``: 32-bit BGRA).
* ``raw_decode_fps``: bare PyAV decode of the same file with the same threading (the limit);
  ``overhead_ratio`` = raw / player; ``overhead_ratio_cpu`` = the same from process CPU time per
  frame, which other programs on the machine disturb less.
* Where the overhead goes: the player's path is also run with its conversion taken out (the
  converter converts the first frame and hands that picture back for every later one; threads,
  queues, trimming and Frame objects as before): ``noconvert_decode_fps``,
  ``overhead_ratio_noconvert`` = raw / that. Per frame of process CPU time,
  ``overhead_cpu_ms_per_frame`` (player - raw) = ``convert_in_path_cpu_ms_per_frame`` (player -
  no conversion: the colour conversion and scaling as they run beside the decoder) +
  ``plumbing_cpu_ms_per_frame`` (no conversion - raw: the threads, queues and Python stages);
  ``overhead_convert_share`` = the conversion's part. ``convert_ms_per_frame`` is the converter
  alone on frames decoded beforehand, back to back in one thread: 0.23 ms a 720p frame on the
  2-core machine, against 0.27-0.33 ms for each frame converted as it comes from the decoder
  (in the decoder's thread or one of its own, one frame or several at a time), so that figure
  understates the conversion's part of the overhead.
* ``first_frame_ms_p95`` (preloaded) and ``first_frame_ms_p95_cold``: play() until
  latest_frame() returns a frame.
* ``av_offset_ms_mean`` / ``av_offset_ms_max``: flash shown (60 Hz UI loop) minus beep heard,
  through PortAudio into a recorded PulseAudio null sink (null if pulseaudio is missing).
* ``main_thread_ms_per_frame``: the main thread's time per displayed frame (latest_frame, and
  ``kiosk.ui.video.blit_frame`` as the scenes draw it) while the 720p clip plays in real time.

The machine is shared and small (2 cores): raw and player runs are interleaved and the median
is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import av  # noqa: E402
import numpy as np  # noqa: E402

from kiosk.media.allocator import tune_allocator  # noqa: E402
from kiosk.media.container import open_container  # noqa: E402
from kiosk.media.convert import SCREEN_FORMAT, Converter, Fit, PixelFormat  # noqa: E402
from kiosk.media.decoder import VideoDecoder, VideoEnd  # noqa: E402
from kiosk.media.player import Player, PlayerState  # noqa: E402
from testkit.media import segment  # noqa: E402
from testkit.synth import write_clip  # noqa: E402

BUNDLED_720P = ROOT / "content" / "explorers" / "dezhnev" / "clips" / "voyage.mp4"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def duration_of(path: Path) -> float:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        if s.duration and s.time_base:
            return float(s.duration * s.time_base)
        return (c.duration or 0) / 1e6


def raw_decode_fps(path: Path, min_seconds: float) -> tuple[float, float]:
    """Frames per second and process CPU milliseconds per frame."""
    frames, t0, c0 = 0, time.perf_counter(), time.process_time()
    while True:
        # Opened as the player opens it: its open options (the probe's skip_frame) save
        # ~40 ms a 1080p open, which bare av.open() would add to the limit (a 4 s clip is
        # reopened every 100 frames: 0.4 ms a frame, more than the player's own overhead).
        with open_container(path) as c:
            s = c.streams.video[0]
            s.codec_context.thread_type = "FRAME"
            s.codec_context.thread_count = 0
            for _ in c.decode(s):
                frames += 1
        dt = time.perf_counter() - t0
        if dt >= min_seconds:
            return frames / dt, (time.process_time() - c0) / frames * 1000


class _FirstPictureOnly(Converter):
    """Converts the first frame, then hands that picture back for every later frame."""

    def __init__(self, box: tuple[int, int], fit: Fit, pixel_format: PixelFormat) -> None:
        super().__init__(box, fit, pixel_format)
        self._picture: np.ndarray | None = None

    def __call__(
        self, frame: av.VideoFrame, rotation: int, sar: Fraction | None, box: tuple[int, int]
    ) -> np.ndarray:
        if self._picture is None:
            self._picture = super().__call__(frame, rotation, sar, box)
        return self._picture


class NoConversionDecoder(VideoDecoder):
    """The player's video path with the colour conversion taken out: what the rest costs."""

    def make_converter(self) -> Converter:
        return _FirstPictureOnly(self.size, self.fit, self.pixel_format)


def player_decode_fps(
    path: Path,
    size: tuple[int, int],
    min_seconds: float,
    decoder: type[VideoDecoder] = VideoDecoder,
) -> tuple[float, float]:
    frames, t0, c0 = 0, time.perf_counter(), time.process_time()
    while True:
        dec = decoder(path, size=size, queue_size=8, pixel_format=SCREEN_FORMAT)
        dec.start()
        while not isinstance(dec.queue.get(), VideoEnd):
            frames += 1
        dec.join()
        if dec.error is not None:
            raise RuntimeError(f"decoder failed: {dec.error}")
        dt = time.perf_counter() - t0
        if dt >= min_seconds:
            return frames / dt, (time.process_time() - c0) / frames * 1000


def decode_rates(path: Path, size: tuple[int, int], rounds: int, seconds: float) -> dict[str, Any]:
    raw, player, bare = [], [], []
    for _ in range(rounds):
        raw.append(raw_decode_fps(path, seconds))
        player.append(player_decode_fps(path, size, seconds))
        bare.append(player_decode_fps(path, size, seconds, NoConversionDecoder))
    r = statistics.median(x[0] for x in raw)
    p = statistics.median(x[0] for x in player)
    b = statistics.median(x[0] for x in bare)
    # CPU time per frame (all threads): steadier than fps on a machine shared with others
    r_cpu = statistics.median(x[1] for x in raw)
    p_cpu = statistics.median(x[1] for x in player)
    b_cpu = statistics.median(x[1] for x in bare)
    over = p_cpu - r_cpu
    return {
        "decode_fps": round(p, 1),
        "raw_decode_fps": round(r, 1),
        "overhead_ratio": round(r / p, 3),
        "cpu_ms_per_frame": round(p_cpu, 3),
        "raw_cpu_ms_per_frame": round(r_cpu, 3),
        "overhead_ratio_cpu": round(p_cpu / r_cpu, 3),
        "noconvert_decode_fps": round(b, 1),
        "overhead_ratio_noconvert": round(r / b, 3),
        "noconvert_cpu_ms_per_frame": round(b_cpu, 3),
        "overhead_cpu_ms_per_frame": round(over, 3),
        "convert_in_path_cpu_ms_per_frame": round(p_cpu - b_cpu, 3),
        "plumbing_cpu_ms_per_frame": round(b_cpu - r_cpu, 3),
        "overhead_convert_share": round((p_cpu - b_cpu) / over, 2) if over > 0 else None,
        "decode_fps_runs": [round(x[0], 1) for x in player],
        "raw_decode_fps_runs": [round(x[0], 1) for x in raw],
        "noconvert_decode_fps_runs": [round(x[0], 1) for x in bare],
    }


def convert_ms(path: Path, size: tuple[int, int], frames: int = 100) -> float:
    """Thread CPU milliseconds the player's converter takes per frame of ``path``, on frames
    decoded beforehand, back to back."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        decoded = [f for _, f in zip(range(frames), c.decode(s), strict=False)]
        sar = s.sample_aspect_ratio
    conv = Converter(size, "contain", SCREEN_FORMAT)
    conv(decoded[0], 0, sar, size)  # the scaler's context is made once
    best = float("inf")
    for _ in range(3):
        t0 = time.thread_time()
        for f in decoded:
            conv(f, 0, sar, size)
        best = min(best, (time.thread_time() - t0) / len(decoded) * 1000)
    return best


def p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


def first_frame_ms(path: Path, size: tuple[int, int], n: int) -> dict[str, Any]:
    dur = duration_of(path)
    # a whole clip and a cut from its middle, alternately (a cut needs a seek)
    segments = [segment(path), segment(path, round(dur / 2, 2), round(dur / 2, 2) + 3.0)]
    warm: list[float] = []
    cold: list[float] = []
    with Player(size, audio="null") as player:
        for i in range(n):
            s = segments[i % 2]
            player.preload(s)
            deadline = time.monotonic() + 10
            while not player.is_preloaded(s) and time.monotonic() < deadline:
                time.sleep(0.002)
            t0 = time.perf_counter()
            player.play(s)
            while player.latest_frame() is None:
                time.sleep(0.0005)
            warm.append((time.perf_counter() - t0) * 1000)
            player.stop()
            player.wait_idle()
            t0 = time.perf_counter()
            player.play(s)
            while player.latest_frame() is None:
                time.sleep(0.0005)
            cold.append((time.perf_counter() - t0) * 1000)
            player.stop()
            player.wait_idle()
    return {
        "first_frame_ms_p95": round(p95(warm), 2),
        "first_frame_ms_p95_cold": round(p95(cold), 1),
        "first_frame_ms_median": round(statistics.median(warm), 2),
        "first_frame_ms_median_cold": round(statistics.median(cold), 1),
    }


def main_thread_cost(
    path: Path, size: tuple[int, int], seconds: float, pixel_format: PixelFormat = SCREEN_FORMAT
) -> dict[str, Any]:
    import pygame

    from kiosk.ui.video import blit_frame

    pygame.display.init()
    screen = pygame.display.set_mode(size)
    spent = 0.0
    shown = 0
    last = None
    with Player(size, audio="null", pixel_format=pixel_format) as player:
        player.play(segment(path, 0.0, min(seconds, duration_of(path))))
        t_next = time.perf_counter()
        while player.state is PlayerState.PLAYING:
            t0 = time.perf_counter()
            frame = player.latest_frame()
            if frame is not None and frame is not last:
                blit_frame(screen, frame, (0, 0))  # as the kiosk's scenes put it on screen
                last = frame
                spent += time.perf_counter() - t0
                shown += 1
            pygame.display.flip()
            t_next += 1 / 60
            time.sleep(max(0.0, t_next - time.perf_counter()))
        stats = player.stats()
    pygame.display.quit()
    return {
        "main_thread_ms_per_frame": round(spent / max(shown, 1) * 1000, 3),
        "frames_shown": shown,
        "frames_dropped": int(stats["frames_dropped"] + stats["frames_skipped_by_decoder"]),
    }


def av_sync(workdir: Path) -> dict[str, Any]:
    from kiosk.media.audio import SoundDeviceSink
    from testkit.avsync import measure_sync, write_sync_clip
    from testkit.pulse import ALSA_DEVICE, MonitorRecorder, PulseServer, pulseaudio_binary

    if pulseaudio_binary() is None:
        return {"av_offset_ms_mean": None, "av_offset_ms_max": None, "av_note": "no pulseaudio"}
    clip = write_sync_clip(workdir / "sync.mp4")
    with PulseServer() as server:
        server.activate()
        with MonitorRecorder(ALSA_DEVICE) as rec:
            rec.wait_stable()
            result = measure_sync(clip, SoundDeviceSink(ALSA_DEVICE), rec, ui_hz=60)
    return {
        "av_offset_ms_mean": round(result.mean_ms, 2),
        "av_offset_ms_max": round(result.max_ms, 2),
        "av_offsets_ms": [round(o, 2) for o in result.offsets_ms],
        "av_pairs": len(result.offsets_ms),
    }


def synthetic(workdir: Path, name: str, size: tuple[int, int], seconds: float) -> Path:
    path = workdir / name
    if not path.exists():
        log(f"writing synthetic {size[0]}x{size[1]} clip {path}")
        write_clip(path, size=size, duration=seconds, fps=25.0, detail=0.5, gop=50)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--clip", action="append", type=Path, help="720p clip, then 1080p clip")
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "kiosk-bench")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    ap.add_argument("--no-sync", action="store_true", help="skip the PulseAudio A/V measurement")
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    size = (w, h)
    args.workdir.mkdir(parents=True, exist_ok=True)
    clips = list(args.clip or [])
    if not clips:
        clips.append(
            BUNDLED_720P
            if BUNDLED_720P.exists()
            else synthetic(args.workdir, "synthetic_720p.mp4", (1280, 720), 8.0)
        )
    if len(clips) < 2:
        clips.append(synthetic(args.workdir, "synthetic_1080p.mp4", (1920, 1080), 4.0))
    # Five interleaved rounds: on a small shared machine single runs vary by +-15 %.
    rounds, seconds, n_first = (2, 1.0, 10) if args.quick else (5, 2.0, 20)
    tune_allocator()  # what every Player does on construction (the decoders are used bare here)

    result: dict[str, Any] = {
        "size": args.size,
        "pixel_format": SCREEN_FORMAT,
        "cores": os.cpu_count(),
        "clips": {},
    }
    for i, clip in enumerate(clips[:2]):
        label = "720p" if i == 0 else "1080p"
        log(f"decode rates on {clip}")
        rates = decode_rates(clip, size, rounds, seconds)
        rates["convert_ms_per_frame"] = round(convert_ms(clip, size), 3)
        log(
            f"{label}: overhead {rates['overhead_ratio']} (CPU {rates['overhead_ratio_cpu']}, "
            f"{rates['overhead_ratio_noconvert']} without the conversion): "
            f"{rates['overhead_cpu_ms_per_frame']} ms CPU a frame = conversion "
            f"{rates['convert_in_path_cpu_ms_per_frame']} + threads and queues "
            f"{rates['plumbing_cpu_ms_per_frame']}"
        )
        result["clips"][label] = {"path": str(clip), **rates}
    log("first frame times")
    first = first_frame_ms(clips[0], size, n_first)
    result["clips"]["720p"].update(first)
    log("main thread cost")
    main_cost = main_thread_cost(clips[0], size, 8.0 if not args.quick else 4.0)
    rgb = main_thread_cost(clips[0], size, 4.0, "RGB")
    main_cost["main_thread_ms_per_frame_rgb24"] = rgb["main_thread_ms_per_frame"]
    sync: dict[str, Any] = {}
    if not args.no_sync:
        log("A/V sync through PulseAudio")
        sync = av_sync(args.workdir)
    c720, c1080 = result["clips"]["720p"], result["clips"]["1080p"]
    result.update(
        decode_fps=c720["decode_fps"],
        raw_decode_fps=c720["raw_decode_fps"],
        overhead_ratio=c720["overhead_ratio"],
        overhead_ratio_cpu=c720["overhead_ratio_cpu"],
        overhead_ratio_noconvert=c720["overhead_ratio_noconvert"],
        overhead_convert_share=c720["overhead_convert_share"],
        convert_in_path_cpu_ms_per_frame=c720["convert_in_path_cpu_ms_per_frame"],
        plumbing_cpu_ms_per_frame=c720["plumbing_cpu_ms_per_frame"],
        decode_fps_1080p=c1080["decode_fps"],
        raw_decode_fps_1080p=c1080["raw_decode_fps"],
        overhead_ratio_1080p=c1080["overhead_ratio"],
        overhead_ratio_cpu_1080p=c1080["overhead_ratio_cpu"],
        first_frame_ms_p95=first["first_frame_ms_p95"],
        first_frame_ms_p95_cold=first["first_frame_ms_p95_cold"],
        **{k: v for k, v in sync.items() if k.startswith("av_offset_ms")},
        main_thread_ms_per_frame=main_cost["main_thread_ms_per_frame"],
        details={**main_cost, **{k: v for k, v in sync.items() if k not in result}},
        threads_left=threading.active_count() - 1,
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
