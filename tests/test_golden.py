"""Golden pictures of every scene in ru and en, landscape and portrait.

`kiosk tour` draws each scene with time frozen and the clip still at 8 s; each picture is held
to a reference in tests/golden/ui (stored at half size) within a small tolerance. On a mismatch
the new picture and a difference map are written beside the reference as .new.png and
.diff.png. To accept a change on purpose: `make golden-update`.
"""

from __future__ import annotations

import os
from pathlib import Path

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


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)], ids=["landscape", "portrait"])
def test_every_scene_matches_its_golden_picture(tmp_path: Path, size: tuple[int, int]) -> None:
    written = render_tour(Settings(), ROOT / "content", tmp_path, size, ["ru", "en"])
    shots = [p for p in written if p.name != "contact-sheet.png"]
    assert len(shots) >= 2 * 9
    failures = []
    tag = "landscape" if size[0] > size[1] else "portrait"
    for shot in shots:
        img = Image.open(shot).convert("RGB")
        img = img.resize((img.width // 2, img.height // 2), Image.Resampling.BOX)
        problem = _compare(img, GOLDEN / f"{tag}-{shot.name}")
        if problem:
            failures.append(problem)
    assert not failures, "\n".join(failures)
