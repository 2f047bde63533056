"""`kiosk run` in a real X window (Xvfb), driven by real input (xdotool), checked by screenshots.

Each screenshot is matched against the pictures `kiosk tour` draws of every scene at the same
size: the visit must look most like attract, then gallery, then the explorer page, then the
gallery again after "back".
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from testkit.window import NEEDS_X, SIZE, start_kiosk, xdo

ROOT = Path(__file__).resolve().parent.parent

pytestmark = NEEDS_X


def _grab(display: str) -> np.ndarray:
    from PIL import ImageGrab

    img = ImageGrab.grab(xdisplay=display).convert("RGB").resize((320, 180))
    return np.asarray(img, dtype=np.float32)


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


def test_a_visit_in_a_real_window(
    x_display: str, references: dict[str, np.ndarray], tmp_path: Path
) -> None:
    config = tmp_path / "kiosk.yaml"
    config.write_text(
        f"display: {{fullscreen: false, width: {SIZE[0]}, height: {SIZE[1]}}}\n"
        "timeouts: {idle_s: 600}\n",
        encoding="utf-8",
    )
    log = tmp_path / "kiosk.log"
    kiosk = start_kiosk(x_display, config, log, "--windowed", 90)
    try:
        assert _wait_for(x_display, references, "attract") == "attract", log.read_text()
        xdo(x_display, "mousemove", "640", "360", "click", "1")
        assert _wait_for(x_display, references, "gallery") == "gallery", log.read_text()
        # The first card (Dezhnev) sits at the top left of the gallery.
        xdo(x_display, "mousemove", "200", "200", "click", "1")
        assert _wait_for(x_display, references, "explorer") == "explorer", log.read_text()
        xdo(x_display, "key", "BackSpace")
        assert _wait_for(x_display, references, "gallery") == "gallery", log.read_text()
        assert kiosk.poll() is None, "the kiosk quit during the visit"
    finally:
        kiosk.terminate()
        kiosk.wait(20)
    assert "Traceback" not in log.read_text()
