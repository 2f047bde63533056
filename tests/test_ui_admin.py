"""Admin mode on screen: the PIN pad with its persisted lockout, the panel and its actions."""

from __future__ import annotations

import base64
import hashlib
import threading
from pathlib import Path

import pygame
import pytest

from kiosk.content.model import Collection
from kiosk.media import PlayerState
from kiosk.ops.admin import AdminGate
from kiosk.settings import AdminSettings, Settings, TimeoutSettings
from kiosk.ui.context import Transition
from kiosk.ui.ports import AdminHooks
from kiosk.ui.scenes import AdminScene
from kiosk.ui.scenes.admin import AdminAction
from kiosk.ui.widgets import contrast
from testkit.ui import Rig
from testkit.ui_fakes import FakeDiagnostics, FakeSink

PIN = "4821"

pytestmark = pytest.mark.usefixtures("pygame_display")


class WallClock:
    """The gate's wall clock, moved by the test."""

    def __init__(self) -> None:
        self.t = 1_700_000_000.0

    def __call__(self) -> float:
        return self.t


def cheap_pin_file(path: Path, pin: str) -> None:
    """A PIN hash with tiny scrypt costs: the gate reads the costs from the file itself."""
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=16, r=1, p=1)
    b64 = base64.b64encode
    path.write_text(f"scrypt$16$1$1${b64(salt).decode()}${b64(digest).decode()}\n")


def make_gate(tmp_path: Path, clock: WallClock, pin: str | None = PIN) -> AdminGate:
    if pin is not None:
        cheap_pin_file(tmp_path / "admin.pin", pin)
    pin_file, lockout = tmp_path / "admin.pin", tmp_path / "lockout.json"
    return AdminGate(pin_file, lockout, max_attempts=3, lockout_s=300, clock=clock)


def admin_rig(
    collection: Collection,
    gate: AdminGate,
    size: tuple[int, int] = (1920, 1080),
    settings: Settings | None = None,
) -> tuple[Rig, AdminScene]:
    rig = Rig(collection, size=size, settings=settings)
    rig.ctx.admin_gate = gate
    rig.loop.go(Transition("admin"))
    scene = rig.loop.scene
    assert isinstance(scene, AdminScene)
    return rig, scene


def type_pin(rig: Rig, pin: str) -> None:
    for d in pin:
        rig.press(AdminAction.for_digit(d))
    rig.press(AdminAction.OK)


def finish_job(rig: Rig) -> None:
    """Let the panel's worker finish, then one loop iteration to take its outcome."""
    job = rig.ctx.jobs.current
    assert job is not None and job.join(30), "the job did not finish"
    rig.wait(0)


def test_wrong_pin_says_how_many_tries_are_left(small: Collection, tmp_path: Path) -> None:
    rig, scene = admin_rig(small, make_gate(tmp_path, WallClock()))
    rig.ctx.lang = "en"
    assert [b.action for b in scene.buttons if b.action == "ok" and b.enabled] == []
    for d in "13":
        rig.press(f"digit:{d}")  # what the button reports, as a string
    assert scene.pad.digits == "13"
    rig.press("erase")
    assert scene.pad.digits == "1"
    type_pin(rig, "999")
    assert scene.mode == "pin" and scene.pad.digits == ""
    assert scene.pad.text() == "Wrong PIN. Attempts left: 2"


def test_lockout_survives_a_restart_and_lifts_in_time(small: Collection, tmp_path: Path) -> None:
    clock = WallClock()
    rig, scene = admin_rig(small, make_gate(tmp_path, clock))
    rig.ctx.lang = "en"
    for _ in range(3):
        type_pin(rig, "1111")
    assert scene.pad.locked_until is not None
    assert scene.pad.text() == "Too many wrong PINs: locked for 5 min"
    assert not any(b.enabled for b in scene.buttons if AdminAction(b.action).digit)
    # A new gate on the same files, as after pulling the plug: still locked.
    rig2, scene2 = admin_rig(small, make_gate(tmp_path, clock))
    rig2.ctx.lang = "en"
    assert scene2.pad.locked_until is not None
    assert scene2.pad.text() == "Too many wrong PINs: locked for 5 min"
    rig2.tap(rig2.button(AdminAction.DIGIT_4).center)
    assert scene2.pad.digits == ""  # the pad takes nothing while locked
    clock.t += 301
    rig2.wait(1)
    assert scene2.pad.locked_until is None and scene2.pad.text() == "You may try again"
    type_pin(rig2, PIN)
    assert scene2.mode == "panel"


