"""The technician's commands for unattended operation: ``kiosk doctor`` and ``kiosk admin``.

Thin, as every command: parse, call :mod:`kiosk.ops`, print, exit. The settings are found as
every command finds them (:mod:`kiosk.cli._common`), so ``sudo kiosk doctor`` on an installed
kiosk needs no options.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click

from kiosk.cli._common import CONTEXT, config_option, fail, load_settings, load_settings_from
from kiosk.ops.admin import AdminGate, PinError, validate_pin


@click.command(context_settings=CONTEXT)
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--content", type=click.Path(path_type=Path, file_okay=False), help="Check this collection."
)
@click.option("--no-media", is_flag=True, help="Do not open the video files (faster).")
@click.option(
    "--no-camera", is_flag=True, help="Do not open the camera (e.g. while the kiosk uses it)."
)
def doctor(
    config: Path | None, as_json: bool, content: Path | None, no_media: bool, no_camera: bool
) -> None:
    """Check this kiosk machine and say what to fix.

    Looks at the screen, sound, camera, inference, fonts, content, disk, database, schedule,
    admin PIN, health file and service. Exits 0 when every essential check passes.
    """
    from kiosk.ops.doctor import Context, format_report, run_checks

    cfg, source = load_settings_from(config)
    ctx = Context(cfg, content_dir=content, media=not no_media, camera=not no_camera)
    report = run_checks(ctx)
    if as_json:
        data = report.as_dict()
        data["settings"] = str(source) if source else None
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(f"kiosk doctor: settings from {source or 'the built-in defaults'}")
        click.echo(format_report(report))
    raise SystemExit(0 if report.ok else 1)


@click.group(context_settings=CONTEXT)
def admin() -> None:
    """Admin mode: set the staff PIN, see or clear the PIN pad's lockout."""


def _gate(config: Path | None) -> AdminGate:
    return AdminGate.from_settings(load_settings(config))


def _interactive() -> bool:
    return sys.stdin.isatty()


@admin.command("set-pin", context_settings=CONTEXT)
@config_option
@click.option(
    "--pin-stdin",
    is_flag=True,
    help="Read the PIN from the first line of standard input (scripts).",
)
def set_pin(config: Path | None, pin_stdin: bool) -> None:
    """Set the admin PIN (4-12 digits). Asks twice and never shows it."""
    gate = _gate(config)
    if pin_stdin:
        pin = sys.stdin.readline().strip()
    else:
        if not _interactive():
            fail("kiosk admin set-pin: no terminal to ask on; use --pin-stdin", code=2)
        pin = click.prompt(
            "New admin PIN", hide_input=True, confirmation_prompt="Repeat the PIN", type=str
        ).strip()
    try:
        validate_pin(pin)
        gate.set_pin(pin)
    except PinError as exc:
        fail(f"kiosk admin set-pin: {exc}", code=2)
    except OSError as exc:
        hint = "; run it with sudo" if isinstance(exc, PermissionError) else ""
        fail(f"kiosk admin set-pin: cannot write {gate.pin_file}: {exc.strerror}{hint}")
    click.echo(f"admin PIN set ({gate.pin_file.absolute()}); the kiosk uses it from the next try")


@admin.command("status", context_settings=CONTEXT)
@config_option
def status(config: Path | None) -> None:
    """Say whether a PIN is set and whether the PIN pad is locked."""
    gate = _gate(config)
    if not gate.has_pin():
        click.echo(f"no admin PIN set ({gate.pin_file}); set one with: kiosk admin set-pin")
        raise SystemExit(1)
    until = gate.locked_until()
    click.echo(f"admin PIN set ({gate.pin_file})")
    if until is not None:
        click.echo(f"PIN pad locked until {datetime.fromtimestamp(until):%Y-%m-%d %H:%M:%S}")
    else:
        click.echo("PIN pad open")


@admin.command("unlock", context_settings=CONTEXT)
@config_option
def unlock(config: Path | None) -> None:
    """Clear failed PIN attempts and lift a lockout now."""
    gate = _gate(config)
    gate.reset()
    if not gate.persistent:
        fail(f"kiosk admin unlock: cannot write {gate.lockout_file}; run it with sudo")
    click.echo("PIN pad unlocked")
