"""Frost mirror benchmark: the model alone, the whole pipeline, and a classic style network.

Prints readable lines, then one JSON object as its last line:

* ``stylize_ms_p50_640x480``, ``stylize_ms_p50_1280x720``: the model (``models/onnx/frost.onnx``)
  on a real photograph, median of many runs, with the kiosk's thread setting.
* ``pipeline_fps``: end to end at 640x480 (frame source -> cues -> stylize -> frame ready), the
  source handing over a fresh frame as soon as the last one is taken.
* ``vs_fast_neural_style``: how many times slower a Johnson et al. fast-neural-style network
  (the public models' architecture, random weights, exported here) runs at 640x480 than ours.
* ``parity_max_abs``: torch vs onnxruntime, in uint8 levels, on a fixed input.

``--provider cuda`` runs the model on the GPU (onnxruntime-gpu) and adds ``model_fps_1280x720``;
where CUDA is not available it says so in the JSON instead of quietly measuring the CPU.
Needs torch for the last two figures (they are null, with a note, without it).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk.mirror import manifest  # noqa: E402
from kiosk.mirror.camera import FrameSource, StillSource, fit  # noqa: E402
from kiosk.mirror.cues import CueTracker  # noqa: E402
from kiosk.mirror.pipeline import MirrorPipeline  # noqa: E402
from kiosk.mirror.stylizer import (  # noqa: E402
    CUDA,
    Stylizer,
    StylizerOptions,
    default_threads,
    import_onnxruntime,
)

PHOTO = ROOT / "tests" / "data" / "mirror" / "astronaut.jpg"


def photo(width: int, height: int) -> np.ndarray:
    return fit(cv2.imread(str(PHOTO), cv2.IMREAD_COLOR), width, height, flip=False)


def time_stylizer(stylizer: Stylizer, width: int, height: int, runs: int) -> float:
    frame = photo(width, height)
    tracker = CueTracker()
    cues = tracker.update(frame)
    for _ in range(3):
        stylizer.run(frame, cues.mask, cues.cue_map, 1.0)
    times = []
    for i in range(runs):
        t0 = time.perf_counter()
        stylizer.run(frame, cues.mask, cues.cue_map, 1.0 + i / 30)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def pipeline_fps(stylizer: Stylizer, seconds: float) -> float:
    def open_source() -> FrameSource:
        return StillSource(PHOTO, 640, 480, flip=True, fps=0, jitter=True).start()

    pipe = MirrorPipeline(open_source, stylizer)
    pipe.start()
    try:
        deadline = time.monotonic() + 10
        while pipe.latest_frame() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.5)
        first = pipe.latest_frame()
        t0 = time.monotonic()
        time.sleep(seconds)
        last = pipe.latest_frame()
        elapsed = time.monotonic() - t0
        pipe.check()
    finally:
        pipe.stop()
    if first is None or last is None:
        return 0.0
    return (last.index - first.index) / elapsed


def johnson_net(torch: Any) -> Any:
    """Johnson et al. 2016 fast neural style transformer, as in the public ONNX models."""
    nn = torch.nn

    def conv(cin: int, cout: int, k: int, stride: int = 1, up: bool = False) -> list[Any]:
        layers: list[Any] = [nn.Upsample(scale_factor=2, mode="nearest")] if up else []
        return [*layers, nn.ReflectionPad2d(k // 2), nn.Conv2d(cin, cout, k, stride)]

    def block(cin: int, cout: int, k: int, stride: int = 1, up: bool = False) -> list[Any]:
        return [*conv(cin, cout, k, stride, up), nn.InstanceNorm2d(cout, affine=True), nn.ReLU()]

    class Residual(nn.Module):  # type: ignore[misc,unused-ignore]
        def __init__(self) -> None:
            super().__init__()
            self.body = nn.Sequential(
                *block(128, 128, 3), *conv(128, 128, 3), nn.InstanceNorm2d(128, affine=True)
            )

        def forward(self, x: Any) -> Any:
            return x + self.body(x)

    return nn.Sequential(
        *block(3, 32, 9),
        *block(32, 64, 3, 2),
        *block(64, 128, 3, 2),
        *[Residual() for _ in range(5)],
        *block(128, 64, 3, up=True),
        *block(64, 32, 3, up=True),
        *conv(32, 3, 9),
    ).eval()


def fast_neural_style_ms(torch: Any, threads: int, providers: list[str], runs: int = 3) -> float:
    ort = import_onnxruntime()
    torch.manual_seed(0)
    net = johnson_net(torch)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fns.onnx"
        x = torch.rand(1, 3, 480, 640) * 255
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                net, (x,), str(path), dynamo=False, opset_version=17, input_names=["input1"]
            )
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        session = ort.InferenceSession(str(path), so, providers=providers)
    feed = {"input1": x.numpy()}
    session.run(None, feed)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        session.run(None, feed)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def parity(found: manifest.Manifest) -> int:
    from kiosk.mirror import build, frost_model

    params = frost_model.FrostParams(**_params(found.built.get("params", {})))
    module = frost_model.build_module(params)
    return build.parity(module, found.model_path, ((640, 480),))


def _params(raw: dict[str, Any]) -> dict[str, Any]:
    def tup(v: Any) -> Any:
        return tuple(tup(x) for x in v) if isinstance(v, list) else v

    return {k: tup(v) for k, v in raw.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--provider", choices=("cpu", "cuda", "auto"), default="cpu")
    ap.add_argument("--runs", type=int, default=40, help="model runs per size")
    ap.add_argument("--seconds", type=float, default=5.0, help="pipeline measuring time")
    args = ap.parse_args()

    ort = import_onnxruntime()
    found = manifest.find(ROOT / "models" / "onnx", "frost")
    result: dict[str, Any] = {
        "provider_requested": args.provider,
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "threads": default_threads(),
        "onnxruntime": ort.__version__,
    }
    if args.provider == "cuda" and CUDA not in ort.get_available_providers():
        result.update(
            provider="none",
            cuda_available=False,
            note="CUDA is not available here (onnxruntime-gpu not installed or no GPU); "
            "nothing was measured. Run without --provider for the CPU figures.",
        )
        print("CUDA requested but not available; no measurement")
        print(json.dumps(result))
        return 0

    stylizer = Stylizer(found, StylizerOptions(provider=args.provider, warm_up_size=None))
    result["provider"] = stylizer.provider
    if stylizer.fallback:
        result["fallback"] = stylizer.fallback
    ms640 = time_stylizer(stylizer, 640, 480, args.runs)
    ms720 = time_stylizer(stylizer, 1280, 720, max(10, args.runs // 2))
    print(f"model 640x480: {ms640:.2f} ms   1280x720: {ms720:.2f} ms  ({stylizer.provider})")
    result["stylize_ms_p50_640x480"] = round(ms640, 2)
    result["stylize_ms_p50_1280x720"] = round(ms720, 2)
    if stylizer.provider == "cuda":
        result["model_fps_1280x720"] = round(1000 / ms720, 1)

    fps = pipeline_fps(stylizer, args.seconds)
    print(f"pipeline 640x480 end to end: {fps:.1f} fps")
    result["pipeline_fps"] = round(fps, 1)

    try:
        torch = importlib.import_module("torch")
    except ImportError:
        result["vs_fast_neural_style"] = None
        result["parity_max_abs"] = None
        result["note"] = "torch is not installed: pip install torch==2.13.0 onnx for the rest"
    else:
        torch.set_num_threads(default_threads())
        fns = fast_neural_style_ms(torch, default_threads(), stylizer.session.get_providers())
        print(f"fast neural style 640x480: {fns:.0f} ms, {fns / ms640:.0f} times ours")
        result["fast_neural_style_ms_640x480"] = round(fns, 1)
        result["vs_fast_neural_style"] = round(fns / ms640, 1)
        result["parity_max_abs"] = parity(found)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
