"""Drawing the mirror scene with pygame (the one module of the mirror that imports it).

:func:`draw` blits the newest stylized frame (already scaled by the worker: no conversion or
scaling happens here), the camera-on sign, the countdown, a kind message when there is no picture,
and the two buttons, whose rectangles :func:`layout` gives for hit-testing.
"""

from __future__ import annotations

import pygame

from kiosk.mirror.scene import MirrorView, text
from kiosk.ui import theme

NIGHT = (11, 22, 34)
ICE = (230, 242, 252)
ACCENT = (159, 211, 255)
RED = (224, 52, 52)


def layout(size: tuple[int, int]) -> dict[str, pygame.Rect]:
    """The buttons' rectangles on a screen of ``size``: ``back`` and ``snapshot``."""
    w, h = size
    unit = max(8, min(w, h) // 12)
    bw, bh = unit * 4, unit
    margin = unit // 2
    return {
        "back": pygame.Rect(margin, h - bh - margin, bw, bh),
        "snapshot": pygame.Rect(w - bw - margin, h - bh - margin, bw, bh),
    }


def _label(
    surface: pygame.Surface,
    message: str,
    px: int,
    centre: tuple[int, int],
    colour: tuple[int, int, int] = ICE,
    kind: str = "sans",
) -> pygame.Rect:
    fnt = theme.font(kind, px)
    img = fnt.render(message, True, colour)
    rect = img.get_rect(center=centre)
    shadow = fnt.render(message, True, (0, 0, 0))
    shadow.set_alpha(140)
    surface.blit(shadow, rect.move(max(1, px // 20), max(1, px // 20)))
    surface.blit(img, rect)
    return rect


def _button(surface: pygame.Surface, rect: pygame.Rect, label: str, lit: bool) -> None:
    panel = pygame.Surface(rect.size, pygame.SRCALPHA)
    fill = (*NIGHT, 190) if not lit else (*ACCENT, 230)
    pygame.draw.rect(panel, fill, panel.get_rect(), border_radius=rect.h // 4)
    surface.blit(panel, rect)
    pygame.draw.rect(surface, ACCENT, rect, width=max(1, rect.h // 24), border_radius=rect.h // 4)
    _label(surface, label, rect.h * 2 // 5, rect.center, NIGHT if lit else ICE, "sans-bold")


def draw(surface: pygame.Surface, view: MirrorView, lang: str = "ru") -> dict[str, pygame.Rect]:
    """Draw one screen of the mirror; returns the buttons that are shown (name -> rectangle)."""
    w, h = surface.get_size()
    unit = max(8, min(w, h) // 12)
    surface.fill(NIGHT)
    frame = view.frame
    if frame is not None:
        image = pygame.image.frombuffer(frame.data.data, frame.size, "RGB")
        surface.blit(image, image.get_rect(center=(w // 2, h // 2)))
    elif view.message:
        _label(surface, text(lang, "title"), unit, (w // 2, h // 2 - unit * 2), ACCENT, "serif")
        _label(surface, text(lang, view.message), unit * 2 // 5, (w // 2, h // 2))

    if view.camera_on:
        # The sign that the camera is on: a red dot and words, on a dark plate so that frost
        # and snow behind never hide it.
        r = max(4, unit // 5)
        centre = (unit // 2 + r, unit // 2 + r)
        sign = theme.font("sans-bold", unit * 2 // 5).render(text(lang, "camera_on"), True, ICE)
        note = theme.font("sans", unit // 4).render(text(lang, "privacy"), True, ICE)
        sign_rect = sign.get_rect(midleft=(centre[0] + r * 2, centre[1]))
        note_rect = note.get_rect(topleft=(centre[0] + r * 2, centre[1] + r + 2))
        plate = sign_rect.union(note_rect).union(pygame.Rect(centre[0] - r, centre[1] - r, r, r))
        plate = plate.inflate(r * 2, r)
        backing = pygame.Surface(plate.size, pygame.SRCALPHA)
        pygame.draw.rect(backing, (*NIGHT, 170), backing.get_rect(), border_radius=r)
        surface.blit(backing, plate)
        pygame.draw.circle(surface, RED, centre, r)
        pygame.draw.circle(surface, ICE, centre, r, width=max(1, r // 4))
        surface.blit(sign, sign_rect)
        surface.blit(note, note_rect)

    if view.phase == "countdown":
        _label(surface, str(view.countdown), unit * 3, (w // 2, h // 2), ICE, "sans-bold")
        _label(surface, text(lang, "hold_still"), unit * 3 // 5, (w // 2, h // 2 + unit * 2))
    elif view.phase == "frozen":
        _label(surface, text(lang, "frozen"), unit * 3 // 5, (w // 2, h - unit * 2), ICE, "serif")
    elif view.phase == "live" and view.message:
        _label(surface, text(lang, view.message), unit * 2 // 5, (w // 2, h - unit * 2))

    rects = layout((w, h))
    shown = {"back": rects["back"]}
    _button(surface, rects["back"], text(lang, "back"), False)
    if view.can_snapshot:
        shown["snapshot"] = rects["snapshot"]
        _button(surface, rects["snapshot"], text(lang, "snapshot"), True)
    return shown
