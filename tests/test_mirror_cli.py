"""``kiosk models``: the commands a technician uses to see the mirror's models."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kiosk.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_models_info_lists_the_bundled_model() -> None:
    result = CliRunner().invoke(main, ["models", "info", "--dir", str(ROOT / "models" / "onnx")])
    assert result.exit_code == 0, result.output
    assert "frost: frost.onnx" in result.output and "OK" in result.output


def test_models_info_json() -> None:
    result = CliRunner().invoke(
        main, ["models", "info", "--dir", str(ROOT / "models" / "onnx"), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert "CPUExecutionProvider" in report["providers_available"]
    (frost,) = [m for m in report["models"] if m.get("name") == "frost"]
    assert frost["sha256_ok"] and frost["opset"] == 17
    assert frost["inputs"]["frame"] == "frame"


def test_models_info_reports_a_broken_manifest(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text('{"file": "x.onnx"}', encoding="utf-8")
    result = CliRunner().invoke(main, ["models", "info", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "broken.json" in result.output and "Traceback" not in result.output


def test_models_commands_have_help() -> None:
    for args in (["models", "--help"], ["models", "build", "--help"], ["models", "info", "--help"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0 and "Usage:" in result.output
