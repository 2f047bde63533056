"""Style-model manifests: the JSON file beside each ONNX model that says how to feed it.

A manifest names the model file and describes every input and output by *role* (``frame``,
``mask``, ``cues``, ``time``, ``background`` in; ``image`` out) with its dtype, layout
(``HWC``, ``NHWC``, ``CHW``, ``NCHW``, ``HW``, ``scalar``), channel order and value range. The
stylizer adapts to whatever the manifest says, so a curator can drop in another model, e.g. one of
the public fast-neural-style models, with a manifest such as::

    {"format": 1, "name": "candy", "file": "candy.onnx",
     "inputs":  [{"name": "input1", "role": "frame", "dtype": "float32", "layout": "NCHW",
                  "channels": "RGB", "range": [0, 255], "shape": [1, 3, "H", "W"]}],
     "outputs": [{"name": "output1", "role": "image", "dtype": "float32", "layout": "NCHW",
                  "channels": "RGB", "range": [0, 255]}]}

Only the ``frame`` input and the ``image`` output are required; a fixed size in ``shape``
(numbers instead of ``H``/``W``) makes the stylizer resize the frame to it and back.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT = 1
ROLES_IN = ("frame", "mask", "cues", "time", "background")
ROLES_OUT = ("image",)
LAYOUTS = ("HWC", "NHWC", "CHW", "NCHW", "HW", "scalar")
DTYPES = ("uint8", "float32", "float16")


class ManifestError(Exception):
    """A manifest that cannot be used, with the file it came from."""


@dataclass(frozen=True)
class TensorSpec:
    """One input or output of a style model."""

    name: str
    role: str
    dtype: str = "float32"
    layout: str = "NCHW"
    channels: Any = "RGB"
    range: tuple[float, float] = (0.0, 255.0)
    shape: tuple[Any, ...] = ()

    @property
    def fixed_size(self) -> tuple[int, int] | None:
        """(width, height) when the model only takes one size, else None."""
        dims = {"HWC": (0, 1), "NHWC": (1, 2), "CHW": (1, 2), "NCHW": (2, 3)}.get(self.layout)
        if dims is None or len(self.shape) <= max(dims):
            return None
        h, w = self.shape[dims[0]], self.shape[dims[1]]
        if isinstance(h, int) and isinstance(w, int) and h > 0 and w > 0:
            return (w, h)
        return None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "dtype": self.dtype,
            "layout": self.layout,
            "channels": self.channels,
            "range": list(self.range),
            "shape": list(self.shape),
        }


@dataclass(frozen=True)
class Manifest:
    """A style model's manifest, read from ``<name>.json``."""

    path: Path
    name: str
    file: str
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    sha256: str = ""
    opset: int | None = None
    background: str = ""
    title: str = ""
    built: dict[str, Any] = field(default_factory=dict)

    @property
    def model_path(self) -> Path:
        return self.path.parent / self.file

    @property
    def background_path(self) -> Path | None:
        return self.path.parent / self.background if self.background else None

    def input(self, role: str) -> TensorSpec | None:
        return next((s for s in self.inputs if s.role == role), None)

    @property
    def output(self) -> TensorSpec:
        return self.outputs[0]

    def verify(self) -> str | None:
        """None when the model file is there and matches the recorded sha256; else why not."""
        if not self.model_path.is_file():
            return f"{self.model_path}: model file missing"
        if self.sha256 and file_sha256(self.model_path) != self.sha256:
            return f"{self.model_path}: sha256 differs from {self.path.name} (rebuilt or damaged)"
        return None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _spec(raw: Any, where: str, roles: tuple[str, ...]) -> TensorSpec:
    if not isinstance(raw, dict):
        raise ManifestError(f"{where}: must be a mapping")
    name, role = raw.get("name"), raw.get("role")
    if not isinstance(name, str) or not name:
        raise ManifestError(f"{where}: needs a name (the ONNX tensor's name)")
    if role not in roles:
        raise ManifestError(f"{where}: role {role!r} is not one of {', '.join(roles)}")
    dtype = raw.get("dtype", "float32")
    if dtype not in DTYPES:
        raise ManifestError(f"{where}: dtype {dtype!r} is not one of {', '.join(DTYPES)}")
    layout = raw.get("layout", "NCHW")
    if layout not in LAYOUTS:
        raise ManifestError(f"{where}: layout {layout!r} is not one of {', '.join(LAYOUTS)}")
    rng = raw.get("range", [0, 255])
    if not (
        isinstance(rng, list) and len(rng) == 2 and all(isinstance(v, (int, float)) for v in rng)
    ):
        raise ManifestError(f"{where}: range must be [low, high]")
    channels = raw.get("channels", "RGB")
    if role in ("frame", "image") and channels not in ("RGB", "BGR"):
        raise ManifestError(f"{where}: channels must be RGB or BGR")
    shape = raw.get("shape", [])
    if not isinstance(shape, list):
        raise ManifestError(f"{where}: shape must be a list")
    return TensorSpec(
        name, role, dtype, layout, channels, (float(rng[0]), float(rng[1])), tuple(shape)
    )


