"""The staff PIN (scrypt hash, persisted lockout), the hidden gesture and `kiosk admin`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.cli import main
from kiosk.ops.admin import AdminGate, HiddenGesture, PinError, hash_pin, validate_pin, verify_pin


class Clock:
    def __init__(self, t: float = 1_750_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def gate(
    tmp_path: Path, clock: Clock, max_attempts: int = 5, lockout_s: float = 300.0
) -> AdminGate:
    lockout = tmp_path / "state" / "lockout.json"
    return AdminGate(tmp_path / "admin.pin", lockout, max_attempts, lockout_s, clock=clock)


def test_pin_is_stored_only_as_a_scrypt_hash(tmp_path: Path) -> None:
    g = gate(tmp_path, Clock())
    assert not g.has_pin()
    g.set_pin("4821")
    stored = (tmp_path / "admin.pin").read_text()
    assert stored.startswith("scrypt$") and "4821" not in stored
    assert (tmp_path / "admin.pin").stat().st_mode & 0o777 == 0o640
    assert verify_pin("4821", stored) and not verify_pin("4822", stored)
    assert hash_pin("4821") != hash_pin("4821")  # salted


@pytest.mark.parametrize(
    "pin", ["12a4", "123", "1234567890123", "0000", "1234", "9876", "４８２１"]
)
def test_unusable_pins_are_refused(pin: str) -> None:
    with pytest.raises(PinError):
        validate_pin(pin)


def test_check_and_lockout_that_survives_a_restart(tmp_path: Path) -> None:
    clock = Clock()
    g = gate(tmp_path, clock, max_attempts=3, lockout_s=60.0)
    g.set_pin("4821")
    assert g.check("4821").ok
    assert g.check("1111") == (False, None, 2)
    assert g.check("2222") == (False, None, 1)
    # A power cut between tries: the count is on disk.
    g = gate(tmp_path, clock, max_attempts=3, lockout_s=60.0)
    locked = g.check("3333")
    assert not locked.ok and locked.locked_until == clock.t + 60
    # While locked, even the right PIN is refused, across a restart too.
    g = gate(tmp_path, clock, max_attempts=3, lockout_s=60.0)
    assert g.check("4821") == (False, clock.t + 60, 0)
    clock.t += 61
    assert g.check("4821").ok
    assert json.loads((tmp_path / "state" / "lockout.json").read_text())["failures"] == 0


def test_lockouts_double_up_to_an_hour(tmp_path: Path) -> None:
    clock = Clock()
    g = gate(tmp_path, clock, max_attempts=1, lockout_s=600.0)
    g.set_pin("4821")
    lengths = []
    for _ in range(5):
        until = g.check("0001").locked_until
        assert until is not None
        lengths.append(until - clock.t)
        clock.t = until + 1
    assert lengths == [600, 1200, 2400, 3600, 3600]


def test_clock_jumping_back_does_not_lock_for_years(tmp_path: Path) -> None:
    clock = Clock()
    g = gate(tmp_path, clock, max_attempts=1, lockout_s=300.0)
    g.set_pin("4821")
    g.check("0001")
    clock.t = 12.0  # rebooted without a real-time clock: it is 1970 again
    until = g.locked_until()
    assert until is not None and until - clock.t <= 300
    clock.t += 301
    assert g.check("4821").ok


def test_unwritable_lockout_is_kept_in_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    g = AdminGate(tmp_path / "admin.pin", blocker / "lockout.json", max_attempts=2, clock=Clock())
    g.set_pin("4821")
    assert not g.persistent
    g.check("0001")
    assert g.check("0002").locked_until is not None


def test_no_pin_and_damaged_pin_never_open(tmp_path: Path) -> None:
    g = gate(tmp_path, Clock())
    assert not g.check("4821").ok
    (tmp_path / "admin.pin").write_text("scrypt$garbage\n")
    assert not g.check("4821").ok


def test_hidden_gesture_three_corners_in_order_within_the_window() -> None:
    g = HiddenGesture((1920, 1080), window_s=8.0, corner_size=0.1)  # corners of 108 px
    tl, tr, br, bl = (10, 10), (1910, 10), (1910, 1070), (10, 1070)
    assert not g.feed(*tl, 0.0, "long_press")
    assert not g.feed(*tr, 2.0, "long_press")
    assert g.feed(*br, 4.0, "long_press")
    # Too slow.
    for t, p in ((10.0, tl), (14.0, tr), (19.0, br)):
        assert not g.feed(*p, t, "long_press")
    # Wrong order, or a tap in between, starts over.
    assert not any(g.feed(*p, t, "long_press") for t, p in ((30.0, tl), (31.0, br), (32.0, tr)))
    g.feed(*tl, 40.0, "long_press")
    g.feed(*tr, 41.0, "long_press")
    g.feed(960, 540, 41.5, "tap")
    assert not g.feed(*br, 42.0, "long_press")
    # Raw touch events of the presses themselves are ignored; taps in corners do not count.
    g.feed(*tl, 50.0, "down")
    g.feed(*tl, 50.8, "long_press")
    g.feed(*tl, 51.0, "up")
    g.feed(*tr, 52.0, "long_press")
    assert g.feed(*br, 53.0, "long_press")
    assert not any(g.feed(*p, 60.0 + i, "tap") for i, p in enumerate((tl, tr, br)))
    assert g.corner(*bl) == "bottom-left" and g.corner(960, 10) is None


def test_hidden_gesture_rejects_unknown_corners() -> None:
    with pytest.raises(ValueError):
        HiddenGesture((800, 600), order=("top-left", "middle"))


def _config(tmp_path: Path) -> Path:
    cfg = tmp_path / "kiosk.yaml"
    cfg.write_text(f"admin: {{lockout_file: {tmp_path / 'lockout.json'}}}\n", encoding="utf-8")
    return cfg


def test_set_pin_from_stdin_and_status(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    runner = CliRunner()
    result = runner.invoke(
        main, ["admin", "set-pin", "--config", str(cfg), "--pin-stdin"], "4821\n"
    )
    assert result.exit_code == 0, result.output
    assert "4821" not in result.output
    assert AdminGate(tmp_path / "admin.pin", tmp_path / "l.json").check("4821").ok
    result = runner.invoke(main, ["admin", "status", "--config", str(cfg)])
    assert result.exit_code == 0 and "PIN pad open" in result.output
    bad = runner.invoke(main, ["admin", "set-pin", "--config", str(cfg), "--pin-stdin"], "12\n")
    assert bad.exit_code == 2 and "4 to 12 digits" in bad.output and "Traceback" not in bad.output


def test_set_pin_asks_twice_without_echo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = _config(tmp_path)
    monkeypatch.setattr("kiosk.cli.ops._interactive", lambda: True)
    prompts: list[tuple[str, bool]] = []

    def fake_prompt(text: str, hide_input: bool = False, **kw: object) -> str:
        prompts.append((text, hide_input))
        assert kw.get("confirmation_prompt"), "the PIN must be asked for twice"
        return "4821"

    monkeypatch.setattr("click.prompt", fake_prompt)
    result = CliRunner().invoke(main, ["admin", "set-pin", "--config", str(cfg)])
    assert result.exit_code == 0, result.output
    assert prompts == [("New admin PIN", True)]


def test_set_pin_without_a_terminal_says_what_to_do(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["admin", "set-pin", "--config", str(_config(tmp_path))])
    assert result.exit_code == 2 and "--pin-stdin" in result.output


def test_unlock_clears_a_lockout(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    g = AdminGate(tmp_path / "admin.pin", tmp_path / "lockout.json", max_attempts=1)
    g.set_pin("4821")
    g.check("0000")
    runner = CliRunner()
    assert "locked until" in runner.invoke(main, ["admin", "status", "--config", str(cfg)]).output
    assert runner.invoke(main, ["admin", "unlock", "--config", str(cfg)]).exit_code == 0
    assert g.locked_until() is None


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to hand files to other owners")
def test_files_written_by_root_stay_usable_by_the_kiosk(tmp_path: Path) -> None:
    etc, data = tmp_path / "etc", tmp_path / "data"
    etc.mkdir()
    data.mkdir()
    os.chown(etc, 0, 4321)  # like /etc/kiosk: root, the kiosk's group
    os.chown(data, 4321, 4321)  # like /var/lib/kiosk: the kiosk's own
    g = AdminGate(etc / "admin.pin", data / "lockout.json", max_attempts=1)
    g.set_pin("4821")  # as a technician with sudo
    g.check("0000")
    pin, lock = (etc / "admin.pin").stat(), (data / "lockout.json").stat()
    assert (pin.st_uid, pin.st_gid, pin.st_mode & 0o777) == (0, 4321, 0o640)
    assert (lock.st_uid, lock.st_gid) == (4321, 4321)
