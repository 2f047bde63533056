"""What every ``kiosk`` command shares: help options, ``--config``, reading the settings, and a
progress bar for long copies.

``--config`` is declared here once (:func:`config_option`) and means the same in every command:
the file named by ``--config``, else by ``$KIOSK_CONFIG``, else ``/etc/kiosk/kiosk.yaml`` when it
exists (the file the installer writes, so ``sudo kiosk doctor`` on an installed kiosk needs no
options), else the built-in defaults. A file named explicitly that does not exist is a usage
error, never a silent fall back to the defaults.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from kiosk import settings as settings_mod

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
INSTALLED_CONFIG = Path("/etc/kiosk/kiosk.yaml")
CONFIG_ENV = "KIOSK_CONFIG"


def _existing_file(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """Refuse a ``--config`` that names no file, before the command does any work."""
    if value is not None and not value.is_file():
        what = "is a folder" if value.is_dir() else "does not exist"
        raise click.BadParameter(f"{value} {what}; give a settings file (kiosk.yaml)")
    return value


def config_option(fn: F) -> F:
    """The ``--config FILE`` option, passed to the command as ``config: Path | None``."""
    return click.option(
        "--config",
        type=click.Path(path_type=Path, dir_okay=False),
        callback=_existing_file,
        metavar="FILE",
        help=f"Machine settings file, kiosk.yaml (default: ${CONFIG_ENV}, else "
        f"{INSTALLED_CONFIG} if present, else the built-in defaults).",
    )(fn)


def json_option(fn: F) -> F:
    """The ``--json`` flag, passed to the command as ``as_json: bool``."""
    return click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")(fn)


def config_path(config: Path | None) -> Path | None:
    """The settings file to read: ``--config``, else ``$KIOSK_CONFIG``, else the installed file
    when present, else None (the defaults). A missing file named by the variable ends the
    command with exit status 2."""
    if config is not None:
        return config
    env = os.environ.get(CONFIG_ENV, "")
    if env:
        path = Path(env)
        if not path.is_file():
            fail(f"kiosk: ${CONFIG_ENV} names {path}, which is not a settings file", code=2)
        return path
    return INSTALLED_CONFIG if INSTALLED_CONFIG.is_file() else None


def load_settings_from(config: Path | None) -> tuple[settings_mod.Settings, Path | None]:
    """The settings and the file they came from (None: the defaults); every problem in the file
    is printed and the command exits with status 2, never a traceback."""
    path = config_path(config)
    try:
        return settings_mod.load(path), path
    except settings_mod.SettingsError as exc:
        for p in exc.problems:
            click.echo(str(p), err=True)
        raise SystemExit(2) from None


def load_settings(config: Path | None) -> settings_mod.Settings:
    """The settings found as :func:`config_path` says, or exit status 2 with every problem."""
    return load_settings_from(config)[0]


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one line on stderr and end the command with ``code``."""
    click.echo(message, err=True)
    raise SystemExit(code)


def on_terminal() -> bool:
    """Whether a person is watching: stderr is a terminal (not a pipe, a file or the journal)."""
    return sys.stderr.isatty()


class ByteProgress:
    """The callback :func:`byte_progress` yields: ``progress(done)``, or ``progress(done,
    total)`` when the total is known only once the work has begun."""

    def __init__(self, bar: Any | None) -> None:
        self._bar = bar
        self._done = 0

    def __call__(self, done: int, total: int | None = None) -> None:
        if self._bar is None:
            return
        if total is not None and total != self._bar.length:
            self._bar.length = total
        self._bar.update(done - self._done)
        self._done = done


@contextlib.contextmanager
def byte_progress(total: int, label: str, *, enabled: bool = True) -> Iterator[ByteProgress]:
    """A progress bar on the terminal (stderr) for work on ``total`` bytes; the callback takes
    the bytes done so far. Nothing is drawn when stderr is not a terminal (piped, a log) or
    ``enabled`` is off (e.g. ``--json``), so only a person watching sees it."""
    if not (enabled and on_terminal()):
        yield ByteProgress(None)
        return
    with click.progressbar(
        length=max(total, 1), label=label, file=sys.stderr, show_pos=False
    ) as bar:
        yield ByteProgress(bar)
