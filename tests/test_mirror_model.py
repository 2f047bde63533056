"""The frost model's source (torch) against its committed export (ONNX): parity and the build.

These need torch and onnx (the ``models`` extra) and are skipped, saying so, without them; the
kiosk at run time needs neither, and ``tests/test_mirror_stylizer.py`` covers that side.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

torch = pytest.importorskip(
    "torch", reason="torch is not installed (pip install torch==2.13.0 onnx: the models extra)"
)
pytest.importorskip("onnx", reason="onnx is not installed (the models extra)")

from kiosk.cli import main  # noqa: E402
from kiosk.mirror import build, frost_model, manifest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models" / "onnx"


def _params(raw: dict[str, Any]) -> frost_model.FrostParams:
    def tup(v: Any) -> Any:
        return tuple(tup(x) for x in v) if isinstance(v, list) else v

    return frost_model.FrostParams(**{k: tup(v) for k, v in raw.items()})


@pytest.fixture(scope="module")
def module() -> Any:
    found = manifest.find(MODELS, "frost")
    return frost_model.build_module(_params(found.built["params"]))


@pytest.mark.parametrize("size", [(640, 480), (1280, 720), (200, 150)])
def test_the_committed_onnx_model_follows_torch(module: Any, size: tuple[int, int]) -> None:
    """Parity: onnxruntime on the committed file vs the torch source, within 2 levels.

    Also catches a committed model that is older than its source: rebuild with
    ``kiosk models build``.
    """
    feed = build.sample_inputs(*size, t=3.7)
    ref = build.torch_reference(module, feed).astype(np.int16)
    got = build.onnx_output(MODELS / "frost.onnx", feed).astype(np.int16)
    assert ref.shape == got.shape == (size[1], size[0], 3)
    worst = int(np.abs(ref - got).max())
    assert worst <= build.PARITY_LIMIT, f"onnxruntime differs from torch by {worst} levels"
    assert float((ref != got).mean()) < 0.001


def test_the_params_in_the_manifest_are_the_defaults() -> None:
    found = manifest.find(MODELS, "frost")
    assert _params(found.built["params"]) == frost_model.FrostParams()


def test_kiosk_models_build(tmp_path: Path) -> None:
    # The perception models' build is tested on its own (tests/test_mirror_convert.py).
    result = CliRunner().invoke(
        main, ["models", "build", "--out", str(tmp_path), "--no-perception"]
    )
    assert result.exit_code == 0, result.output
    assert "max difference" in result.output
    data = json.loads((tmp_path / "frost.json").read_text(encoding="utf-8"))
    assert data["sha256"] == manifest.file_sha256(tmp_path / "frost.onnx")
    assert data["built"]["parity_max_abs"] <= build.PARITY_LIMIT
    assert (tmp_path / "frost.onnx").stat().st_size < 5 * 1024 * 1024
    assert (tmp_path / build.BACKGROUND_FILE).is_file()
    assert not list(tmp_path.glob(".*.tmp"))
    built = manifest.load(tmp_path / "frost.json")
    assert built.verify() is None
    committed = manifest.find(MODELS, "frost")
    if committed.built.get("torch") == str(torch.__version__):
        # Same torch: the export is repeatable byte for byte, so the committed file is current.
        assert built.sha256 == committed.sha256, "models/onnx/frost.onnx is stale: rebuild it"
