"""``kiosk settings``: print a complete settings file, or check one.

The settings themselves (sections, defaults, validation) are :mod:`kiosk.settings`.
"""

from __future__ import annotations

from pathlib import Path

import click

from kiosk import settings as settings_mod
from kiosk.cli._common import CONTEXT, load_settings


@click.command("settings", context_settings=CONTEXT)
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
