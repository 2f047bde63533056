"""Golden pictures of every scene in ru and en, landscape and portrait.

`kiosk tour` draws each scene with time frozen and the clip still at 8 s; each picture is held
to a reference in tests/golden/ui (stored at half size) within a small tolerance, one test per
scene, language and orientation, named after the reference file. On a mismatch
the new picture and a difference map are written beside the reference as .new.png and
.diff.png. To accept a change on purpose: `make golden-update`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageChops

from kiosk.app import render_tour
from kiosk.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden" / "ui"
UPDATE = os.environ.get("KIOSK_GOLDEN_UPDATE") == "1"
# A pixel differs when a channel moves by more than this; a picture fails past the share below.
PIXEL_TOLERANCE = 40
SHARE_TOLERANCE = 0.004


def _compare(new: Image.Image, ref_path: Path) -> str | None:
    if UPDATE or not ref_path.exists():
        if not UPDATE:
            return f"{ref_path.name}: no reference yet (run `make golden-update`)"
        new.save(ref_path, optimize=True)
        return None
    ref = Image.open(ref_path).convert("RGB")
    if ref.size != new.size:
        return f"{ref_path.name}: size {new.size} != reference {ref.size}"
    diff = np.asarray(ImageChops.difference(new, ref)).max(axis=2)
    share = float((diff > PIXEL_TOLERANCE).mean())
    if share <= SHARE_TOLERANCE:
        for stale in (ref_path.with_suffix(".new.png"), ref_path.with_suffix(".diff.png")):
            stale.unlink(missing_ok=True)
        return None
    new.save(ref_path.with_suffix(".new.png"))
    Image.fromarray(((diff > PIXEL_TOLERANCE) * 255).astype(np.uint8)).save(
        ref_path.with_suffix(".diff.png")
    )
    return f"{ref_path.name}: {share:.2%} of pixels differ (limit {SHARE_TOLERANCE:.2%})"


ORIENTATIONS = {"landscape": (1920, 1080), "portrait": (1080, 1920)}
LANGUAGES = ("ru", "en")


def _golden_shots() -> list[Any]:
    """One case per reference picture: (orientation, language, scene), named after its file."""
    cases = []
    for path in sorted(GOLDEN.glob("*.png")):
        if path.name.endswith((".new.png", ".diff.png")):
            continue
        orientation, lang, scene = path.stem.split("-", 2)
        cases.append(pytest.param(orientation, lang, scene, id=path.stem))
    return cases


@pytest.fixture(scope="module")
def tour(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], dict[str, Path]]:
    """The tour's pictures for an orientation (name -> file), drawn once for the module."""
    drawn: dict[str, dict[str, Path]] = {}

    def get(orientation: str) -> dict[str, Path]:
        if orientation not in drawn:
            out = tmp_path_factory.mktemp(orientation)
            size = ORIENTATIONS[orientation]
            written = render_tour(Settings(), ROOT / "content", out, size, list(LANGUAGES))
            drawn[orientation] = {p.name: p for p in written if p.name != "contact-sheet.png"}
        return drawn[orientation]

    return get


def _check(shot: Path, reference: Path) -> str | None:
    img = Image.open(shot).convert("RGB")
    img = img.resize((img.width // 2, img.height // 2), Image.Resampling.BOX)
    return _compare(img, reference)


@pytest.mark.parametrize(("orientation", "lang", "scene"), _golden_shots())
def test_scene_matches_its_golden_picture(
    tour: Callable[[str], dict[str, Path]], orientation: str, lang: str, scene: str
) -> None:
    shots = tour(orientation)
    name = f"{lang}-{scene}.png"
    assert name in shots, f"the tour no longer draws {scene} in {lang} ({orientation})"
    problem = _check(shots[name], GOLDEN / f"{orientation}-{name}")
    assert problem is None, problem


@pytest.mark.parametrize("orientation", list(ORIENTATIONS))
def test_every_scene_the_tour_draws_has_a_golden_picture(
    tour: Callable[[str], dict[str, Path]], orientation: str
) -> None:
    shots = tour(orientation)
    assert len(shots) >= len(LANGUAGES) * 9
    missing = []
    for name, shot in sorted(shots.items()):
        reference = GOLDEN / f"{orientation}-{name}"
        if not reference.exists():
            missing.append(_check(shot, reference))  # under KIOSK_GOLDEN_UPDATE=1: written
    assert not [m for m in missing if m], "\n".join(m for m in missing if m)
