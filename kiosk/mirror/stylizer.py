"""The style model at run time: an onnxruntime session that turns a camera frame into the look.

* The session is opened by :func:`kiosk.mirror.onnx_session.open_session`, as the perception
  models' are: providers asked for explicitly (CUDA first where ``onnxruntime-gpu`` offers it,
  then the CPU), the one actually in use read back (:attr:`Stylizer.provider`), a CUDA request
  that ends on the CPU reported in :attr:`Stylizer.fallback`, never silent.
* Thread counts are set: all cores but one by default, so the screen's thread keeps a core, and
  the pool does not spin while idle.
* On a GPU, IO binding keeps the constant backdrop on the device and the output is bound there.
* The first frame is not the slow one: :meth:`Stylizer.warm_up` runs the graph at start-up.
* Any model with a manifest works: inputs and outputs are converted to the layout, dtype, channel
  order and value range the manifest gives (see :mod:`kiosk.mirror.manifest`).

onnxruntime is imported when a stylizer is made, with a clear message if it is missing.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from kiosk.mirror import textures
from kiosk.mirror.cuemap import empty_cue_map
from kiosk.mirror.imaging import cover
from kiosk.mirror.manifest import Manifest, TensorSpec
from kiosk.mirror.onnx_session import OnnxSessionError, open_session

log = logging.getLogger(__name__)


class StylizerError(Exception):
    """The style model cannot be loaded or run."""


@dataclass(frozen=True)
class StylizerOptions:
    """How the style model runs.

    Attributes:
        provider: ``auto`` (CUDA when available, else CPU), ``cuda`` or ``cpu``.
        threads: intra-op threads; 0 = all cores but one (at least one).
        io_binding: bind inputs and outputs explicitly; None = only on a GPU.
        warm_up_size: frame size (width, height) for the start-up run; None = no warm-up.
        background: backdrop picture (any size, RGB or BGR file); None = the manifest's.
    """

    provider: str = "auto"
    threads: int = 0
    io_binding: bool | None = None
    warm_up_size: tuple[int, int] | None = (640, 480)
    background: Path | None = None


def default_threads() -> int:
    """All cores but one: the main thread draws the screen and must not wait for inference."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cores or 1) - 1)


def _to_model(image: np.ndarray, spec: TensorSpec) -> np.ndarray:
    """An RGB uint8 HxWx3 picture in the form a model's image input wants."""
    x = image[..., ::-1] if spec.channels == "BGR" else image
    lo, hi = spec.range
    if spec.dtype == "uint8":
        arr = np.ascontiguousarray(x)
    else:
        arr = x.astype(np.float32)
        if (lo, hi) != (0.0, 255.0):
            arr = arr * ((hi - lo) / 255.0) + lo
        arr = arr.astype(np.float16 if spec.dtype == "float16" else np.float32)
    if spec.layout in ("CHW", "NCHW"):
        arr = arr.transpose(2, 0, 1)
    if spec.layout in ("NCHW", "NHWC"):
        arr = arr[None]
    return np.ascontiguousarray(arr)


def _from_model(out: np.ndarray, spec: TensorSpec) -> np.ndarray:
    """A model's image output back to RGB uint8 HxWx3."""
    arr = out[0] if spec.layout in ("NCHW", "NHWC") else out
    if spec.layout in ("CHW", "NCHW"):
        arr = arr.transpose(1, 2, 0)
    if arr.dtype != np.uint8:
        lo, hi = spec.range
        arr = arr.astype(np.float32)
        if (lo, hi) != (0.0, 255.0):
            arr = (arr - lo) * (255.0 / (hi - lo))
        arr = np.clip(arr + 0.5, 0, 255).astype(np.uint8)
    if spec.channels == "BGR":
        arr = arr[..., ::-1]
    return np.ascontiguousarray(arr)


def load_background(path: Path | None) -> np.ndarray:
    """The backdrop as RGB uint8; a missing or broken file gives the drawn Arctic scene."""
    if path is not None:
        img = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if img is not None:
            return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        log.warning("backdrop %s cannot be read; drawing the Arctic scene instead", path)
    return textures.arctic_background(640, 360)


