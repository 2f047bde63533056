"""One perception model in one onnxruntime session, found by its manifest.

A perception manifest (``models/onnx/perception/<name>.json``, written by ``kiosk models
build``) names the ONNX file, its sha256, the input's shape and value range and the outputs; see
:mod:`kiosk.mirror.build_perception`. The session is opened as the stylizer's is, by
:func:`kiosk.mirror.onnx_session.open_session`: providers asked for explicitly and filtered
against what this onnxruntime has, the provider in use read back (a CUDA request that ends on the
CPU is reported in :attr:`ModelSession.fallback`), thread counts set, no spinning while idle;
then the model's input and outputs are checked against the manifest and it runs once to warm up.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.mirror.manifest import file_sha256
from kiosk.mirror.onnx_session import OnnxSessionError, open_session

log = logging.getLogger(__name__)

SUBFOLDER = "perception"


class PerceptionError(Exception):
    """A perception model cannot be loaded or run; the message names the file."""


@dataclass(frozen=True)
class PerceptionOptions:
    """How the perception models run.

    Attributes:
        provider: ``auto`` (CUDA when available, else CPU), ``cuda`` or ``cpu``.
        threads: intra-op threads per model. One by default: the models are small, and the
            stylizer and the screen need the other cores.
        warm_up: run each model once at start, so the first visitor does not wait.
    """

    provider: str = "auto"
    threads: int = 1
    warm_up: bool = True


@dataclass(frozen=True)
class PerceptionManifest:
    """What a perception model's manifest says."""

    path: Path
    name: str
    file: str
    sha256: str
    input_name: str
    input_shape: tuple[int, ...]
    input_range: tuple[float, float]
    output_names: tuple[str, ...]

    @property
    def model_path(self) -> Path:
        return self.path.parent / self.file


def load_manifest(models_dir: Path, name: str) -> PerceptionManifest:
    """The manifest of perception model ``name`` under ``models_dir`` (``models/onnx``)."""
    path = models_dir / SUBFOLDER / f"{name}.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        (inp,) = raw["inputs"]
        return PerceptionManifest(
            path=path,
            name=str(raw["name"]),
            file=str(raw["file"]),
            sha256=str(raw.get("sha256", "")),
            input_name=str(inp["name"]),
            input_shape=tuple(int(v) for v in inp["shape"]),
            input_range=(float(inp["range"][0]), float(inp["range"][1])),
            output_names=tuple(str(o["name"]) for o in raw["outputs"]),
        )
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise PerceptionError(f"{path}: cannot read the manifest: {exc}") from None


class ModelSession:
    """A perception model, loaded and checked. Not thread-safe: one worker calls :meth:`run`."""

    def __init__(self, models_dir: Path, name: str, options: PerceptionOptions) -> None:
        self.manifest = m = load_manifest(models_dir, name)
        if not m.model_path.is_file():
            raise PerceptionError(f"{m.model_path}: model file missing (kiosk models build)")
        if m.sha256 and file_sha256(m.model_path) != m.sha256:
            raise PerceptionError(f"{m.model_path}: sha256 differs from {m.path.name}")
        try:
            opened = open_session(
                m.model_path, options.provider, options.threads, f"perception model {m.name}"
            )
        except OnnxSessionError as exc:
            raise PerceptionError(str(exc)) from exc
        self.session = opened.session
        self.provider, self.provider_full = opened.provider, opened.provider_full
        self.fallback, self.threads = opened.fallback, opened.threads
        (inp,) = self.session.get_inputs()
        if inp.name != m.input_name or tuple(inp.shape) != m.input_shape:
            raise PerceptionError(
                f"{m.model_path}: input {inp.name} {inp.shape} is not the manifest's "
                f"{m.input_name} {list(m.input_shape)}"
            )
        names = tuple(o.name for o in self.session.get_outputs())
        if names != m.output_names:
            raise PerceptionError(f"{m.model_path}: outputs {names} are not the manifest's")
        log.info("perception model %s on %s, %d thread(s)", m.name, self.provider, self.threads)
        if options.warm_up:
            self.run(np.zeros(m.input_shape, np.float32))

    @property
    def input_size(self) -> tuple[int, int]:
        """(width, height) of the model's input picture."""
        _, h, w, _ = self.manifest.input_shape
        return (w, h)

    def describe(self) -> dict[str, Any]:
        """For the admin screen and ``kiosk models info``."""
        return {
            "model": self.manifest.name,
            "provider": self.provider,
            "provider_detail": self.provider_full,
            "fallback": self.fallback,
            "threads": self.threads,
        }

    def run(self, x: np.ndarray) -> list[np.ndarray]:
        """The model's outputs for one NHWC float32 input of exactly the manifest's shape."""
        if x.shape != self.manifest.input_shape or x.dtype != np.float32:
            raise PerceptionError(
                f"{self.manifest.name}: input must be float32 {list(self.manifest.input_shape)},"
                f" not {x.dtype} {list(x.shape)}"
            )
        try:
            out = self.session.run(None, {self.manifest.input_name: x})
        except Exception as exc:
            raise PerceptionError(f"{self.manifest.name}: inference failed: {exc}") from exc
        return [np.asarray(v) for v in out]
