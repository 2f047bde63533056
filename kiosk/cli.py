"""The ``kiosk`` command: a thin layer that parses, calls the library, prints and exits.

User mistakes become one clear message and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import click

from kiosk import __version__
from kiosk import settings as settings_mod
from kiosk.cliutil import CONTEXT, load_settings
from kiosk.logs import setup_logging

log = logging.getLogger("kiosk")


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="kiosk")
@click.option("-v", "--verbose", is_flag=True, help="Log debugging detail.")
def main(verbose: bool) -> None:
    """White Road: a touchscreen exhibit about the explorers of the Russian North.

    Start with `kiosk run` on a screen, or `kiosk tour --out DIR` to see every scene as pictures.
    """
    setup_logging(logging.DEBUG if verbose else logging.INFO)


def _has_display() -> bool:
    driver = os.environ.get("SDL_VIDEODRIVER", "")
    if driver and driver not in ("x11", "wayland"):
        return True  # e.g. kmsdrm on a bare console, or dummy in tests: SDL decides
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


@main.command(context_settings=CONTEXT)
@click.option(
    "--content",
    type=click.Path(path_type=Path, file_okay=False),
    help="Collection folder (default: the installed release, else paths.content).",
)
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Machine settings file (kiosk.yaml).",
)
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


@main.command(context_settings=CONTEXT)
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the PNG pictures.",
)
@click.option(
    "--content", type=click.Path(path_type=Path, file_okay=False), help="Collection folder."
)
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False, exists=True))
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
            f"{size!r}: write the size as WIDTHxHEIGHT, e.g. 1920x1080"
        ) from None
    from kiosk.app import render_tour

    content_dir = content if content is not None else cfg.path("content")
    written = render_tour(cfg, content_dir, out, (w, h), list(langs))
    if not written:
        raise SystemExit(1)
    click.echo(f"wrote {len(written)} pictures to {out}")


@main.group(context_settings=CONTEXT)
def content() -> None:
    """Check and manage the collection (explorers, texts, clips)."""


@content.command(context_settings=CONTEXT)
@click.argument(
    "directory",
    required=False,
    type=click.Path(path_type=Path, file_okay=False),
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--no-media", is_flag=True, help="Skip opening the video files (faster).")
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Machine settings: the screen size and caption rules to check against.",
)
def validate(directory: Path | None, as_json: bool, no_media: bool, config: Path | None) -> None:
    """Check a collection folder; list every problem as file:line: message.

    Checks the YAML, media (opened and read to the end), captions (timing and readability),
    that every letter can be drawn by the bundled fonts, that names and summaries fit the
    screen, and the images. Exits 0 when the collection can be shown (warnings allowed), 1 when
    it has errors.
    """
    from kiosk.content.validate import validate as run_validate
    from kiosk.media.probe import probe_deep
    from kiosk.ui import theme
    from kiosk.ui.fit import screen_checks

    cfg = load_settings(config)
    root = directory if directory is not None else Path("content")
    if not (root / "collection.yaml").exists():
        click.echo(f"{root}: no collection.yaml here; give the collection folder", err=True)
        raise SystemExit(2)
    report = run_validate(
        root,
        None if no_media else probe_deep,
        rules=cfg.validation,
        fonts=list(theme.FONTS.values()),
        extra=screen_checks(cfg),
    )
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        for path, problems in report.grouped().items():
            click.secho(str(path), bold=True)
            for p in problems:
                colour = "red" if p.severity == "error" else "yellow"
                label = click.style(p.severity, fg=colour)
                click.echo(f"{path}:{p.line}: {label}: {p.message}")
        verdict = "OK" if report.ok else "FAILED"
        click.echo(
            f"{verdict}: {report.explorers} explorers, {report.segments} segments, "
            f"{len(report.errors)} errors, {len(report.warnings)} warnings"
        )
    raise SystemExit(0 if report.ok else 1)


@main.command("settings", context_settings=CONTEXT)
@click.option("--defaults", is_flag=True, help="Print a complete settings file with every default.")
@click.option(
    "--check",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Check a settings file and report every problem.",
)
def settings_cmd(defaults: bool, check: Path | None) -> None:
    """Show or check the machine settings (kiosk.yaml)."""
    if defaults:
        click.echo(settings_mod.defaults_yaml())
        return
    if check is not None:
        load_settings(check)
        click.echo(f"{check}: OK")
        return
    click.echo(click.get_current_context().get_help())


def entry() -> None:
    """Run the command with the program name ``kiosk`` whatever the interpreter says."""
    main(prog_name="kiosk")


# Commands that live beside the library they drive register here, one line each.
from kiosk.analytics.cli import stats as stats_group  # noqa: E402

main.add_command(stats_group)
from kiosk import content_commands  # noqa: E402

content_commands.register(content)
from kiosk.mirror.commands import models_group  # noqa: E402

main.add_command(models_group)
from kiosk.ops.commands import admin, doctor  # noqa: E402

main.add_command(admin)
main.add_command(doctor)
