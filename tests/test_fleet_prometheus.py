"""The fleet's monitoring and service files: Prometheus' configuration and alert rules (checked
and unit-tested by promtool, from Debian's prometheus package), and the Syncthing unit.

A test that needs a tool is skipped only when that program is not installed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from kiosk.fleet.service import prometheus_targets, render_unit

FLEET = Path(__file__).resolve().parent.parent / "install" / "fleet"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool is not installed (Debian package: prometheus)"
)


def _promtool(*args: str, cwd: Path) -> None:
    assert PROMTOOL is not None
    out = subprocess.run([PROMTOOL, *args], capture_output=True, text=True, cwd=cwd, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


@needs_promtool
def test_the_prometheus_configuration_is_valid(tmp_path: Path) -> None:
    for name in ("prometheus.yml", "kiosk-fleet.rules.yml"):
        shutil.copy(FLEET / name, tmp_path / name)
    targets = [{"targets": ["10.0.0.11:9100"], "labels": {"kiosk": "hall-1"}}]
    (tmp_path / "kiosk-fleet-targets.json").write_text(json.dumps(targets))
    _promtool("check", "config", "prometheus.yml", cwd=tmp_path)


@needs_promtool
def test_the_alerts_fire_when_they_should_and_only_then() -> None:
    # kiosk down, statistics stale, a pack not installed an hour after publishing, faults rising
    _promtool("check", "rules", "kiosk-fleet.rules.yml", cwd=FLEET)
    _promtool("test", "rules", "kiosk-fleet.rules.test.yml", cwd=FLEET)
    rules = (FLEET / "kiosk-fleet.rules.yml").read_text()
    tests = (FLEET / "kiosk-fleet.rules.test.yml").read_text()
    for alert in (
        "KioskDown",
        "KioskStatisticsStale",
        "KioskPackNotInstalled",
        "KioskFaultsRising",
    ):
        assert f"alert: {alert}" in rules and f"alertname: {alert}" in tests


def test_the_kiosks_unit_is_the_one_the_library_writes() -> None:
    installed = (FLEET / "kiosk-fleet-syncthing.service").read_text()
    assert installed == render_unit("kiosk", Path("/var/lib/kiosk/fleet"))
    assert "--no-upgrade" in installed and "--no-browser" in installed
    assert "--home=/var/lib/kiosk/fleet/syncthing" in installed and "User=kiosk" in installed


def test_the_syncthing_unit_passes_systemd_analyze(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian package: systemd)")
    text = render_unit("root", tmp_path, binary=shutil.which("syncthing") or "/bin/true")
    unit = tmp_path / "kiosk-fleet-syncthing.service"
    unit.write_text(text)
    out = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    ours = [line for line in (out.stdout + out.stderr).splitlines() if "kiosk-fleet" in line]
    assert out.returncode == 0 and not ours, out.stdout + out.stderr


def test_prometheus_watches_each_paired_kiosk() -> None:
    config = {
        "devices": [
            {"deviceID": "ME", "name": "curator", "addresses": ["tcp://10.0.0.1:22000"]},
            {"deviceID": "B", "name": "hall-2", "addresses": ["tcp://10.0.0.12:22000"]},
            {"deviceID": "A", "name": "hall-1", "addresses": ["dynamic", "tcp://10.0.0.11:22000"]},
            {"deviceID": "C", "name": "lost", "addresses": ["dynamic"]},
        ]
    }
    assert prometheus_targets(config, "ME") == [
        {"targets": ["10.0.0.11:9100"], "labels": {"kiosk": "hall-1"}},
        {"targets": ["10.0.0.12:9100"], "labels": {"kiosk": "hall-2"}},
    ]
