"""Build the mirror's perception models: MediaPipe's .tflite files -> ONNX, with manifests.

The source is the ``mediapipe`` 0.10.21 wheel on PyPI (the last release that ships the legacy
solution models; Apache-2.0). It is fetched with pip (never installed: its pins fight ours), or
taken from ``--wheel PATH``; four files are read out of it with zipfile, each checked against the
sha256 recorded here, converted by :mod:`kiosk.mirror.convert_tflite` and, where the reference
interpreter (``ai-edge-litert``) is installed, held to TFLite's own output before anything is
written. The same wheel gives the same bytes: the ONNX files are reproducible.

Build time only (needs the ``models`` extra); the kiosk at run time reads the ONNX files alone.
:func:`build_perception` is the entry point ``kiosk models build`` calls.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kiosk import __version__
from kiosk.mirror import manifest

log = logging.getLogger(__name__)

PACKAGE = "mediapipe"
VERSION = "0.10.21"
LICENCE = "Apache-2.0 (MediaPipe; the model cards name the same licence)"
WHEEL_ENV = "KIOSK_MEDIAPIPE_WHEEL"
"""A wheel to use instead of downloading one (the tests and ``--wheel`` use this)."""
SUBFOLDER = "perception"
"""The models live in ``models/onnx/perception/``, apart from the style models' manifests."""
PARITY_INPUTS = 3
"""Random inputs the build feeds both runtimes before writing a model."""


@dataclass(frozen=True)
class SourceModel:
    """One model inside the wheel, and what the kiosk calls it."""

    name: str
    member: str
    sha256: str
    title: str
    input_range: tuple[float, float]
    outputs: tuple[str, ...]
    parity_limit: float
    """Largest difference allowed between onnxruntime and TFLite on the build's random inputs,
    relative to the largest output value (measured: about 1e-6; see tests/test_mirror_convert)."""


MODELS = (
    SourceModel(
        "face_detection_short_range",
        "mediapipe/modules/face_detection/face_detection_short_range.tflite",
        "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
        "BlazeFace short range: faces within about 2 m, 128x128 input",
        (-1.0, 1.0),
        ("box and 6 keypoint offsets per anchor (896x16, pixels of the input)", "score logits"),
        1e-5,
    ),
    SourceModel(
        "face_detection_full_range",
        "mediapipe/modules/face_detection/face_detection_full_range_sparse.tflite",
        "2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1",
        "BlazeFace full range (sparse weights made dense): faces up to about 5 m, 192x192 input",
        (-1.0, 1.0),
        ("box and 6 keypoint offsets per anchor (2304x16, pixels of the input)", "score logits"),
        1e-5,
    ),
    SourceModel(
        "face_landmark",
        "mediapipe/modules/face_landmark/face_landmark.tflite",
        "1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814",
        "Face mesh: 468 landmarks (x, y, z in input pixels) and a face-presence logit, 192x192",
        (0.0, 1.0),
        ("468 landmarks x (x, y, z), pixels of the input", "face presence logit"),
        1e-5,
    ),
    SourceModel(
        "selfie_segmentation",
        "mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite",
        "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
        "Selfie segmentation (general): person probability, 256x256 input",
        (0.0, 1.0),
        ("person probability per pixel",),
        1e-5,
    ),
)


class BuildError(Exception):
    """The perception models cannot be built; the message says why."""


