"""``kiosk run`` and ``kiosk tour``: the exhibit on a screen, or every scene as pictures.

The application itself is imported inside the commands (pygame is heavy, and ``kiosk --help``
should stay quick).
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from kiosk.cli._common import CONTEXT, config_option, load_settings


def _has_display() -> bool:
    driver = os.environ.get("SDL_VIDEODRIVER", "")
    if driver and driver not in ("x11", "wayland"):
        return True  # e.g. kmsdrm on a bare console, or dummy in tests: SDL decides
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


@click.command(context_settings=CONTEXT)
@click.option(
    "--content",
    type=click.Path(path_type=Path, file_okay=False),
    help="Collection folder (default: the installed release, else paths.content).",
)
@config_option
@click.option("--fullscreen/--windowed", default=None, help="Override display.fullscreen.")
@click.option(
    "--max-seconds",
    type=float,
    default=None,
    hidden=True,
    help="Quit after this many seconds (for tests).",
)
def run(
    content: Path | None, config: Path | None, fullscreen: bool | None, max_seconds: float | None
) -> None:
    """Start the kiosk on a screen."""
    cfg = load_settings(config)
    if not _has_display():
        click.echo(
            "kiosk: no display found (DISPLAY/WAYLAND_DISPLAY unset); "
            "to see the exhibit without a screen, run: kiosk tour --out DIR",
            err=True,
        )
        raise SystemExit(3)
    from kiosk.app import run_kiosk
    from kiosk.ops.logfile import setup_file_log

    # Under systemd the journal keeps the log; elsewhere a bounded rotating file does.
    setup_file_log(cfg)

    raise SystemExit(run_kiosk(cfg, content, fullscreen=fullscreen, max_seconds=max_seconds))


@click.command(context_settings=CONTEXT)
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the PNG pictures.",
)
@click.option(
    "--content",
    type=click.Path(path_type=Path, file_okay=False),
    help="Collection folder (default: paths.content).",
)
@config_option
@click.option("--lang", "langs", multiple=True, help="Language(s) to show; default: all.")
@click.option("--size", default="1920x1080", show_default=True, help="Screen size WxH.")
def tour(
    out: Path, content: Path | None, config: Path | None, langs: tuple[str, ...], size: str
) -> None:
    """Render every scene in every language to PNG files, without a screen."""
    cfg = load_settings(config)
    try:
        w, h = (int(v) for v in size.lower().split("x"))
    except ValueError:
        raise click.BadParameter(
            f"{size!r}: write the size as WIDTHxHEIGHT, e.g. 1920x1080", param_hint="--size"
        ) from None
    from kiosk.app import render_tour

    content_dir = content if content is not None else cfg.path("content")
    written = render_tour(cfg, content_dir, out, (w, h), list(langs))
    if not written:
        raise SystemExit(1)
    click.echo(f"wrote {len(written)} pictures to {out}")
