"""`kiosk content validate` as a curator meets it: glyphs, caption readability, text that does
not fit, damaged media and images, each named with its file and line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.cli import main


def _run(root: Path) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, ["content", "validate", str(root), "--json"])
    report = json.loads(result.output)
    return result.exit_code, [
        f"{Path(p['path']).name}:{p['line']}: {p['severity']}: {p['message']}"
        for p in report["problems"]
    ]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_new_language_letters_are_checked_against_the_fonts(
    make_collection: Callable[..., Path],
) -> None:
    root = make_collection()
    _edit(root / "collection.yaml", "languages: [ru, en]", "languages: [ru, en, sah, yrk, ckt]")
    alpha = root / "explorers" / "alpha" / "explorer.yaml"
    # Sakha, Nenets and Chukchi letters: the bundled fonts draw them all.
    _edit(
        alpha,
        "summary: {ru: Краткое описание., en: A short summary.}",
        "summary: {ru: Краткое описание., en: A short summary., sah: Һөҕүҥ, yrk: Ӈэ, "
        "ckt: Ԓыгъоравэтԓьэн ӄ}",
    )
    code, problems = _run(root)
    assert not [p for p in problems if "cannot draw" in p], problems
    # A letter no bundled font has (Ol Chiki) is an error naming the letter and its line.
    _edit(alpha, "ckt: Ԓыгъоравэтԓьэн ӄ", "ckt: ᱚᱞ")
    code, problems = _run(root)
    assert code == 1
    assert any(
        p.startswith("explorer.yaml:5: error: summary (ckt): the fonts cannot draw 'ᱚ'")
        for p in problems
    ), problems


@pytest.mark.parametrize(
    ("cue", "message"),
    [
        ("00:00:00.000 --> 00:00:01.900\nOne\nTwo\nThree", "3 lines; at most 2"),
        ("00:00:00.000 --> 00:00:01.900\n" + "x" * 43, "a line of 43 characters; at most 42"),
        ("00:00:00.000 --> 00:00:00.500\nHi", "on screen 0.50s; at least 1s"),
        (
            "00:00:00.000 --> 00:00:01.000\nThis is a caption far too fast",
            "characters a second is too fast to read",
        ),
        (
            "00:00:00.000 --> 00:00:01.200\nOne\n\n00:00:01.000 --> 00:00:01.900\nTwo",
            "overlaps the cue before it",
        ),
    ],
)
def test_captions_must_be_readable(
    make_collection: Callable[..., Path], cue: str, message: str
) -> None:
    root = make_collection()
    vtt = root / "explorers" / "alpha" / "captions" / "clip.en.vtt"
    vtt.write_text(f"WEBVTT\n\n{cue}\n", encoding="utf-8")
    code, problems = _run(root)
    assert code == 1
    assert any(p.startswith("clip.en.vtt:") and message in p for p in problems), problems


def test_text_that_cannot_fit_is_an_error(make_collection: Callable[..., Path]) -> None:
    root = make_collection()
    beta = root / "explorers" / "beta" / "explorer.yaml"
    long_summary = " ".join(["Очень длинное вступление о походе через льды."] * 40)
    _edit(
        beta,
        "summary: {ru: Краткое описание., en: A short summary.}",
        f"summary: {{ru: {long_summary}, en: Short.}}",
    )
    _edit(
        beta,
        "name: {ru: Харитон Лаптев,",
        "name: {ru: Харитон Прокофьевич Лаптев-Великоустюжский-Северо-Восточный,",
    )
    code, problems = _run(root)
    assert code == 1
    assert any(
        p.startswith("explorer.yaml:5: error: summary (ru) is longer than one page")
        for p in problems
    ), problems
    assert any(
        p.startswith("explorer.yaml:1: error: name (ru) does not fit the explorer page")
        for p in problems
    ), problems


def test_damaged_media_and_images(make_collection: Callable[..., Path]) -> None:
    root = make_collection()
    clip = root / "explorers" / "alpha" / "clips" / "clip.mp4"
    data = clip.read_bytes()
    clip.write_bytes(data[: len(data) // 3])  # a copy that stopped halfway
    (root / "explorers" / "beta" / "clips" / "clip.mp4").write_bytes(b"")
    (root / "explorers" / "beta" / "portrait.png").write_bytes(b"\x89PNG not really")
    code, problems = _run(root)
    assert code == 1
    text = "\n".join(problems)
    assert "segment 'clip': clip.mp4:" in text
    assert any(
        "explorer.yaml:21: error: segment 'clip': clip.mp4" in p
        and ("truncated" in p or "damaged" in p or "cannot" in p)
        for p in problems
    ), text
    assert any("the file is empty" in p for p in problems), text
    assert any("explorer.yaml:4: error: portrait cannot be shown" in p for p in problems), text


def test_bundled_collection_passes_every_check() -> None:
    root = Path(__file__).resolve().parent.parent / "content"
    code, problems = _run(root)
    assert code == 0 and problems == [], problems
