"""The mirror's state in the kiosk's own figures: the admin panel's diagnostics port and the health
file say which perception model is missing or broken (the mirror then shows less frost)."""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from kiosk.app import KioskDiagnostics
from kiosk.mirror import manifest
from kiosk.mirror.camera import StillSource
from kiosk.mirror.cues import PerceptionModels
from kiosk.mirror.pipeline import MirrorPipeline
from kiosk.mirror.stylizer import Stylizer, StylizerOptions
from kiosk.ops.health import render
from testkit.ui_fakes import FakePlayer

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models" / "onnx"
PHOTO = ROOT / "tests" / "data" / "mirror" / "astronaut.jpg"


@pytest.fixture(scope="module")
def stylizer() -> Stylizer:
    return Stylizer(manifest.find(MODELS, "frost"), StylizerOptions(provider="cpu", threads=1))


def diagnostics(mirror: MirrorPipeline | None) -> KioskDiagnostics:
    loop: Any = SimpleNamespace(frame_ms=deque([16.7] * 10), ops=None)
    source: Any = SimpleNamespace(release="2025-06-01.3")
    return KioskDiagnostics(loop, FakePlayer(), mirror, source, time.monotonic())


def pipeline(stylizer: Stylizer, models: PerceptionModels) -> MirrorPipeline:
    return MirrorPipeline(lambda: StillSource(PHOTO, 160, 120).start(), stylizer, models)


def test_every_model_there(stylizer: Stylizer) -> None:
    kiosk = diagnostics(pipeline(stylizer, PerceptionModels.load(MODELS)))
    d = kiosk.diagnostics()
    assert d.model == "frost" and d.provider == "cpu" and not d.fallback
    assert d.perception == "ok" and dict(d.perception_problems) == {}
    text = render(kiosk.snapshot(), time.time())
    assert 'kiosk_mirror_perception{state="ok"} 1' in text
    assert "kiosk_mirror_perception_problem" not in text


def test_a_missing_model_is_named_in_the_panel_and_the_health_file(
    stylizer: Stylizer, tmp_path: Path
) -> None:
    # The face models and no segmentation: the frost on faces, no backdrop.
    models = PerceptionModels.load(MODELS)
    models.segmenter = None
    models.problems["selfie_segmentation"] = "manifest not found"
    kiosk = diagnostics(pipeline(stylizer, models))
    d = kiosk.diagnostics()
    assert d.perception == "partial"
    assert dict(d.perception_problems) == {"selfie_segmentation": "manifest not found"}
    text = render(kiosk.snapshot(), time.time())
    assert 'kiosk_mirror_perception{state="partial"} 1' in text
    assert 'kiosk_mirror_perception_problem{model="selfie_segmentation"} 1' in text
    # None of them: the plain frost grade, every one named.
    plain = diagnostics(pipeline(stylizer, PerceptionModels.load(tmp_path))).diagnostics()
    assert plain.perception == "plain"
    assert set(plain.perception_problems) == {
        "face_detection",
        "face_landmark",
        "selfie_segmentation",
    }


def test_without_a_mirror_nothing_is_said_about_it() -> None:
    kiosk = diagnostics(None)
    d = kiosk.diagnostics()
    assert (d.model, d.provider, d.perception) == ("", "", "")
    assert "kiosk_mirror_perception" not in render(kiosk.snapshot(), time.time())
