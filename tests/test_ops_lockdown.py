"""Lock-down: the shortcuts that leave a program are swallowed until the admin PIN is given."""

from __future__ import annotations

from pathlib import Path

import pygame
import pytest

from kiosk.ops.admin import AdminGate
from kiosk.ops.lockdown import (
    KeyEvent,
    Lockdown,
    Mod,
    event_from_pygame,
    request_maintenance_stop,
    swallow_reason,
)

ESCAPES = [
    KeyEvent("keydown", "f4", Mod.ALT),  # Alt+F4
    KeyEvent("keydown", "q", Mod.CTRL),  # Ctrl+Q
    KeyEvent("keydown", "w", Mod.CTRL),
    KeyEvent("keydown", "escape"),
    KeyEvent("keydown", "backspace", Mod.CTRL | Mod.ALT),  # the X server's zap
    KeyEvent("keydown", "delete", Mod.CTRL | Mod.ALT),
    *(KeyEvent("keydown", f"f{n}", Mod.CTRL | Mod.ALT) for n in range(1, 13)),  # VT switch
    KeyEvent("keydown", "tab", Mod.ALT),  # Alt+Tab
    KeyEvent("keydown", "left meta"),  # Super
    KeyEvent("keydown", "d", Mod.SUPER),
    KeyEvent("keydown", "f11"),
    KeyEvent("keyup", "f4", Mod.ALT),
    KeyEvent("quit"),
    KeyEvent("window_close"),
]
HARMLESS = [
    KeyEvent("keydown", "a"),
    KeyEvent("keydown", "a", Mod.SHIFT),
    KeyEvent("keydown", "return"),
    KeyEvent("keydown", "space"),
    KeyEvent("other"),
]


@pytest.mark.parametrize("event", ESCAPES, ids=repr)
def test_escape_routes_are_swallowed_while_locked(event: KeyEvent) -> None:
    lock = Lockdown()
    assert swallow_reason(event)  # says which way out it would have opened
    assert lock.filter(event)


@pytest.mark.parametrize("event", HARMLESS, ids=repr)
def test_ordinary_input_passes(event: KeyEvent) -> None:
    assert not Lockdown().filter(event)


def test_the_admin_pin_opens_the_way_out(tmp_path: Path) -> None:
    gate = AdminGate(tmp_path / "admin.pin", tmp_path / "lockout.json", max_attempts=3)
    gate.set_pin("4821")
    lock = Lockdown()
    alt_f4 = KeyEvent("keydown", "f4", Mod.ALT)
    assert lock.filter(alt_f4) and lock.filter(KeyEvent("quit"))
    if gate.check("1111").ok:
        lock.unlock()
    assert lock.locked and lock.filter(alt_f4)
    if gate.check("4821").ok:
        lock.unlock()
    assert not lock.locked
    assert not lock.filter(alt_f4) and not lock.filter(KeyEvent("quit"))
    lock.lock()  # admin mode closed
    assert lock.filter(alt_f4)
    assert lock.swallowed == 4


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (pygame.event.Event(pygame.KEYDOWN, key=pygame.K_F4, mod=pygame.KMOD_LALT), True),
        (pygame.event.Event(pygame.KEYDOWN, key=pygame.K_q, mod=pygame.KMOD_RCTRL), True),
        (pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE, mod=0), True),
        (
            pygame.event.Event(
                pygame.KEYDOWN, key=pygame.K_BACKSPACE, mod=pygame.KMOD_LCTRL | pygame.KMOD_LALT
            ),
            True,
        ),
        (pygame.event.Event(pygame.KEYDOWN, key=pygame.K_LGUI, mod=pygame.KMOD_LGUI), True),
        (
            pygame.event.Event(
                pygame.KEYUP, key=pygame.K_F2, mod=pygame.KMOD_CTRL | pygame.KMOD_ALT
            ),
            True,
        ),
        (pygame.event.Event(pygame.QUIT), True),
        (pygame.event.Event(pygame.WINDOWCLOSE), True),
        (pygame.event.Event(pygame.KEYDOWN, key=pygame.K_l, mod=pygame.KMOD_LSHIFT), False),
        (pygame.event.Event(pygame.MOUSEBUTTONUP, pos=(1, 1), button=1), False),
    ],
)
def test_pygame_events(event: pygame.event.Event, expected: bool) -> None:
    assert Lockdown().filter(event_from_pygame(event)) is expected


def test_maintenance_flag(tmp_path: Path) -> None:
    flag = tmp_path / "run" / "maintenance"
    assert request_maintenance_stop(flag) and flag.exists()
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert not request_maintenance_stop(blocker / "maintenance")
