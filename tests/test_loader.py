"""The content loader: a valid collection loads; each kind of mistake is reported as file:line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.content.loader import load_collection
from kiosk.content.model import LifeDate


def _problems(root: Path) -> list[str]:
    return [str(p) for p in load_collection(root).problems]


def test_valid_collection_loads(make_collection: Callable[..., Path]) -> None:
    root = make_collection()
    result = load_collection(root)
    assert result.ok, result.problems
    c = result.collection
    assert c is not None
    assert c.languages == ("ru", "en")
    assert [e.slug for e in c.explorers] == ["alpha", "beta"]  # chronological: c. 1605, 1700
    alpha = c.explorer("alpha")
    assert alpha.name.get("en") == "Semyon Dezhnev"
    assert alpha.born == LifeDate(1605, approximate=True)
    assert c.years(alpha, "ru") == "ок. 1605 – 1673"
    assert c.years(alpha, "en") == "c. 1605 – 1673"
    clip, cut = alpha.segments
    assert clip.end is None and clip.path.name == "clip.mp4"
    assert (cut.start, cut.end, cut.master) == (0.5, 1.5, "song")
    assert cut.path == root / "media" / "master.mp4"
    assert set(cut.captions) == {"ru", "en"}
    assert alpha.route[1].at == 1.5 and alpha.route[1].lon == -169.65
    assert c.attract[0].id == "clip"
    assert "Second paragraph." in alpha.body.get("en")


def test_model_is_immutable(make_collection: Callable[..., Path]) -> None:
    c = load_collection(make_collection()).collection
    assert c is not None
    with pytest.raises(AttributeError):
        c.explorers[0].slug = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        c.explorers[0].name.values["ru"] = "x"  # type: ignore[index]


def test_missing_translation_falls_back_and_warns(make_collection: Callable[..., Path]) -> None:
    root = make_collection()
    path = root / "explorers" / "alpha" / "explorer.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "summary: {ru: Краткое описание., en: A short summary.}", "summary: {ru: Кратко.}"
        ),
        encoding="utf-8",
    )
    result = load_collection(root)
    assert result.ok
    assert result.collection is not None
    assert result.collection.explorer("alpha").summary.get("en") == "Кратко."
    warnings = [str(w) for w in result.warnings]
    assert any("explorer.yaml:5:" in w and "no 'en' translation" in w for w in warnings), warnings


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ('born: "c. 1605"', 'born: "sometime"', 2, "cannot read date"),
        ('died: "1673"', 'died: "1500"', 3, "'died' is before 'born'"),
        (
            "file: clips/clip.mp4",
            "file: clips/missing.mp4",
            23,
            "file not found: clips/missing.mp4",
        ),
        ('out: "00:00:01.500"', "out: 0.2", 29, "'out' (0.2) must come after 'in' (0.5)"),
        ("master: song", "master: nope", 27, "no master 'nope'"),
        ("portrait: portrait.png", "portrait: ../../../etc/passwd", 4, "inside the content folder"),
        ("lat: 67.5", "lat: 97.5", 18, "97.5 is outside -90..90"),
        ("lat: 67.5", 'lat: "north"', 18, "expected a number"),
        ("sources:", "sourcez:", 31, "unknown key 'sourcez' (did you mean 'sources'?)"),
        ("  - id: clip", "  - id: Clip!", 21, "use a-z"),
        ("segment: clip", "segment: other", 19, "no segment 'other'"),
    ],
)
def test_mistakes_are_reported_with_line(
    make_collection: Callable[..., Path], old: str, new: str, line: int, message: str
) -> None:
    root = make_collection()
    path = root / "explorers" / "alpha" / "explorer.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    problems = _problems(root)
    expected = f"{path}:{line}: error: "
    assert any(p.startswith(expected) and message in p for p in problems), problems


def test_duplicate_slug(make_collection: Callable[..., Path]) -> None:
    root = make_collection()
    path = root / "explorers" / "beta" / "explorer.yaml"
    path.write_text("slug: alpha\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    problems = _problems(root)
    assert any(f"{path}:1:" in p and "slug 'alpha' differs from its folder" in p for p in problems)
    assert any(f"{path}:1:" in p and "duplicate slug 'alpha'" in p for p in problems), problems
    # The first explorer still loads: one broken folder never hides the rest.
    c = load_collection(root).collection
    assert c is not None and [e.slug for e in c.explorers] == ["alpha"]


def test_duplicate_slug_in_two_folders(make_collection: Callable[..., Path]) -> None:
    root = make_collection()
    import shutil

    shutil.copytree(root / "explorers" / "alpha", root / "explorers" / "alpha2")
    p2 = root / "explorers" / "alpha2" / "explorer.yaml"
    p2.write_text("slug: alpha\n" + p2.read_text(encoding="utf-8"), encoding="utf-8")
    problems = _problems(root)
    assert any("duplicate slug 'alpha'" in p for p in problems), problems


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        (b"name: {ru: A}\n\tborn: 1\n", 2, "tabs are not allowed"),
        (b"name: {ru: A}\nname: {ru: B}\n", 2, "duplicate key 'name' (first given on line 1)"),
        (b"name: [unclosed\n", 2, "YAML syntax"),
        (b"name: \xff\xfe bad\n", 1, "not UTF-8"),
        (b"- just\n- a list\n", 1, "expected a mapping"),
        (b"born: !!python/object/apply:os.system ['true']\n", 1, "cannot read value"),
        (b"name: {ru: A}\nborn: [1, 2]\n", 2, "expected a date"),
    ],
)
def test_malformed_yaml_never_crashes(
    make_collection: Callable[..., Path], content: bytes, line: int, message: str
) -> None:
    root = make_collection()
    path = root / "explorers" / "beta" / "explorer.yaml"
    path.write_bytes(content)
    result = load_collection(root)
    problems = [str(p) for p in result.problems]
    assert any(p.startswith(f"{path}:{line}: error:") and message in p for p in problems), problems
    assert result.collection is not None
    assert [e.slug for e in result.collection.explorers] == ["alpha"]


def test_huge_and_bomb_files_are_refused(make_collection: Callable[..., Path]) -> None:
    root = make_collection()
    path = root / "explorers" / "beta" / "explorer.yaml"
    path.write_bytes(b"sources:\n" + b"  - 'x'\n" * 400_000)
    assert any("the limit is" in p for p in _problems(root))
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i, name in enumerate("bcdefgh"):
        prev = "abcdefgh"[i]
        bomb += f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]\n"
    path.write_text(bomb, encoding="utf-8")
    assert any("expand without bound" in p for p in _problems(root))


def test_broken_collection_file(make_collection: Callable[..., Path]) -> None:
    root = make_collection()
    (root / "collection.yaml").write_text("title: [\n", encoding="utf-8")
    result = load_collection(root)
    assert result.collection is None
    assert str(result.problems[0]).startswith(f"{root / 'collection.yaml'}:")


def test_attract_reference_must_exist(make_collection: Callable[..., Path]) -> None:
    root = make_collection()
    cpath = root / "collection.yaml"
    cpath.write_text(
        cpath.read_text(encoding="utf-8").replace("alpha/clip", "alpha/nope"), encoding="utf-8"
    )
    problems = _problems(root)
    assert any(f"{cpath}:9:" in p and "no segment 'alpha/nope'" in p for p in problems), problems


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1648", LifeDate(1648)),
        ("c. 1605", LifeDate(1605, approximate=True)),
        ("ок. 1605", LifeDate(1605, approximate=True)),
        ("1937-05-21", LifeDate(1937, 5, 21)),
        (1700, LifeDate(1700)),
    ],
)
def test_dates(raw: str | int, expected: LifeDate) -> None:
    assert LifeDate.parse(raw) == expected


@pytest.mark.parametrize("raw", ["", "soon", "1648-13", "1648-02-40", "16488"])
def test_bad_dates(raw: str) -> None:
    with pytest.raises(ValueError):
        LifeDate.parse(raw)
