"""Fleet benchmark: from ``publish`` to installed and shown on every kiosk, over real Syncthing.

Builds a curator and N kiosks as network namespaces on one bridge (testkit/netns.py), each with
Debian's Syncthing, the kiosks' side being the product's code (testkit/fleet.py), once with 5
and once with 10 kiosks. In each, publishes the bundled collection (an 11 MB pack) and then a
200 MB pack, and times each from the call to ``publish`` until every kiosk has installed it
and taken it at an attract boundary. Then measures the bridge's raw rate in the same run: plain
TCP from the curator to every kiosk at once, as many bytes as the large pack.

Prints one JSON object as its last line:

- ``propagation_s_11mb_5``, ``propagation_s_11mb_10``, ``propagation_s_200mb_5``,
  ``propagation_s_200mb_10``: publish to installed on every kiosk; goal: the 11 MB pack on 10
  kiosks within 30 s;
- ``synced_s_200mb_10``: publish until Syncthing reports the large pack complete on every kiosk
  (the rest of the propagation is each kiosk verifying and unpacking it);
- ``rate_ratio_vs_raw``: the rate Syncthing achieved for the large pack on 10 kiosks (pack size
  times kiosks over ``synced_s_200mb_10``) against the raw TCP rate (``raw_rate_mb_s``) measured
  right after, from the curator to the same 10 kiosks at once.

Needs root and Syncthing (Debian package: syncthing); elsewhere it prints ``{"skipped": ...}``.
Usage: sudo python bench/fleet.py [--kiosks 5,10] [--large-mb 200]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the test kit is not installed

from kiosk.delivery.signing import SecretKey
from kiosk.fleet import mesh
from kiosk.fleet.publish import publish
from testkit.fleet import CURATOR, FleetLab, make_content_pack, syncthing_binary

LARGE = 200_000_000


def _propagate(fl: FleetLab, pack: Path, timeout_s: float) -> tuple[float, float]:
    """Publish ``pack``; (seconds until synced on every kiosk, until shown on every kiosk)."""
    start = time.monotonic()
    done = publish(pack, fl.homes[CURATOR], fl.clients[CURATOR])
    synced: dict[str, float] = {}

    def all_synced() -> bool:
        for name in fl.names:
            if name not in synced:
                path = fl.homes[name].packs / pack.name
                if path.is_file() and mesh.pack_is_whole(path):
                    synced[name] = time.monotonic()
        return len(synced) == len(fl.names)

    fl.wait_for(all_synced, timeout_s, f"{pack.name} on every kiosk")
    shown = fl.wait_shown(done.release_name, timeout_s)
    return max(synced.values()) - start, shown - start


def run(kiosk_counts: list[int], large: int) -> dict[str, object]:
    out: dict[str, object] = {}
    key = SecretKey.generate()
    with tempfile.TemporaryDirectory(prefix="fleet-bench-") as tmp:
        work = Path(tmp)
        small = make_content_pack(work / "white-road-1.wrpack", key, 1)
        pad = max(0, large - small.stat().st_size)
        big = make_content_pack(work / "white-road-2.wrpack", key, 2, pad_bytes=pad, work=work)
        out["pack_bytes_11mb"] = small.stat().st_size
        out["pack_bytes_200mb"] = big.stat().st_size
        for n in kiosk_counts:
            lab_dir = work / f"lab-{n}"
            lab_dir.mkdir()
            with FleetLab(lab_dir, n, [key.public]) as fl:
                fl.start_all()
                fl.pair(fl.names)
                fl.wait_connected(fl.names)
                fl.start_agents(export_every_s=300)
                _, shown = _propagate(fl, small, 120)
                out[f"propagation_s_11mb_{n}"] = round(shown, 2)
                synced, shown = _propagate(fl, big, 600)
                out[f"synced_s_200mb_{n}"] = round(synced, 2)
                out[f"propagation_s_200mb_{n}"] = round(shown, 2)
                if n == max(kiosk_counts):
                    for agent in fl.agents.values():
                        agent.stop()
                    raw = fl.lab.tcp_rate(CURATOR, fl.names, big.stat().st_size)
                    achieved = big.stat().st_size * n / synced
                    out["raw_rate_mb_s"] = round(raw / 1e6, 1)
                    out["achieved_rate_mb_s"] = round(achieved / 1e6, 1)
                    out["rate_ratio_vs_raw"] = round(achieved / raw, 3)
                    out["foreign_packets"] = len(fl.lab.foreign_traffic())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiosks", default="5,10", help="fleet sizes, comma-separated")
    parser.add_argument("--large-mb", type=int, default=LARGE // 1_000_000)
    args = parser.parse_args()
    if os.geteuid() != 0 or syncthing_binary() is None:
        # Not a failure of the fleet: this machine cannot build the lab.
        print(json.dumps({"skipped": "needs root and syncthing (Debian package: syncthing)"}))
        return
    counts = [int(n) for n in args.kiosks.split(",")]
    print(json.dumps(run(counts, args.large_mb * 1_000_000)))


if __name__ == "__main__":
    main()
