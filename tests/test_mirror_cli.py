"""``kiosk models`` (the mirror's models) and ``kiosk mirror photo|clip`` (the mirror on a file)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kiosk.cli import main
from testkit.mirror_media import carphone, feat

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models" / "onnx"


def test_models_info_lists_the_bundled_model() -> None:
    result = CliRunner().invoke(main, ["models", "info", "--dir", str(ROOT / "models" / "onnx")])
    assert result.exit_code == 0, result.output
    assert "frost: frost.onnx" in result.output and "OK" in result.output
    assert "face_landmark: perception/face_landmark.onnx" in result.output


def test_models_info_names_a_missing_perception_model(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(MODELS, tmp_path / "onnx")
    (tmp_path / "onnx" / "perception" / "selfie_segmentation.onnx").unlink()
    result = CliRunner().invoke(main, ["models", "info", "--dir", str(tmp_path / "onnx")])
    assert result.exit_code == 1
    assert "selfie_segmentation" in result.output and "missing" in result.output


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


def test_mirror_photo_json_gives_every_face_in_the_inputs_pixels(tmp_path: Path) -> None:
    source = feat("multi_face.jpg")
    out = tmp_path / "group.png"
    before = set(tmp_path.iterdir())
    result = CliRunner().invoke(
        main,
        ["mirror", "photo", str(source), "-o", str(out), "--models", str(MODELS), "--json"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(tmp_path.iterdir()) - before == {out}  # only the output asked for
    import cv2

    picture = cv2.imread(str(out))
    assert picture is not None and picture.shape[:2] == (667, 1000)  # the input's size
    assert report["size"] == [1000, 667] and len(report["faces"]) == 5
    for face in report["faces"]:
        x0, y0, x1, y1 = face["box"]
        assert 0 <= x0 < x1 <= 1000 and 0 <= y0 < y1 <= 667
        assert x1 - x0 > 60  # the faces are about 100 px wide in the photograph
        assert len(face["landmarks"]) == 468 and face["confidence"] > 0.9
    assert 0.3 < report["mask_coverage"] < 0.9
    assert {"faces", "mask", "map", "stylize"} <= set(report["timings_ms"])


def test_mirror_clip_tracks_every_frame(tmp_path: Path) -> None:
    out = tmp_path / "carphone.mp4"
    result = CliRunner().invoke(
        main,
        ["mirror", "clip", str(carphone()), "-o", str(out), "--models", str(MODELS), "--json"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(report["frames"]) == 120 and report["size"] == [176, 144]
    assert sum(bool(f["faces"]) for f in report["frames"]) >= 115
    assert list(tmp_path.iterdir()) == [out]
    import av

    with av.open(str(out)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 120


def test_mirror_commands_refuse_bad_files_in_one_line(tmp_path: Path) -> None:
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not a picture")
    runner = CliRunner()
    result = runner.invoke(
        main, ["mirror", "photo", str(junk), "-o", str(tmp_path / "x.png"), "--models", str(MODELS)]
    )
    assert result.exit_code == 1 and "cannot be read" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "x.png").exists()
    result = runner.invoke(
        main, ["mirror", "clip", str(junk), "-o", str(tmp_path / "x.mp4"), "--models", str(MODELS)]
    )
    assert result.exit_code == 1 and not (tmp_path / "x.mp4").exists()
    result = runner.invoke(main, ["mirror", "photo", str(junk), "-o", str(tmp_path / "x.jpg")])
    assert result.exit_code == 2 and "PNG" in result.output
    for args in (["mirror", "--help"], ["mirror", "photo", "--help"], ["mirror", "clip", "--help"]):
        assert "Usage:" in runner.invoke(main, args).output
