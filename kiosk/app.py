"""Composition root: settings -> content -> player -> the scene loop.

``run_kiosk`` is the real kiosk on a screen; ``render_tour`` drives a scripted visit off-screen
and writes a PNG of every scene in every language plus a contact sheet. Bad content never stops
either: a collection that cannot be loaded shows a calm "temporarily unavailable" screen and the
problems go to the log.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pygame

from kiosk.content.loader import load_collection
from kiosk.content.model import Collection
from kiosk.delivery.channels import make_fleet, make_source
from kiosk.delivery.source import ContentSource
from kiosk.media.stills import StillPlayer
from kiosk.ops.health import HealthSnapshot
from kiosk.ops.memory import HeapTrimmer, rss_kb
from kiosk.settings import Settings
from kiosk.ui import i18n, theme
from kiosk.ui.context import Context, Transition, offered_languages
from kiosk.ui.input import Gesture
from kiosk.ui.loop import Loop
from kiosk.ui.ops import Ops
from kiosk.ui.ports import AdminHooks, Diagnostics, PlayerPort
from kiosk.ui.scenes import ExplorerScene

if TYPE_CHECKING:  # the mirror pulls in OpenCV and onnxruntime: loaded only when it is offered
    from kiosk.mirror.pipeline import MirrorPipeline
    from kiosk.mirror.service import MirrorLoader

log = logging.getLogger(__name__)


def load_for_show(content_dir: Path) -> Collection | None:
    """The collection if it can be shown; None (with the problems logged) if not."""
    result = load_collection(content_dir)
    for p in result.errors:
        log.error("%s", p)
    if result.collection is None or not result.collection.explorers:
        log.error("collection in %s cannot be shown; showing the 'unavailable' screen", content_dir)
        return None
    return result.collection


def make_context(
    collection: Collection, settings: Settings, player: PlayerPort, size: tuple[int, int]
) -> Context:
    """The scenes' shared context, ready for the first visitor."""
    return Context.create(collection, settings, player, size)


