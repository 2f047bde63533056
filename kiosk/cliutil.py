"""What every ``kiosk`` command shares: help options, and finding and reading the settings."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from kiosk import settings as settings_mod

CONTEXT: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
INSTALLED_CONFIG = Path("/etc/kiosk/kiosk.yaml")


def config_path(config: Path | None) -> Path | None:
    """``--config``, else ``$KIOSK_CONFIG``, else the installed file when present, else None
    (the defaults), so that commands on an installed kiosk need no options."""
    if config is not None:
        return config
    env = os.environ.get("KIOSK_CONFIG", "")
    if env:
        return Path(env)
    return INSTALLED_CONFIG if INSTALLED_CONFIG.is_file() else None


def load_settings(config: Path | None) -> settings_mod.Settings:
    """The settings, or every problem in them printed and exit status 2 (never a traceback)."""
    try:
        return settings_mod.load(config_path(config))
    except settings_mod.SettingsError as exc:
        for p in exc.problems:
            click.echo(str(p), err=True)
        raise SystemExit(2) from None
