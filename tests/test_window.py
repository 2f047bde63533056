"""`kiosk run` in a real X window (Xvfb), driven by real input (xdotool), checked by screenshots.

Each screenshot is matched against the pictures `kiosk tour` draws of every scene at the same
size: the visit must look most like attract, then gallery, then the explorer page, then the
gallery again after "back".
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SIZE = (1280, 720)

pytestmark = pytest.mark.skipif(
    shutil.which("Xvfb") is None or shutil.which("xdotool") is None,
    reason="Xvfb and xdotool are not installed (Debian packages xvfb, xdotool)",
)


@pytest.fixture
def display(tmp_path: Path) -> Iterator[str]:
    for n in range(91, 120):
        if not Path(f"/tmp/.X{n}-lock").exists():
            break
    name = f":{n}"
    proc = subprocess.Popen(
        ["Xvfb", name, "-screen", "0", f"{SIZE[0]}x{SIZE[1]}x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{n}").exists():
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail("Xvfb did not start")
        time.sleep(0.05)
    yield name
    proc.terminate()
    proc.wait(10)


def _grab(display: str) -> np.ndarray:
    from PIL import ImageGrab

    img = ImageGrab.grab(xdisplay=display).convert("RGB").resize((320, 180))
    return np.asarray(img, dtype=np.float32)


def _xdo(display: str, *args: str) -> None:
    subprocess.run(
        ["xdotool", *args], env=dict(os.environ, DISPLAY=display), check=True, timeout=10
    )


@pytest.fixture(scope="module")
def references(tmp_path_factory: pytest.TempPathFactory) -> dict[str, np.ndarray]:
    from PIL import Image

    out = tmp_path_factory.mktemp("tour")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk",
            "tour",
            "--out",
            str(out),
            "--lang",
            "ru",
            "--size",
            f"{SIZE[0]}x{SIZE[1]}",
            "--content",
            str(ROOT / "content"),
        ],
        check=True,
        capture_output=True,
        timeout=120,
        env=dict(os.environ, SDL_VIDEODRIVER="dummy"),
    )
    refs = {}
    for name, file in (
        ("attract", "ru-01-attract"),
        ("gallery", "ru-02-gallery"),
        ("explorer", "ru-03-dezhnev"),
    ):
        img = Image.open(out / f"{file}.png").convert("RGB").resize((320, 180))
        refs[name] = np.asarray(img, dtype=np.float32)
    return refs


def _looks_like(shot: np.ndarray, refs: dict[str, np.ndarray]) -> str:
    scores = {name: float(np.abs(shot - ref).mean()) for name, ref in refs.items()}
    return min(scores, key=scores.__getitem__)


def _wait_for(display: str, refs: dict[str, np.ndarray], scene: str, seconds: float = 20) -> str:
    deadline = time.monotonic() + seconds
    seen = ""
    while time.monotonic() < deadline:
        seen = _looks_like(_grab(display), refs)
        if seen == scene:
            return seen
        time.sleep(0.2)
    return seen


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


def test_a_visit_in_a_real_window(
    display: str, references: dict[str, np.ndarray], tmp_path: Path
) -> None:
    config = tmp_path / "kiosk.yaml"
    config.write_text(
        f"display: {{fullscreen: false, width: {SIZE[0]}, height: {SIZE[1]}}}\n"
        "timeouts: {idle_s: 600}\n",
        encoding="utf-8",
    )
    log = tmp_path / "kiosk.log"
    kiosk = start_kiosk(display, config, log, "--windowed", 90)
    try:
        assert _wait_for(display, references, "attract") == "attract", log.read_text()
        _xdo(display, "mousemove", "640", "360", "click", "1")
        assert _wait_for(display, references, "gallery") == "gallery", log.read_text()
        # The first card (Dezhnev) sits at the top left of the gallery.
        _xdo(display, "mousemove", "200", "200", "click", "1")
        assert _wait_for(display, references, "explorer") == "explorer", log.read_text()
        _xdo(display, "key", "BackSpace")
        assert _wait_for(display, references, "gallery") == "gallery", log.read_text()
        assert kiosk.poll() is None, "the kiosk quit during the visit"
    finally:
        kiosk.terminate()
        kiosk.wait(20)
    assert "Traceback" not in log.read_text()