def draw_unavailable(surf: pygame.Surface) -> None:
    w, h = surf.get_size()
    surf.fill((11, 22, 34))
    for i, lang in enumerate(("ru", "en")):
        img = theme.font("sans-bold" if i == 0 else "sans", h // (16 + 6 * i)).render(
            i18n.t(lang, "unavailable"), True, (242, 246, 250)
        )
        surf.blit(img, img.get_rect(center=(w // 2, h // 2 + i * h // 9)))


def make_mirror(
    settings: Settings, on_ready: Callable[[MirrorPipeline], None]
) -> MirrorLoader | None:
    """The frost mirror's loader: its ``check`` says whether to offer the mirror now, and the
    mirror (camera off until a visitor opens it) is made when first offered, at once if the
    camera is there now (``on_ready`` gets it); None when the mirror is switched off."""
    if not settings.camera.enabled:
        return None
    from kiosk.mirror.service import MirrorLoader

    return MirrorLoader.from_settings(settings, on_ready).start()


class KioskDiagnostics:
    """The running kiosk's figures: the health file's snapshot and the admin panel's port."""

    def __init__(
        self,
        loop: Loop,
        player: PlayerPort,
        mirror: MirrorPipeline | None,
        source: ContentSource,
        started: float,
        fleet: str = "",
    ) -> None:
        self.loop = loop
        self.player = player
        self.mirror = mirror
        self.source = source
        self.started = started
        self.fleet = fleet  # this kiosk in the fleet, for the panel; "" with the fleet off

    def _fps(self) -> float:
        ms = list(self.loop.frame_ms)[-120:]
        fps = 1000 / (sum(ms) / len(ms)) if ms and sum(ms) > 0 else 0.0
        return min(fps, 1000.0)

    def diagnostics(self) -> Diagnostics:
        model, provider, fallback = "", "", False
        perception, problems = "", {}
        if self.mirror is not None:
            # The pipeline's own description: the style model and the perception models (which
            # one is missing or broken, when the mirror shows less frost than it should).
            d = self.mirror.describe()
            model, provider, fallback = str(d["model"]), str(d["provider"]), bool(d["fallback"])
            seen = d.get("perception")
            if isinstance(seen, dict):
                perception = str(seen.get("state", ""))
                problems = {str(k): str(v) for k, v in dict(seen.get("problems", {})).items()}
        return Diagnostics(
            release=self.source.release or "folder",
            fps=self._fps(),
            frames_dropped=int(self.player.stats().get("frames_dropped", 0)),
            faults=self.player.faults.total(),
            uptime_s=time.monotonic() - self.started,
            model=model,
            provider=provider,
            fallback=fallback,
            perception=perception,
            perception_problems=problems,
            fleet=self.fleet,
        )

    def snapshot(self) -> HealthSnapshot:
        d = self.diagnostics()
        state = self.loop.ops.state if self.loop.ops is not None else None
        return HealthSnapshot(
            uptime_s=d.uptime_s,
            fps=d.fps,
            frames_dropped=d.frames_dropped,
            faults=self.player.faults.counts,
            content_release=d.release,
            provider=d.provider,
            perception=d.perception,
            perception_problems=tuple(d.perception_problems),
            open=state.open if state else True,
            quiet=state.quiet if state else False,
            resident_bytes=rss_kb() * 1024,
        )


def admin_hooks(loop: Loop, ops: Ops, source: ContentSource) -> AdminHooks:
    """What the admin panel may do in this kiosk."""
    from kiosk.delivery import releases
    from kiosk.ops.lockdown import request_maintenance_stop

    def rollback() -> str:
        # Runs in the panel's worker thread: it may scan the USB folder, install and load.
        if not source.uses_releases or source.root is None:
            return "no installed releases: the collection is a plain folder"
        try:
            old, new = releases.rollback(source.root)
        except Exception as exc:  # shown to staff in the panel; the exhibit goes on
            return f"rollback refused: {exc}"
        source.check_once()
        return f"{old.name} -> {new.name}; shown from the next visit"

    def restart() -> None:
        loop.exit_code = 0
        loop.running = False  # systemd starts the kiosk again

    def exit_to_desktop() -> None:
        request_maintenance_stop()
        if ops.lockdown is not None:
            ops.lockdown.unlock()
        loop.exit_code = 0
        loop.running = False

    return AdminHooks(on_rollback=rollback, on_restart=restart, on_exit=exit_to_desktop)


# Converted frames a clip keeps ready, in bytes: the player's queues are most of the kiosk's
# memory. The attract loop decodes two segments at full screen (the montage and its seamless
# repeat, preloaded), each holding its queue full, at 8.3 MB a frame at 1920x1080: eight frames
# a segment were ~130 MB of the ~420 MB peak. Four frames (ready for the clock after three, and
# refilled in bursts of two) cost the same CPU and dropped no more frames in bench/peers.py.
VIDEO_QUEUE_BYTES = 32 * 2**20
VIDEO_QUEUE_FRAMES = (4, 8)  # fewest and most frames, whatever the screen


def video_queue(size: tuple[int, int]) -> int:
    """Frames each segment keeps converted ahead for a screen of ``size`` (4 bytes a pixel)."""
    lo, hi = VIDEO_QUEUE_FRAMES
    return max(lo, min(hi, VIDEO_QUEUE_BYTES // max(1, size[0] * size[1] * 4)))


def make_player(settings: Settings, size: tuple[int, int]) -> PlayerPort:
    """The real clip player, or a still picture when playback cannot start on this machine."""
    try:
        from kiosk.media.audio import AudioSink, NullSink, SoundDeviceSink
        from kiosk.media.convert import SCREEN_FORMAT
        from kiosk.media.errors import MediaError
        from kiosk.media.player import Player

        a = settings.audio
        sink: AudioSink
        try:
            device: int | str | None = a.device or None
            if isinstance(device, str) and device.isdigit():
                device = int(device)
            sink = SoundDeviceSink(device, samplerate=a.sample_rate)
        except MediaError as exc:
            # No sound device: clips play silently with captions; the visit goes on.
            log.warning("no sound output (%s); clips play silently", exc)
            sink = NullSink(a.sample_rate)
        return Player(
            size,
            audio=sink,
            volume=a.volume,
            volume_cap=a.volume_cap,
            pixel_format=SCREEN_FORMAT,
            video_queue=video_queue(size),
        )
    except Exception as exc:  # the exhibit still shows its texts and maps without clips
        log.error("clip playback unavailable (%s); showing still pictures", exc)
        return StillPlayer()


def run_kiosk(
    settings: Settings,
    content_dir: Path | None,
    *,
    fullscreen: bool | None = None,
    max_seconds: float | None = None,
) -> int:
    """The kiosk on a screen. Returns the process exit code."""
    pygame.display.init()
    pygame.font.init()
    if pygame.display.get_driver() == "x11":
        # SDL's default window surface on X11 is an OpenGL texture drawn whole at every update;
        # with Mesa's software rasteriser (no GPU driver) that took 0.3 CPU seconds a second of
        # video, and ~18 ms a frame. X11's shared-memory images send only the changed part.
        # Read when the window is made; a technician's own setting is kept.
        os.environ.setdefault("SDL_FRAMEBUFFER_ACCELERATION", "0")
    full = settings.display.fullscreen if fullscreen is None else fullscreen
    try:
        if full:
            screen = pygame.display.set_mode((0, 0), pygame.FULLSCREEN)
        else:
            screen = pygame.display.set_mode((settings.display.width, settings.display.height))
    except pygame.error as exc:
        log.error("cannot open the screen: %s", exc)
        pygame.quit()
        return 3
    pygame.display.set_caption("White Road")
    pygame.mouse.set_visible(not full)
    fleet = make_fleet(settings) if content_dir is None else None
    source = make_source(settings, content_dir, fleet)
    loaded = source.load_initial()
    if loaded is None:
        draw_unavailable(screen)
        pygame.display.flip()
        _wait_unavailable(max_seconds)
        theme.release()
        pygame.quit()
        return 0
    from kiosk.analytics import open_recorder
    from kiosk.analytics.events import Fault, FaultKind

    recorder = open_recorder(settings, loaded.release or "folder")
    if fleet is not None and fleet.problem:  # counted, and the kiosk goes on with USB sticks
        recorder.emit(Fault(FaultKind.CONTENT, f"fleet: {fleet.problem}"))
    player = make_player(settings, screen.get_size())
    ctx = make_context(loaded.collection, settings, player, screen.get_size())
    ctx.emit = recorder.emit
    ExplorerScene.prepare(ctx)  # every page drawn once before the first visitor taps a card
    diagnostics: KioskDiagnostics | None = None

    def mirror_ready(mirror: MirrorPipeline) -> None:
        ctx.mirror = mirror
        if diagnostics is not None:
            diagnostics.mirror = mirror

    loader = make_mirror(settings, mirror_ready)
    ops = Ops.from_settings(settings, screen.get_size(), locked=full)
    trimmer = HeapTrimmer().start()
    trimmer.request()  # what building the pages and the mirror left free goes back at once
    loop = Loop(
        ctx,
        screen,
        source=source,
        on_release=recorder.set_release,
        mirror_check=loader.check if loader is not None else None,
        ops=ops,
        after_visit=trimmer.request,
    )
    fleet_line = fleet.line if fleet is not None else ""
    mirror = loader.mirror if loader is not None else None
    diagnostics = KioskDiagnostics(loop, player, mirror, source, time.monotonic(), fleet_line)
    ops.snapshot = diagnostics.snapshot
    ctx.diagnostics = diagnostics
    ctx.admin_hooks = admin_hooks(loop, ops, source)
    source.start()

    def stop(signum: int, frame: object) -> None:
        # systemd stops the kiosk with SIGTERM. SDL would turn it into a QUIT event, which the
        # lock-down rightly ignores; a stop from the service manager must still stop it.
        log.info("stopping on signal %d", signum)
        loop.running = False

    signal.signal(signal.SIGTERM, stop)
    try:
        loop.run(max_seconds=max_seconds, fps=settings.display.fps)
        if ops.watchdog is not None:
            ops.watchdog.stopping("kiosk stopping")
    finally:
        ctx.jobs.close()  # a rollback under way finishes before the content source closes
        source.close()
        player.close()
        if loader is not None:
            loader.close()  # a mirror being made is waited for, then stopped
        trimmer.close()
        recorder.close()
        theme.release()
        pygame.quit()
    return loop.exit_code


def _wait_unavailable(max_seconds: float | None) -> None:
    import time

    start = time.monotonic()
    while max_seconds is None or time.monotonic() - start < max_seconds:
        ev = pygame.event.wait(500)
        if ev.type == pygame.QUIT:
            return


def render_tour(
    settings: Settings, content_dir: Path, out: Path, size: tuple[int, int], langs: list[str]
) -> list[Path]:
    """Drive a scripted visit off-screen; write a PNG per scene and language and a contact sheet."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    pygame.display.init()
    pygame.font.init()
    try:
        out.mkdir(parents=True, exist_ok=True)
        surf = pygame.Surface(size)
        collection = load_for_show(content_dir)
        if collection is None:
            draw_unavailable(surf)
            path = out / "unavailable.png"
            pygame.image.save(surf, str(path))
            return [path]
        written: list[Path] = []
        for lang in langs or offered_languages(collection, settings):
            if lang not in collection.languages:
                log.warning("language %s is not in the collection; skipped", lang)
                continue
            written += tour_language(collection, settings, surf, out, lang)
        if written:
            written.append(contact_sheet(written, out / "contact-sheet.png"))
        return written
    finally:
        theme.release()
        pygame.quit()


def tour_language(
    collection: Collection, settings: Settings, surf: pygame.Surface, out: Path, lang: str
) -> list[Path]:
    """One scripted visit in ``lang`` with time frozen, saving each scene it passes."""
    clock = [0.0]
    player = StillPlayer(at=8.0)
    ctx = make_context(collection, settings, player, surf.get_size())
    ctx.lang = lang
    loop = Loop(ctx, surf, now=lambda: clock[0])
    shots: list[Path] = []

    def shot(name: str) -> None:
        loop.draw()
        path = out / f"{lang}-{name}.png"
        pygame.image.save(surf, str(path))
        shots.append(path)

    shot("01-attract")
    tour_gallery(loop, lang)
    shot("02-gallery")
    ctx.mirror_available = False
    for i, explorer in enumerate(collection.explorers):
        loop.go(Transition("explorer", explorer.slug))
        shot(f"{3 + i:02d}-{explorer.slug}")
        if i == 0 and isinstance(loop.scene, ExplorerScene):
            loop.scene.on_button("tab:facts")
            shot(f"{3 + i:02d}-{explorer.slug}-facts")
    clock[0] += settings.timeouts.idle_s + 1
    loop.step([])
    shot("99-still-there")
    loop.handle_gesture(Gesture("tap", (1, 1)), clock[0])
    player.close()
    return shots


def tour_gallery(loop: Loop, lang: str) -> None:
    """Go to the gallery as the tour (and the studio's preview) shows it, in ``lang``.

    A visit starts in the default language; the tour shows each one. The gallery is drawn as
    visitors find it where the mirror is switched on and its camera is there: with the mirror's
    card (the tour never opens the mirror; the other pages are drawn as without a camera).
    """
    ctx = loop.ctx
    loop.go(Transition("gallery"))
    ctx.lang = lang
    ctx.mirror_available = ctx.settings.camera.enabled
    loop.scene.relayout()


def contact_sheet(paths: list[Path], target: Path, columns: int = 4) -> Path:
    """All pictures small on one page, each with its file name, for a quick review."""
    thumbs = [pygame.image.load(str(p)) for p in paths]
    tw = 480
    th = round(tw * thumbs[0].get_height() / thumbs[0].get_width())
    label_h = 28
    rows = -(-len(thumbs) // columns)
    sheet = pygame.Surface((columns * (tw + 16) + 16, rows * (th + label_h + 16) + 16))
    sheet.fill((20, 24, 30))
    fnt = theme.font("sans", 18)
    for i, (img, path) in enumerate(zip(thumbs, paths, strict=True)):
        r, c = divmod(i, columns)
        x, y = 16 + c * (tw + 16), 16 + r * (th + label_h + 16)
        sheet.blit(pygame.transform.smoothscale(img, (tw, th)), (x, y))
        sheet.blit(fnt.render(path.stem, True, (230, 230, 230)), (x, y + th + 4))
    pygame.image.save(sheet, str(target))
    return target
