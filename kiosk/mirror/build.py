"""``kiosk models build``: export the frost module to ONNX, with its manifest and backdrop.

Needs torch and onnx (the ``models`` extra); nothing at kiosk run time imports this module. The
export is checked before anything is written: onnxruntime runs the new graph and its output is
held to torch's on a fixed test frame, at two frame sizes.
"""

from __future__ import annotations

import importlib
import io
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from kiosk import __version__
from kiosk.mirror import frost_model, manifest, textures
from kiosk.mirror.cuemap import empty_cue_map

log = logging.getLogger(__name__)

MODEL_NAME = "frost"
BACKGROUND_FILE = "arctic_bg.jpg"
PARITY_LIMIT = 2  # uint8 levels: float rounding may tip a value over a .5 boundary


def _module(name: str) -> Any:
    """Import by name: torch and onnx are optional, and their types must not depend on that."""
    return importlib.import_module(name)


@dataclass(frozen=True)
class BuildResult:
    """What a build wrote and how closely onnxruntime follows torch."""

    model: Path
    manifest: Path
    background: Path
    size_bytes: int
    parity_max_abs: int


def synthetic_cues(width: int, height: int) -> np.ndarray:
    """A face's cue map drawn from formulas (no landmarks needed): rime bands where brows and
    lashes would be, a face ellipse, the hood's coordinates round it, breath and flush."""
    cue = empty_cue_map(width, height)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    cx, cy, rx, ry = width * 0.5, height * 0.42, width * 0.14, height * 0.24
    qx, qy = (xs - cx) / rx, (ys - cy) / ry
    radius = np.sqrt(qx * qx + qy * qy)
    for ex in (-0.45, 0.45):
        brow = np.exp(-(((qx - ex) / 0.3) ** 2 + ((qy + 0.35) / 0.06) ** 2))
        lash = np.exp(-(((qx - ex) / 0.22) ** 2 + ((qy + 0.18) / 0.04) ** 2))
        cue[0] = np.maximum(cue[0], np.maximum(brow, 0.9 * lash))
    cue[1] = np.clip((1.05 - radius) * 8.0, 0.0, 1.0)
    cue[2] = radius
    cue[3] = np.arctan2(qx, -qy) / np.pi
    cue[4] = np.exp(-((qx / 0.35) ** 2 + ((qy - 1.3) / 0.25) ** 2))
    cue[5] = np.exp(-(((np.abs(qx) - 0.5) / 0.2) ** 2 + ((qy - 0.25) / 0.15) ** 2))
    return cue