@dataclass(frozen=True)
class PerceptionBuild:
    """What one model's build wrote."""

    name: str
    model: Path
    manifest: Path
    size_bytes: int
    parity_max_abs: float | None


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def default_cache_dir() -> Path:
    """Where a downloaded wheel is kept between builds and test runs."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "white-road-kiosk"


def download_wheel(dest: Path) -> Path:
    """``pip download`` the wheel (no dependencies, no install) into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    found = sorted(dest.glob(f"{PACKAGE}-{VERSION}-*.whl"))
    if found:
        return found[0]
    with tempfile.TemporaryDirectory(dir=dest) as tmp:
        # Any CPython 3.11 x86-64 Linux wheel of this version carries the same model files
        # (their sha256 is checked below); 0.10.21 is published as manylinux_2_28.
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            f"{PACKAGE}=={VERSION}",
            "--only-binary=:all:",
            "--platform",
            "manylinux_2_28_x86_64",
            "--platform",
            "manylinux_2_17_x86_64",
            "--python-version",
            "3.11",
            "--quiet",
            "-d",
            tmp,
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wheels = sorted(Path(tmp).glob("*.whl"))
        if done.returncode != 0 or not wheels:
            raise BuildError(
                f"pip could not download {PACKAGE}=={VERSION}: {done.stderr.strip()[-400:]}"
                " (give a wheel with --wheel PATH)"
            )
        target = dest / wheels[0].name
        wheels[0].replace(target)
    return target


def find_wheel(wheel: Path | None = None, cache_dir: Path | None = None) -> Path:
    """The wheel given, the one named by ``KIOSK_MEDIAPIPE_WHEEL``, or a (cached) download."""
    given = wheel or (Path(os.environ[WHEEL_ENV]) if os.environ.get(WHEEL_ENV) else None)
    if given is not None:
        if not given.is_file():
            raise BuildError(f"{given}: no such wheel")
        return given
    return download_wheel(cache_dir or default_cache_dir())


def read_sources(wheel: Path) -> dict[str, bytes]:
    """The four .tflite files out of the wheel, each checked against its recorded sha256."""
    out: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(wheel) as zf:
            for src in MODELS:
                try:
                    data = zf.read(src.member)
                except KeyError:
                    raise BuildError(f"{wheel.name} has no {src.member}") from None
                if sha256_bytes(data) != src.sha256:
                    raise BuildError(f"{wheel.name}: {src.member} is not the file this build knows")
                out[src.name] = data
    except zipfile.BadZipFile as exc:
        raise BuildError(f"{wheel}: not a wheel: {exc}") from None
    return out


def reference_outputs(tflite_data: bytes, x: np.ndarray) -> list[np.ndarray]:
    """TFLite's own outputs (ai-edge-litert, with its default XNNPACK CPU delegate as MediaPipe)."""
    interpreter_mod = importlib.import_module("ai_edge_litert.interpreter")
    interp = interpreter_mod.Interpreter(model_content=tflite_data, num_threads=1)
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    return [np.array(interp.get_tensor(o["index"])) for o in interp.get_output_details()]


def onnx_outputs(model: bytes | Path, x: np.ndarray) -> list[np.ndarray]:
    ort = importlib.import_module("onnxruntime")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    source = str(model) if isinstance(model, Path) else model
    session = ort.InferenceSession(source, opts, providers=["CPUExecutionProvider"])
    return [np.asarray(v) for v in session.run(None, {session.get_inputs()[0].name: x})]


def parity(tflite_data: bytes, onnx_model: bytes | Path, inputs: list[np.ndarray]) -> float:
    """Largest absolute difference between the two runtimes over ``inputs``, all outputs."""
    worst = 0.0
    for x in inputs:
        for ref, got in zip(
            reference_outputs(tflite_data, x), onnx_outputs(onnx_model, x), strict=True
        ):
            if ref.shape != got.shape:
                raise BuildError(f"output shapes differ: {ref.shape} vs {got.shape}")
            worst = max(worst, float(np.abs(ref.astype(np.float64) - got).max()))
    return worst


def random_inputs(shape: list[int], value_range: tuple[float, float], n: int) -> list[np.ndarray]:
    lo, hi = value_range
    return [
        np.random.default_rng(seed).uniform(lo, hi, shape).astype(np.float32) for seed in range(n)
    ]


