"""The doctor's checks of how the kiosk is run: its schedule, the admin PIN and the service."""

from __future__ import annotations

import shutil
import stat
import subprocess
from datetime import datetime

from kiosk.ops.admin import AdminGate
from kiosk.ops.doctor.report import Check, Context
from kiosk.ops.schedule import EARLIEST_PLAUSIBLE_YEAR, Schedule, ScheduleError


def check_schedule(ctx: Context) -> Check:
    try:
        schedule = Schedule.from_settings(ctx.settings.schedule)
    except ScheduleError as exc:
        return Check(
            "schedule",
            "warn",
            "some schedule settings cannot be understood and are ignored",
            "correct them in the settings file",
            tuple(exc.problems),
        )
    now = ctx.now()
    if now.year < EARLIEST_PLAUSIBLE_YEAR:
        return Check(
            "schedule",
            "warn",
            f"the clock is not set (it says {now:%Y-%m-%d %H:%M}); the kiosk stays open all the "
            "time and does not restart at night",
            "set the time (sudo date -s 'YYYY-MM-DD HH:MM'), enable time sync where there is "
            "network (systemd-timesyncd), or fit a real-time clock module",
        )
    warnings = schedule.warnings()
    state = schedule.state_at(now, 0.0)
    text = f"{'open' if state.open else 'standby'} now ({now:%a %H:%M})" + (
        ", quiet hours" if state.quiet else ""
    )
    if warnings:
        return Check("schedule", "warn", text, "check the schedule settings", tuple(warnings))
    return Check("schedule", "ok", text)


def check_admin(ctx: Context) -> Check:
    gate = AdminGate.from_settings(ctx.settings)
    if not gate.has_pin():
        return Check(
            "admin",
            "warn",
            "no admin PIN is set: staff cannot open admin mode",
            "sudo kiosk admin set-pin",
        )
    if gate.pin_file.stat().st_mode & stat.S_IROTH:
        return Check(
            "admin",
            "warn",
            f"{gate.pin_file} is readable by every user",
            f"sudo chmod 640 {gate.pin_file}",
        )
    until = gate.locked_until()
    if until is not None:
        return Check(
            "admin",
            "warn",
            f"the PIN pad is locked after wrong PINs until {datetime.fromtimestamp(until):%H:%M}",
            "wait, or unlock it now: sudo kiosk admin unlock",
        )
    return Check("admin", "ok", f"admin PIN set ({gate.pin_file})")


def check_service(ctx: Context) -> Check:
    if not ctx.unit_file.exists():
        return Check("service", "skip", "not installed as a service (install/install.sh does that)")
    if shutil.which("cage") is None:
        return Check(
            "service", "fail", "the cage compositor is not installed", "sudo apt-get install cage"
        )
    if ctx.maintenance_flag.exists():
        return Check(
            "service",
            "warn",
            "the kiosk was stopped for maintenance by staff",
            f"to start it again: sudo rm {ctx.maintenance_flag} && sudo systemctl start kiosk",
        )
    if not ctx.systemd_dir.is_dir():
        return Check("service", "skip", "installed; systemd is not running here (an image?)")
    try:
        state = subprocess.run(
            ["systemctl", "is-active", ctx.unit_file.name],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check("service", "warn", f"systemd cannot be asked: {exc}")
    if state != "active":
        return Check(
            "service",
            "warn",
            f"the kiosk service is {state or 'unknown'}",
            "sudo systemctl start kiosk; to see why it stopped: journalctl -u kiosk -b",
        )
    return Check("service", "ok", "the kiosk service is running")
