"""``install/install.sh --fleet``: its dry run (without root, changing nothing) shows the fleet's
step; options that belong to it are refused without it. shellcheck and the plain installer are
checked in tests/test_install.py; both use the test kit's stand-ins and staged copy
(``testkit.install``, the ``staged_installer`` fixture)."""

from __future__ import annotations

from pathlib import Path

from kiosk import settings as settings_mod
from testkit.install import STEPS, printed_settings, run_unprivileged


def test_fleet_dry_run_adds_its_step_and_changes_nothing(staged_installer: Path) -> None:
    out = run_unprivileged(
        staged_installer, "install.sh", "--dry-run", "--fleet", "--name", "hall-2",
        "--address", "192.168.1.22", "--curator", "ABC@192.168.1.10",
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout
    total = len(STEPS) + 1
    for number, title in enumerate(STEPS, 1):
        assert f"[{number}/{total}] {title}" in text, title
    assert f"[{total}/{total}] Fleet: Syncthing on the LAN only" in text
    assert "syncthing prometheus-node-exporter" in text  # Debian's packages
    for command in [
        "install -d -m 0750 -o kiosk -g kiosk /var/lib/kiosk/fleet",
        "runuser -u kiosk -- /opt/kiosk/venv/bin/kiosk fleet init --role kiosk --name hall-2 "
        "--listen 192.168.1.22 --home /var/lib/kiosk/fleet --curator ABC@192.168.1.10",
        "/etc/systemd/system/kiosk-fleet-syncthing.service",
        "/etc/systemd/system/prometheus-node-exporter.service.d/50-kiosk.conf",
        "systemctl enable kiosk-fleet-syncthing.service prometheus-node-exporter.service",
        "kiosk fleet pair --name hall-2 --device ID",
    ]:
        assert command in text, command
    assert text.rstrip().endswith("Dry run finished: nothing was changed.")
    assert (staged_installer / "calls.log").read_text() == "", (
        "a dry run ran a command that changes things"
    )


def test_fleet_options_need_fleet(staged_installer: Path) -> None:
    out = run_unprivileged(staged_installer, "install.sh", "--dry-run", "--name", "x")
    assert out.returncode == 1 and "go with --fleet" in out.stderr
    out = run_unprivileged(staged_installer, "install.sh", "--dry-run", "--fleet", "--name")
    assert out.returncode == 1 and "--name needs a value" in out.stderr


def test_uninstall_removes_the_fleets_service(staged_installer: Path) -> None:
    out = run_unprivileged(staged_installer, "uninstall.sh", "--dry-run")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "kiosk-fleet-syncthing.service not installed" in out.stdout
    assert "prometheus-node-exporter.service.d/50-kiosk.conf not there" in out.stdout


def test_a_fleet_kiosk_s_settings_turn_the_fleet_and_the_health_file_on(tmp_path: Path) -> None:
    """The technician runs the installer once: with --fleet the kiosk.yaml it writes already
    installs packs from the fleet and writes the health file Prometheus reads."""

    def written(*flags: str) -> settings_mod.Settings:
        path = tmp_path / "kiosk.yaml"
        path.write_text(printed_settings(*flags), encoding="utf-8")
        return settings_mod.load(path)

    fleet = written("--fleet")
    assert fleet.fleet.enabled and fleet.health.enabled
    assert fleet.resolve(fleet.fleet.home) == Path("/var/lib/kiosk/fleet")
    plain = written()
    assert not plain.fleet.enabled and not plain.health.enabled
    assert plain.admin == fleet.admin  # nothing else differs
