"""The installer: its dry run (without root, changing nothing), shellcheck, and the systemd units.

Tools: ``shellcheck`` (Debian package shellcheck) and ``systemd-analyze`` (package systemd). A
test that needs one is skipped only when that program is not installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kiosk import settings as settings_mod
from testkit.install import INSTALL, STEPS, printed_settings, run_unprivileged

SCRIPTS = [INSTALL / "install.sh", INSTALL / "uninstall.sh"]
UNITS = ["kiosk.service", "kiosk-retry.service", "kiosk-retry.timer"]


def test_dry_run_prints_every_step_and_changes_nothing(staged_installer: Path) -> None:
    out = run_unprivileged(staged_installer, "install.sh", "--dry-run")
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout
    assert "DRY RUN, nothing will be changed" in text
    for number, title in enumerate(STEPS, 1):
        assert f"[{number}/{len(STEPS)}] {title}" in text, title
    for command in [
        "install/sysdeps.sh cage",
        "useradd --system",
        "-m venv /opt/kiosk/venv",
        "/opt/kiosk/venv/bin/python -m pip install",
        "kiosk settings --defaults",
        "/etc/systemd/system/kiosk.service",
        "/etc/pam.d/kiosk",
        "/etc/systemd/logind.conf.d/50-kiosk.conf",
        "systemctl enable kiosk.service kiosk-retry.timer",
        "kiosk doctor --config /etc/kiosk/kiosk.yaml",
    ]:
        assert command in text, command
    assert text.rstrip().endswith("Dry run finished: nothing was changed.")
    assert (staged_installer / "calls.log").read_text() == "", (
        "a dry run ran a command that changes things"
    )


def test_uninstall_dry_run(staged_installer: Path) -> None:
    out = run_unprivileged(staged_installer, "uninstall.sh", "--dry-run", "--purge")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "[4/4] Purge" in out.stdout and "rm -rf /etc/kiosk /var/lib/kiosk" in out.stdout
    assert (staged_installer / "calls.log").read_text() == ""


def test_real_run_needs_root_and_options_are_checked(staged_installer: Path) -> None:
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is needed to drop root")
    out = run_unprivileged(staged_installer, "install.sh")
    assert out.returncode == 1 and "run it as root" in out.stderr
    assert run_unprivileged(staged_installer, "install.sh", "--frobnicate").returncode == 2
    helped = run_unprivileged(staged_installer, "uninstall.sh", "--help")
    assert helped.returncode == 0 and "--purge" in helped.stdout
    assert (staged_installer / "calls.log").read_text() == ""


def test_the_settings_the_installer_writes_are_complete_and_valid(tmp_path: Path) -> None:
    text = printed_settings()
    path = tmp_path / "kiosk.yaml"
    path.write_text(text, encoding="utf-8")
    loaded = settings_mod.load(path)
    assert loaded.path("content") == Path("/var/lib/kiosk/content")
    assert loaded.path("models") == Path("/var/lib/kiosk/models/onnx")
    assert loaded.admin == settings_mod.Settings().admin  # every other key keeps its default
    assert text.count("\n  # ") >= 40  # documented, key by key


def test_shellcheck() -> None:
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (Debian package: shellcheck)")
    out = subprocess.run(
        # -x follows the helpers both scripts source (install/common.sh).
        ["shellcheck", "-x", "--shell=bash", *map(str, SCRIPTS), str(INSTALL / "common.sh")],
        capture_output=True,
        text=True,
        cwd=INSTALL.parent,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian package: systemd)")
    # verify also checks that each ExecStart program exists; cage and the kiosk's virtual
    # environment exist only on an installed kiosk, so elsewhere stand-ins take their place.
    stand_ins = {"/usr/bin/cage": "/bin/true", "/opt/kiosk/venv/bin/kiosk": "/bin/true"}
    for unit in UNITS:
        text = (INSTALL / unit).read_text()
        for program, stand_in in stand_ins.items():
            if not Path(program).exists():
                text = text.replace(program, stand_in)
        (tmp_path / unit).write_text(text)
    out = subprocess.run(
        [analyze, "verify", *(str(tmp_path / u) for u in UNITS)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    ours = [line for line in (out.stdout + out.stderr).splitlines() if "kiosk" in line]
    assert out.returncode == 0 and not ours, out.stdout + out.stderr


def _unit(name: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in (INSTALL / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def test_the_service_restarts_watches_and_locks_down() -> None:
    unit = _unit("kiosk.service")
    assert unit["Type"] == ["notify"] and unit["NotifyAccess"] == ["all"]
    assert unit["Restart"] == ["always"]
    assert 1 <= int(unit["RestartSec"][0]) <= 30
    assert int(unit["StartLimitBurst"][0]) >= 3 and int(unit["StartLimitIntervalSec"][0]) > 0
    assert 10 <= int(unit["WatchdogSec"][0]) <= 120
    assert unit["User"] == ["kiosk"]
    (exec_start,) = unit["ExecStart"]
    cage_args = exec_start.split(" -- ")[0].split()
    assert cage_args[0].endswith("/cage") and "-s" not in cage_args  # -s would allow VT switching
    assert "kiosk run --config /etc/kiosk/kiosk.yaml --fullscreen" in exec_start
    assert "XKB_DEFAULT_OPTIONS=srvrkeys:none" in unit["Environment"]
    assert "getty@tty1.service" in unit["Conflicts"][0]
    assert "!/run/kiosk/maintenance" in unit["ConditionPathExists"]
    assert _unit("kiosk-retry.timer")["OnUnitActiveSec"]
    assert "NAutoVTs=0" in (INSTALL / "logind-kiosk.conf").read_text()
    assert "kernel.sysrq = 0" in (INSTALL / "sysctl-kiosk.conf").read_text()
