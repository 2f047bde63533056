"""The running kiosk in the fleet: its content watcher scans the USB stick, then the fleet's
folder (installing, exporting statistics, reporting), and a kiosk whose fleet is not set up
starts all the same, says why, and goes on with USB sticks.

Syncthing is not running here (its socket is missing), which the fleet's scan must survive; the
real one is in tests/e2e/test_fleet.py.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from kiosk import settings as settings_mod
from kiosk.content.validate import validate
from kiosk.delivery import releases
from kiosk.delivery.channels import make_fleet, make_source
from kiosk.delivery.packs import make_pack
from kiosk.delivery.signing import SecretKey, write_keypair
from kiosk.fleet.layout import SNAPSHOT_NAME, STATUS_NAME, FleetHome
from testkit.fleet import count_events, write_events

ME = "TOI62XT-WZTOO45-GSWNJEA-N3A7MDF-6ESCVKM-JETJD4H-H3QZWOQ-FDJXRAE"


def kiosk_settings(tmp_path: Path, content: Path, **fleet: object) -> settings_mod.Settings:
    """A kiosk's settings: its folders under tmp_path, a USB folder, the fleet as given."""
    cfg = tmp_path / "kiosk.yaml"
    sections = {
        "paths": {"content": str(content), "releases": "releases", "database": "analytics.db"},
        "content": {"trusted_keys": ["curator.key.pub"], "watch_folder": "usb"},
        "camera": {"enabled": False},
        "logs": {"to_file": "never"},
        "fleet": {"enabled": True, "home": "fleet", **fleet},
    }
    cfg.write_text(json.dumps(sections), encoding="utf-8")  # JSON is YAML
    return settings_mod.load(cfg)


def fleet_home(tmp_path: Path) -> FleetHome:
    """A kiosk's fleet home as `kiosk fleet init` leaves it, its Syncthing not running."""
    home = FleetHome(tmp_path / "fleet")
    home.packs.mkdir(parents=True)
    home.syncthing.mkdir()
    home.node_file.write_text(json.dumps({"role": "kiosk", "name": "hall-2", "device_id": ME}))
    home.config_xml.write_text(
        f'<configuration><gui tls="false"><address>{tmp_path / "none.sock"}</address>'
        "<apikey>abc</apikey></gui></configuration>"
    )
    return home


def test_the_content_watcher_scans_the_stick_then_the_fleet(
    make_collection: Callable[..., Path], tmp_path: Path
) -> None:
    content = make_collection()
    key = SecretKey.generate()
    write_keypair(key, tmp_path / "curator.key", None)
    (tmp_path / "usb").mkdir()
    stick = tmp_path / "usb" / "white-road-1.wrpack"
    make_pack(content, stick, validate(content), key=key, version=1)
    os.utime(stick, (stick.stat().st_atime - 60, stick.stat().st_mtime - 60))  # copied a while ago
    write_events(tmp_path / "analytics.db", "hall-2", run=1, start_seq=0, n=12)
    home = fleet_home(tmp_path)
    settings = kiosk_settings(tmp_path, content)
    fleet = make_fleet(settings)
    assert fleet is not None and fleet.kiosk is not None and not fleet.problem
    assert fleet.line == f"hall-2 · {ME}"
    source = make_source(settings, None, fleet)
    # Nothing installed yet: the kiosk shows its content folder and watches for a first release.
    loaded = source.load_initial()
    assert loaded is not None and loaded.release == "" and not source.uses_releases
    assert source.check_once() is not None  # the stick's pack, installed and loaded
    installed = releases.current_release(tmp_path / "releases")
    assert installed is not None and installed.version == 1
    # In the same pass, after the stick: the fleet's duties, though Syncthing does not answer.
    stats = home.stats_dir("hall-2")
    assert count_events(stats / SNAPSHOT_NAME) == 12
    report = json.loads((stats / STATUS_NAME).read_text())
    assert report["release_installed"] == installed.name and report["release_shown"] == ""
    pending = source.take_pending()
    assert pending is not None and source.uses_releases and source.release == installed.name
    source.check_once()
    assert json.loads((stats / STATUS_NAME).read_text())["release_shown"] == installed.name


def test_a_kiosk_whose_fleet_is_not_set_up_goes_on_with_usb_sticks(
    make_collection: Callable[..., Path], tmp_path: Path
) -> None:
    settings = kiosk_settings(tmp_path, make_collection())
    fleet = make_fleet(settings)
    assert fleet is not None and fleet.kiosk is None
    assert "kiosk fleet init" in fleet.problem and fleet.line.startswith("not in the fleet")
    source = make_source(settings, None, fleet)
    assert source.scan is not None  # the USB stick is still watched
    assert source.check_once() is None
    off = settings_mod.Settings()
    assert make_fleet(off) is None


def test_the_kiosk_starts_without_its_fleet_and_says_why(
    make_collection: Callable[..., Path], tmp_path: Path
) -> None:
    settings_file = kiosk_settings(tmp_path, make_collection())  # the fleet home is missing
    assert settings_file.fleet.enabled
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    out = subprocess.run(
        [sys.executable, "-m", "kiosk", "run", "--config", str(tmp_path / "kiosk.yaml"),
         "--windowed", "--max-seconds", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "not in the fleet" in out.stderr and "kiosk fleet init" in out.stderr
    db = sqlite3.connect(tmp_path / "analytics.db")
    try:
        rows = db.execute("SELECT fault, reason FROM events WHERE event = 'fault'").fetchall()
    finally:
        db.close()
    assert any(kind == "content" and "fleet: " in reason for kind, reason in rows), rows
