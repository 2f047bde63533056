"""The stylizer at run time (onnxruntime only): the bundled model, providers, threads, IO binding,
manifests, and any compatible style model a curator drops in."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kiosk import settings as settings_mod
from kiosk.mirror import manifest
from kiosk.mirror.onnx_session import CUDA, OnnxSessionError, choose_providers
from kiosk.mirror.service import MirrorUnavailable, create_mirror, mirror_offered
from kiosk.mirror.stylizer import Stylizer, StylizerError, StylizerOptions, default_threads

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models" / "onnx"


@pytest.fixture(scope="module")
def frost() -> Stylizer:
    return Stylizer(manifest.find(MODELS, "frost"), StylizerOptions(provider="cpu"))


def test_the_bundled_model_is_small_complete_and_unchanged() -> None:
    found = manifest.find(MODELS, "frost")
    assert found.verify() is None
    assert found.model_path.stat().st_size < 5 * 1024 * 1024
    assert {s.role for s in found.inputs} == {"frame", "mask", "cues", "time", "background"}
    assert found.input("frame") is not None and found.input("frame").dtype == "uint8"  # type: ignore[union-attr]
    assert found.output.layout == "HWC" and found.output.dtype == "uint8"
    assert found.opset == 17
    assert found.background_path is not None and found.background_path.is_file()
    for key in ("by", "torch", "onnx", "params", "parity_max_abs"):
        assert key in found.built


@pytest.mark.parametrize("size", [(640, 480), (1280, 720), (320, 240), (333, 251)])
def test_frost_keeps_the_frame_size(frost: Stylizer, size: tuple[int, int]) -> None:
    w, h = size
    frame = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)
    out = frost.run(frame, None, None, 1.0)
    assert out.shape == (h, w, 3) and out.dtype == np.uint8 and out.flags.c_contiguous


def test_frost_moves_with_time_and_needs_no_cues(frost: Stylizer) -> None:
    frame = np.full((240, 320, 3), 120, np.uint8)
    a = frost.run(frame, None, None, 1.0)
    b = frost.run(frame, None, None, 1.5)
    assert np.abs(a.astype(int) - b.astype(int)).max() > 50  # snow fell
    assert not np.array_equal(a, frame)


def test_provider_is_read_back_and_a_missing_gpu_is_reported(frost: Stylizer) -> None:
    assert frost.provider == "cpu" and frost.fallback is None
    cuda = Stylizer(manifest.find(MODELS, "frost"), StylizerOptions(provider="cuda"))
    if cuda.provider_full == CUDA:  # pragma: no cover - only on a GPU machine
        assert cuda.io_binding and cuda.fallback is None
    else:
        assert cuda.provider == "cpu"
        assert cuda.fallback and "CUDA" in cuda.fallback
        assert cuda.describe()["fallback"] == cuda.fallback


def test_choose_providers() -> None:
    assert choose_providers("cpu", [CUDA, "CPUExecutionProvider"]) == (
        ["CPUExecutionProvider"],
        None,
    )
    providers, why = choose_providers("auto", [CUDA, "CPUExecutionProvider"])
    assert providers[0][0] == CUDA and providers[-1] == "CPUExecutionProvider" and why is None
    assert choose_providers("auto", ["CPUExecutionProvider"]) == (["CPUExecutionProvider"], None)
    providers, why = choose_providers("cuda", ["CPUExecutionProvider"])
    assert providers == ["CPUExecutionProvider"] and why
    with pytest.raises(OnnxSessionError):
        choose_providers("tpu", [])
    with pytest.raises(StylizerError, match="not auto, cuda or cpu"):
        Stylizer(manifest.find(MODELS, "frost"), StylizerOptions(provider="tpu"))


def test_threads_leave_a_core_to_the_screen(frost: Stylizer) -> None:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert default_threads() == max(1, (cores or 1) - 1)
    assert frost.threads == default_threads()
    one = Stylizer(manifest.find(MODELS, "frost"), StylizerOptions(threads=1, warm_up_size=None))
    assert one.describe()["threads"] == 1


def test_io_binding_gives_the_same_picture(frost: Stylizer) -> None:
    bound = Stylizer(
        manifest.find(MODELS, "frost"), StylizerOptions(provider="cpu", io_binding=True)
    )
    frame = np.random.default_rng(1).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    assert np.array_equal(bound.run(frame, None, None, 2.0), frost.run(frame, None, None, 2.0))


def test_a_frame_of_the_wrong_shape_is_refused(frost: Stylizer) -> None:
    with pytest.raises(StylizerError):
        frost.run(np.zeros((10, 10), np.uint8), None, None, 0.0)


# ---- any compatible model: small models built here to the public models' contracts ----


def write_model(
    folder: Path,
    name: str,
    spec: dict[str, Any],
    out_spec: dict[str, Any],
    body: str,
    fixed: tuple[int, int] | None = None,
) -> Path:
    """A one-op style model (onnx.helper) and its manifest; ``body`` picks the op."""
    onnx = pytest.importorskip("onnx", reason="building test models needs the onnx package")
    from onnx import TensorProto, helper

    dims: list[Any] = [1, 3, fixed[1], fixed[0]] if fixed else [1, 3, "H", "W"]
    x = helper.make_tensor_value_info(spec["name"], TensorProto.FLOAT, dims)
    y = helper.make_tensor_value_info(out_spec["name"], TensorProto.FLOAT, dims)
    if body == "invert":  # 255 - x, the way a 0-255 model would see it
        k = helper.make_tensor("k", TensorProto.FLOAT, [], [255.0])
        nodes = [helper.make_node("Sub", ["k", spec["name"]], [out_spec["name"]])]
        inits = [k]
    else:  # identity
        nodes = [helper.make_node("Identity", [spec["name"]], [out_spec["name"]])]
        inits = []
    graph = helper.make_graph(nodes, name, [x], [y], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = folder / f"{name}.onnx"
    onnx.save(model, str(path))
    data = {
        "format": 1,
        "name": name,
        "file": path.name,
        "sha256": manifest.file_sha256(path),
        "inputs": [{**spec, "role": "frame", "shape": dims}],
        "outputs": [{**out_spec, "role": "image"}],
    }
    (folder / f"{name}.json").write_text(json.dumps(data), encoding="utf-8")
    return folder / f"{name}.json"


def test_a_fast_neural_style_contract_model_works(tmp_path: Path) -> None:
    """NCHW float RGB 0-255 in and out, like the public fast-neural-style models."""
    io = {"dtype": "float32", "layout": "NCHW", "channels": "RGB", "range": [0, 255]}
    path = write_model(
        tmp_path, "candy", {"name": "input1", **io}, {"name": "output1", **io}, "invert"
    )
    st = Stylizer(manifest.load(path), StylizerOptions(provider="cpu", warm_up_size=(64, 48)))
    frame = np.random.default_rng(2).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    assert np.array_equal(st.run(frame, None, None, 0.0), 255 - frame)


def test_layout_range_channels_and_fixed_size_adapt(tmp_path: Path) -> None:
    """BGR, range -1..1 and a model that only takes 32x32: the stylizer converts both ways."""
    io = {"dtype": "float32", "layout": "NCHW", "channels": "BGR", "range": [-1, 1]}
    path = write_model(
        tmp_path, "fixed", {"name": "x", **io}, {"name": "y", **io}, "identity", fixed=(32, 32)
    )
    found = manifest.load(path)
    assert found.input("frame").fixed_size == (32, 32)  # type: ignore[union-attr]
    st = Stylizer(found, StylizerOptions(provider="cpu", warm_up_size=None))
    frame = np.zeros((48, 64, 3), np.uint8)
    frame[..., 0] = 200  # red
    out = st.run(frame, None, None, 0.0)
    assert out.shape == frame.shape
    assert abs(int(out[..., 0].mean()) - 200) <= 1 and out[..., 2].max() <= 1


def test_bad_manifests_say_what_is_wrong(tmp_path: Path) -> None:
    def bad(data: dict[str, Any], words: str) -> None:
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        with pytest.raises(manifest.ManifestError, match=words):
            manifest.load(path)

    frame = {"name": "x", "role": "frame", "layout": "NCHW"}
    image = {"name": "y", "role": "image", "layout": "NCHW"}
    bad({"file": "m.onnx", "inputs": [], "outputs": [image]}, "role 'frame'")
    bad({"file": "../m.onnx", "inputs": [frame], "outputs": [image]}, "beside the manifest")
    bad({"file": "m.onnx", "inputs": [{**frame, "layout": "XY"}], "outputs": [image]}, "layout")
    bad({"file": "m.onnx", "inputs": [{**frame, "role": "depth"}], "outputs": [image]}, "role")
    bad({"file": "m.onnx", "inputs": [frame], "outputs": []}, "exactly one output")
    bad({"format": 9, "file": "m.onnx", "inputs": [frame], "outputs": [image]}, "format")
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    with pytest.raises(manifest.ManifestError, match="cannot read"):
        manifest.load(tmp_path / "bad.json")
    with pytest.raises(manifest.ManifestError, match="models there"):
        manifest.find(tmp_path, "nothing")


def test_a_damaged_model_file_is_refused(tmp_path: Path) -> None:
    io = {"dtype": "float32", "layout": "NCHW", "channels": "RGB", "range": [0, 255]}
    path = write_model(tmp_path, "m", {"name": "a", **io}, {"name": "b", **io}, "invert")
    model = tmp_path / "m.onnx"
    model.write_bytes(model.read_bytes() + b"\0")
    with pytest.raises(StylizerError, match="sha256"):
        Stylizer(manifest.load(path), StylizerOptions(warm_up_size=None))


def settings_for(tmp_path: Path, **camera: Any) -> settings_mod.Settings:
    cam = settings_mod.CameraSettings(**camera)
    paths = settings_mod.PathSettings(models=str(MODELS))
    return settings_mod.Settings(camera=cam, paths=paths, base_dir=tmp_path)


def test_the_settings_offer_and_build_the_mirror(tmp_path: Path) -> None:
    still = ROOT / "tests" / "data" / "mirror" / "astronaut.jpg"
    cfg = settings_for(tmp_path, device=str(still), threads=1)
    assert mirror_offered(cfg)
    pipe = create_mirror(cfg, warm_up=False)
    assert pipe.stylizer.threads == 1 and pipe.status().state == "off"
    assert not mirror_offered(settings_for(tmp_path, device=str(still), enabled=False))
    assert not mirror_offered(settings_for(tmp_path, device=str(tmp_path / "none.mp4")))
    assert not mirror_offered(settings_for(tmp_path, device=str(still), model="absent"))
    with pytest.raises(MirrorUnavailable, match="switched off"):
        create_mirror(settings_for(tmp_path, enabled=False))
    with pytest.raises(MirrorUnavailable, match="no such model"):
        create_mirror(settings_for(tmp_path, model="absent"))


def test_settings_defaults_document_the_mirror_keys() -> None:
    text = settings_mod.defaults_yaml()
    for key in ("provider:", "threads:", "flip:", "background:", "freeze_s:"):
        assert key in text


def test_the_scene_takes_the_settings_timings(tmp_path: Path) -> None:
    from kiosk.mirror.service import create_scene

    cfg = settings_for(tmp_path, freeze_s=2.5)
    scene = create_scene(cfg, create_mirror(cfg, warm_up=False))
    assert scene.freeze_s == 2.5 and scene.idle_s == cfg.timeouts.idle_s
