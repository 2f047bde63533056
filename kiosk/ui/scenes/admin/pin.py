"""The PIN pad: digits typed, the gate's answer, and the lockout counted down in minutes.

The PIN is checked by :class:`kiosk.ops.admin.AdminGate`, which also keeps the lockout, so a
restart does not give a visitor new tries; the pad only draws what the gate answers.
"""

from __future__ import annotations

import math

import pygame

from kiosk.ops.admin import PIN_MAX_DIGITS, PIN_MIN_DIGITS, AdminGate
from kiosk.ui.context import Context
from kiosk.ui.scenes.admin.actions import AdminAction
from kiosk.ui.scenes.admin.chrome import header_height
from kiosk.ui.scenes.base import blit_text
from kiosk.ui.widgets import Button, draw_button

KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", AdminAction.ERASE, "0", AdminAction.OK)


class PinPad:
    """The pad's state between taps; :meth:`press` returns True when the PIN is accepted."""

    def __init__(self, ctx: Context, gate: AdminGate) -> None:
        self.ctx = ctx
        self.gate = gate
        self.has_pin = False
        self.digits = ""
        self.message = ""
        self.locked_until: float | None = None  # the gate's wall-clock time
        self.key_px = 0

    def open(self) -> None:
        """Ask the gate afresh: is there a PIN, and is the pad locked?"""
        self.has_pin = self.gate.has_pin()
        self.locked_until = self.gate.locked_until() if self.has_pin else None

    def clear(self) -> None:
        self.digits = ""  # a PIN half typed never outlives the pad

    def press(self, action: AdminAction) -> bool:
        digit = action.digit
        if digit is not None and len(self.digits) < PIN_MAX_DIGITS:
            self.digits += digit
            self.message = ""
        elif action == AdminAction.ERASE:
            self.digits = self.digits[:-1]
        elif action == AdminAction.OK and len(self.digits) >= PIN_MIN_DIGITS:
            return self._check()
        return False

    def _check(self) -> bool:
        pin, self.digits = self.digits, ""
        # scrypt makes this take about 0.1 s on the main thread: once, for staff, who wait anyway.
        result = self.gate.check(pin)
        if result.ok:
            self.message = ""
            return True
        if result.locked_until is not None:
            self.locked_until = result.locked_until
            self.message = ""
        elif result.attempts_left == 0:
            self.message = self.ctx.t("admin_pin_unreadable")
        else:
            self.message = self.ctx.t("admin_wrong", n=result.attempts_left)
        return False

    def tick(self) -> bool:
        """True when the lockout has just lifted (the pad must be laid out and drawn again)."""
        if self.locked_until is not None and self.gate.clock() >= self.locked_until:
            self.locked_until = None
            self.message = self.ctx.t("admin_unlocked")
            return True
        return False

    def text(self) -> str:
        """The line above the pad: the lockout's minutes, the gate's last answer, or nothing."""
        if self.locked_until is not None:
            minutes = max(1, math.ceil((self.locked_until - self.gate.clock()) / 60))
            return self.ctx.t("admin_locked", n=minutes)
        return self.message

    # -- layout and drawing ----------------------------------------------------------------------
    def buttons(self) -> list[Button]:
        ctx, lay = self.ctx, self.ctx.layout
        cancel_w = max(lay.target * 3, lay.w // 5)
        if not self.has_pin:
            rect = pygame.Rect(
                lay.w // 2 - cancel_w // 2, lay.h // 2 + lay.target, cancel_w, lay.target
            )
            return [Button(rect, ctx.t("admin_cancel"), AdminAction.CANCEL)]
        top = lay.margin + header_height(lay) + int(lay.px_title * 1.4)
        free_h = lay.h - lay.margin - top - lay.target - 5 * lay.gap
        key = max(
            lay.target, min(round(lay.target * 1.6), free_h // 4, (lay.w - 2 * lay.margin) // 4)
        )
        self.key_px = round(key * 0.42)
        pad_w = 3 * key + 2 * lay.gap
        x0 = lay.w // 2 - pad_w // 2
        open_ = self.locked_until is None
        out = []
        for i, label in enumerate(KEYS):
            r, c = divmod(i, 3)
            rect = pygame.Rect(x0 + c * (key + lay.gap), top + r * (key + lay.gap), key, key)
            if label == AdminAction.ERASE:
                b = Button(rect, ctx.t("admin_erase"), label, enabled=open_ and bool(self.digits))
            elif label == AdminAction.OK:
                ok = open_ and len(self.digits) >= PIN_MIN_DIGITS
                b = Button(rect, ctx.t("admin_ok"), label, active=ok, enabled=ok)
            else:
                full = len(self.digits) >= PIN_MAX_DIGITS
                b = Button(rect, label, AdminAction.for_digit(label), enabled=open_ and not full)
            out.append(b)
        y = top + 4 * (key + lay.gap)
        out.append(
            Button(pygame.Rect(x0, y, pad_w, lay.target), ctx.t("admin_cancel"), AdminAction.CANCEL)
        )
        return out

    def draw(self, surf: pygame.Surface, y: int, buttons: list[Button]) -> None:
        ctx, lay = self.ctx, self.ctx.layout
        mid = lay.w // 2
        if not self.has_pin:
            cy = lay.h // 2 - lay.target
            no_pin = ctx.t("admin_no_pin")
            blit_text(ctx, surf, no_pin, "sans-bold", lay.px_head, (mid, cy), anchor="midbottom")
            blit_text(
                ctx,
                surf,
                ctx.t("admin_set_pin"),
                "sans",
                lay.px_body,
                (mid, cy + lay.px_body // 2),
                ctx.pal.accent,
                anchor="midtop",
            )
            for b in buttons:
                draw_button(surf, b, ctx.pal, ctx.cache, lay.px_button, lay.radius)
            return
        message = self.text()
        if message:
            blit_text(
                ctx,
                surf,
                message,
                "sans-bold",
                lay.px_body,
                (mid, y),
                ctx.pal.accent,
                anchor="midtop",
            )
        else:
            prompt = ctx.t("admin_enter_pin")
            blit_text(ctx, surf, prompt, "sans", lay.px_body, (mid, y), anchor="midtop")
        y += int(lay.px_body * 1.6)
        # One dot per digit typed, and empty rings up to the shortest PIN: the length never shows
        # the PIN, but shows that a tap was taken.
        r = max(8, lay.px_title // 4)
        n = max(len(self.digits), PIN_MIN_DIGITS)
        step = r * 3
        x = mid - (n - 1) * step // 2
        cy = y + int(lay.px_title * 0.7)
        for i in range(n):
            if i < len(self.digits):
                pygame.draw.circle(surf, ctx.pal.text, (x + i * step, cy), r)
            else:
                pygame.draw.circle(surf, ctx.pal.text, (x + i * step, cy), r, max(2, r // 4))
        for b in buttons:
            is_key = AdminAction(b.action).digit is not None
            px = self.key_px if is_key else lay.px_button
            draw_button(surf, b, ctx.pal, ctx.cache, px, lay.radius)
