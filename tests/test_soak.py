"""The soak in CI: a thousand visits in compressed time, faults injected on the way."""

from __future__ import annotations

from pathlib import Path

from kiosk.soak import run_soak

ROOT = Path(__file__).resolve().parent.parent


def test_a_thousand_visits_with_faults(tmp_path: Path) -> None:
    result = run_soak(
        1000,
        tmp_path,
        content=ROOT / "content",
        camera_video=ROOT / "tests" / "data" / "bbb_720p_aac51.mp4",
        models=ROOT / "models" / "onnx",
        warmup=300,
    )
    # Every visit ran to the attract loop again and was recorded.
    assert result["visits_recorded"] == 1000, result
    # Each kind of fault was injected, and the kiosk noticed, counted it and went on.
    assert set(result["faults_by_kind"]) == {
        "camera_lost",
        "audio_device_gone",
        "database_locked",
        "corrupt_clip",
    }, result
    assert result["faults_survived"] == result["faults_injected"], result
    # Flat after warm-up: no thread or file is left behind, memory stays within a few percent.
    assert result["threads_growth"] <= 0, result
    # One descriptor of slack: the analytics database may be held by one more connection at the
    # end than at warm-up, right after a lock incident; a leak would show as many more.
    assert result["fd_growth"] <= 1, result
    # Sampled between visits, after the heap trim the kiosk does then (kiosk/ops/memory.py):
    # without the trim this grew 20-30 % over 1000 visits (freed frame buffers kept resident).
    assert result["rss_growth_pct"] < 5, result
    # Content releases installed during the day were swapped in between visits.
    assert not result["content_release"].startswith("1-"), result
