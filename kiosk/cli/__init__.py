"""The ``kiosk`` command: the main group, and one module per command group beside it.

Each command is thin: it parses, calls the library, prints and exits. User mistakes become one
clear message and a non-zero exit, never a traceback. What the commands share (``--config``
and reading the settings) is in :mod:`kiosk.cli._common`. The heavy libraries (pygame, PyAV,
onnxruntime, the analytics) are imported inside the commands, so ``kiosk --help`` stays quick.
"""

from __future__ import annotations

import logging

import click

from kiosk import __version__
from kiosk.cli import (
    content,
    content_releases,
    fleet,
    mirror,
    models,
    ops,
    run,
    settings,
    stats,
    studio,
)
from kiosk.cli._common import CONTEXT
from kiosk.logs import setup_logging


@click.group("kiosk", context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="kiosk")
@click.option("-v", "--verbose", is_flag=True, help="Log debugging detail.")
def main(verbose: bool) -> None:
    """White Road: a touchscreen exhibit about the explorers of the Russian North.

    Start with `kiosk run` on a screen, or `kiosk tour --out DIR` to see every scene as pictures.
    `kiosk doctor` checks a kiosk machine; `kiosk COMMAND --help` says more about each command.
    """
    setup_logging(logging.DEBUG if verbose else logging.INFO)


def entry() -> None:
    """Run the command with the program name ``kiosk`` whatever the interpreter says."""
    main(prog_name="kiosk")


# The command tree: each group module defines its commands; they are put together here only.
main.add_command(run.run)
main.add_command(run.tour)
main.add_command(content.content)
content.content.add_command(content_releases.verify)
content.content.add_command(content_releases.install)
content.content.add_command(content_releases.rollback)
content.content.add_command(content_releases.list_cmd)
content.content.add_command(content_releases.scan)
content.content.add_command(fleet.publish)
main.add_command(stats.stats)
main.add_command(models.models_group)
main.add_command(mirror.mirror_group)
main.add_command(ops.doctor)
main.add_command(ops.admin)
main.add_command(settings.settings_cmd)
main.add_command(studio.studio)
main.add_command(fleet.fleet)
