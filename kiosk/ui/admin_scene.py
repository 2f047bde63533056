"""Admin mode's screen for staff: a PIN pad, then a panel of the kiosk's state and actions.

The hidden corner gesture (:class:`kiosk.ops.admin.HiddenGesture`) brings the kiosk here. The
PIN is checked by :class:`kiosk.ops.admin.AdminGate`, which also keeps the lockout, so a restart
does not give a visitor new tries; this scene only draws what the gate answers. After the PIN the
panel shows what staff ask about first (content release, player and its faults, mirror and its
provider, sound output, frame rate, disk) and offers the few actions they need on the floor.
Actions that cannot be undone by a tap (rollback, restart, exit) ask for a second tap.

The visit's "still there?" countdown does not run here (a visitor's timer makes no sense for
staff); the panel closes by itself after ``admin.idle_close_s`` without a touch instead.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import pygame

from kiosk.content.model import Segment, Text
from kiosk.ops.admin import PIN_MAX_DIGITS, PIN_MIN_DIGITS, AdminGate
from kiosk.ui import theme
from kiosk.ui.input import Gesture
from kiosk.ui.scenes import Context, Scene, Transition
from kiosk.ui.text import wrap_lines
from kiosk.ui.widgets import Button, draw_button

log = logging.getLogger(__name__)

VOLUME_STEP = 0.1
CONFIRM_S = 8.0  # how long a first tap on rollback/restart/exit waits for the second one
REFRESH_S = 1.0  # status figures and the lockout minutes are redrawn this often, no more
CONFIRMED = ("rollback", "restart", "exit")
TONE_HZ = 1000.0
TONE_FILE = "kiosk-tone-1khz.mp4"
# Colour bars at 75 % (EBU order): full 255 would clip on screens that stretch video levels.
BARS = (
    (191, 191, 191),
    (191, 191, 0),
    (0, 191, 191),
    (0, 191, 0),
    (191, 0, 191),
    (191, 0, 0),
    (0, 0, 191),
    (16, 16, 16),
)


@dataclass
class AdminHooks:
    """What the app lets the admin panel do; each is optional and its button is off without it.

    Set once on ``Context.admin_hooks``; every admin scene copies them into its attributes of the
    same names (which tests and the loop may also set directly).
    """

    on_rollback: Callable[[], str] | None = None  # returns a line to show, e.g. "now 2024-05"
    on_restart: Callable[[], object] | None = None
    on_exit: Callable[[], object] | None = None
    stats: Callable[[], dict[str, object]] | None = None  # fps, dropped, faults, release, ...


class AdminScene(Scene):
    """The PIN pad, the admin panel and its full-screen test pattern (``mode``)."""

    name = "admin"

    def __init__(self, ctx: Context, gate: AdminGate) -> None:
        super().__init__(ctx)
        self.gate = gate
        hooks = ctx.admin_hooks if isinstance(ctx.admin_hooks, AdminHooks) else AdminHooks()
        self.on_rollback: Callable[[], str] | None = hooks.on_rollback
        self.on_restart: Callable[[], object] | None = hooks.on_restart
        self.on_exit: Callable[[], object] | None = hooks.on_exit
        self.stats: Callable[[], dict[str, object]] | None = hooks.stats
        self.mode = "pin"  # pin | panel | pattern
        self.has_pin = False
        self.digits = ""
        self.message = ""
        self.locked_until: float | None = None  # the gate's wall-clock time
        self.confirming: str | None = None
        self.confirm_at = 0.0
        self.last_touch = 0.0
        self.status: list[tuple[str, str]] = []
        self.next_refresh = 0.0
        self.redraw = False
        self.tone_dir = Path(tempfile.gettempdir())
        self.played_tone = False
        self.volume_rect = pygame.Rect(0, 0, 0, 0)
        self.status_rect = pygame.Rect(0, 0, 0, 0)
        self.key_px = 0

    # -- life ------------------------------------------------------------------------------------
    def enter(self) -> None:
        self.last_touch = self.ctx.now()
        self.has_pin = self.gate.has_pin()
        self.locked_until = self.gate.locked_until() if self.has_pin else None
        self.relayout()

    def exit(self) -> None:
        if self.played_tone:
            self.ctx.player.stop()
        self.digits = ""  # a PIN half typed never outlives the pad

    @property
    def animating(self) -> bool:
        # One frame after a change the scene made by itself; otherwise the loop may sleep.
        return self.redraw

    def update(self, now: float) -> Transition | None:
        if now - self.last_touch >= self.ctx.settings.admin.idle_close_s:
            # Left open and forgotten: close and lock again, back to the visitors.
            self.digits = ""
            return Transition("attract")
        if self.confirming is not None and now - self.confirm_at > CONFIRM_S:
            self.confirming = None
            self.message = ""
            self.relayout()
            self.redraw = True
        if self.locked_until is not None and self.gate.clock() >= self.locked_until:
            self.locked_until = None
            self.message = self.ctx.t("admin_unlocked")
            self.relayout()
            self.redraw = True
        if now >= self.next_refresh:
            self.next_refresh = now + REFRESH_S
            if self.mode == "panel":
                self.status = self._status()
            self.redraw = self.redraw or self.mode == "panel" or self.locked_until is not None
        return None

    # -- input -----------------------------------------------------------------------------------
    def handle(self, g: Gesture) -> Transition | None:
        self.last_touch = self.ctx.now()
        if self.mode == "pattern":
            if g.kind in ("tap", "long_press", "swipe", "key"):
                self.mode = "panel"
                self.relayout()
            return None
        if g.kind == "key":
            if g.key == "back":
                return Transition("attract")
            if g.key == "activate" and self.mode == "pin":
                return self.on_button("ok")
            return None
        return super().handle(g)

    def on_button(self, action: str) -> Transition | None:
        if action in ("cancel", "close"):
            return Transition("attract")
        if action != self.confirming and self.confirming is not None:
            self.confirming = None  # another button withdraws an unanswered "are you sure?"
            self.message = ""
        if self.mode == "pin":
            self._pin_button(action)
        else:
            self._panel_button(action)
        self.relayout()
        return None

    def _pin_button(self, action: str) -> None:
        if action.startswith("digit:") and len(self.digits) < PIN_MAX_DIGITS:
            self.digits += action.split(":", 1)[1]
            self.message = ""
        elif action == "erase":
            self.digits = self.digits[:-1]
        elif action == "ok" and len(self.digits) >= PIN_MIN_DIGITS:
            self._check()

    def _check(self) -> None:
        pin, self.digits = self.digits, ""
        # scrypt makes this take about 0.1 s on the main thread: once, for staff, who wait anyway.
        result = self.gate.check(pin)
        if result.ok:
            self.mode = "panel"
            self.message = ""
            self.status = self._status()
        elif result.locked_until is not None:
            self.locked_until = result.locked_until
            self.message = ""
        elif result.attempts_left == 0:
            self.message = self.ctx.t("admin_pin_unreadable")
        else:
            self.message = self.ctx.t("admin_wrong", n=result.attempts_left)

    def _panel_button(self, action: str) -> None:
        ctx = self.ctx
        if action in ("vol-", "vol+"):
            step = VOLUME_STEP if action == "vol+" else -VOLUME_STEP
            ctx.volume = round(min(1.0, max(0.0, ctx.volume + step)), 2)
            ctx.player.set_volume(ctx.volume)
        elif action == "captions":
            on = not self.captions_default
            ctx.captions_default = on
            ctx.captions_on = on
        elif action == "mirror":
            ctx.mirror_enabled = not ctx.mirror_enabled
        elif action == "pattern":
            self.mode = "pattern"
        elif action == "sound":
            self.message = self._sound_check()
        elif action in CONFIRMED and self._confirmed(action):
            self.message = self._run(action)
        self.status = self._status()

    def _confirmed(self, action: str) -> bool:
        if self.confirming == action:
            self.confirming = None
            return True
        self.confirming = action
        self.confirm_at = self.ctx.now()
        self.message = self.ctx.t("admin_sure")
        return False

    def _run(self, action: str) -> str:
        hook = {"rollback": self.on_rollback, "restart": self.on_restart, "exit": self.on_exit}
        call = hook[action]
        if call is None:
            return self.ctx.t("admin_not_here")
        log.warning("admin: %s", action)
        try:
            answer = call()
        except Exception as exc:  # a failed action is shown to staff, not a crash on the floor
            log.exception("admin %s failed", action)
            return f"{type(exc).__name__}: {exc}"
        return answer if isinstance(answer, str) else ""

    def _sound_check(self) -> str:
        player = self.ctx.player
        sink = getattr(player, "sink", None)
        if sink is None:
            return self.ctx.t("admin_no_sound")
        try:
            path = tone_clip(self.tone_dir / TONE_FILE)
        except Exception as exc:  # PyAV without an encoder, a full /tmp: say so, play nothing
            log.exception("admin sound check")
            return self.ctx.t("admin_sound_failed", error=str(exc) or type(exc).__name__)
        player.set_volume(self.ctx.volume)
        player.play(Segment("tone", Text({"en": "1 kHz"}, "en"), path))
        self.played_tone = True
        return self.ctx.t("admin_tone", device=str(getattr(sink, "name", "?")))

    @property
    def captions_default(self) -> bool:
        own = self.ctx.captions_default
        return self.ctx.settings.captions.default_on if own is None else bool(own)

    # -- status ----------------------------------------------------------------------------------
    def _status(self) -> list[tuple[str, str]]:
        ctx, t = self.ctx, self.ctx.t
        stats: dict[str, object] = {}
        if self.stats is not None:
            try:
                stats = dict(self.stats())
            except Exception:  # the loop's figures are a nicety; the panel must still open
                log.exception("admin stats")
        release = str(stats.pop("release", "") or ctx.collection.root.name)
        out = [
            (
                t("admin_content"),
                f"{release} · {t('admin_explorers', n=len(ctx.collection.explorers))}",
            )
        ]
        player = ctx.player
        out.append((t("admin_player"), str(getattr(player, "state", "?"))))
        faults = getattr(player, "faults", None)
        if faults is not None:
            out.append((t("admin_faults"), _faults_text(faults, t("admin_none"))))
        out.append((t("admin_mirror_status"), self._mirror_text()))
        sink = getattr(player, "sink", None)
        if sink is None:
            sound = t("admin_no_sound")
        else:
            sound = str(getattr(sink, "name", "?"))
            error = getattr(sink, "error", None)
            if error is not None:
                sound += f" · {error}"
        out.append((t("admin_audio"), sound))
        out.append((t("admin_volume"), f"{round(ctx.volume * 100)} %"))
        disk = stats.pop("disk_free_gb", None)
        if stats:
            out.append((t("admin_frames"), " · ".join(f"{k} {_fmt(v)}" for k, v in stats.items())))
        if disk is None:
            try:
                disk = shutil.disk_usage(ctx.collection.root).free / 1e9
            except OSError:
                disk = "?"
        out.append((t("admin_disk"), f"{_fmt(disk)} GB"))
        w, h = ctx.size
        ppm = ctx.metrics.px_per_mm
        out.append((t("admin_screen"), f"{w}×{h} px · {w / ppm:.0f}×{h / ppm:.0f} mm"))
        return out

    def _mirror_text(self) -> str:
        ctx, t = self.ctx, self.ctx.t
        mirror = ctx.mirror
        if mirror is None:
            return t("admin_mirror_none")
        parts: list[str] = []
        try:
            st = mirror.status()
            parts.append(str(getattr(st, "state", st)))
            error = getattr(st, "error", None)
            if error:
                parts.append(str(error))
        except Exception as exc:  # a pipeline that fails to answer is itself the news
            parts.append(f"{type(exc).__name__}: {exc}")
        try:
            d = mirror.stylizer.describe()
            parts.append(str(d.get("model", "?")))
            provider = str(d.get("provider", "?"))
            parts.append(provider + (" (fallback)" if d.get("fallback") else ""))
        except Exception:  # no stylizer (a fake, or the model failed to load): nothing to add
            log.debug("admin: mirror stylizer has no description", exc_info=True)
        if not ctx.mirror_enabled:
            parts.append(t("admin_hidden"))
        return " · ".join(parts)

    # -- layout ----------------------------------------------------------------------------------
    def relayout(self) -> None:
        if self.mode == "pattern":
            self.buttons = []
        elif self.mode == "pin":
            self._layout_pin()
        else:
            self._layout_panel()

    def _header_h(self) -> int:
        f = self.ctx.frame
        return int(f.px_head * 1.5) + int(f.px_small * 1.6) + int(f.px_body * 1.6)

    def _layout_pin(self) -> None:
        f = self.ctx.frame
        cancel_w = max(f.target * 3, f.w // 5)
        if not self.has_pin:
            self.buttons = [
                Button(
                    pygame.Rect(f.w // 2 - cancel_w // 2, f.h // 2 + f.target, cancel_w, f.target),
                    self.ctx.t("admin_cancel"),
                    "cancel",
                )
            ]
            return
        top = f.margin + self._header_h() + int(f.px_title * 1.4)
        free_h = f.h - f.margin - top - f.target - 5 * f.gap
        key = max(f.target, min(round(f.target * 1.6), free_h // 4, (f.w - 2 * f.margin) // 4))
        self.key_px = round(key * 0.42)
        pad_w = 3 * key + 2 * f.gap
        x0 = f.w // 2 - pad_w // 2
        open_ = self.locked_until is None
        labels = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "erase", "0", "ok"]
        self.buttons = []
        for i, label in enumerate(labels):
            r, c = divmod(i, 3)
            rect = pygame.Rect(x0 + c * (key + f.gap), top + r * (key + f.gap), key, key)
            if label == "erase":
                b = Button(
                    rect, self.ctx.t("admin_erase"), "erase", enabled=open_ and bool(self.digits)
                )
            elif label == "ok":
                ok = open_ and len(self.digits) >= PIN_MIN_DIGITS
                b = Button(rect, self.ctx.t("admin_ok"), "ok", active=ok, enabled=ok)
            else:
                full = len(self.digits) >= PIN_MAX_DIGITS
                b = Button(rect, label, f"digit:{label}", enabled=open_ and not full)
            self.buttons.append(b)
        y = top + 4 * (key + f.gap)
        self.buttons.append(
            Button(
                pygame.Rect(x0, y, pad_w, f.target),
                self.ctx.t("admin_cancel"),
                "cancel",
            )
        )

    def _layout_panel(self) -> None:
        f, t = self.ctx.frame, self.ctx.t
        top = f.margin + self._header_h()
        rows = 5
        # Taller buttons where the screen has room (portrait), never below the 20 mm target.
        room = (f.h - f.margin - top) // (2 if f.portrait else 1) - (rows - 1) * f.gap
        bh = max(f.target, min(round(f.target * 1.5), room // rows))
        grid_h = rows * bh + (rows - 1) * f.gap
        if f.portrait:
            area = pygame.Rect(f.margin, f.h - f.margin - grid_h, f.w - 2 * f.margin, grid_h)
        else:
            left = f.margin + int((f.w - 2 * f.margin) * 0.44)
            area = pygame.Rect(left, top, f.w - f.margin - left, grid_h)
        cw = (area.w - f.gap) // 2

        def cell(i: int, span: int = 1) -> pygame.Rect:
            r, c = divmod(i, 2)
            return pygame.Rect(
                area.left + c * (cw + f.gap),
                area.top + r * (bh + f.gap),
                cw * span + f.gap * (span - 1),
                bh,
            )

        def state(on: bool) -> str:
            return t("admin_on") if on else t("admin_off")

        vol = cell(0)
        side = max(f.target, round(bh * 1.3))
        self.volume_rect = pygame.Rect(vol.left + side, vol.top, vol.w - 2 * side, bh)
        v = self.ctx.volume
        self.buttons = [
            Button(
                pygame.Rect(vol.left, vol.top, side, bh), "", "vol-", icon="vol-", enabled=v > 0
            ),
            Button(
                pygame.Rect(vol.right - side, vol.top, side, bh),
                "",
                "vol+",
                icon="vol+",
                enabled=v < 1,
            ),
            Button(cell(1), t("admin_captions", state=state(self.captions_default)), "captions"),
            Button(cell(2), t("admin_mirror", state=state(self.ctx.mirror_enabled)), "mirror"),
            Button(cell(3), t("admin_pattern"), "pattern"),
            Button(cell(4), t("admin_sound"), "sound"),
        ]
        hooks = {"rollback": self.on_rollback, "restart": self.on_restart, "exit": self.on_exit}
        for i, action in enumerate(CONFIRMED, start=5):
            asking = self.confirming == action
            self.buttons.append(
                Button(
                    cell(i),
                    t("admin_sure") if asking else t(f"admin_{action}"),
                    action,
                    active=asking,
                    enabled=hooks[action] is not None,
                )
            )
        self.buttons.append(
            Button(
                cell(8, span=2 if cell(8).left == area.left else 1),
                t("admin_close"),
                "close",
                active=True,
            )
        )
        self.status_rect = (
            pygame.Rect(f.margin, top, f.w - 2 * f.margin, area.top - f.gap - top)
            if f.portrait
            else pygame.Rect(f.margin, top, area.left - 2 * f.gap - f.margin, f.h - f.margin - top)
        )

    # -- drawing ---------------------------------------------------------------------------------
    def draw(self, surf: pygame.Surface) -> None:
        self.redraw = False
        if self.mode == "pattern":
            self._draw_pattern(surf)
            return
        ctx, f = self.ctx, self.ctx.frame
        surf.fill(ctx.pal.bg)
        y = f.margin
        self.text(
            surf, ctx.t("admin_title"), "sans-bold", f.px_head, (f.w // 2, y), anchor="midtop"
        )
        y += int(f.px_head * 1.5)
        hint = ctx.t("admin_closes", n=round(ctx.settings.admin.idle_close_s))
        self.text(surf, hint, "sans", f.px_small, (f.w // 2, y), anchor="midtop")
        y += int(f.px_small * 1.6)
        if self.mode == "pin":
            self._draw_pin(surf, y)
        else:
            self._draw_panel(surf, y)

    def _message(self) -> str:
        if self.locked_until is not None:
            minutes = max(1, math.ceil((self.locked_until - self.gate.clock()) / 60))
            return self.ctx.t("admin_locked", n=minutes)
        return self.message

    def _draw_pin(self, surf: pygame.Surface, y: int) -> None:
        ctx, f = self.ctx, self.ctx.frame
        if not self.has_pin:
            cy = f.h // 2 - f.target
            self.text(
                surf,
                ctx.t("admin_no_pin"),
                "sans-bold",
                f.px_head,
                (f.w // 2, cy),
                anchor="midbottom",
            )
            self.text(
                surf,
                ctx.t("admin_set_pin"),
                "sans",
                f.px_body,
                (f.w // 2, cy + f.px_body // 2),
                ctx.pal.accent,
                anchor="midtop",
            )
            self.draw_buttons(surf)
            return
        message = self._message()
        if message:
            self.text(
                surf,
                message,
                "sans-bold",
                f.px_body,
                (f.w // 2, y),
                ctx.pal.accent,
                anchor="midtop",
            )
        else:
            self.text(
                surf, ctx.t("admin_enter_pin"), "sans", f.px_body, (f.w // 2, y), anchor="midtop"
            )
        y += int(f.px_body * 1.6)
        # One dot per digit typed, and empty rings up to the shortest PIN: the length never shows
        # the PIN, but shows that a tap was taken.
        r = max(8, f.px_title // 4)
        n = max(len(self.digits), PIN_MIN_DIGITS)
        step = r * 3
        x = f.w // 2 - (n - 1) * step // 2
        cy = y + int(f.px_title * 0.7)
        for i in range(n):
            if i < len(self.digits):
                pygame.draw.circle(surf, ctx.pal.text, (x + i * step, cy), r)
            else:
                pygame.draw.circle(surf, ctx.pal.text, (x + i * step, cy), r, max(2, r // 4))
        for b in self.buttons:
            px = self.key_px if b.action.startswith("digit:") else f.px_button
            draw_button(surf, b, ctx.pal, ctx.cache, px, f.radius)

    def _draw_panel(self, surf: pygame.Surface, y: int) -> None:
        ctx, f = self.ctx, self.ctx.frame
        if self.message:
            self.text(
                surf,
                self.message,
                "sans-bold",
                f.px_body,
                (f.w // 2, y),
                ctx.pal.accent,
                anchor="midtop",
            )
        # Lay the lines out first, so the box ends under the last one instead of at the screen's
        # foot: an empty panel reads as "something failed to show".
        box = self.status_rect
        inner = box.inflate(-2 * f.gap, -2 * f.gap)
        px = f.px_body if not f.portrait else round(f.px_body * 0.9)
        lh = int(px * 1.45)
        label_w = max((theme.font("sans", px).size(k)[0] for k, _ in self.status), default=0)
        label_w = min(label_w, inner.w // 2)
        vx, vw = inner.left + label_w + 2 * f.gap, inner.w - label_w - 2 * f.gap
        rows: list[tuple[str, list[str], int]] = []
        yy = inner.top
        for label, value in self.status:
            lines = list(wrap_lines(value, "sans-bold", px, vw)) or [""]
            if len(lines) > 2:  # a third line would push the rest out of the box
                lines = [lines[0], " ".join(lines[1:])]
            lines = [_fit(line, "sans-bold", px, vw) for line in lines]
            if yy + lh * len(lines) > inner.bottom:
                break
            rows.append((label, lines, yy))
            yy += lh * len(lines) + lh // 4
        box = pygame.Rect(box.left, box.top, box.w, min(box.h, yy - inner.top + 2 * f.gap))
        pygame.draw.rect(surf, ctx.pal.surface, box, border_radius=f.radius)
        for label, lines, ly in rows:
            self.text(surf, label, "sans", px, (inner.left, ly), ctx.pal.accent)
            for i, line in enumerate(lines):
                self.text(surf, line, "sans-bold", px, (vx, ly + i * lh))
        self.draw_buttons(surf)
        vol = f"{ctx.t('admin_volume')} {round(ctx.volume * 100)} %"
        if theme.font("sans-bold", f.px_button).size(vol)[0] > self.volume_rect.w - f.gap:
            vol = f"{round(ctx.volume * 100)} %"  # a narrow cell keeps the figure that matters
        self.text(surf, vol, "sans-bold", f.px_button, self.volume_rect.center, anchor="center")

    def _draw_pattern(self, surf: pygame.Surface) -> None:
        ctx, f = self.ctx, self.ctx.frame
        w, h = surf.get_size()
        bars_h = h * 2 // 3
        for i, colour in enumerate(BARS):
            surf.fill(
                colour,
                pygame.Rect(
                    i * w // len(BARS), 0, (i + 1) * w // len(BARS) - i * w // len(BARS), bars_h
                ),
            )
        steps = 11
        for i in range(steps):
            v = round(255 * i / (steps - 1))
            x0, x1 = i * w // steps, (i + 1) * w // steps
            surf.fill((v, v, v), pygame.Rect(x0, bars_h, x1 - x0, h - bars_h))
        # A 10 mm grid: a square that is not square, or a cell that is not 10 mm, is the screen's
        # size setting (display.screen_width_mm) or scaling, not the content.
        ppm = ctx.metrics.px_per_mm
        grid = (128, 128, 128)
        n = 0
        while n * 10 * ppm < w:
            x = round(n * 10 * ppm)
            pygame.draw.line(surf, grid, (x, 0), (x, h), 2 if n % 5 == 0 else 1)
            n += 1
        n = 0
        while n * 10 * ppm < h:
            yy = round(n * 10 * ppm)
            pygame.draw.line(surf, grid, (0, yy), (w, yy), 2 if n % 5 == 0 else 1)
            n += 1
        pygame.draw.rect(surf, (255, 255, 255), surf.get_rect(), 3)  # edges: overscan shows here
        # The centre panel: the size, then a ruler with 1 mm ticks, white on near-black.
        white = (255, 255, 255)
        size = f"{w}×{h} px · {w / ppm:.0f}×{h / ppm:.0f} mm · {ppm:.2f} px/mm"
        lines = [
            (size, "sans-bold", f.px_body),
            (ctx.t("admin_ruler"), "sans", f.px_small),
            (ctx.t("admin_leave"), "sans-bold", f.px_body),
        ]
        widest = max(theme.font(k, px).size(text)[0] for text, k, px in lines)
        ruler_mm = 100 if 100 * ppm + 2 * f.margin < min(w, widest * 1.6) else 50
        ruler_w = round(ruler_mm * ppm)
        tick = round(6 * ppm)
        pad = f.gap * 2
        ph = (
            2 * pad
            + int(f.px_body * 1.4)
            + pad
            + tick
            + int(f.px_small * 1.4)
            + int(f.px_small * 1.6)
            + int(f.px_body * 1.4)
        )
        panel = pygame.Rect(0, 0, max(widest, ruler_w) + 2 * pad, ph)
        panel.center = (w // 2, h // 2)
        surf.fill((10, 10, 10), panel)
        y = panel.top + pad
        self.text(surf, size, "sans-bold", f.px_body, (panel.centerx, y), white, anchor="midtop")
        y += int(f.px_body * 1.4) + pad + tick
        x0 = panel.centerx - ruler_w // 2
        pygame.draw.line(surf, white, (x0, y), (x0 + ruler_w, y), 1)
        for mm in range(ruler_mm + 1):
            x = x0 + round(mm * ppm)
            tall = tick if mm % 10 == 0 else round(tick * (0.66 if mm % 5 == 0 else 0.4))
            pygame.draw.line(surf, white, (x, y), (x, y - tall), 1)
            if mm % 10 == 0:
                self.text(
                    surf, str(mm // 10), "sans", f.px_small, (x, y + 2), white, anchor="midtop"
                )
        y += int(f.px_small * 1.4)
        self.text(
            surf,
            ctx.t("admin_ruler"),
            "sans",
            f.px_small,
            (panel.centerx, y),
            white,
            anchor="midtop",
        )
        y += int(f.px_small * 1.6)
        self.text(
            surf,
            ctx.t("admin_leave"),
            "sans-bold",
            f.px_body,
            (panel.centerx, y),
            white,
            anchor="midtop",
        )


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _fit(text: str, kind: str, px: int, width: int) -> str:
    """``text`` cut with an ellipsis to fit ``width`` px."""
    fnt = theme.font(kind, px)
    if fnt.size(text)[0] <= width:
        return text
    while text and fnt.size(text + "…")[0] > width:
        text = text[:-1]
    return text + "…"


def _faults_text(faults: object, none: str) -> str:
    counts = getattr(faults, "counts", faults)
    if isinstance(counts, dict):
        if not counts:
            return none
        text = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        last = getattr(faults, "last", None)
        if last:
            text += f"; {getattr(last[-1], 'reason', last[-1])}"
        return text
    return str(faults)


def tone_clip(path: Path, seconds: float = 1.0, rate: int = 48000) -> Path:
    """A clip the player can play: 1 kHz for ``seconds`` over a small black picture.

    The player plays clips with video only (a sound-only file is a fault there), so the tone
    comes with 64x64 black frames. Written once; later checks reuse the file.
    """
    if path.is_file() and path.stat().st_size > 0:
        return path
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part.mp4")
    with av.open(str(part), "w") as out:
        vs = out.add_stream("libx264", rate=25)
        vs.width, vs.height = 64, 64
        vs.pix_fmt = "yuv420p"
        vs.options = {"preset": "ultrafast"}
        a_s = out.add_stream("aac", rate=rate, layout="stereo")
        black = np.zeros((64, 64, 3), np.uint8)
        for _ in range(round(seconds * 25)):
            for packet in vs.encode(av.VideoFrame.from_ndarray(black, format="rgb24")):
                out.mux(packet)
        for packet in vs.encode():
            out.mux(packet)
        n = round(seconds * rate)
        tone = 0.3 * np.sin(2 * np.pi * TONE_HZ * np.arange(n) / rate)
        fade = np.minimum(1.0, np.minimum(np.arange(n), n - 1 - np.arange(n)) / (0.01 * rate))
        samples = (tone * fade).astype(np.float32)  # 10 ms fades: no click at either end
        for start in range(0, n, 1024):
            chunk = samples[start : start + 1024]
            frame = av.AudioFrame.from_ndarray(
                np.stack([chunk, chunk]), format="fltp", layout="stereo"
            )
            frame.sample_rate = rate
            frame.pts = start
            frame.time_base = Fraction(1, rate)
            for packet in a_s.encode(frame):
                out.mux(packet)
        for packet in a_s.encode():
            out.mux(packet)
    os.replace(part, path)
    return path
