"""``kiosk models``: build the mirror's models, and show which models a kiosk has.

Thin commands over :mod:`kiosk.mirror.build` (the frost model, from torch),
:mod:`kiosk.mirror.build_perception` (MediaPipe's face and person models, converted to ONNX),
:mod:`kiosk.mirror.manifest` and the stylizer. ``build`` needs the ``models`` extra; ``info``
needs only onnxruntime.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from kiosk.cli._common import CONTEXT, config_option, fail, load_settings


def _models_dir(directory: Path | None, config: Path | None) -> Path:
    if directory is not None:
        return directory
    return load_settings(config).path("models")


@click.group("models", context_settings=CONTEXT)
def models_group() -> None:
    """Build and inspect the frost mirror's style models (models/onnx)."""


@models_group.command(context_settings=CONTEXT)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("models/onnx"),
    show_default=True,
    help="Folder for frost.onnx, frost.json, the backdrop and perception/.",
)
@click.option(
    "--perception/--no-perception",
    default=True,
    show_default=True,
    help="Also convert MediaPipe's face and person models into OUT/perception.",
)
@click.option(
    "--wheel",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="The mediapipe wheel to take the models from (default: $KIOSK_MEDIAPIPE_WHEEL, else "
    "a cached download of the pinned version).",
)
def build(out: Path, perception: bool, wheel: Path | None) -> None:
    """Export the frost model from its torch source to ONNX, with its manifest, and convert
    the perception models (face detector, face landmarks, selfie segmentation).

    Needs torch and onnx (pip install torch==2.13.0 onnx); the kiosk itself runs the results with
    onnxruntime alone.
    """
    try:
        import onnx  # noqa: F401
        import torch  # noqa: F401
    except ImportError:
        fail(
            "kiosk models build needs torch and onnx: pip install torch==2.13.0 onnx "
            "(or the project's 'models' extra)",
            code=2,
        )
    from kiosk.mirror.build import build as run_build

    try:
        result = run_build(out)
    except RuntimeError as exc:
        fail(f"kiosk models build: {exc}")
    click.echo(
        f"wrote {result.model} ({result.size_bytes / 1024:.0f} KiB), {result.manifest.name}, "
        f"{result.background.name}; onnxruntime vs torch: max difference "
        f"{result.parity_max_abs} level(s)"
    )
    if not perception:
        return
    from kiosk.mirror.build_perception import BuildError, build_perception

    try:
        built = build_perception(out, wheel=wheel)
    except BuildError as exc:
        fail(f"kiosk models build: perception: {exc}")
    for item in built:
        parity = "not checked" if item.parity_max_abs is None else f"{item.parity_max_abs:g}"
        click.echo(
            f"wrote {item.model} ({item.size_bytes / 1024:.0f} KiB); onnxruntime vs TFLite: "
            f"max difference {parity}"
        )


@models_group.command(context_settings=CONTEXT)
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Models folder (default: the settings' paths.models).",
)
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def info(directory: Path | None, config: Path | None, as_json: bool) -> None:
    """List the style models, check their files, and say where they would run."""
    from kiosk.mirror import manifest

    folder = _models_dir(directory, config)
    try:
        import onnxruntime

        providers: list[str] = list(onnxruntime.get_available_providers())
        ort_version = str(onnxruntime.__version__)
    except ImportError:
        providers, ort_version = [], "not installed"
    report: dict[str, Any] = {
        "folder": str(folder),
        "onnxruntime": ort_version,
        "providers_available": providers,
        "models": [],
    }
    ok = True
    for item in manifest.available(folder):
        if isinstance(item, manifest.ManifestError):
            ok = False
            report["models"].append({"problem": str(item)})
            continue
        problem = item.verify()
        ok = ok and problem is None
        report["models"].append(
            {
                "name": item.name,
                "title": item.title,
                "file": item.file,
                "bytes": item.model_path.stat().st_size if item.model_path.is_file() else None,
                "sha256_ok": problem is None,
                "problem": problem,
                "opset": item.opset,
                "inputs": {s.role: s.name for s in item.inputs},
                "built_with": {k: item.built.get(k) for k in ("torch", "onnx", "kiosk")},
            }
        )
    report["perception"] = _perception_report(folder)
    ok = ok and all(m["problem"] is None for m in report["perception"])
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        click.echo(f"{folder}: onnxruntime {ort_version}, providers: {', '.join(providers)}")
        if not report["models"]:
            click.echo("  no models (build the bundled one with: kiosk models build)")
        for m in report["models"]:
            if "name" not in m:
                click.secho(f"  {m['problem']}", fg="red")
                continue
            state = "OK" if m["sha256_ok"] else click.style(m["problem"], fg="red")
            size = f"{m['bytes'] / 1024:.0f} KiB" if m["bytes"] else "missing"
            click.echo(f"  {m['name']}: {m['file']} ({size}, opset {m['opset']}) {state}")
            click.echo(f"    inputs: {', '.join(f'{k}={v}' for k, v in m['inputs'].items())}")
        click.echo("  perception (faces, landmarks, person mask):")
        for m in report["perception"]:
            state = "OK" if m["problem"] is None else click.style(m["problem"], fg="red")
            size = f"{m['bytes'] / 1024:.0f} KiB" if m["bytes"] else "missing"
            click.echo(f"    {m['name']}: {m['file']} ({size}) {state}")
    raise SystemExit(0 if ok else 1)


def _perception_report(folder: Path) -> list[dict[str, Any]]:
    """Each perception model the mirror uses: its file, size and whether it is intact."""
    from kiosk.mirror.cues import PERCEPTION_MODELS
    from kiosk.mirror.manifest import file_sha256
    from kiosk.mirror.perception import PerceptionError
    from kiosk.mirror.perception.session import load_manifest

    out: list[dict[str, Any]] = []
    for name in PERCEPTION_MODELS:
        entry: dict[str, Any] = {"name": name, "file": None, "bytes": None, "problem": None}
        try:
            m = load_manifest(folder, name)
        except PerceptionError as exc:
            entry["problem"] = f"{exc} (kiosk models build)"
            out.append(entry)
            continue
        entry["file"] = f"perception/{m.file}"
        if not m.model_path.is_file():
            entry["problem"] = "model file missing (kiosk models build)"
        else:
            entry["bytes"] = m.model_path.stat().st_size
            if m.sha256 and file_sha256(m.model_path) != m.sha256:
                entry["problem"] = f"sha256 differs from {m.path.name}: damaged or replaced"
        out.append(entry)
    return out
