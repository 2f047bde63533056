"""Touch, mouse and keyboard -> one small gesture vocabulary: tap, swipe, long press, key.

Scenes never see raw events. SDL turns each finger touch into mouse events as well; those
duplicates carry ``touch=True`` (pygame-ce) or the SDL_TOUCH_MOUSEID, and are dropped here so one
touch is one tap. Nothing here needs to be quick for the visitor: a long press is only a
shortcut, and every action also has a plain button.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import pygame

GestureKind = Literal["tap", "swipe", "long_press", "key", "touch"]
TOUCH_MOUSE_ID = -1  # SDL_TOUCH_MOUSEID as pygame reports it for synthesized mouse events

_KEYS = {
    pygame.K_LEFT: "left",
    pygame.K_RIGHT: "right",
    pygame.K_UP: "up",
    pygame.K_DOWN: "down",
    pygame.K_PAGEUP: "up",
    pygame.K_PAGEDOWN: "down",
    pygame.K_RETURN: "activate",
    pygame.K_KP_ENTER: "activate",
    pygame.K_SPACE: "activate",
    pygame.K_BACKSPACE: "back",
    pygame.K_ESCAPE: "back",
    pygame.K_TAB: "next",
}


@dataclass(frozen=True)
class Gesture:
    """What the visitor did. ``pos`` is where it began; ``dx``/``dy`` the swipe's travel;
    ``key`` the key's name, for a key and for the touch a key press also makes (it has no
    ``pos``)."""

    kind: GestureKind
    pos: tuple[int, int] = (0, 0)
    dx: int = 0
    dy: int = 0
    key: str = ""

    @property
    def direction(self) -> str:
        if self.kind != "swipe":
            return ""
        if abs(self.dx) >= abs(self.dy):
            return "left" if self.dx < 0 else "right"
        return "up" if self.dy < 0 else "down"


@dataclass
class _Press:
    pos: tuple[int, int]
    last: tuple[int, int]
    t0: float
    long_sent: bool = False


class InputMapper:
    """Turns pygame events into gestures.

    ``slop_px``: how far a finger may drift and still tap; ``swipe_px``: travel that makes a swipe.
    A ``touch`` gesture is emitted on every press, when the finger comes down: the idle timer
    is reset at once, and a scene may start getting ready for the tap that may follow (the
    gallery starts opening the clip of the card under the finger).
    """

    def __init__(
        self,
        size: tuple[int, int],
        slop_px: int = 24,
        swipe_px: int = 80,
        long_press_s: float = 0.8,
    ) -> None:
        self.size = size
        self.slop = slop_px
        self.swipe = swipe_px
        self.long_press_s = long_press_s
        self.presses: dict[object, _Press] = {}

    def _down(self, pid: object, pos: tuple[int, int], now: float) -> list[Gesture]:
        self.presses[pid] = _Press(pos, pos, now)
        return [Gesture("touch", pos)]

    def _move(self, pid: object, pos: tuple[int, int]) -> None:
        press = self.presses.get(pid)
        if press is not None:
            press.last = pos

    def _up(self, pid: object, pos: tuple[int, int]) -> list[Gesture]:
        press = self.presses.pop(pid, None)
        if press is None or press.long_sent:
            return []
        dx, dy = pos[0] - press.pos[0], pos[1] - press.pos[1]
        dist = math.hypot(dx, dy)
        if dist >= self.swipe:
            return [Gesture("swipe", press.pos, dx, dy)]
        if dist <= self.slop:
            return [Gesture("tap", press.pos)]
        return []

    def _finger_pos(self, event: pygame.event.Event) -> tuple[int, int]:
        return (round(event.x * self.size[0]), round(event.y * self.size[1]))

    def feed(self, event: pygame.event.Event, now: float) -> list[Gesture]:
        """Gestures completed by ``event`` (often none)."""
        et = event.type
        if et in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP, pygame.MOUSEMOTION):
            # getattr: pygame events carry only the attributes SDL gave them; ``touch`` and
            # ``which`` are missing from events posted by hand (tests, xdotool on some servers).
            if getattr(event, "touch", False) or getattr(event, "which", 0) == TOUCH_MOUSE_ID:
                return []  # SDL's copy of a finger event; the finger event itself counts
            if et == pygame.MOUSEBUTTONDOWN and event.button == 1:
                return self._down("mouse", event.pos, now)
            if et == pygame.MOUSEBUTTONUP and event.button == 1:
                return self._up("mouse", event.pos)
            if et == pygame.MOUSEMOTION:
                self._move("mouse", event.pos)
            if et == pygame.MOUSEBUTTONDOWN and event.button in (4, 5):
                return [Gesture("key", event.pos, key="up" if event.button == 4 else "down")]
            return []
        if et == pygame.MOUSEWHEEL:
            return [Gesture("key", key="up" if event.y > 0 else "down")]
        if et == pygame.FINGERDOWN:
            return self._down(("finger", event.finger_id), self._finger_pos(event), now)
        if et == pygame.FINGERMOTION:
            self._move(("finger", event.finger_id), self._finger_pos(event))
            return []
        if et == pygame.FINGERUP:
            return self._up(("finger", event.finger_id), self._finger_pos(event))
        if et == pygame.KEYDOWN and event.key in _KEYS:
            key = _KEYS[event.key]
            return [Gesture("touch", key=key), Gesture("key", key=key)]
        return []

    def poll(self, now: float) -> list[Gesture]:
        """Long presses that have matured by ``now`` (call once per loop)."""
        out = []
        for press in self.presses.values():
            still = math.dist(press.pos, press.last) <= self.slop
            if not press.long_sent and still and now - press.t0 >= self.long_press_s:
                press.long_sent = True
                out.append(Gesture("long_press", press.pos))
        return out

    def long_press_in(self, now: float) -> float | None:
        """Seconds until the first press still resting in place becomes a long press; None
        when no press can (none down, or each has moved or already sent its long press)."""
        due = [
            press.t0 + self.long_press_s - now
            for press in self.presses.values()
            if not press.long_sent and math.dist(press.pos, press.last) <= self.slop
        ]
        return max(0.0, min(due)) if due else None

    @property
    def pressed(self) -> bool:
        return bool(self.presses)
