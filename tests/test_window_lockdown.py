"""A locked kiosk in a real X window: the usual ways out do nothing; the hidden staff gesture
and the admin PIN open the way out."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pygame

from kiosk.ops.admin import AdminGate
from kiosk.ui.ports import AdminHooks
from kiosk.ui.scenes import AdminScene
from testkit.ui import Rig
from testkit.window import NEEDS_X, SIZE, start_kiosk, xdo

ROOT = Path(__file__).resolve().parent.parent
PIN = "2468"

pytestmark = NEEDS_X


def _layout(tmp_path: Path) -> tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]]]:
    """Where the PIN pad's keys and the panel's buttons are on a screen of SIZE, from the
    scene's own layout."""
    from kiosk.content.loader import load_collection

    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    pygame.display.init()
    pygame.font.init()
    try:
        collection = load_collection(ROOT / "content").collection
        assert collection is not None
        rig = Rig(collection, size=SIZE)
        gate = AdminGate(tmp_path / "probe.pin", tmp_path / "probe.lock")
        gate.set_pin(PIN)
        rig.ctx.admin_hooks = AdminHooks(on_exit=lambda: None)  # the kiosk has it; so must we
        scene = AdminScene(rig.ctx, gate)
        scene.enter()
        pad = {b.action: b.rect.center for b in scene.buttons}
        for digit in PIN:
            scene.on_button(f"digit:{digit}")
        scene.on_button("ok")
        panel = {b.action: b.rect.center for b in scene.buttons}
        assert "exit" in panel, panel
        return pad, panel
    finally:
        from kiosk.ui import theme

        theme.release()
        pygame.quit()


def _long_press(screen: str, x: int, y: int) -> None:
    xdo(screen, "mousemove", str(x), str(y), "mousedown", "1")
    time.sleep(1.2)
    xdo(screen, "mouseup", "1")
    time.sleep(0.3)


def test_locked_kiosk_keeps_visitors_in_and_lets_staff_out(x_display: str, tmp_path: Path) -> None:
    pin_file, lockout = tmp_path / "admin.pin", tmp_path / "lockout.json"
    AdminGate(pin_file, lockout).set_pin(PIN)
    config = tmp_path / "kiosk.yaml"
    config.write_text(
        f"display: {{fullscreen: true, width: {SIZE[0]}, height: {SIZE[1]}}}\n"
        f"admin: {{pin_file: {pin_file}, lockout_file: {lockout}}}\n"
        f"paths: {{database: {tmp_path / 'a.db'}, releases: {tmp_path / 'releases'}}}\n"
        "timeouts: {idle_s: 600}\ncamera: {enabled: false}\n",
        encoding="utf-8",
    )
    keys, panel = _layout(tmp_path)
    log = tmp_path / "kiosk.log"
    kiosk = start_kiosk(
        x_display,
        config,
        log,
        "--fullscreen",
        120,
        KIOSK_MAINTENANCE_FLAG=str(tmp_path / "maintenance"),
    )
    try:
        xdo(x_display, "mousemove", "640", "360")
        for combo in ("alt+F4", "ctrl+q", "Escape", "ctrl+alt+BackSpace", "super", "alt+Tab"):
            xdo(x_display, "key", combo)
            time.sleep(0.3)
            assert kiosk.poll() is None, f"{combo} left the kiosk:\n{log.read_text()}"
        # Staff: long presses in three corners, then the PIN.
        w, h = SIZE
        for x, y in ((5, 5), (w - 5, 5), (w - 5, h - 5)):
            _long_press(x_display, x, y)
        for digit in PIN:
            xdo(x_display, "mousemove", *map(str, keys[f"digit:{digit}"]), "click", "1")
            time.sleep(0.15)
        xdo(x_display, "mousemove", *map(str, keys["ok"]), "click", "1")
        time.sleep(0.5)
        assert kiosk.poll() is None, "a right PIN must not quit by itself"
        # "Exit to desktop" asks once more, then lets the technician out.
        for _ in range(2):
            xdo(x_display, "mousemove", *map(str, panel["exit"]), "click", "1")
            time.sleep(0.4)
        assert kiosk.wait(15) == 0, log.read_text()
        assert (tmp_path / "maintenance").is_file()  # so systemd does not restart it
        assert "kiosk unlocked by admin PIN" in log.read_text()
    finally:
        if kiosk.poll() is None:
            kiosk.terminate()
        kiosk.wait(20)
    assert "Traceback" not in log.read_text()