def _version(dist: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "?"


def _has_reference() -> bool:
    try:
        importlib.import_module("ai_edge_litert.interpreter")
    except ImportError:
        return False
    return True


def manifest_data(
    src: SourceModel, tflite_data: bytes, onnx_bytes: bytes, checked: bool = False
) -> dict[str, Any]:
    """The manifest: where the model came from, what it takes and gives, and how it was built."""
    from kiosk.mirror import convert_tflite, tflite_model

    onnx_mod = importlib.import_module("onnx")
    sig = tflite_model.io_signature(tflite_data)
    (inp,) = sig["inputs"]
    return {
        "format": manifest.FORMAT,
        "kind": "perception",
        "name": src.name,
        "title": src.title,
        "file": f"{src.name}.onnx",
        "sha256": sha256_bytes(onnx_bytes),
        "opset": convert_tflite.OPSET,
        "inputs": [
            {
                "name": inp["name"],
                "role": "image",
                "dtype": "float32",
                "layout": "NHWC",
                "channels": "RGB",
                "range": list(src.input_range),
                "shape": inp["shape"],
            }
        ],
        "outputs": [
            {"name": o["name"], "dtype": "float32", "shape": o["shape"], "note": note}
            for o, note in zip(sig["outputs"], src.outputs, strict=True)
        ],
        "source": {
            "package": PACKAGE,
            "version": VERSION,
            "file": src.member,
            "sha256": src.sha256,
            "licence": LICENCE,
        },
        "built": {
            "by": "kiosk models build",
            "converter": "kiosk/mirror/convert_tflite.py (TFLite flatbuffer -> ONNX, op for op)",
            "ops": tflite_model.op_census(tflite_data),
            "weights": "float16 as in the source, cast to float32 when the session loads",
            "kiosk": __version__,
            "onnx": str(onnx_mod.__version__),
            "checked": (
                f"onnxruntime within {src.parity_limit:g} (relative) of ai-edge-litert "
                f"{_version('ai-edge-litert')} on {PARITY_INPUTS} random inputs"
                if checked
                else "not checked (ai-edge-litert was not installed)"
            ),
        },
    }


def build_perception(
    out_dir: Path,
    wheel: Path | None = None,
    cache_dir: Path | None = None,
    check_parity: bool = True,
) -> list[PerceptionBuild]:
    """Write the perception models and manifests into ``out_dir / "perception"``.

    With ``check_parity`` (the default), a model is written only if onnxruntime follows the
    TFLite reference interpreter within the model's limit; without the interpreter installed the
    build says so and goes on (the tests still hold the committed files to it).
    """
    from kiosk.mirror import convert_tflite, tflite_model

    folder = out_dir / SUBFOLDER
    folder.mkdir(parents=True, exist_ok=True)
    sources = read_sources(find_wheel(wheel, cache_dir))
    reference = check_parity and _has_reference()
    if check_parity and not reference:
        log.warning("ai-edge-litert is not installed: the converted models are not checked")
    results = []
    for src in MODELS:
        data = sources[src.name]
        try:
            onnx_bytes = convert_tflite.convert(data, src.name).SerializeToString()
        except convert_tflite.ConversionError as exc:
            raise BuildError(f"{src.member}: {exc}") from None
        worst = None
        if reference:
            shape = tflite_model.io_signature(data)["inputs"][0]["shape"]
            inputs = random_inputs(shape, src.input_range, PARITY_INPUTS)
            scale = max(float(np.abs(r).max()) for r in reference_outputs(data, inputs[0]))
            worst = parity(data, onnx_bytes, inputs)
            if worst > src.parity_limit * max(scale, 1.0):
                raise BuildError(f"{src.name}: onnxruntime differs from TFLite by {worst:.3g}")
        model_path = folder / f"{src.name}.onnx"
        tmp = folder / f".{src.name}.onnx.tmp"
        tmp.write_bytes(onnx_bytes)
        tmp.replace(model_path)
        manifest_path = folder / f"{src.name}.json"
        manifest.write(manifest_path, manifest_data(src, data, onnx_bytes, worst is not None))
        log.info("built %s (%d bytes), parity %s", model_path, len(onnx_bytes), worst)
        results.append(PerceptionBuild(src.name, model_path, manifest_path, len(onnx_bytes), worst))
    return results
