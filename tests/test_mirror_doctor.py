"""`kiosk doctor` and the mirror's perception models: it names each one missing or broken."""

from __future__ import annotations

import shutil
from pathlib import Path

from kiosk import settings as settings_mod
from kiosk.ops.doctor import CHECKS, Context
from kiosk.ops.doctor.models import check_perception

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models" / "onnx"


def settings(tmp_path: Path, models: Path, enabled: bool = True) -> settings_mod.Settings:
    cfg = tmp_path / "kiosk.yaml"
    cfg.write_text(
        f"paths: {{models: {models}}}\ncamera: {{enabled: {str(enabled).lower()}}}\n",
        encoding="utf-8",
    )
    return settings_mod.load(cfg)


def test_the_bundled_perception_models_are_fine(tmp_path: Path) -> None:
    check = check_perception(Context(settings(tmp_path, MODELS)))
    assert check.level == "ok" and "4 perception models" in check.summary
    assert check_perception in CHECKS


def test_a_missing_and_a_damaged_model_are_named(tmp_path: Path) -> None:
    folder = tmp_path / "onnx"
    shutil.copytree(MODELS / "perception", folder / "perception")
    (folder / "perception" / "face_landmark.onnx").unlink()
    damaged = folder / "perception" / "selfie_segmentation.onnx"
    damaged.write_bytes(damaged.read_bytes()[:1000])
    check = check_perception(Context(settings(tmp_path, folder)))
    assert check.level == "warn"
    assert "face_landmark" in check.summary and "model file missing" in check.summary
    assert "selfie_segmentation" in check.summary and "sha256" in check.summary
    assert "face_detection_full_range" not in check.summary
    assert "plain frost grade" in check.summary and "kiosk models build" in check.fix


def test_switched_off_mirror_is_skipped(tmp_path: Path) -> None:
    check = check_perception(Context(settings(tmp_path, tmp_path, enabled=False)))
    assert check.level == "skip"