def load(path: Path) -> Manifest:
    """Read and check one manifest; every problem is a :class:`ManifestError` naming the file."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ManifestError(f"{path}: cannot read: {exc}") from None
    if not isinstance(raw, dict):
        raise ManifestError(f"{path}: must be a JSON object")
    if raw.get("format", FORMAT) != FORMAT:
        raise ManifestError(f"{path}: format {raw.get('format')!r} is not {FORMAT}")
    file = raw.get("file")
    if not isinstance(file, str) or not file or Path(file).name != file:
        raise ManifestError(f"{path}: 'file' must name the model file beside the manifest")
    inputs = tuple(
        _spec(r, f"{path}: inputs[{i}]", ROLES_IN) for i, r in enumerate(raw.get("inputs", []))
    )
    outputs = tuple(
        _spec(r, f"{path}: outputs[{i}]", ROLES_OUT) for i, r in enumerate(raw.get("outputs", []))
    )
    if not any(s.role == "frame" for s in inputs):
        raise ManifestError(f"{path}: no input has the role 'frame'")
    if len(outputs) != 1:
        raise ManifestError(f"{path}: needs exactly one output (role 'image')")
    for spec in (*inputs, *outputs):
        if spec.role in ("frame", "image") and spec.layout not in ("HWC", "NHWC", "CHW", "NCHW"):
            raise ManifestError(f"{path}: {spec.name}: an image needs an image layout")
    background = raw.get("background", "")
    return Manifest(
        path=path,
        name=str(raw.get("name", path.stem)),
        file=file,
        inputs=inputs,
        outputs=outputs,
        sha256=str(raw.get("sha256", "")),
        opset=raw.get("opset"),
        background=background if isinstance(background, str) else "",
        title=str(raw.get("title", "")),
        built=raw.get("built", {}) if isinstance(raw.get("built"), dict) else {},
    )


def find(models_dir: Path, name: str) -> Manifest:
    """The manifest of model ``name`` in ``models_dir`` (``<name>.json``)."""
    path = models_dir / f"{name}.json"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in models_dir.glob("*.json"))) or "none"
        raise ManifestError(f"{path}: no such model manifest (models there: {known})")
    return load(path)


def available(models_dir: Path) -> list[Manifest | ManifestError]:
    """Every manifest in a folder, or the problem with it."""
    out: list[Manifest | ManifestError] = []
    for path in sorted(models_dir.glob("*.json")):
        try:
            out.append(load(path))
        except ManifestError as exc:
            out.append(exc)
    return out


def write(path: Path, data: dict[str, Any]) -> None:
    """Write a manifest (sorted keys are not used: the order is the order a person reads)."""
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
