"""Test kit: a long day at the museum, compressed: thousands of scripted visits to the kiosk.

Everything real but the screen and the clock: the scenes and the loop on an off-screen surface,
the clip player decoding the bundled clips (sound into a null sink that can "die"), the frost
mirror fed from a video file (a camera that can be "unplugged"), analytics into SQLite (that
another process can lock), installed content releases swapped in between visits, and a clip that
gets corrupted on disk. The loop's clock jumps ahead, so idle timeouts take no real time.

Used by ``bench/soak.py`` (long) and ``tests/test_soak.py`` (short, in CI). Returns figures:
visits, duration, growth of memory, threads and open files after warm-up, faults injected and
faults the kiosk survived (it kept serving visitors and logged and counted the fault).
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import sqlite3
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.ops.memory import rss_kb
from testkit.media import open_fds

log = logging.getLogger(__name__)


def _fd_targets() -> list[str]:
    out = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            out.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            continue
    return out


@dataclass
class Faults:
    injected: dict[str, int] = field(default_factory=dict)
    survived: dict[str, int] = field(default_factory=dict)

    def inject(self, kind: str) -> None:
        self.injected[kind] = self.injected.get(kind, 0) + 1

    def survive(self, kind: str) -> None:
        self.survived[kind] = self.survived.get(kind, 0) + 1


def _wait_for(
    done: Callable[[], bool], seconds: float, frames: Callable[[int, float], None]
) -> None:
    """Keep the kiosk running (a frame every 50 ms) until ``done()`` or ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        frames(1, 0.05)


def _more(count: Callable[[], int], than: int) -> bool:
    return count() > than


def _playing_growth(series: list[int], start: int) -> float | None:
    """Growth of the median resident size while clips play, second half of the day on the first.

    The samples every 100 visits catch clips, previews and the mirror at work (and a trim that
    may just have run), so single samples vary by +-10 %; the halves' medians show a trend.
    """
    after = series[start:]
    if len(after) < 4:
        return None
    half = len(after) // 2
    a, b = statistics.median(after[:half]), statistics.median(after[half:])
    return round(100 * (b - a) / a, 2)


def _make_sink(rate: int) -> Any:
    from kiosk.media.audio import NullSink

    class SwitchableSink(NullSink):
        """A sound device that can stop answering, like one unplugged mid-clip."""

        dead = threading.Event()

        def start(self, render: Any) -> None:
            def maybe(out: np.ndarray, t: float) -> None:
                while self.dead.is_set() and not self._stop.is_set():
                    time.sleep(0.01)
                render(out, t)

            super().start(maybe)

        @property
        def name(self) -> str:
            return "soak-device"

    return SwitchableSink(rate)