def test_without_a_pin_it_says_how_to_set_one(small: Collection, tmp_path: Path) -> None:
    rig, scene = admin_rig(small, make_gate(tmp_path, WallClock(), pin=None))
    assert not scene.pad.has_pin
    assert [b.action for b in scene.buttons] == ["cancel"]
    assert "kiosk admin set-pin" in rig.ctx.t("admin_set_pin")
    rig.press("cancel")
    assert rig.loop.scene.name == "attract"


def test_panel_actions(small: Collection, tmp_path: Path) -> None:
    rig, scene = admin_rig(small, make_gate(tmp_path, WallClock()))
    type_pin(rig, PIN)
    assert scene.mode == "panel"
    labels = dict(scene.panel.status)
    assert "2" in labels[rig.ctx.t("admin_content")] and labels[rig.ctx.t("admin_disk")]
    # Volume: steps, never out of 0..1, and the player follows.
    for _ in range(12):
        if any(b.enabled for b in scene.buttons if b.action == "vol+"):
            rig.press("vol+")
    assert rig.ctx.volume == 1.0 and rig.player.volume == 1.0
    for _ in range(12):
        if any(b.enabled for b in scene.buttons if b.action == "vol-"):
            rig.press("vol-")
    assert rig.ctx.volume == 0.0 and rig.player.volume == 0.0
    rig.press("vol+")
    assert rig.ctx.volume == pytest.approx(0.1)
    # Captions at the start of a visit.
    before = rig.settings.captions.default_on
    rig.press("captions")
    assert rig.ctx.captions_default is (not before) and rig.ctx.captions_on is (not before)
    rig.press("captions")
    assert rig.ctx.captions_default is before
    # Sound check without a sound output says so; with one, a 1 kHz clip plays once it is made.
    rig.press("sound")
    assert scene.message == rig.ctx.t("admin_no_sound")
    rig.player.sink = FakeSink("null-sink")
    scene.tone_dir = tmp_path
    rig.press("sound")
    finish_job(rig)
    assert rig.player.calls[-1] == "play:tone" and rig.player.state == PlayerState.PLAYING
    assert "null-sink" in scene.message
    assert (tmp_path / "kiosk-tone-1khz.mp4").stat().st_size > 0
    rig.press("close")
    assert rig.loop.scene.name == "attract"
    assert "stop" in rig.player.calls


def test_mirror_off_hides_the_mirror_button(small: Collection, tmp_path: Path) -> None:
    rig, _ = admin_rig(small, make_gate(tmp_path, WallClock()))
    rig.ctx.mirror_available = True
    type_pin(rig, PIN)
    rig.press("mirror")
    assert rig.ctx.mirror_enabled is False
    rig.loop.go(Transition("gallery"))
    assert "mirror" not in [b.action for b in rig.loop.scene.buttons]
    rig.loop.go(Transition("admin"))
    type_pin(rig, PIN)
    rig.press("mirror")
    rig.loop.go(Transition("gallery"))
    assert "mirror" in [b.action for b in rig.loop.scene.buttons]


def test_test_pattern_fills_the_screen_until_touched(small: Collection, tmp_path: Path) -> None:
    rig, scene = admin_rig(small, make_gate(tmp_path, WallClock()))
    type_pin(rig, PIN)
    rig.press("pattern")
    assert scene.mode == "pattern" and scene.buttons == []
    rig.loop.draw()
    assert rig.surface.get_at((300, 100))[:3] == (191, 191, 0)  # the yellow bar
    assert rig.surface.get_at((1, 1))[:3] == (255, 255, 255)  # the edge frame
    rig.tap((300, 100))
    assert scene.mode == "panel" and rig.loop.scene is scene


