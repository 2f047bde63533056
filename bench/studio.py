"""Studio benchmark: pages and previews on a collection of 100 explorers.

Builds a collection of 100 explorers in a temporary folder (the bundled six, copied over and
over with new folder names; clips shared through hard links), starts the studio in-process
(through the ASGI test client: no network) and measures:

- ``page_ms_p50``, ``page_ms_p95``: an explorer's edit page served (after the first, which fills
  the validator's cache); goal < 100 ms at p50;
- ``preview_ms_p50``, ``preview_ms_p95``: a scene re-rendered after a save (the save changes one
  field, then the explorer page of that explorer is drawn by the kiosk's renderer); goal < 500 ms
  at p50.

Prints one JSON object as its last line. Usage: python bench/studio.py [--explorers N] [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from starlette.testclient import TestClient

from kiosk.settings import Settings
from kiosk.studio.app import StudioConfig, create_app

BUNDLED = Path(__file__).resolve().parent.parent / "content"


def build_collection(dst: Path, n: int) -> list[str]:
    """``n`` explorers: the bundled ones repeated under new names, media hard-linked."""
    shutil.copytree(BUNDLED, dst, ignore=shutil.ignore_patterns("build", "explorers"))
    sources = sorted(p for p in (BUNDLED / "explorers").iterdir() if p.is_dir())
    slugs = []
    for i in range(n):
        src = sources[i % len(sources)]
        slug = f"{src.name}-{i:03d}"
        shutil.copytree(src, dst / "explorers" / slug, copy_function=os.link)
        path = dst / "explorers" / slug / "explorer.yaml"
        path.unlink()  # a hard link: write a file of its own, with its own order
        text = (src / "explorer.yaml").read_text(encoding="utf-8")
        path.write_text(re.sub(r"^order: \d+", f"order: {i + 1}", text, flags=re.M), "utf-8")
        slugs.append(slug)
    # The attract montage names the clips of the new folders.
    cpath = dst / "collection.yaml"
    text = cpath.read_text(encoding="utf-8")
    montage = "".join(f"  - {s}/voyage\n" for s in slugs[:6])
    cpath.write_text(re.sub(r"attract:\n(  - .*\n)+", "attract:\n" + montage, text), "utf-8")
    return slugs


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--explorers", type=int, default=100)
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "content"
        slugs = build_collection(root, args.explorers)
        config = StudioConfig(root, Settings(), extra_hosts=("testserver",), probe_media=False)
        with TestClient(create_app(config), headers={"Origin": "http://testserver"}) as c:
            started = time.perf_counter()
            assert c.get(f"/explorers/{slugs[0]}").status_code == 200
            first_ms = (time.perf_counter() - started) * 1000
            page_ms = []
            for i in range(args.runs):
                t = time.perf_counter()
                r = c.get(f"/explorers/{slugs[(i * 7) % len(slugs)]}")
                page_ms.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200
            token = re.search(r'name="csrf" content="([^"]+)"', r.text)
            preview_ms = []
            for i in range(max(5, args.runs // 3)):
                slug = slugs[(i * 11) % len(slugs)]
                page = c.get(f"/explorers/{slug}").text
                version = re.search(r'name="version" value="([^"]+)"', page)
                assert token and version
                c.post(
                    f"/explorers/{slug}",
                    data={
                        "csrf": token.group(1),
                        "version": version.group(1),
                        "born": f"{1600 + i}",
                    },
                )
                t = time.perf_counter()
                r = c.get(f"/preview.png?scene=explorer&slug={slug}&lang=en")
                preview_ms.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200
    result = {
        "explorers": args.explorers,
        "first_page_ms": round(first_ms, 1),
        "page_ms_p50": round(statistics.median(page_ms), 1),
        "page_ms_p95": round(pct(page_ms, 0.95), 1),
        "preview_ms_p50": round(statistics.median(preview_ms), 1),
        "preview_ms_p95": round(pct(preview_ms, 0.95), 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
