"""How smooth and how frugal the visitor UI is, measured in one run.

- ``frame_ms_p50`` / ``frame_ms_p99``: the loop's work per displayed frame (events, update, draw,
  flip) over a scripted visit at 1920x1080 with the bundled 720p clip playing (goal p99 <= 16.7).
- ``loop_cost_ratio``: that cost over a bare pygame loop blitting one full-screen surface,
  measured in the same run on the same display.
- ``idle_cpu_pct_gallery``: CPU (% of one core, all threads) while the gallery shows and nothing
  moves (goal <= 5).
- ``attract_cpu_pct``: CPU while the attract montage plays (goal <= 50).
- ``attract_draw_ms_p50`` / ``attract_draw_ms_mean``: the attract scene's own draw (the montage's
  frame, the band of words, the pulse) over 600 draws at 1920x1080, the clip held still at 8 s so
  that only the scene's work is timed. ``--draws-only`` measures this alone (a few seconds).

Runs headless (SDL's dummy video driver, the player's null sound sink). The last line printed is
one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pygame

from kiosk.app import make_context
from kiosk.content.loader import load_collection
from kiosk.content.model import Collection
from kiosk.media.audio import NullSink
from kiosk.media.player import Player
from kiosk.media.stills import StillPlayer
from kiosk.settings import Settings
from kiosk.ui.context import Transition
from kiosk.ui.input import Gesture
from kiosk.ui.loop import Loop
from kiosk.ui.scenes import ExplorerScene

ROOT = Path(__file__).resolve().parent.parent
SIZE = (1920, 1080)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def cpu_pct_while(loop: Loop, seconds: float) -> float:
    """Run the real loop for ``seconds``; CPU time of the whole process over wall time."""
    loop.running = True
    c0, t0 = time.process_time(), time.perf_counter()
    loop.run(max_seconds=seconds)
    return 100 * (time.process_time() - c0) / (time.perf_counter() - t0)


def bare_loop_ms(screen: pygame.Surface, frames: int) -> list[float]:
    """The floor: one full-screen blit and a flip per frame."""
    picture = pygame.Surface(SIZE).convert()
    picture.fill((30, 60, 90))
    out = []
    for _ in range(frames):
        t0 = time.perf_counter()
        pygame.event.get()
        screen.blit(picture, (0, 0))
        pygame.display.flip()
        out.append((time.perf_counter() - t0) * 1000)
        time.sleep(1 / 60)
    return out


def attract_draw_ms(collection: Collection, settings: Settings, draws: int = 600) -> list[float]:
    """The attract scene's draw alone, ``draws`` times, its clock moving at 60 Hz (the pulse
    animates) over a still frame of the montage."""
    surf = pygame.Surface(SIZE).convert()
    player = StillPlayer(at=8.0)
    clock = [0.0]
    loop = Loop(make_context(collection, settings, player, SIZE), surf, now=lambda: clock[0])
    assert loop.scene.name == "attract"
    out = []
    for _ in range(draws):
        clock[0] += 1 / 60
        loop.scene.update(clock[0])
        t0 = time.perf_counter()
        loop.scene.draw(surf)
        out.append((time.perf_counter() - t0) * 1000)
    player.close()
    return out


def scripted_visit(loop: Loop, seconds: float) -> list[float]:
    """Gallery, then the first explorer with its clip; the visitor switches language and pages."""
    loop.frame_ms.clear()
    loop.go(Transition("gallery"))
    loop.go(Transition("explorer", loop.ctx.collection.explorers[0].slug))
    start = time.monotonic()
    actions = ["lang:en", "page+", "tab:facts", "lang:ru", "tab:story", "page+", "page-"]
    next_action = 3.0
    clock = pygame.time.Clock()
    while time.monotonic() - start < seconds:
        t0 = time.perf_counter()
        loop.step(pygame.event.get())
        elapsed = time.monotonic() - start
        if elapsed >= next_action and isinstance(loop.scene, ExplorerScene):
            action = actions.pop(0) if actions else "replay"
            btn = next((b for b in loop.scene.buttons if b.action == action), None)
            if btn is not None:
                loop.handle_gesture(Gesture("tap", btn.rect.center), loop.now())
            next_action += seconds / 9
        loop.draw()
        pygame.display.flip()
        loop.frame_ms.append((time.perf_counter() - t0) * 1000)
        clock.tick(60)
    return list(loop.frame_ms)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the scripted visit")
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument(
        "--draws-only", action="store_true", help="time only the attract scene's draws"
    )
    args = parser.parse_args()

    pygame.display.init()
    pygame.font.init()
    screen = pygame.display.set_mode(SIZE)
    collection = load_collection(ROOT / "content").collection
    if collection is None:
        print("the bundled collection does not load", file=sys.stderr)
        return 1
    settings = Settings()
    draws = attract_draw_ms(collection, settings)
    draw_figures = {
        "attract_draw_ms_p50": round(percentile(draws, 50), 3),
        "attract_draw_ms_mean": round(statistics.mean(draws), 3),
        "attract_draws": len(draws),
    }
    if args.draws_only:
        pygame.quit()
        print(json.dumps({**draw_figures, "size": f"{SIZE[0]}x{SIZE[1]}"}))
        return 0
    player = Player(SIZE, audio=NullSink(), volume=0.7, volume_cap=0.9)
    ctx = make_context(collection, settings, player, SIZE)
    loop = Loop(ctx, screen)
    try:
        attract_cpu = cpu_pct_while(loop, args.idle_seconds)
        visit = scripted_visit(loop, args.seconds)
        bare = bare_loop_ms(screen, 600)
        loop.go(Transition("gallery"))
        loop.draw()
        pygame.display.flip()
        idle_cpu = cpu_pct_while(loop, args.idle_seconds)
        stats = player.stats()
    finally:
        player.close()
        pygame.quit()
    result = {
        "frame_ms_p50": round(percentile(visit, 50), 2),
        "frame_ms_p99": round(percentile(visit, 99), 2),
        "frames": len(visit),
        "loop_cost_ratio": round(statistics.median(visit) / statistics.median(bare), 2),
        "bare_frame_ms_p50": round(percentile(bare, 50), 2),
        "idle_cpu_pct_gallery": round(idle_cpu, 1),
        "attract_cpu_pct": round(attract_cpu, 1),
        **draw_figures,
        "frames_dropped_by_player": stats.get("frames_dropped", 0),
        "size": f"{SIZE[0]}x{SIZE[1]}",
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