def run_soak(
    visits: int,
    workdir: Path,
    *,
    content: Path,
    camera_video: Path,
    models: Path,
    size: tuple[int, int] = (960, 540),
    mirror_every: int = 25,
    reload_every: int = 400,
    warmup: int = 100,
) -> dict[str, Any]:
    """Run ``visits`` scripted visits; see the module docstring."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame

    from kiosk.analytics import Recorder
    from kiosk.app import make_context
    from kiosk.content.validate import validate
    from kiosk.delivery import packs, releases
    from kiosk.delivery.signing import SecretKey
    from kiosk.delivery.source import ContentSource
    from kiosk.media.convert import SCREEN_FORMAT
    from kiosk.media.output import SINK_STALL
    from kiosk.media.player import Player
    from kiosk.mirror.camera import FrameSource, SourceError, VideoSource
    from kiosk.mirror.manifest import find
    from kiosk.mirror.pipeline import MirrorPipeline
    from kiosk.mirror.stylizer import Stylizer, StylizerOptions
    from kiosk.ops.memory import HeapTrimmer
    from kiosk.settings import CameraSettings, PathSettings, Settings, TimeoutSettings
    from kiosk.ui import theme
    from kiosk.ui.context import Transition
    from kiosk.ui.input import Gesture
    from kiosk.ui.loop import Loop
    from kiosk.ui.scenes import ExplorerScene, GalleryScene

    faults = Faults()
    workdir.mkdir(parents=True, exist_ok=True)
    src = workdir / "collection"
    shutil.copytree(content, src, ignore=shutil.ignore_patterns("build"))
    key = SecretKey.generate()
    root = workdir / "releases"

    def install(version: int) -> None:
        pack = workdir / f"v{version}.wrpack"
        packs.make_pack(src, pack, validate(src), key=key, version=version)
        releases.install_pack(pack, root, [key.public], probe=None, keep=2)
        pack.unlink()

    install(1)
    source = ContentSource(None, root)
    loaded = source.load_initial()
    assert loaded is not None, "the soak's collection does not load"

    settings = Settings(
        timeouts=TimeoutSettings(idle_s=60, countdown_s=10),
        camera=CameraSettings(width=320, height=240),
        paths=PathSettings(models=str(models)),
    )
    pygame.display.init()
    pygame.font.init()
    surface = pygame.Surface(size)
    sink = _make_sink(48000)
    # As the kiosk runs: the player tunes the allocator, the heap is trimmed after each visit.
    player = Player(size, audio=sink, volume=0.5, volume_cap=0.9, pixel_format=SCREEN_FORMAT)
    trimmer = HeapTrimmer().start()
    recorder = Recorder(workdir / "analytics.db", loaded.release)
    unplugged = threading.Event()

    def open_camera() -> FrameSource:
        if unplugged.is_set():
            raise SourceError("camera unplugged")
        return VideoSource(camera_video, 320, 240, realtime=True).start()

    stylizer = Stylizer(find(models, "frost"), StylizerOptions(threads=1, warm_up_size=None))
    mirror = MirrorPipeline(open_camera, stylizer, retry_s=0.2)
    clock = [0.0]
    ctx = make_context(loaded.collection, settings, player, size)
    ctx.emit = recorder.emit
    ctx.mirror = mirror
    ctx.mirror_available = True
    loop = Loop(
        ctx,
        surface,
        now=lambda: clock[0],
        source=source,
        on_release=recorder.set_release,
        after_visit=trimmer.request,
    )

    def frames(n: int, real_s: float = 0.0) -> None:
        for _ in range(n):
            loop.step([])
            loop.draw()
            if real_s:
                time.sleep(real_s / n)

    def tap_action(action: str) -> None:
        for b in loop.scene.buttons:
            if b.action == action and b.enabled:
                loop.handle_gesture(Gesture("tap", b.rect.center), clock[0])
                return

    corrupt_slug = "papanin"
    corrupt = next(e for e in loaded.collection.explorers if e.slug == corrupt_slug).segments[0]
    locker: sqlite3.Connection | None = None
    samples: list[tuple[int, int, int, int]] = []
    rss_series: list[int] = []
    names: list[list[str]] = []
    fd_targets: list[list[str]] = []
    camera_loss_seen = False
    audio_faults = media_faults = incidents = 0
    start = time.perf_counter()
    try:
        for visit in range(visits):
            clock[0] += 1.0
            # -- faults, each injected once a cycle and then taken away again -------------------
            phase = visit % 500
            if phase == 120:
                faults.inject("camera_lost")
                camera_loss_seen = False
                unplugged.set()
                mirror.stop()
            elif phase == 170:
                unplugged.clear()
                if camera_loss_seen:
                    faults.survive("camera_lost")
            elif phase == 200 and visit < 500:
                # Once: the player then stays on its silent sink until the kiosk restarts.
                faults.inject("audio_device_gone")
                audio_faults = player.faults["audio_device"]
                sink.dead.set()
            elif phase == 260 and visit < 500:
                # The player declares a sink dead after SINK_STALL seconds of real time without a
                # callback; sixty quick visits may take less than that, so the kiosk gets the
                # time it needs (visiting on), not a visit count.
                noticed = partial(_more, lambda: player.faults["audio_device"], audio_faults)
                _wait_for(noticed, SINK_STALL + 3.0, frames)
                sink.dead.clear()
                if player.faults["audio_device"] > audio_faults and player.state != "failed":
                    faults.survive("audio_device_gone")
            elif phase == 300:
                faults.inject("database_locked")
                incidents = len(recorder.status().incidents)
                locker = sqlite3.connect(workdir / "analytics.db", timeout=10)
                locker.execute("BEGIN EXCLUSIVE")
            elif phase == 340 and locker is not None:
                # Likewise: the writer reports a lock once its busy timeout has run out.
                reported = partial(_more, lambda: len(recorder.status().incidents), incidents)
                _wait_for(reported, 15.0, frames)
                locker.rollback()
                locker.close()
                locker = None
                if len(recorder.status().incidents) > incidents:
                    faults.survive("database_locked")
            elif phase == 360:
                faults.inject("corrupt_clip")
                media_faults = player.faults.total()
                live = releases.current_content(root)
                if live is not None:
                    target = live / corrupt.path.relative_to(loaded.collection.root)
                    data = target.read_bytes()
                    target.write_bytes(b"\0" * 4096 + data[4096 : len(data) // 4])
            elif phase == 380 and player.faults.total() > media_faults:
                faults.survive("corrupt_clip")

            # -- a visit ---------------------------------------------------------------------
            loop.handle_gesture(Gesture("touch", (10, 10)), clock[0])
            loop.handle_gesture(Gesture("tap", (size[0] // 2, size[1] // 2)), clock[0])
            frames(1)
            gallery = loop.scene
            if isinstance(gallery, GalleryScene) and gallery.cards:
                explorers = loaded.collection.explorers
                slug = explorers[visit % len(explorers)].slug
                if phase == 365:
                    slug = corrupt_slug
                loop.go(Transition("explorer", slug))
            frames(2, 0.004)
            if phase == 365:
                # This visitor opens the damaged clip and waits: it fails alone, the page stays.
                deadline = time.monotonic() + 2.0
                while time.monotonic() < deadline and player.state not in ("failed", "ended"):
                    frames(1, 0.02)
            if isinstance(loop.scene, ExplorerScene):
                tap_action("lang:en" if visit % 2 else "lang:ru")
                tap_action("page+")
                tap_action("next-seg")
                frames(2, 0.004)
                tap_action("captions")
                tap_action("back")
            if visit % mirror_every == 0:
                loop.go(Transition("mirror"))
                deadline = time.monotonic() + 0.6
                while time.monotonic() < deadline and mirror.latest_frame() is None:
                    if unplugged.is_set() and mirror.status().state in ("lost", "no_camera"):
                        camera_loss_seen = True  # the scene says so kindly; the visit goes on
                        break
                    frames(1, 0.01)
                frames(2)
                loop.go(Transition("gallery"))
            clock[0] += settings.timeouts.idle_s + settings.timeouts.countdown_s + 1
            frames(2)
            assert loop.scene.name == "attract", loop.scene.name
            if reload_every and visit and visit % reload_every == 0:
                install(2 + visit // reload_every)
                source.check_once()
                frames(1)
            if visit % 100 == 0:
                rss_series.append(rss_kb())
            if visit == warmup or visit == visits - 1:
                # Measured in the same state each time: clips stopped and their workers joined,
                # the heap trimmed, so only what the kiosk keeps for good is counted.
                player.stop()
                player.drop_preloaded()
                player.wait_idle(5.0)
                frames(3, 0.3)
                gc.collect()
                trimmer.trim_now()  # as after every visit, but now, not whenever it last ran
                samples.append((visit, rss_kb(), threading.active_count(), open_fds()))
                names.append(sorted(t.name for t in threading.enumerate()))
                fd_targets.append(_fd_targets())
                loop.go(Transition("attract"))  # and the montage plays again
        # A lock still held at the end counts only once the writer has caught up.
        recorder.flush(10)
    finally:
        if locker is not None:
            locker.close()
        elapsed = time.perf_counter() - start
        mirror.stop()
        player.close()
        trimmer.close()
        recorder.close()
        source.close()
        theme.release()
        pygame.quit()
    (_, rss0, thr0, fd0), (_, rss1, thr1, fd1) = samples[0], samples[-1]
    with sqlite3.connect(workdir / "analytics.db") as db:
        visits_recorded = db.execute(
            "SELECT COUNT(*) FROM events WHERE event = 'visit_started'"
        ).fetchone()[0]
    return {
        "visits": visits,
        "visits_recorded": visits_recorded,
        "duration_s": round(elapsed, 1),
        "ms_per_visit": round(1000 * elapsed / max(1, visits), 1),
        "rss_kb_after_warmup": rss0,
        "rss_kb_end": rss1,
        "rss_growth_pct": round(100 * (rss1 - rss0) / rss0, 2),
        "threads_growth": thr1 - thr0,
        "fd_growth": fd1 - fd0,
        "faults_injected": sum(faults.injected.values()),
        "faults_survived": sum(faults.survived.values()),
        "faults_by_kind": {k: [v, faults.survived.get(k, 0)] for k, v in faults.injected.items()},
        "player_faults": dict(player.faults.counts),
        "rss_kb_every_100_visits": rss_series,
        "rss_growth_pct_playing": _playing_growth(rss_series, warmup // 100),
        "threads_new": sorted(set(names[-1]) - set(names[0])) if names else [],
        "fds_new": sorted((Counter(fd_targets[-1]) - Counter(fd_targets[0])).elements())
        if fd_targets
        else [],
        "content_release": source.release,
        "heap_trims": trimmer.trims,
        "heap_released_mb": round(trimmer.released_kb / 1024, 1),
    }
