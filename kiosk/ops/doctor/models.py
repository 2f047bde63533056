"""The doctor's look at the frost mirror's perception models (faces, landmarks, person mask).

Each model is loaded the way the mirror loads it (manifest, file, sha256, an onnxruntime
session); the answer names every model that is missing or broken, since the mirror then falls
back to its plain frost grade (no face frost, no hood, no backdrop) and keeps serving visitors.
"""

from __future__ import annotations

from kiosk.ops.doctor.report import Check, Context


def check_perception(ctx: Context) -> Check:
    if not ctx.settings.camera.enabled:
        return Check("perception", "skip", "the frost mirror is switched off")
    try:
        from kiosk.mirror.cues import PERCEPTION_MODELS
        from kiosk.mirror.perception import ModelSession, PerceptionError, PerceptionOptions
    except ImportError as exc:
        return Check(
            "perception", "warn", f"the mirror's perception cannot be loaded: {exc}", "reinstall"
        )
    folder = ctx.settings.path("models")
    problems = []
    options = PerceptionOptions(provider="cpu", warm_up=False)
    for name in PERCEPTION_MODELS:
        try:
            ModelSession(folder, name, options)
        except PerceptionError as exc:
            problems.append(f"{name}: {exc}")
    if problems:
        return Check(
            "perception",
            "warn",
            "the frost mirror shows only its plain frost grade (no face frost, hood or "
            "backdrop): " + "; ".join(problems),
            "kiosk models build (or install a release that carries models/onnx/perception)",
        )
    return Check("perception", "ok", f"{len(PERCEPTION_MODELS)} perception models load")