def test_drastic_actions_wait_for_a_second_tap(small: Collection, tmp_path: Path) -> None:
    called: list[str] = []

    def rollback() -> str:
        called.append("rollback")
        return "back to release 2024-05"

    rig = Rig(small)
    rig.ctx.admin_gate = make_gate(tmp_path, WallClock())
    rig.ctx.admin_hooks = AdminHooks(
        on_rollback=rollback,
        on_restart=lambda: called.append("restart"),
        on_exit=lambda: called.append("exit"),
    )
    rig.ctx.diagnostics = FakeDiagnostics()
    rig.loop.go(Transition("admin"))
    scene = rig.loop.scene
    assert isinstance(scene, AdminScene)
    type_pin(rig, PIN)
    status = dict(scene.panel.status)
    assert status[rig.ctx.t("admin_content")].startswith("2024-06")
    assert status[rig.ctx.t("admin_frames")] == "fps 59.9 · dropped 2 · faults 0 · uptime_h 2.0"
    for action in ("rollback", "restart", "exit"):
        rig.press(action)
        assert called == [] or called[-1] != action
        assert scene.confirming == action and scene.message == rig.ctx.t("admin_sure")
        rig.press("vol+")  # another button withdraws the question
        assert scene.confirming is None
        rig.press(action)
        rig.press(action)
        if action == "rollback":
            finish_job(rig)  # it runs in a worker thread
            assert scene.message == "back to release 2024-05"
        assert called[-1] == action
    assert called == ["rollback", "restart", "exit"]
    # The question also lapses by itself.
    rig.press("rollback")
    rig.wait(9)
    assert scene.confirming is None
    rig.press("rollback")
    assert called.count("rollback") == 1


def test_actions_without_a_hook_are_off(small: Collection, tmp_path: Path) -> None:
    rig, scene = admin_rig(small, make_gate(tmp_path, WallClock()))
    type_pin(rig, PIN)
    off = {b.action for b in scene.buttons if not b.enabled}
    assert {"rollback", "restart", "exit"} <= off


def test_admin_closes_by_itself_and_the_visit_countdown_stays_away(
    small: Collection, tmp_path: Path
) -> None:
    settings = Settings(
        timeouts=TimeoutSettings(idle_s=10, countdown_s=5),
        admin=AdminSettings(idle_close_s=60),
    )
    rig, scene = admin_rig(small, make_gate(tmp_path, WallClock()), settings=settings)
    type_pin(rig, PIN)
    for _ in range(5):
        rig.wait(11)
        assert rig.loop.countdown_left(rig.now) is None  # never "still there?" over admin
        assert rig.loop.scene is scene
    rig.wait(4.9)
    assert rig.loop.scene is scene  # 59.9 s without a touch: still open
    rig.wait(0.1)
    # A minute without a touch: the scene leaves by itself (its update returns the transition).
    assert rig.loop.scene.name == "attract"
    rig.loop.go(Transition("admin"))
    reopened = rig.loop.scene
    assert isinstance(reopened, AdminScene) and reopened.mode == "pin"  # locked again


def test_rollback_runs_in_a_worker_while_the_screen_keeps_drawing(
    small: Collection, tmp_path: Path
) -> None:
    class SlowSource:
        """A content source whose check scans, installs and loads for as long as the test says."""

        def __init__(self) -> None:
            self.go_on = threading.Event()
            self.thread: threading.Thread | None = None
            self.waited_out = False

        def check_once(self) -> str:
            self.thread = threading.current_thread()
            self.waited_out = not self.go_on.wait(30)
            return "2024-05"

    source = SlowSource()
    rig = Rig(small)
    rig.ctx.admin_gate = make_gate(tmp_path, WallClock())
    rig.ctx.admin_hooks = AdminHooks(on_rollback=lambda: f"now {source.check_once()}")
    rig.ctx.lang = "en"
    rig.loop.go(Transition("admin"))
    scene = rig.loop.scene
    assert isinstance(scene, AdminScene)
    type_pin(rig, PIN)
    rig.press("rollback")
    rig.press("rollback")
    assert scene.message == "Rolling back…"
    assert not any(b.enabled for b in scene.buttons if b.action in ("rollback", "sound"))
    drawn = 0
    for _ in range(10):  # the loop goes on: events, update, a frame drawn each time
        rig.wait(0.5)
        drawn += 1
    assert drawn == 10 and scene.message == "Rolling back…" and rig.ctx.jobs.busy
    source.go_on.set()
    finish_job(rig)
    assert scene.message == "now 2024-05"
    assert source.thread is not threading.main_thread() and not source.waited_out
    assert any(b.enabled for b in scene.buttons if b.action == "rollback")


