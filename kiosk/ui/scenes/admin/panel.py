"""The admin panel: what staff ask about first, and the few actions they need on the floor.

The status lists the content release, the kiosk in the fleet (its device ID, to pair it), the
player and its faults, the mirror and where its model runs, the sound output, the volume, the
frame rate, the disk and the screen. The figures the scenes cannot know come through the
diagnostics port (:class:`kiosk.ui.ports.DiagnosticsPort`).
"""

from __future__ import annotations

import logging
import re
import shutil

import pygame

from kiosk.media import Faults
from kiosk.ui import theme
from kiosk.ui.context import Context
from kiosk.ui.ports import Diagnostics
from kiosk.ui.scenes.admin.actions import DRASTIC, AdminAction
from kiosk.ui.scenes.admin.chrome import fit_line, header_height
from kiosk.ui.scenes.base import blit_text
from kiosk.ui.text import wrap_lines
from kiosk.ui.widgets import Button, draw_button

log = logging.getLogger(__name__)

ROWS = 5  # of two buttons each


class Panel:
    """The panel's layout and drawing; the scene owns what its buttons do."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.status: list[tuple[str, str]] = []
        self.volume_rect = pygame.Rect(0, 0, 0, 0)
        self.status_rect = pygame.Rect(0, 0, 0, 0)

    # -- status ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        self.status = status_lines(self.ctx)

    # -- layout ----------------------------------------------------------------------------------
    def buttons(self, confirming: AdminAction | None, busy: bool) -> list[Button]:
        """The panel's buttons; ``confirming`` asks "sure?", ``busy``: a job is running."""
        ctx, lay, t = self.ctx, self.ctx.layout, self.ctx.t
        top = lay.margin + header_height(lay)
        # Taller buttons where the screen has room (portrait), never below the 20 mm target.
        room = (lay.h - lay.margin - top) // (2 if lay.portrait else 1) - (ROWS - 1) * lay.gap
        bh = max(lay.target, min(round(lay.target * 1.5), room // ROWS))
        grid_h = ROWS * bh + (ROWS - 1) * lay.gap
        if lay.portrait:
            area = pygame.Rect(
                lay.margin, lay.h - lay.margin - grid_h, lay.w - 2 * lay.margin, grid_h
            )
        else:
            left = lay.margin + int((lay.w - 2 * lay.margin) * 0.44)
            area = pygame.Rect(left, top, lay.w - lay.margin - left, grid_h)
        cw = (area.w - lay.gap) // 2

        def cell(i: int, span: int = 1) -> pygame.Rect:
            r, c = divmod(i, 2)
            return pygame.Rect(
                area.left + c * (cw + lay.gap),
                area.top + r * (bh + lay.gap),
                cw * span + lay.gap * (span - 1),
                bh,
            )

        def state(on: bool) -> str:
            return t("admin_on") if on else t("admin_off")

        vol = cell(0)
        side = max(lay.target, round(bh * 1.3))
        self.volume_rect = pygame.Rect(vol.left + side, vol.top, vol.w - 2 * side, bh)
        v = ctx.volume
        captions = state(ctx.defaults().captions_on)
        out = [
            Button(
                pygame.Rect(vol.left, vol.top, side, bh),
                "",
                AdminAction.VOLUME_DOWN,
                icon="vol-",
                enabled=v > 0,
            ),
            Button(
                pygame.Rect(vol.right - side, vol.top, side, bh),
                "",
                AdminAction.VOLUME_UP,
                icon="vol+",
                enabled=v < 1,
            ),
            Button(cell(1), t("admin_captions", state=captions), AdminAction.CAPTIONS),
            Button(cell(2), t("admin_mirror", state=state(ctx.mirror_enabled)), AdminAction.MIRROR),
            Button(cell(3), t("admin_pattern"), AdminAction.PATTERN),
            Button(cell(4), t("admin_sound"), AdminAction.SOUND, enabled=not busy),
        ]
        hooks = ctx.admin_hooks
        present = {
            AdminAction.ROLLBACK: hooks.on_rollback is not None and not busy,
            AdminAction.RESTART: hooks.on_restart is not None,
            AdminAction.EXIT: hooks.on_exit is not None,
        }
        for i, action in enumerate(DRASTIC, start=5):
            asking = confirming == action
            label = t("admin_sure") if asking else t(f"admin_{action.value}")
            out.append(Button(cell(i), label, action, active=asking, enabled=present[action]))
        close = cell(8, span=2 if cell(8).left == area.left else 1)
        out.append(Button(close, t("admin_close"), AdminAction.CLOSE, active=True))
        self.status_rect = (
            pygame.Rect(lay.margin, top, lay.w - 2 * lay.margin, area.top - lay.gap - top)
            if lay.portrait
            else pygame.Rect(
                lay.margin, top, area.left - 2 * lay.gap - lay.margin, lay.h - lay.margin - top
            )
        )
        return out

    # -- drawing ---------------------------------------------------------------------------------
    def draw(self, surf: pygame.Surface, y: int, message: str, buttons: list[Button]) -> None:
        ctx, lay = self.ctx, self.ctx.layout
        if message:
            blit_text(
                ctx,
                surf,
                message,
                "sans-bold",
                lay.px_body,
                (lay.w // 2, y),
                ctx.pal.accent,
                anchor="midtop",
            )
        # Lay the lines out first, so the box ends under the last one instead of at the screen's
        # foot: an empty panel reads as "something failed to show".
        box = self.status_rect
        inner = box.inflate(-2 * lay.gap, -2 * lay.gap)
        px = lay.px_body if not lay.portrait else round(lay.px_body * 0.9)
        lh = int(px * 1.45)
        label_w = max((theme.font("sans", px).size(k)[0] for k, _ in self.status), default=0)
        label_w = min(label_w, inner.w // 2)
        vx, vw = inner.left + label_w + 2 * lay.gap, inner.w - label_w - 2 * lay.gap
        rows: list[tuple[str, list[str], int]] = []
        yy = inner.top
        for label, value in self.status:
            lines = value_lines(value, px, vw)
            if yy + lh * len(lines) > inner.bottom:
                break
            rows.append((label, lines, yy))
            yy += lh * len(lines) + lh // 4
        box = pygame.Rect(box.left, box.top, box.w, min(box.h, yy - inner.top + 2 * lay.gap))
        pygame.draw.rect(surf, ctx.pal.surface, box, border_radius=lay.radius)
        for label, lines, ly in rows:
            blit_text(ctx, surf, label, "sans", px, (inner.left, ly), ctx.pal.accent)
            for i, line in enumerate(lines):
                blit_text(ctx, surf, line, "sans-bold", px, (vx, ly + i * lh))
        for b in buttons:
            draw_button(surf, b, ctx.pal, ctx.cache, lay.px_button, lay.radius)
        vol = f"{ctx.t('admin_volume')} {round(ctx.volume * 100)} %"
        if theme.font("sans-bold", lay.px_button).size(vol)[0] > self.volume_rect.w - lay.gap:
            vol = f"{round(ctx.volume * 100)} %"  # a narrow cell keeps the figure that matters
        centre = self.volume_rect.center
        blit_text(ctx, surf, vol, "sans-bold", lay.px_button, centre, anchor="center")


def status_lines(ctx: Context) -> list[tuple[str, str]]:
    """The panel's status: (label, value) lines in the reader's language."""
    t = ctx.t
    diag = _diagnostics(ctx)
    release = diag.release if diag is not None else ctx.collection.root.name
    explorers = t("admin_explorers", n=len(ctx.collection.explorers))
    player = ctx.player
    out = [(t("admin_content"), f"{release} · {explorers}")]
    if diag is not None and diag.fleet:  # the device ID, to pair the kiosk from here
        out.append((t("admin_fleet"), diag.fleet))
    out += [
        (t("admin_player"), str(player.state)),
        (t("admin_faults"), faults_text(player.faults, t("admin_none"))),
        (t("admin_mirror_status"), mirror_text(ctx, diag)),
    ]
    sink = player.sink
    if sink is None:
        sound = t("admin_no_sound")
    else:
        sound = sink.name + (f" · {sink.error}" if sink.error is not None else "")
    out.append((t("admin_audio"), sound))
    out.append((t("admin_volume"), f"{round(ctx.volume * 100)} %"))
    if diag is not None:
        figures = (
            f"fps {diag.fps:.1f} · dropped {diag.frames_dropped} · faults {diag.faults} · "
            f"uptime_h {diag.uptime_s / 3600:.1f}"
        )
        out.append((t("admin_frames"), figures))
    try:
        disk = f"{shutil.disk_usage(ctx.collection.root).free / 1e9:.1f}"
    except OSError:
        disk = "?"
    out.append((t("admin_disk"), f"{disk} GB"))
    w, h = ctx.size
    ppm = ctx.metrics.px_per_mm
    out.append((t("admin_screen"), f"{w}×{h} px · {w / ppm:.0f}×{h / ppm:.0f} mm"))
    return out


def value_lines(value: str, px: int, width: int) -> list[str]:
    """A status value in lines of at most ``width`` px: two at most (a third would push the rest
    out of the box), cut with an ellipsis. An identifier too long for one line (a device ID,
    copied by hand to pair the kiosk) is broken after its dashes instead, and never cut."""
    fnt = theme.font("sans-bold", px)
    ids = [w for w in value.split() if "-" in w and fnt.size(w)[0] > width]
    if not ids:
        lines = list(wrap_lines(value, "sans-bold", px, width)) or [""]
        if len(lines) > 2:
            lines = [lines[0], " ".join(lines[1:])]
        return [fit_line(line, "sans-bold", px, width) for line in lines]
    out: list[str] = []
    line = ""
    for word in value.split():
        pieces = [word]
        if word in ids:  # on lines of its own, to be read whole
            pieces = re.findall(r"[^-]*-|[^-]+", word)
            if line:
                out.append(line)
                line = ""
        for i, piece in enumerate(pieces):
            trial = f"{line} {piece}" if line and i == 0 else line + piece
            if line and fnt.size(trial)[0] > width:
                out.append(line)
                trial = piece
            line = trial
    return [*out, line] if line else out


def _diagnostics(ctx: Context) -> Diagnostics | None:
    if ctx.diagnostics is None:
        return None
    try:
        return ctx.diagnostics.diagnostics()
    except Exception:  # the kiosk's figures are a nicety; the panel must still open
        log.exception("admin: diagnostics")
        return None


def mirror_text(ctx: Context, diag: Diagnostics | None) -> str:
    """The mirror's state (and error), its model and provider, and whether staff hid it."""
    t = ctx.t
    if ctx.mirror is None:
        return t("admin_mirror_none")
    parts: list[str] = []
    try:
        st = ctx.mirror.status()
        parts.append(st.state)
        if st.error:
            parts.append(st.error)
        if st.problems:  # a perception model missing or broken: the plain frost grade
            parts.append(f"{st.perception}: " + "; ".join(st.problems))
    except Exception as exc:  # a pipeline that fails to answer is itself the news
        parts.append(f"{type(exc).__name__}: {exc}")
    if diag is not None and diag.model:
        parts.append(diag.model)
        parts.append(diag.provider + (" (fallback)" if diag.fallback else ""))
    if not ctx.mirror_enabled:
        parts.append(t("admin_hidden"))
    return " · ".join(parts)


def faults_text(faults: Faults, none: str) -> str:
    """Counts by kind and the latest reason, or ``none``."""
    counts = faults.counts
    if not counts:
        return none
    text = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    last = faults.last
    if last:
        text += f"; {last[-1].reason}"
    return text
