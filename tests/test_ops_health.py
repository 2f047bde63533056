"""The health file (node_exporter textfile format, atomic) and the bounded log file."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import pytest

from kiosk import settings as settings_mod
from kiosk.ops.health import HealthSnapshot, HealthWriter, render
from kiosk.ops.logfile import setup_file_log, under_journal

SNAP = HealthSnapshot(
    uptime_s=3725.5,
    fps=59.9,
    frames_dropped=12,
    faults={"camera": 2, 'decoder "x"': 1},
    content_release="2025-06-01.3",
    provider="CPUExecutionProvider",
    open=True,
    quiet=True,
    resident_bytes=412_000_000,
)


def _samples(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = value
    return out


def test_render_is_prometheus_text_format() -> None:
    text = render(SNAP, now=1_750_000_000.0)
    samples = _samples(text)
    assert samples["kiosk_up"] == "1"
    assert samples["kiosk_uptime_seconds"] == "3725.5"
    assert samples["kiosk_frame_rate"] == "59.90"
    assert samples["kiosk_frames_dropped_total"] == "12"
    assert samples['kiosk_faults_total{kind="camera"}'] == "2"
    assert samples['kiosk_faults_total{kind="decoder \\"x\\""}'] == "1"  # escaped label value
    assert samples["kiosk_quiet"] == "1"
    assert samples["kiosk_resident_memory_bytes"] == "412000000"
    assert "kiosk_resident_memory_bytes" not in render(HealthSnapshot(1.0, 1.0, 0), now=0.0)
    assert samples["kiosk_health_timestamp_seconds"] == "1750000000"
    info = next(k for k in samples if k.startswith("kiosk_info"))
    assert 'content_release="2025-06-01.3"' in info and 'provider="CPUExecutionProvider"' in info
    for name in ("kiosk_up", "kiosk_faults_total", "kiosk_frames_dropped_total"):
        assert f"# TYPE {name} " in text
    assert text.endswith("\n")


def test_writer_writes_atomically_and_at_most_every_interval(tmp_path: Path) -> None:
    now = [0.0]
    path = tmp_path / "health" / "kiosk.prom"
    writer = HealthWriter(path, interval_s=10.0, clock=lambda: now[0], wall=lambda: 1e9)
    made = []

    def make() -> HealthSnapshot:
        made.append(now[0])
        return SNAP

    for _ in range(300):  # 30 s of a loop at 10 Hz
        writer.tick(make)
        now[0] += 0.1
    assert len(made) == 3  # snapshots are built only when a write is due
    assert path.read_text().startswith("# HELP kiosk_up")
    assert [p.name for p in path.parent.iterdir()] == ["kiosk.prom"]  # no temporary files left


def test_writer_is_off_by_default_and_never_raises(tmp_path: Path) -> None:
    off = HealthWriter.from_settings(settings_mod.Settings())
    assert not off.enabled and off.tick(lambda: SNAP) is False
    blocker = tmp_path / "file"
    blocker.write_text("")
    broken = HealthWriter(blocker / "kiosk.prom")
    assert broken.write(SNAP) is False and broken.failures == 1


def test_enabled_from_settings(tmp_path: Path) -> None:
    cfg = tmp_path / "kiosk.yaml"
    cfg.write_text("health: {enabled: true, textfile: health/kiosk.prom}\n", encoding="utf-8")
    writer = HealthWriter.from_settings(settings_mod.load(cfg))
    assert writer.path == tmp_path / "health" / "kiosk.prom"
    assert writer.write(SNAP) and writer.path.exists()


def test_a_fleet_kiosk_adds_the_fleets_figures(tmp_path: Path) -> None:
    """With the fleet on, the health file carries the installed pack's version, the statistics
    export's age and the packs' counts, read from files (Syncthing may be down)."""
    from kiosk.fleet.layout import FleetHome

    home = FleetHome(tmp_path / "fleet")
    home.write_state({"installed_total": 2, "refused_total": 1, "stats": {"exported_at": 1000.0}})
    cfg = tmp_path / "kiosk.yaml"
    cfg.write_text(
        "health: {enabled: true, textfile: kiosk.prom}\n"
        "paths: {releases: releases}\n"
        "fleet: {enabled: true, home: fleet}\n",
        encoding="utf-8",
    )
    writer = HealthWriter.from_settings(settings_mod.load(cfg))
    writer.wall = lambda: 1090.0
    assert writer.write(SNAP)
    samples = _samples((tmp_path / "kiosk.prom").read_text())
    assert samples["kiosk_up"] == "1"  # the kiosk's own figures first
    assert samples["kiosk_fleet_pack_version"] == "0"  # nothing installed yet
    assert samples["kiosk_fleet_stats_export_age_seconds"] == "90"
    assert samples["kiosk_fleet_packs_installed_total"] == "2"
    assert samples["kiosk_fleet_packs_refused_total"] == "1"
    assert "# TYPE kiosk_fleet_packs_refused_total counter" in (tmp_path / "kiosk.prom").read_text()
    # Without the fleet, none of its figures; a failing figure never costs the kiosk's own.
    cfg.write_text("health: {enabled: true, textfile: kiosk.prom}\n", encoding="utf-8")
    plain = HealthWriter.from_settings(settings_mod.load(cfg))
    assert plain.write(SNAP) and "kiosk_fleet" not in (tmp_path / "kiosk.prom").read_text()
    broken = HealthWriter(tmp_path / "broken.prom", extra=lambda now: [][0])
    assert broken.write(SNAP) and "kiosk_up 1" in (tmp_path / "broken.prom").read_text()


def _logs_settings(tmp_path: Path, text: str) -> settings_mod.Settings:
    cfg = tmp_path / "kiosk.yaml"
    cfg.write_text(text, encoding="utf-8")
    return settings_mod.load(cfg)


def test_log_file_is_rotated_and_bounded(tmp_path: Path) -> None:
    s = _logs_settings(
        tmp_path, "logs: {to_file: always, file: log/k.log, max_mb: 0.1, backups: 2}\n"
    )
    handler = setup_file_log(s, env={})
    assert handler is not None
    logger = logging.getLogger("kiosk.test.rotation")
    try:
        for i in range(4000):
            logger.warning("line %05d %s", i, "x" * 80)
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    files = sorted(p.name for p in (tmp_path / "log").iterdir())
    assert files == ["k.log", "k.log.1", "k.log.2"]
    total = sum(p.stat().st_size for p in (tmp_path / "log").iterdir())
    assert total <= 3 * 0.1 * 1024 * 1024 + 200


def test_no_log_file_under_the_journal(tmp_path: Path) -> None:
    st = os.fstat(sys.stderr.fileno())
    journal = {"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}
    assert under_journal(journal)
    assert not under_journal({"JOURNAL_STREAM": "1:2"})
    s = _logs_settings(tmp_path, "logs: {file: k.log}\n")
    assert setup_file_log(s, env=journal) is None
    never = _logs_settings(tmp_path, "logs: {to_file: never}\n")
    assert setup_file_log(never, env={}) is None


def test_backups_must_be_at_least_one(tmp_path: Path) -> None:
    with pytest.raises(settings_mod.SettingsError):
        _logs_settings(tmp_path, "logs: {backups: 0}\n")