def test_a_failed_rollback_is_shown_not_raised(small: Collection, tmp_path: Path) -> None:
    def broken() -> str:
        raise OSError("the USB stick went away")

    rig = Rig(small)
    rig.ctx.admin_gate = make_gate(tmp_path, WallClock())
    rig.ctx.admin_hooks = AdminHooks(on_rollback=broken)
    rig.loop.go(Transition("admin"))
    scene = rig.loop.scene
    assert isinstance(scene, AdminScene)
    type_pin(rig, PIN)
    rig.press("rollback")
    rig.press("rollback")
    finish_job(rig)
    assert scene.message == "OSError: the USB stick went away"


def test_the_kiosk_s_rollback_hook_on_a_plain_folder(small: Collection, tmp_path: Path) -> None:
    from kiosk.app import admin_hooks
    from kiosk.delivery.source import ContentSource
    from kiosk.ui.ops import Ops

    rig = Rig(small)
    rig.ctx.admin_gate = make_gate(tmp_path, WallClock())
    rig.ctx.admin_hooks = admin_hooks(rig.loop, Ops(), ContentSource(small.root, None))
    rig.loop.go(Transition("admin"))
    scene = rig.loop.scene
    assert isinstance(scene, AdminScene)
    type_pin(rig, PIN)
    rig.press("rollback")
    rig.press("rollback")
    finish_job(rig)
    assert scene.message == "no installed releases: the collection is a plain folder"


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)])
def test_pad_and_panel_are_large_and_readable(
    small: Collection, tmp_path: Path, size: tuple[int, int]
) -> None:
    rig, scene = admin_rig(small, make_gate(tmp_path, WallClock()), size=size)
    pal, f = rig.ctx.pal, rig.ctx.layout
    for fg, bg in ((pal.text, pal.bg), (pal.accent, pal.bg), (pal.text, pal.button)):
        assert contrast(fg, bg) >= 4.5
    assert contrast(pal.accent, pal.surface) >= 4.5 and contrast(pal.text, pal.surface) >= 4.5
    screen = pygame.Rect(0, 0, *size)
    rig.loop.draw()
    for b in scene.buttons:
        assert b.rect.w >= f.target and b.rect.h >= f.target, b
        assert screen.contains(b.rect), b
    type_pin(rig, PIN)
    rig.loop.draw()
    for i, b in enumerate(scene.buttons):
        assert b.rect.w >= f.target and b.rect.h >= f.target, b
        assert screen.contains(b.rect), b
        assert not any(b.rect.colliderect(o.rect) for o in scene.buttons[i + 1 :]), b
        assert not b.rect.colliderect(scene.panel.status_rect), b


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720), (1080, 1920)])
def test_the_panel_shows_the_device_id_to_pair_the_kiosk(
    small: Collection, tmp_path: Path, size: tuple[int, int]
) -> None:
    """In a fleet, staff read the kiosk's Syncthing device ID off the panel, whole, to pair it."""
    from kiosk.ui.ports import Diagnostics
    from kiosk.ui.scenes.admin.panel import value_lines

    device = "TOI62XT-WZTOO45-GSWNJEA-N3A7MDF-6ESCVKM-JETJD4H-H3QZWOQ-FDJXRAE"
    rig, scene = admin_rig(small, make_gate(tmp_path, WallClock()), size=size)
    figures = Diagnostics("2024-06", 60.0, 0, 0, 60.0, fleet=f"hall-2 · {device}")
    rig.ctx.diagnostics = FakeDiagnostics(figures)
    type_pin(rig, PIN)
    status = dict(scene.panel.status)
    assert status[rig.ctx.t("admin_fleet")] == f"hall-2 · {device}"
    labels = [label for label, _ in scene.panel.status]
    assert labels.index(rig.ctx.t("admin_fleet")) == labels.index(rig.ctx.t("admin_content")) + 1
    rig.loop.draw()  # drawn without trouble
    width = scene.panel.status_rect.w // 2
    px = rig.ctx.layout.px_body
    lines = value_lines(f"hall-2 · {device}", px, width)
    assert "".join(lines[1:]) == device and all(line.endswith("-") for line in lines[1:-1])
    assert "…" not in "".join(lines)
    # A long text is still cut at two lines; without a fleet there is no line for it.
    assert len(value_lines("word " * 80, px, width)) == 2
    rig.ctx.diagnostics = FakeDiagnostics(Diagnostics("2024-06", 60.0, 0, 0, 60.0))
    scene.panel.refresh()
    assert rig.ctx.t("admin_fleet") not in dict(scene.panel.status)
