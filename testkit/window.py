"""Test kit: ``kiosk run`` in a real X window (not shipped).

:func:`xvfb` starts a private Xvfb screen of :data:`SIZE` for one test (the ``x_display`` fixture
in ``tests/conftest.py`` is built on it); :func:`start_kiosk` starts the kiosk on that screen and
waits for its first frame; :func:`xdo` sends it real input through xdotool. :data:`NEEDS_X`
skips a test module, saying which Debian packages to install, where Xvfb or xdotool is missing
(``pytestmark = NEEDS_X``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SIZE = (1280, 720)

NEEDS_X = pytest.mark.skipif(
    shutil.which("Xvfb") is None or shutil.which("xdotool") is None,
    reason="Xvfb and xdotool are not installed (Debian packages xvfb, xdotool)",
)


@contextmanager
def xvfb(size: tuple[int, int] = SIZE) -> Iterator[str]:
    """An Xvfb screen of ``size`` on the first free display from :91 on; yields its name."""
    for n in range(91, 120):
        if not Path(f"/tmp/.X{n}-lock").exists():
            break
    name = f":{n}"
    proc = subprocess.Popen(
        ["Xvfb", name, "-screen", "0", f"{size[0]}x{size[1]}x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{n}").exists():
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail("Xvfb did not start")
        time.sleep(0.05)
    try:
        yield name
    finally:
        proc.terminate()
        proc.wait(10)


def xdo(display: str, *args: str) -> None:
    """Run ``xdotool *args`` on ``display``."""
    subprocess.run(
        ["xdotool", *args], env=dict(os.environ, DISPLAY=display), check=True, timeout=10
    )


def start_kiosk(
    display: str, config: Path, log: Path, mode: str, seconds: int, **env_extra: str
) -> subprocess.Popen[bytes]:
    """`kiosk run` on ``display`` (``mode``: --windowed or --fullscreen), waited for until its
    first frame is on screen; its log goes to ``log``."""
    env = dict(os.environ, DISPLAY=display, SDL_VIDEODRIVER="x11", SDL_AUDIODRIVER="dummy")
    env.pop("WAYLAND_DISPLAY", None)
    env.update(env_extra)
    with log.open("w") as err:
        kiosk = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kiosk",
                "run",
                "--config",
                str(config),
                "--content",
                str(ROOT / "content"),
                mode,
                "--max-seconds",
                str(seconds),
            ],
            env=env,
            stderr=err,
            stdout=err,
        )
    deadline = time.monotonic() + 60
    while "ready: attract on screen" not in log.read_text():
        if kiosk.poll() is not None or time.monotonic() > deadline:
            kiosk.kill()
            pytest.fail(log.read_text())
        time.sleep(0.1)
    return kiosk
