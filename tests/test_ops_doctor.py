"""`kiosk doctor`: each check says what is wrong in plain words; the exit code follows."""

from __future__ import annotations

import builtins
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kiosk import settings as settings_mod
from kiosk.cli import main
from kiosk.ops.doctor import (
    Check,
    Context,
    Report,
    devices,
    format_report,
    operation,
    run_checks,
    storage,
)


def _settings(tmp_path: Path, extra: str = "") -> settings_mod.Settings:
    cfg = tmp_path / "kiosk.yaml"
    cfg.write_text(
        f"paths: {{database: {tmp_path / 'data' / 'a.db'}}}\n"
        f"admin: {{lockout_file: {tmp_path / 'lockout.json'}}}\n" + extra,
        encoding="utf-8",
    )
    (tmp_path / "data").mkdir(exist_ok=True)
    return settings_mod.load(cfg)


def test_display_from_drm_connectors_or_session(tmp_path: Path) -> None:
    ctx = Context(_settings(tmp_path), env={}, sys_root=tmp_path / "sys")
    assert devices.check_display(ctx).level == "fail"
    port = tmp_path / "sys" / "class" / "drm" / "card1-HDMI-A-1"
    port.mkdir(parents=True)
    (port / "status").write_text("connected\n")
    check = devices.check_display(ctx)
    assert check.level == "ok" and "HDMI-A-1" in check.summary
    ctx = Context(_settings(tmp_path), env={"WAYLAND_DISPLAY": "wayland-0"}, sys_root=tmp_path)
    assert devices.check_display(ctx).level == "ok"


def test_missing_portaudio_is_a_plain_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_import = builtins.__import__

    def no_portaudio(name: str, *args: Any, **kw: Any) -> Any:
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real_import(name, *args, **kw)

    monkeypatch.delitem(__import__("sys").modules, "sounddevice", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_portaudio)
    check = devices.check_audio(Context(_settings(tmp_path)))
    assert check.level == "warn" and "PortAudio" in check.summary
    assert "libportaudio2" in check.fix


def test_fonts_cover_cyrillic() -> None:
    check = storage.check_fonts(Context(settings_mod.Settings()))
    assert check.level == "ok", check


def test_content_good_and_broken(tmp_path: Path, make_collection: Callable[..., Path]) -> None:
    root = make_collection()
    ctx = Context(_settings(tmp_path), content_dir=root, media=False)
    assert storage.check_content(ctx).level == "ok"
    (root / "explorers" / "alpha" / "explorer.yaml").write_text("name: {ru: [\n", encoding="utf-8")
    broken = storage.check_content(ctx)
    assert broken.level == "fail" and "kiosk content validate" in broken.fix
    assert broken.details and "explorer.yaml" in broken.details[0]
    missing = storage.check_content(Context(_settings(tmp_path), content_dir=tmp_path / "none"))
    assert missing.level == "fail" and "no collection" in missing.summary


def test_database_checks(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    ctx = Context(s, user=None)
    assert storage.check_database(ctx).level == "ok"  # will be created
    db = s.path("database")
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    ok = storage.check_database(ctx)
    assert ok.level == "ok" and "writable" in ok.summary
    db.write_bytes(b"this is not a database at all" * 100)
    assert storage.check_database(ctx).level == "fail"
    cfg = tmp_path / "elsewhere.yaml"
    cfg.write_text(f"paths: {{database: {tmp_path / 'nowhere' / 'a.db'}}}\n", encoding="utf-8")
    assert storage.check_database(Context(settings_mod.load(cfg))).level == "fail"


def test_schedule_and_clock(tmp_path: Path) -> None:
    from datetime import datetime

    s = _settings(tmp_path, 'schedule: {opening_hours: ["mon-fry 10:00-18:00"]}\n')
    bad = operation.check_schedule(Context(s))
    assert bad.level == "warn" and "mon-fry" in bad.details[0]
    unset = operation.check_schedule(Context(_settings(tmp_path), now=lambda: datetime(1970, 1, 1)))
    assert unset.level == "warn" and "clock is not set" in unset.summary


def test_admin_pin_check(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    assert operation.check_admin(Context(s)).level == "warn"
    from kiosk.ops.admin import AdminGate

    AdminGate.from_settings(s).set_pin("4821")
    assert operation.check_admin(Context(s)).level == "ok"


def test_a_broken_check_is_reported_not_raised(tmp_path: Path) -> None:
    def check_fonts(ctx: Context) -> Check:
        raise RuntimeError("boom")

    def check_audio(ctx: Context) -> Check:
        raise RuntimeError("boom")

    report = run_checks(Context(_settings(tmp_path)), (check_fonts, check_audio))
    assert [(c.name, c.level) for c in report.checks] == [("fonts", "fail"), ("audio", "warn")]
    assert not report.ok
    text = format_report(report)
    assert "NOT READY: fix fonts first." in text


def test_report_text_and_exit_rule() -> None:
    report = Report([Check("disk", "ok", "plenty"), Check("audio", "warn", "none", "plug it in")])
    assert report.ok
    text = format_report(report)
    assert "fix: plug it in" in text and text.endswith("READY, with 1 warning(s).")


def test_doctor_command_json_and_exit_code(
    tmp_path: Path, make_collection: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_collection()
    s = _settings(tmp_path)
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-test")  # stands in for a connected screen
    monkeypatch.setenv("KIOSK_CONFIG", str(s.base_dir / "kiosk.yaml"))
    args = ["doctor", "--json", "--content", str(root), "--no-media", "--no-camera"]
    result = CliRunner().invoke(main, args)
    data = json.loads(result.output)
    levels = {c["name"]: c["level"] for c in data["checks"]}
    assert data["settings"].endswith("kiosk.yaml")
    assert levels["fonts"] == levels["content"] == levels["database"] == "ok"
    assert levels["camera"] == "skip"
    assert result.exit_code == (0 if data["ok"] else 1)
    assert data["ok"] == all(v != "fail" for v in levels.values())
    (root / "collection.yaml").unlink()
    failed = CliRunner().invoke(main, ["doctor", "--content", str(root), "--no-camera"])
    assert failed.exit_code == 1
    assert "FAIL  content" in failed.output and "NOT READY" in failed.output


def test_service_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = _settings(tmp_path)
    unit, flag, systemd = tmp_path / "kiosk.service", tmp_path / "maintenance", tmp_path / "sd"
    ctx = Context(s, unit_file=unit, maintenance_flag=flag, systemd_dir=systemd)
    assert operation.check_service(ctx).level == "skip"  # not installed
    unit.write_text("[Service]\n")
    monkeypatch.setattr(operation.shutil, "which", lambda name: None)
    missing = operation.check_service(ctx)
    assert missing.level == "fail" and "apt-get install cage" in missing.fix
    monkeypatch.setattr(operation.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert operation.check_service(ctx).level == "skip"  # systemd not running: an image
    flag.write_text("stopped by admin\n")
    stopped = operation.check_service(ctx)
    assert stopped.level == "warn" and f"sudo rm {flag}" in stopped.fix