class Stylizer:
    """One style model in one onnxruntime session. Not thread-safe: one worker calls :meth:`run`."""

    def __init__(self, manifest: Manifest, options: StylizerOptions | None = None) -> None:
        self.manifest = manifest
        self.options = options or StylizerOptions()
        problem = manifest.verify()
        if problem:
            raise StylizerError(problem)
        threads = self.options.threads if self.options.threads > 0 else default_threads()
        try:
            opened = open_session(
                manifest.model_path, self.options.provider, threads, "frost mirror"
            )
        except OnnxSessionError as exc:
            raise StylizerError(str(exc)) from exc
        self._ort = opened.ort
        self.session = opened.session
        self.provider, self.provider_full = opened.provider, opened.provider_full
        self.fallback, self.threads = opened.fallback, opened.threads
        on_gpu = opened.on_gpu
        self.io_binding = self.options.io_binding if self.options.io_binding is not None else on_gpu
        self.device = "cuda" if on_gpu else "cpu"
        self._frame_spec = manifest.input("frame")
        assert self._frame_spec is not None  # the manifest loader insists on it
        self._names = {s.name for s in self.session.get_inputs()}
        for spec in manifest.inputs:
            if spec.name not in self._names:
                raise StylizerError(f"{manifest.path}: the model has no input {spec.name!r}")
        self._backdrop = load_background(self.options.background or manifest.background_path)
        self._cache: dict[tuple[str, int, int], Any] = {}
        log.info(
            "frost mirror model %s on %s, %d thread(s)%s",
            manifest.name,
            self.provider,
            self.threads,
            ", IO binding" if self.io_binding else "",
        )
        if self.options.warm_up_size is not None:
            self.warm_up(*self.options.warm_up_size)

    def describe(self) -> dict[str, Any]:
        """For the admin screen and ``kiosk models info``."""
        return {
            "model": self.manifest.name,
            "provider": self.provider,
            "provider_detail": self.provider_full,
            "fallback": self.fallback,
            "threads": self.threads,
            "io_binding": self.io_binding,
        }

    def warm_up(self, width: int, height: int) -> None:
        """Run once at this frame size, so the first visitor does not wait for allocations."""
        self.run(np.zeros((height, width, 3), np.uint8), None, None, 0.0)

    def _cached(self, key: str, width: int, height: int) -> Any:
        k = (key, width, height)
        value = self._cache.get(k)
        if value is not None:
            return value
        if key == "background":
            bg = cover(self._backdrop, width // 2, height // 2)
            value = np.ascontiguousarray(bg.transpose(2, 0, 1).astype(np.float32))
            if self.io_binding:
                value = self._ort.OrtValue.ortvalue_from_numpy(value, self.device, 0)
        elif key == "mask":
            value = np.ones((max(1, height // 4), max(1, width // 4)), np.float32)
        elif key == "cues":
            value = empty_cue_map(max(1, width // 4), max(1, height // 4))
        else:  # pragma: no cover
            raise KeyError(key)
        self._cache[k] = value
        return value

    def run(
        self,
        frame: np.ndarray,
        mask: np.ndarray | None,
        cue_map: np.ndarray | None,
        t: float,
    ) -> np.ndarray:
        """Stylize one RGB uint8 HxWx3 frame; returns RGB uint8 at the same size."""
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise StylizerError(f"a frame must be HxWx3 uint8, not {frame.shape} {frame.dtype}")
        height, width = frame.shape[:2]
        spec = self._frame_spec
        assert spec is not None
        fixed = spec.fixed_size
        src = cv2.resize(frame, fixed, interpolation=cv2.INTER_AREA) if fixed else frame
        feeds: dict[str, Any] = {}
        for s in self.manifest.inputs:
            if s.role == "frame":
                feeds[s.name] = _to_model(src, s)
            elif s.role == "mask":
                feeds[s.name] = mask if mask is not None else self._cached("mask", width, height)
            elif s.role == "cues":
                feeds[s.name] = (
                    cue_map if cue_map is not None else self._cached("cues", width, height)
                )
            elif s.role == "time":
                feeds[s.name] = np.array([t], np.float32)
            elif s.role == "background":
                feeds[s.name] = self._cached("background", width, height)
        out_spec = self.manifest.output
        try:
            if self.io_binding:
                out = self._run_bound(feeds, out_spec.name)
            else:
                out = self.session.run([out_spec.name], feeds)[0]
        except Exception as exc:
            raise StylizerError(f"{self.manifest.name}: inference failed: {exc}") from exc
        image = _from_model(out, out_spec)
        if image.shape[:2] != (height, width):
            image = cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)
        return image

    def _run_bound(self, feeds: dict[str, Any], output: str) -> np.ndarray:
        binding = self.session.io_binding()
        for name, value in feeds.items():
            if isinstance(value, np.ndarray):
                binding.bind_cpu_input(name, value)
            else:
                binding.bind_ortvalue_input(name, value)
        binding.bind_output(output, self.device)
        self.session.run_with_iobinding(binding)
        return binding.copy_outputs_to_cpu()[0]
