"""A clip's picture on screen: the player's frames put on a surface as cheaply as it allows.

The decode thread already converted and scaled each frame to the size it is drawn at
(:mod:`kiosk.media.convert`), so the main thread only places it: :func:`blit_frame` copies the
frame's rows straight into the screen when their bytes are already the screen's, and lets pygame
blit it otherwise. :func:`cover_rect` letterboxes a frame of another size (the few frames queued
before a size change).
"""

from __future__ import annotations

import numpy as np
import pygame

from kiosk.ui.ports import FrameLike

# A 32-bit screen whose pixels are 0x00RRGGBB words (little-endian bytes B, G, R, unused): what
# X11, the Linux console (KMS) and SDL's dummy driver give. The worker's BGRA frames have the same
# bytes, the last one always 255 (swscale makes them opaque).
_XRGB_MASKS = (0xFF0000, 0xFF00, 0xFF)


def frame_surface(frame: FrameLike) -> pygame.Surface:
    """Wrap a player frame without copying or converting it: the worker already did both."""
    data = frame.data
    buf = data if isinstance(data, (bytes, bytearray, memoryview)) else memoryview(data).cast("B")
    return pygame.image.frombuffer(buf, frame.size, frame.format)


def _copies_straight(surf: pygame.Surface, frame: FrameLike, rect: pygame.Rect) -> bool:
    data = frame.data
    return (
        frame.format == "BGRA"
        and isinstance(data, np.ndarray)
        and data.shape == (rect.h, rect.w, 4)
        and data.flags.c_contiguous
        and surf.get_bitsize() == 32
        and surf.get_masks()[:3] == _XRGB_MASKS
        and surf.get_clip().contains(rect)
    )


def blit_frame(surf: pygame.Surface, frame: FrameLike, pos: tuple[int, int]) -> pygame.Rect:
    """Draw ``frame`` unscaled with its top-left corner at ``pos``; returns where it went.

    A BGRA frame on an XRGB screen is copied row by row into the screen's pixels. pygame would
    treat it as a picture with per-pixel alpha and blend it (every alpha is 255, but the blend
    still reads both sides): in a profile of the kiosk playing its 720p clip under X11 the blend
    took 0.52 ms a 1042x586 frame and the copy takes 0.39 ms (the frame comes from another
    core's cache: both are bound by memory). The result is the same picture. Any other case (a
    16- or 24-bit surface, RGB frames, a frame reaching past the surface's clip) goes through
    pygame's blit.
    """
    rect = pygame.Rect(pos, frame.size)
    if _copies_straight(surf, frame, rect):
        words = np.asarray(frame.data).view(np.uint32)[..., 0]  # (h, w): one word a pixel
        dst = pygame.surfarray.pixels2d(surf.subsurface(rect))  # (w, h), locks the surface
        dst[...] = words.T
        del dst  # unlocks it: a locked screen cannot be blitted to or sent to the display
        return rect
    return surf.blit(frame_surface(frame), rect)


def cover_rect(src: tuple[int, int], dst: pygame.Rect) -> pygame.Rect:
    """The rectangle of ``src`` aspect that fits inside ``dst``, centred (letterboxed)."""
    scale = min(dst.w / src[0], dst.h / src[1])
    w, h = int(src[0] * scale), int(src[1] * scale)
    return pygame.Rect(dst.centerx - w // 2, dst.centery - h // 2, w, h)


def letterbox(panel: pygame.Rect, picture: pygame.Rect) -> list[pygame.Rect]:
    """The parts of ``panel`` that ``picture`` (inside it) leaves uncovered: up to four bars."""
    bars = [
        pygame.Rect(panel.x, panel.y, panel.w, picture.y - panel.y),
        pygame.Rect(panel.x, picture.bottom, panel.w, panel.bottom - picture.bottom),
        pygame.Rect(panel.x, picture.y, picture.x - panel.x, picture.h),
        pygame.Rect(picture.right, picture.y, panel.right - picture.right, picture.h),
    ]
    return [b for b in bars if b.w > 0 and b.h > 0]