def sample_inputs(width: int, height: int, t: float = 2.5, seed: int = 1) -> dict[str, np.ndarray]:
    """A fixed, busy test input for parity checks: noise, a face's cues, a half-and-half mask."""
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    frame = np.asarray(cv2.GaussianBlur(noise, (0, 0), 1.5), np.uint8)
    mw, mh = width // 2, height // 2
    cues = synthetic_cues(mw, mh)
    mask = np.zeros((mh, mw), np.float32)  # half person, half backdrop
    mask[:, : mw // 2] = 1.0
    background = rng.random((3, height // 2, width // 2), dtype=np.float32) * 255
    return {
        "frame": frame,
        "mask": mask,
        "cues": cues,
        "time": np.array([t], np.float32),
        "background": background,
    }


def export(module: Any, path: Path, width: int = 640, height: int = 480) -> None:
    """Export the frost module with dynamic frame size (TorchScript exporter, opset 17)."""
    torch = _module("torch")

    example = sample_inputs(width, height)
    args = tuple(torch.from_numpy(example[s["name"]]) for s in frost_model.INPUTS)
    names = [s["name"] for s in frost_model.INPUTS]
    buf = io.BytesIO()
    with warnings.catch_warnings():
        # The TorchScript exporter is deprecated in favour of the torch.export one, which does
        # not yet keep this graph's data-dependent sizes dynamic; both give the same ops here.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            args,
            buf,
            dynamo=False,
            opset_version=frost_model.OPSET,
            input_names=names,
            output_names=[o["name"] for o in frost_model.OUTPUTS],
            dynamic_axes={
                "frame": {0: "H", 1: "W"},
                "mask": {0: "h", 1: "w"},
                "cues": {1: "h", 2: "w"},
                "background": {1: "H2", 2: "W2"},
                "image": {0: "H", 1: "W"},
            },
        )
    path.write_bytes(buf.getvalue())


def torch_reference(module: Any, feed: dict[str, np.ndarray]) -> np.ndarray:
    torch = _module("torch")

    with torch.no_grad():
        args = [torch.from_numpy(feed[s["name"]]) for s in frost_model.INPUTS]
        return module(*args).numpy()


def onnx_output(model: Path | bytes, feed: dict[str, np.ndarray]) -> np.ndarray:
    ort = _module("onnxruntime")

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    source = str(model) if isinstance(model, Path) else model
    session = ort.InferenceSession(source, opts, providers=["CPUExecutionProvider"])
    return session.run(None, feed)[0]


def parity(module: Any, model: Path, sizes: tuple[tuple[int, int], ...]) -> int:
    """The largest difference, in uint8 levels, between torch and onnxruntime over ``sizes``."""
    worst = 0
    for w, h in sizes:
        feed = sample_inputs(w, h)
        ref = torch_reference(module, feed).astype(np.int16)
        got = onnx_output(model, feed).astype(np.int16)
        worst = max(worst, int(np.abs(ref - got).max()))
    return worst


def build(out_dir: Path, params: frost_model.FrostParams | None = None) -> BuildResult:
    """Build ``frost.onnx``, ``frost.json`` and the backdrop into ``out_dir``."""
    onnx = _module("onnx")
    torch = _module("torch")

    params = params or frost_model.FrostParams()
    out_dir.mkdir(parents=True, exist_ok=True)
    module = frost_model.build_module(params)
    model_path = out_dir / f"{MODEL_NAME}.onnx"
    tmp = out_dir / f".{MODEL_NAME}.onnx.tmp"
    export(module, tmp)
    onnx.checker.check_model(str(tmp))
    worst = parity(module, tmp, ((640, 480), (320, 240)))
    if worst > PARITY_LIMIT:
        tmp.unlink()
        raise RuntimeError(f"onnxruntime differs from torch by {worst} levels; not written")
    tmp.replace(model_path)

    bg_path = out_dir / BACKGROUND_FILE
    bg = textures.arctic_background(1280, 720, seed=params.seed + 14)
    cv2.imwrite(str(bg_path), cv2.cvtColor(bg, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90])

    data = {
        "format": manifest.FORMAT,
        "name": MODEL_NAME,
        "title": (
            "Frost mirror: rime on brows, lashes, beard and hair, fur hood, breath, "
            "frozen window, snow, Arctic backdrop"
        ),
        "file": model_path.name,
        "sha256": manifest.file_sha256(model_path),
        "opset": frost_model.OPSET,
        "background": BACKGROUND_FILE,
        "inputs": frost_model.INPUTS,
        "outputs": frost_model.OUTPUTS,
        "built": {
            "by": "kiosk models build",
            "source": "kiosk/mirror/frost_model.py (hand-built graph, no trained weights)",
            "exporter": "torch.onnx.export, TorchScript path, dynamic H and W",
            "kiosk": __version__,
            "torch": str(torch.__version__),
            "onnx": str(onnx.__version__),
            "parity_max_abs": worst,
            "params": params.as_dict(),
            "licence": "MIT, like the kiosk; the textures and backdrop are drawn by code",
        },
    }
    manifest_path = out_dir / f"{MODEL_NAME}.json"
    manifest.write(manifest_path, data)
    # An empty-cue sanity run: a model that cannot run without a face would be a bug.
    empty = sample_inputs(64, 48)
    empty["cues"] = empty_cue_map(16, 12)
    onnx_output(model_path, empty)
    log.info("built %s (%d bytes), parity %d", model_path, model_path.stat().st_size, worst)
    return BuildResult(model_path, manifest_path, bg_path, model_path.stat().st_size, worst)
