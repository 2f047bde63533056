"""Test kit: the installer's dry run on a staged copy, with stand-ins for every command that
changes a machine (not shipped).

:func:`staged_installer` makes a world-readable folder holding a copy of what ``install.sh``
reads (``src/``) and stand-ins (``bin/``) that only write down in ``calls.log`` that they were
called; :func:`run_unprivileged` runs one of the staged scripts with those stand-ins first on
PATH, as nobody when the tests run as root. :data:`STEPS` are the plain installer's steps in
order. The pytest fixture built on these (``staged_installer``) is in ``tests/conftest.py``.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
INSTALL = ROOT / "install"
NOBODY = 65534

# Commands that change a machine. In a dry run none of them may be called: the stand-ins put
# first on PATH only write down that they were called.
MUTATING = [
    "apt-get", "apt", "dpkg", "useradd", "usermod", "userdel", "groupadd", "install", "cp", "mv",
    "rm", "ln", "mkdir", "chown", "chmod", "tar", "sysctl", "pip", "sh", "loginctl",
]  # fmt: skip
STEPS = [
    "Check the system",
    "System packages",
    "Kiosk user 'kiosk'",
    "Folders",
    "Program in its own virtual environment",
    "Settings: /etc/kiosk/kiosk.yaml",
    "Content and models",
    "Lock-down",
    "Service units",
    "Session: no desktop",
    "Admin PIN",
    "Check the machine (kiosk doctor)",
]


@contextmanager
def staged_installer() -> Iterator[Path]:
    """A world-readable folder with the stand-ins and a copy of what the installer reads;
    removed on exit."""
    folder = Path(tempfile.mkdtemp(prefix="kiosk-install-"))
    try:
        shims = folder / "bin"
        shims.mkdir()
        log = folder / "calls.log"
        log.touch()
        for name in MUTATING:
            _script(shims / name, f'#!/bin/sh\necho "{name} $*" >> "{log}"\nexit 0\n')
        real = shutil.which("systemctl")
        # Looking (is-enabled, get-default) is allowed; anything else is written down.
        read_only = f'exec "{real}" "$@"' if real else "exit 1"
        _script(
            shims / "systemctl",
            "#!/bin/sh\ncase $1 in\n"
            f"  is-enabled|is-active|is-failed|get-default|show|cat) {read_only} ;;\n"
            f'  *) echo "systemctl $*" >> "{log}" ;;\nesac\n',
        )
        tree = folder / "src"
        for part in ("install", "docs", "models"):
            if (ROOT / part).exists():
                shutil.copytree(ROOT / part, tree / part)
        shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
        for path in [folder, *folder.rglob("*")]:
            mode = path.stat().st_mode
            path.chmod(mode | stat.S_IROTH | stat.S_IRGRP | (0o055 if path.is_dir() else 0))
        log.chmod(0o666)
        yield folder
    finally:
        shutil.rmtree(folder)


def _script(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o755)


def run_unprivileged(staged: Path, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a script of the staged copy, as nobody when the tests run as root (skipped when root
    cannot be dropped)."""
    command = ["bash", str(staged / "src" / "install" / script), *args]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("setpriv (util-linux) is needed to drop root for the dry run")
        command = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *command]
    env = {
        "PATH": f"{staged / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(staged),
        "LANG": "C.UTF-8",
    }
    return subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=60, stdin=subprocess.DEVNULL
    )


def printed_settings(*flags: str) -> str:
    """The kiosk.yaml the installer writes (``install.sh --print-settings FLAGS``), with this
    environment's ``kiosk`` command first on PATH."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    out = subprocess.run(
        ["bash", str(INSTALL / "install.sh"), "--print-settings", *flags],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    return out.stdout
