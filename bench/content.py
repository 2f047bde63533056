"""How long `kiosk content validate` takes on a collection of 100 explorers, media included.

Builds the collection in a temporary folder from the bundled one (each explorer with its own
copy of its clip, so every file is really opened and read to its end), then runs the command
as a curator would. The last line printed is one JSON object with ``validate_s_100_explorers``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "content"


def build(target: Path, count: int) -> int:
    """A collection of ``count`` explorers made from the bundled ones; returns clip bytes."""
    shutil.copytree(BUNDLED, target, ignore=shutil.ignore_patterns("explorers", "build"))
    sources = sorted(p for p in (BUNDLED / "explorers").iterdir() if p.is_dir())
    clip_bytes = 0
    for i in range(count):
        src = sources[i % len(sources)]
        slug = f"{src.name}-{i:03d}"
        dst = target / "explorers" / slug
        shutil.copytree(src, dst)
        clip_bytes += sum(p.stat().st_size for p in (dst / "clips").glob("*"))
    # The attract montage names the original slugs; point it at the copies.
    cfile = target / "collection.yaml"
    text = cfile.read_text(encoding="utf-8")
    for i, src in enumerate(sources):
        text = text.replace(f"- {src.name}/voyage", f"- {src.name}-{i:03d}/voyage")
    cfile.write_text(text, encoding="utf-8")
    return clip_bytes


def main() -> int:
    count = 100
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "content"
        clip_bytes = build(folder, count)
        cmd = [sys.executable, "-m", "kiosk", "content", "validate", str(folder), "--json"]
        runs = []
        report: dict[str, object] = {}
        for _ in range(3):
            t0 = time.perf_counter()
            out = subprocess.run(cmd, capture_output=True, text=True, check=False)
            runs.append(time.perf_counter() - t0)
            report = json.loads(out.stdout)
        t0 = time.perf_counter()
        subprocess.run([*cmd, "--no-media"], capture_output=True, check=False)
        no_media = time.perf_counter() - t0
    result = {
        "explorers": report.get("explorers"),
        "segments": report.get("segments"),
        "errors": report.get("errors"),
        "clip_mb": round(clip_bytes / 1e6, 1),
        "validate_s_100_explorers": round(min(runs), 2),
        "validate_s_100_explorers_max": round(max(runs), 2),
        "validate_s_no_media": round(no_media, 2),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
