"""What the kiosk keeps in memory: only what the screens it can show need.

The figures themselves (peak resident memory while a clip plays) are measured by
``bench/peers.py``; these tests hold the behaviour that keeps them down:

* the frost mirror (OpenCV, onnxruntime and five models) is made only when it is offered: at
  start-up when its camera is there, as soon as a camera turns up otherwise, never on a kiosk
  without one; and the mirror is offered only once it is ready;
* the player's frame queues are bounded in bytes for the screen's frame size;
* onnxruntime's own memory arena is off.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kiosk import settings as settings_mod
from kiosk.app import VIDEO_QUEUE_BYTES, video_queue
from kiosk.mirror.service import MirrorLoader, offer_problem

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models" / "onnx"
STILL = ROOT / "tests" / "data" / "mirror" / "astronaut.jpg"
HEAVY = ("cv2", "onnxruntime")

# Runs the kiosk for a moment in a process of its own and says which heavy modules it imported.
RUN_KIOSK = """
import json, logging, sys
from pathlib import Path
from kiosk.app import run_kiosk
from kiosk.settings import load
logging.basicConfig(level=logging.INFO)
code = run_kiosk(load(Path(sys.argv[1])), Path(sys.argv[2]), fullscreen=False, max_seconds=1.0)
print(json.dumps({"code": code, "imported": [m for m in sys.argv[3:] if m in sys.modules]}))
"""


def run_kiosk_with_camera(tmp_path: Path, content: Path, device: Path) -> dict[str, Any]:
    cfg = tmp_path / "kiosk.yaml"
    sections = {
        "paths": {"models": str(MODELS), "releases": "releases", "database": "analytics.db"},
        "camera": {"enabled": True, "device": str(device), "threads": 1},
        "logs": {"to_file": "never"},
        "health": {"enabled": False},
    }
    cfg.write_text(json.dumps(sections), encoding="utf-8")  # JSON is YAML
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    out = subprocess.run(
        [sys.executable, "-c", RUN_KIOSK, str(cfg), str(content), *HEAVY],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["code"] == 0, out.stderr
    result["log"] = out.stderr
    return result


def test_a_kiosk_without_a_camera_never_loads_the_mirror(
    make_collection: Callable[..., Path], tmp_path: Path
) -> None:
    seen = run_kiosk_with_camera(tmp_path, make_collection(), tmp_path / "no-camera.jpg")
    assert seen["imported"] == []
    assert "frost mirror not offered now: no camera found" in seen["log"]


def test_a_kiosk_with_its_camera_makes_the_mirror_at_start(
    make_collection: Callable[..., Path], tmp_path: Path
) -> None:
    # Ready before the first visitor, as ever: made before the attract loop shows.
    seen = run_kiosk_with_camera(tmp_path, make_collection(), STILL)
    assert sorted(seen["imported"]) == sorted(HEAVY)
    assert "frost mirror model frost" in seen["log"]


def test_asking_whether_to_offer_the_mirror_loads_none_of_it() -> None:
    code = (
        "import sys\n"
        "from kiosk.settings import Settings\n"
        "import kiosk.app\n"
        "from kiosk.mirror.service import mirror_offered\n"
        "mirror_offered(Settings())\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_offer_problem_says_why_the_mirror_is_not_offered(tmp_path: Path) -> None:
    def cfg(**camera: Any) -> settings_mod.Settings:
        paths = settings_mod.PathSettings(models=str(MODELS))
        return settings_mod.Settings(
            camera=settings_mod.CameraSettings(**camera), paths=paths, base_dir=tmp_path
        )

    assert offer_problem(cfg(device=str(STILL))) is None
    assert "switched off" in str(offer_problem(cfg(device=str(STILL), enabled=False)))
    assert "no style model" in str(offer_problem(cfg(device=str(STILL), model="absent")))
    assert "no camera found" in str(offer_problem(cfg(device=str(tmp_path / "none.jpg"))))


class FakeMirror:
    def __init__(self) -> None:
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True


class Rig:
    """A loader with a camera that comes and goes and a mirror whose making can be held."""

    def __init__(self, camera: bool, fail: bool = False) -> None:
        self.camera = camera
        self.fail = fail
        self.made: list[FakeMirror] = []
        self.ready: list[FakeMirror] = []
        self.release = threading.Event()
        self.release.set()
        self.loader = MirrorLoader(self.make, self.problem, self.ready.append)  # type: ignore[arg-type]

    def make(self) -> FakeMirror:
        self.release.wait(10)
        if self.fail:
            raise RuntimeError("no onnxruntime here")
        self.made.append(FakeMirror())
        return self.made[-1]

    def problem(self) -> str | None:
        return None if self.camera else "no camera found (camera.device: 0)"

    def finish_loading(self) -> None:
        thread = self.loader._thread
        assert thread is not None
        thread.join(10)


def test_with_the_camera_there_the_mirror_is_ready_before_the_first_check() -> None:
    rig = Rig(camera=True)
    rig.loader.start()
    assert rig.ready == rig.made and len(rig.made) == 1
    assert rig.loader.check()
    rig.camera = False  # unplugged: not offered, still made (it comes back with the camera)
    assert not rig.loader.check()
    rig.camera = True
    assert rig.loader.check() and len(rig.made) == 1


def test_a_camera_plugged_in_later_gets_the_mirror_made_aside_then_offered() -> None:
    rig = Rig(camera=False)
    rig.loader.start()
    assert not rig.loader.check() and rig.made == [] and rig.loader._thread is None
    rig.camera = True
    rig.release.clear()  # the mirror takes its time to make
    assert not rig.loader.check()  # the screen's thread does not wait for it
    assert rig.loader.loading
    assert not rig.loader.check()  # not offered while it is being made
    rig.release.set()
    rig.finish_loading()
    assert rig.ready == []  # handed over on the screen's thread, at the next check
    assert rig.loader.check()
    assert rig.ready == rig.made and len(rig.made) == 1
    assert rig.loader.check() and len(rig.made) == 1


def test_a_mirror_that_cannot_be_made_is_never_offered(caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig(camera=True, fail=True)
    rig.loader.start()
    assert rig.loader.failed and "no onnxruntime here" in caplog.text
    assert not rig.loader.check() and not rig.loader.check()
    assert rig.ready == []


def test_closing_waits_for_a_mirror_being_made_and_stops_it() -> None:
    rig = Rig(camera=False)
    rig.loader.start()
    rig.camera = True
    rig.release.clear()
    rig.loader.check()
    rig.release.set()
    rig.loader.close()
    assert len(rig.made) == 1 and rig.made[0].stopped
    assert not rig.loader.loading


def test_frame_queues_are_bounded_in_bytes_for_the_screen() -> None:
    # A full-HD frame is 8.3 MB: four a segment, where eight made 130 MB of the attract loop's two.
    assert video_queue((1920, 1080)) == video_queue((1080, 1920)) == 4
    assert VIDEO_QUEUE_BYTES >= 4 * 1920 * 1080 * 4
    assert video_queue((1280, 720)) == 8  # small frames: as deep as ever
    assert (
        video_queue((3840, 2160)) == 4
    )  # never fewer than four: ready after three, room to refill


def test_onnxruntime_keeps_no_arena_of_its_own() -> None:
    from kiosk.mirror.onnx_session import open_session

    model = MODELS / "perception" / "face_detection_short_range.onnx"
    opened = open_session(model, "cpu", 1, "test")
    assert opened.session.get_session_options().enable_cpu_mem_arena is False
