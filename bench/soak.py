"""A long soak of the whole kiosk in compressed time (see testkit/soak.py for what it drives).

Prints one JSON object last: visits, duration, rss_growth_pct, fd_growth, threads_growth,
faults_injected, faults_survived (and the details).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the test kit lives beside the package, not in it

from testkit.soak import run_soak  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=3000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        result = run_soak(
            args.visits,
            Path(tmp),
            content=ROOT / "content",
            camera_video=ROOT / "tests" / "data" / "bbb_720p_aac51.mp4",
            models=ROOT / "models" / "onnx",
            warmup=min(500, args.visits // 3),
        )
    result["duration"] = result.pop("duration_s")
    print(json.dumps(result))
    return 0 if result["faults_injected"] == result["faults_survived"] else 1


if __name__ == "__main__":
    sys.exit(main())
