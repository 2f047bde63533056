"""Analytics benchmark: write 1,000,000 synthetic events through the recorder, then report on them.

Prints one JSON object as its last line:

- ``insert_events_per_s``: events from the first ``emit`` until all are committed, per second
  (through the real path: UI-thread queue, writer thread, batched WAL inserts);
- ``report_s``: wall time of ``kiosk stats --db FILE`` on them, as a curator runs it (a new
  process: interpreter start, queries, terminal tables); goal <= 1 s;
- ``writer_main_thread_us``: microseconds one ``emit`` costs the UI thread, while the writer
  thread is busy inserting; ``emit_p99_us`` the 99th percentile of single, paced calls.

Usage: python bench/analytics.py [--events N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the test kit is not installed

import numpy as np

from kiosk.analytics import Recorder, RecorderOptions
from testkit.synthetic import ManualClock, synthetic_visits


def run(n_events: int) -> dict[str, object]:
    """Run the benchmark; return its figures."""
    start = dt.datetime(2026, 1, 5, 9, 0)
    events = list(synthetic_visits(n_events, start, seed=7))[:n_events]
    out: dict[str, object] = {"events": len(events)}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        clock = ManualClock(start.timestamp())
        options = RecorderOptions(buffer_events=len(events) + 1000, flush_s=0.5)
        rec = Recorder(db, "bench-1", options, monotonic=clock.monotonic, wall=clock.wall)
        emit, advance = rec.emit, clock.advance

        t0 = time.perf_counter()
        for step, event in events:
            advance(step)
            emit(event)
        t_emit = time.perf_counter() - t0
        committed = rec.flush(timeout=600.0)
        t_total = time.perf_counter() - t0

        # The loop's own cost (clock steps, iteration) without emit, to subtract.
        spare = ManualClock(0.0)
        t1 = time.perf_counter()
        for step, _event in events:
            spare.advance(step)
        t_loop = time.perf_counter() - t1

        # Single calls, paced like a UI (a few per frame), while the writer keeps writing.
        samples = []
        for step, event in events[:20000]:
            advance(step)
            a = time.perf_counter_ns()
            emit(event)
            samples.append(time.perf_counter_ns() - a)
        rec.flush(timeout=120.0)
        status = rec.status()
        rec.close()

        out["committed"] = committed and status.dropped == 0
        out["db_mb"] = round(os.path.getsize(db) / 1e6, 1)

        t2 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "kiosk", "stats", "--db", str(db)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        report_s = time.perf_counter() - t2

        from kiosk.analytics.report import report_for

        t3 = time.perf_counter()
        report = report_for(db)
        build_s = time.perf_counter() - t3
        out["visits"] = report.summary["visits"]
        html_s: float | None = None
        try:
            from kiosk.analytics.htmlreport import ChartsUnavailable, to_html

            t4 = time.perf_counter()
            to_html(report)
            html_s = round(time.perf_counter() - t4, 3)
        except ChartsUnavailable:
            pass  # matplotlib missing: the HTML report is not measured

    out["insert_events_per_s"] = round(len(events) / t_total)
    out["report_s"] = round(report_s, 3)
    out["report_build_s"] = round(build_s, 3)
    out["html_report_s"] = html_s
    out["writer_main_thread_us"] = round(max(0.0, t_emit - t_loop) / len(events) * 1e6, 3)
    out["emit_p50_us"] = round(float(np.percentile(samples, 50)) / 1000, 3)
    out["emit_p99_us"] = round(float(np.percentile(samples, 99)) / 1000, 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    print(json.dumps(run(args.events)))


if __name__ == "__main__":
    main()
