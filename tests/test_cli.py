"""The `kiosk` command as a curator and a technician use it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from kiosk import __version__
from kiosk.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    for name, cmd in group.commands.items():
        out.append((f"{prefix}{name}", cmd))
        if isinstance(cmd, click.Group):
            out += _commands(cmd, f"{prefix}{name} ")
    return out


def test_every_command_has_help_text() -> None:
    """Every command and group says what it does, and every option what it means: the help is
    the technician's manual at the kiosk."""
    runner = CliRunner()
    commands = [("", main), *_commands(main)]
    names = {n for n, _ in commands}
    assert {"run", "tour", "content", "content validate", "settings"} <= names
    assert {
        "content pack",
        "content install",
        "stats merge",
        "models info",
        "admin set-pin",
    } <= names
    missing = []
    for name, cmd in commands:
        if not (cmd.help or "").strip():
            missing.append(f"`kiosk {name}`".replace(" `", "`"))
        for param in cmd.get_params(click.Context(cmd)):
            if isinstance(param, click.Option) and not (param.help or "").strip():
                missing.append(f"`kiosk {name}` option {param.opts[0]}".replace(" `", "`"))
        result = runner.invoke(main, [*name.split(), "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert "Usage: kiosk" in result.output
    assert not missing, "no help text: " + ", ".join(missing)


def test_config_option_is_the_same_everywhere(tmp_path: Path) -> None:
    """--config behaves alike in every command: a file named that does not exist is one clear
    message and exit status 2, whichever command it was given to."""
    with_config = [
        name for name, cmd in _commands(main) if any(p.name == "config" for p in cmd.params)
    ]
    assert {"run", "tour", "content validate", "content install", "stats", "doctor"} <= set(
        with_config
    )
    gone = tmp_path / "gone.yaml"
    for name in with_config:
        result = CliRunner().invoke(main, [*name.split(), "--config", str(gone)])
        assert result.exit_code == 2, (name, result.output)
        assert f"{gone} does not exist" in result.output, (name, result.output)
        assert "Traceback" not in result.output


def test_config_from_the_environment_must_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIOSK_CONFIG", str(tmp_path / "gone.yaml"))
    result = CliRunner().invoke(main, ["admin", "status"])
    assert result.exit_code == 2
    assert "KIOSK_CONFIG" in result.output and "gone.yaml" in result.output
    assert "Traceback" not in result.output


def test_version_and_python_m() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "kiosk", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"kiosk, version {__version__}"
    out = subprocess.run(
        [sys.executable, "-m", "kiosk", "--help"], capture_output=True, text=True, check=True
    )
    assert "Usage: kiosk" in out.stdout


def test_validate_good_collection(make_collection: Callable[..., Path]) -> None:
    root = make_collection()
    result = CliRunner().invoke(main, ["content", "validate", str(root)])
    assert result.exit_code == 0, result.output
    assert "OK: 2 explorers, 4 segments, 0 errors" in result.output


def test_validate_broken_collection_names_each_file_and_line(
    make_collection: Callable[..., Path],
) -> None:
    root = make_collection()
    alpha = root / "explorers" / "alpha" / "explorer.yaml"
    beta = root / "explorers" / "beta" / "explorer.yaml"
    # A YAML typo, a missing clip, an out-of-range segment and a duplicate slug at once.
    alpha.write_text(
        alpha.read_text(encoding="utf-8")
        .replace("file: clips/clip.mp4", "file: clips/gone.mp4")
        .replace('out: "00:00:01.500"', "out: 30"),
        encoding="utf-8",
    )
    (root / "explorers" / "gamma").mkdir()
    (root / "explorers" / "gamma" / "explorer.yaml").write_text("name: {ru: [\n", encoding="utf-8")
    beta.write_text("slug: alpha\n" + beta.read_text(encoding="utf-8"), encoding="utf-8")
    result = CliRunner().invoke(main, ["content", "validate", str(root), "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    found = {(Path(p["path"]).parent.name, p["line"], p["message"]) for p in report["problems"]}
    messages = "\n".join(f"{a}:{b}: {c}" for a, b, c in sorted(found))
    assert ("alpha", 23, "segment 'clip'.file: file not found: clips/gone.mp4") in found, messages
    assert any(
        d == "alpha" and ln == 25 and "past the end of the file" in m for d, ln, m in found
    ), messages
    assert any(d == "gamma" and ln == 2 and "YAML syntax" in m for d, ln, m in found), messages
    assert any(d == "beta" and ln == 1 and "duplicate slug" in m for d, ln, m in found), messages


def test_validate_text_output_groups_by_file(make_collection: Callable[..., Path]) -> None:
    root = make_collection()
    cpath = root / "explorers" / "alpha" / "captions" / "clip.en.vtt"
    cpath.write_text("WEBVTT\n\n00:00:00.000 --> 00:00:09.000\nToo long\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["content", "validate", str(root)])
    assert result.exit_code == 1
    assert f"{cpath}:3: error: cue 00:00:00.000 --> 00:00:09.000 runs past" in result.output


def test_validate_without_collection_is_a_clear_message(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["content", "validate", str(tmp_path)])
    assert result.exit_code == 2
    assert "no collection.yaml" in result.output
    assert "Traceback" not in result.output


def test_settings_check_reports_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.yaml"
    path.write_text("audio: {volume: 3}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["settings", "--check", str(path)])
    assert result.exit_code == 2
    assert f"{path}:1: error: audio.volume: 3.0 is outside" in result.output
    assert "Traceback" not in result.output


def test_run_without_display_says_so_and_points_to_tour() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("SDL_VIDEODRIVER", None)
    out = subprocess.run(
        [sys.executable, "-m", "kiosk", "run", "--content", str(ROOT / "content")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert out.returncode != 0
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "no display" in lines[0] and "kiosk tour" in lines[0]


@pytest.mark.parametrize("size", ["1920x1080", "1080x1920"])
def test_tour_writes_pictures(
    make_collection: Callable[..., Path], tmp_path: Path, size: str
) -> None:
    root = make_collection()
    out = tmp_path / "tour"
    result = CliRunner().invoke(
        main, ["tour", "--out", str(out), "--content", str(root), "--size", size]
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.glob("*.png"))
    scenes = ["01-attract", "02-gallery", "03-alpha", "03-alpha-facts", "04-beta", "99-still-there"]
    expected = sorted(f"{lang}-{s}.png" for lang in ("en", "ru") for s in scenes)
    assert names == sorted([*expected, "contact-sheet.png"])
    from PIL import Image

    w, h = (int(v) for v in size.split("x"))
    img = Image.open(out / "ru-02-gallery.png")
    assert img.size == (w, h)
    assert len(img.getcolors(1 << 20) or []) > 50  # text and portraits were drawn, not a blank


def test_run_windowed_on_dummy_display(make_collection: Callable[..., Path]) -> None:
    env = dict(os.environ, SDL_VIDEODRIVER="dummy")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk",
            "run",
            "--content",
            str(make_collection()),
            "--windowed",
            "--max-seconds",
            "1",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr


def test_long_pack_commands_show_progress_only_to_a_person(
    make_collection: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pack, verify and install draw a bar on a terminal; piped, or with --json, not a byte."""
    from kiosk.cli import _common
    from kiosk.delivery.signing import SecretKey, write_keypair

    src = make_collection()
    key = SecretKey.generate()
    write_keypair(key, tmp_path / "k.key", None)
    trust = ["--trust", str(tmp_path / "k.key.pub")]
    runner = CliRunner()

    def run(*args: str) -> Result:
        result = runner.invoke(main, list(args))
        assert result.exit_code == 0, result.output
        return result

    def steps(n: int, *extra: str) -> list[Result]:
        pack = str(tmp_path / f"v{n}.wrpack")
        return [
            run("content", "pack", str(src), "-o", pack, "--key", str(tmp_path / "k.key"),
                "--version", str(n), "--no-media", *extra),
            run("content", "verify", pack, *trust, *extra),
            run("content", "install", pack, "--root", str(tmp_path / "releases"), *trust,
                "--no-media", *extra),
        ]  # fmt: skip

    labels = ("Packing", "Checking", "Installing")
    for result in steps(1):  # piped: the output is the result alone
        assert not any(label in result.output for label in labels) and "\r" not in result.output
    monkeypatch.setattr(_common, "on_terminal", lambda: True)
    for label, result in zip(labels, steps(2), strict=True):
        assert f"{label} v2.wrpack" in result.stderr
    for result in steps(3, "--json"):
        assert json.loads(result.stdout) and not any(label in result.output for label in labels)


def test_the_progress_bar_draws_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from kiosk.cli._common import byte_progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for enabled in (True, False):
        screen = Terminal()
        monkeypatch.setattr(sys, "stderr", screen)
        with byte_progress(4 << 20, "Copying x.wrpack", enabled=enabled) as progress:
            for mb in range(1, 5):
                progress(mb << 20)
        assert ("Copying x.wrpack" in screen.getvalue()) is enabled
        assert ("100%" in screen.getvalue()) is enabled
