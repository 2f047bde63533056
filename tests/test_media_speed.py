"""Clips too heavy for the machine: `kiosk content validate` and `kiosk doctor` time a few
seconds of each clip's decoding and name the ones under 1.5x real time, with the command that
re-encodes them; light clips pass. The test slows the decoder down for one clip instead of
needing a 4K HEVC file and a slow processor."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kiosk.cli import main
from kiosk.media import convert
from kiosk.media.speed import MARGIN, machine, measure, reencode_command
from kiosk.ops.doctor.media import check_playback
from kiosk.ops.doctor.report import Context
from kiosk.settings import Settings
from testkit.media import ClipFactory

HEAVY_WIDTH = 640  # the slowed clip's width; the light ones are 160 wide


@pytest.fixture
def slow_decoder(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each frame of a clip 640 pixels wide takes 50 ms more to convert: 25 fps play at ~0.8x."""
    real = convert.Converter.__call__

    def slowed(self: convert.Converter, frame: Any, *args: Any) -> Any:
        if frame.width >= HEAVY_WIDTH:
            time.sleep(0.05)
        return real(self, frame, *args)

    monkeypatch.setattr(convert.Converter, "__call__", slowed)


@pytest.fixture
def heavy_root(make_collection: Callable[..., Path], clips: ClipFactory) -> Path:
    """``make_collection``'s collection with explorer alpha's clip replaced by a heavy one."""
    root = make_collection()
    heavy = clips("heavy.mp4", size=(HEAVY_WIDTH, 360), duration=1.6, fps=25.0)
    (root / "explorers" / "alpha" / "clips" / "clip.mp4").write_bytes(heavy.read_bytes())
    return root


def _validate(root: Path, *extra: str) -> tuple[int, list[dict[str, Any]]]:
    result = CliRunner().invoke(main, ["content", "validate", str(root), "--json", *extra])
    return result.exit_code, json.loads(result.output)["problems"]


def test_a_clip_too_slow_to_decode_is_named_with_its_reencode_command(
    heavy_root: Path, slow_decoder: None
) -> None:
    code, problems = _validate(heavy_root)
    assert code == 0  # a warning: the collection can be shown, the clip will stutter
    slow = [p for p in problems if "real time" in p["message"]]
    assert len(slow) == 1, problems
    p = slow[0]
    assert p["severity"] == "warning"
    assert p["path"].endswith("alpha/explorer.yaml") and p["line"] == 21
    message = p["message"]
    assert message.startswith(f"segment 'clip': clip.mp4 ({HEAVY_WIDTH}x360 h264 25 fps) decodes")
    assert f"x real time on {machine()}; it needs {MARGIN:g}x" in message
    speed = float(message.split("decodes at ")[1].split("x real time")[0])
    assert speed < MARGIN
    clip = heavy_root / "explorers" / "alpha" / "clips" / "clip.mp4"
    assert reencode_command(clip, 25.0) in message
    for part in ("ffmpeg -i", "-c:v libx264 -profile:v high", "-b:v 8M", "-c:a aac -ar 48000"):
        assert part in message
    assert "not on the kiosk: check there too" in message  # this test machine is no kiosk


def test_light_clips_pass_and_the_curator_is_told_where_they_were_timed(
    make_collection: Callable[..., Path], slow_decoder: None
) -> None:
    root = make_collection()
    code, problems = _validate(root)
    assert code == 0 and not [p for p in problems if "real time" in p["message"]], problems
    text = CliRunner().invoke(main, ["content", "validate", str(root)]).output
    assert f"Clips timed on {machine()}." in text
    assert "This is not a kiosk" in text and "kiosk doctor" in text


def test_no_speed_skips_the_timing(heavy_root: Path, slow_decoder: None) -> None:
    _, problems = _validate(heavy_root, "--no-speed")
    assert not [p for p in problems if "real time" in p["message"]]


def test_doctor_times_the_installed_collection(
    heavy_root: Path, make_collection: Callable[..., Path], slow_decoder: None
) -> None:
    warned = check_playback(Context(Settings(), content_dir=heavy_root))
    assert warned.level == "warn" and warned.name == "playback"
    assert "1 of 3 clips decode too slowly" in warned.summary and machine() in warned.summary
    assert len(warned.details) == 1 and "ffmpeg -i" in warned.details[0]
    assert "not on the kiosk" not in warned.details[0]  # the doctor runs on the kiosk
    light = check_playback(Context(Settings(), content_dir=make_collection("light")))
    assert light.level == "ok" and "3 clips" in light.summary
    skipped = check_playback(Context(Settings(), content_dir=heavy_root, media=False))
    assert skipped.level == "skip"


def test_a_real_clip_is_timed_as_it_plays(clips: ClipFactory) -> None:
    clip = clips("timed.mp4", size=(320, 180), duration=4.0, fps=25.0)
    found = measure(clip, (640, 360), seconds=2.0)
    assert found.sampled_s == pytest.approx(2.0, abs=0.05)
    assert (found.width, found.height, found.fps, found.codec) == (320, 180, 25.0, "h264")
    assert found.speed > 0
