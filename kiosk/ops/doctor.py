"""``kiosk doctor``: check a kiosk machine and say in plain words what to fix.

Each check returns a :class:`Check` with a level: ``ok``, ``warn`` (a feature will be missing or
degraded, but visitors are served), ``fail`` (the kiosk cannot do its job: no screen, unreadable
fonts, broken content, a full disk, an unusable database, a missing compositor) or ``skip``. The
command exits 0 when nothing failed. Checks never change the machine and never keep a camera
frame: the camera check reads one frame's size and lets the frame go.

Run as root (``sudo kiosk doctor``), permissions are judged for the kiosk's own user, since that
is who must write the database and the state files.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import sqlite3
import stat
import subprocess
import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import kiosk
from kiosk.ops.admin import AdminGate
from kiosk.ops.lockdown import MAINTENANCE_FLAG
from kiosk.ops.schedule import EARLIEST_PLAUSIBLE_YEAR, Schedule, ScheduleError
from kiosk.settings import Settings

FONT_DIR = Path(kiosk.__file__).resolve().parent / "assets" / "fonts"
# Every letter of the Russian alphabet in both cases, the typographic marks the texts use, and
# the Latin alphabet for English.
REQUIRED_GLYPHS = (
    "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюя«»—–№"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)
DISK_FAIL_BYTES = 200 * 1024**2
DISK_WARN_BYTES = 1024**3
CAMERA_TIMEOUT_S = 10.0
UNIT_FILE = Path("/etc/systemd/system/kiosk.service")
SERVICE_USER = "kiosk"


@dataclass(frozen=True)
class Check:
    """The outcome of one check, for a person (summary, fix) and a program (level)."""

    name: str
    level: str  # ok | warn | fail | skip
    summary: str
    fix: str = ""
    details: tuple[str, ...] = ()


@dataclass
class Context:
    """What the checks look at; tests replace the parts that touch the machine."""

    settings: Settings
    content_dir: Path | None = None
    media: bool = True
    camera: bool = True
    user: str | None = SERVICE_USER
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    sys_root: Path = Path("/sys")
    unit_file: Path = UNIT_FILE
    maintenance_flag: Path = MAINTENANCE_FLAG
    systemd_dir: Path = Path("/run/systemd/system")  # exists only while systemd runs the machine
    now: Callable[[], datetime] = datetime.now


@dataclass
class Report:
    """All checks; ``ok`` when none failed."""

    checks: list[Check]

    @property
    def ok(self) -> bool:
        return not any(c.level == "fail" for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [asdict(c) for c in self.checks]}


def _writable_for(path: Path, user: str | None) -> bool:
    """Whether ``user`` may write ``path`` (by mode bits when we are root, else os.access)."""
    if user is None or os.geteuid() != 0:
        return os.access(path, os.W_OK)
    try:
        pw = pwd.getpwnam(user)
    except KeyError:
        return os.access(path, os.W_OK)
    st = path.stat()
    if st.st_uid == pw.pw_uid:
        return bool(st.st_mode & stat.S_IWUSR)
    groups = {pw.pw_gid} | {g.gr_gid for g in grp.getgrall() if user in g.gr_mem}
    if st.st_gid in groups:
        return bool(st.st_mode & stat.S_IWGRP)
    return bool(st.st_mode & stat.S_IWOTH)


def _existing_ancestor(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_display(ctx: Context) -> Check:
    connected = []
    for status in sorted((ctx.sys_root / "class" / "drm").glob("card*-*/status")):
        try:
            if status.read_text().strip() == "connected":
                connected.append(status.parent.name.split("-", 1)[1])
        except OSError:
            continue
    if connected:
        return Check("display", "ok", f"screen connected: {', '.join(connected)}")
    for var in ("WAYLAND_DISPLAY", "DISPLAY"):
        if ctx.env.get(var):
            return Check("display", "ok", f"a display is available ({var}={ctx.env[var]})")
    return Check(
        "display",
        "fail",
        "no screen is connected",
        "check the screen's cable and power and that it shows the right input; then restart "
        "the kiosk (sudo systemctl restart kiosk)",
    )


def check_audio(ctx: Context) -> Check:
    try:
        import sounddevice as sd
    except OSError:
        return Check(
            "audio",
            "warn",
            "the PortAudio library is missing, so the clips play without sound",
            "sudo apt-get install libportaudio2",
        )
    try:
        devices = list(sd.query_devices())
    except Exception as exc:  # PortAudio reports device trouble as its own error type
        return Check("audio", "warn", f"sound devices cannot be listed: {exc}", "check `aplay -l`")
    outputs = [str(d["name"]) for d in devices if int(d.get("max_output_channels", 0)) > 0]
    if not outputs:
        return Check(
            "audio",
            "warn",
            "no sound output device: the clips play without sound",
            "connect the speakers (or a screen with sound over HDMI), check `aplay -l`, and that "
            f"the {ctx.user or 'kiosk'} user is in the 'audio' group",
        )
    wanted = ctx.settings.audio.device.strip()
    if wanted:
        try:
            sd.query_devices(int(wanted) if wanted.isdigit() else wanted, "output")
        except (ValueError, sd.PortAudioError):
            return Check(
                "audio",
                "warn",
                f"the sound device in the settings (audio.device: {wanted!r}) is not there",
                "set audio.device to one of the devices below, or leave it empty for the default",
                tuple(outputs),
            )
    return Check("audio", "ok", f"{len(outputs)} sound output(s); using {wanted or 'the default'}")


def _grab_one_frame(source: int | str, out: dict[str, Any]) -> None:
    import cv2

    cap = cv2.VideoCapture(source)
    try:
        out["opened"] = bool(cap.isOpened())
        if out["opened"]:
            ok, frame = cap.read()
            # Only the size is kept; the picture itself is dropped here, never stored.
            out["size"] = (int(frame.shape[1]), int(frame.shape[0])) if ok else None
            del frame
    finally:
        cap.release()


def check_camera(ctx: Context) -> Check:
    cam = ctx.settings.camera
    if not cam.enabled:
        return Check("camera", "skip", "the frost mirror is switched off (camera.enabled: false)")
    if not ctx.camera:
        return Check("camera", "skip", "not checked (--no-camera)")
    # OpenCV prints its own warnings for a missing camera; the check says it in plain words.
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    try:
        import cv2  # noqa: F401
    except ImportError as exc:
        return Check("camera", "warn", f"OpenCV cannot be loaded: {exc}", "reinstall the kiosk")
    source: int | str = (
        int(cam.device) if cam.device.isdigit() else str(ctx.settings.resolve(cam.device))
    )
    out: dict[str, Any] = {}
    worker = threading.Thread(target=_grab_one_frame, args=(source, out), daemon=True)
    worker.start()
    worker.join(CAMERA_TIMEOUT_S)
    fix = (
        "check the camera's USB cable (try another port), that camera.device is right, and that "
        f"the {ctx.user or 'kiosk'} user is in the 'video' group; the mirror stays hidden meanwhile"
    )
    if worker.is_alive():
        return Check(
            "camera", "warn", f"the camera did not answer within {CAMERA_TIMEOUT_S:.0f} s", fix
        )
    if not out.get("opened"):
        return Check("camera", "warn", f"no camera at camera.device {cam.device!r}", fix)
    if not out.get("size"):
        return Check("camera", "warn", f"the camera {cam.device!r} opens but gives no picture", fix)
    w, h = out["size"]
    return Check("camera", "ok", f"camera {cam.device!r} gives {w}x{h} pictures")


def check_inference(ctx: Context) -> Check:
    if not ctx.settings.camera.enabled:
        return Check("inference", "skip", "the frost mirror is switched off")
    try:
        import onnxruntime as ort
    except ImportError as exc:
        return Check(
            "inference", "warn", f"onnxruntime cannot be loaded: {exc}", "reinstall the kiosk"
        )
    available = list(ort.get_available_providers())
    model = ctx.settings.path("models") / f"{ctx.settings.camera.model}.onnx"
    if not model.is_file():
        return Check(
            "inference",
            "warn",
            f"the style model {model} is missing, so the frost mirror is hidden "
            f"(providers available: {', '.join(available)})",
            "install a content release that carries the model, or set paths.models / camera.model",
        )
    try:
        # The Azure provider runs models remotely; this kiosk is offline and never asks for it.
        wanted = [p for p in available if p != "AzureExecutionProvider"]
        session = ort.InferenceSession(str(model), providers=wanted)
    except Exception as exc:  # onnxruntime raises its own exception types for bad models
        return Check(
            "inference",
            "warn",
            f"the style model {model} cannot be loaded: {exc}",
            "install the model again",
        )
    used = session.get_providers()[0]
    return Check(
        "inference", "ok", f"model {model.name} runs on {used} (available: {', '.join(available)})"
    )


def check_fonts(ctx: Context) -> Check:
    from fontTools.ttLib import TTFont, TTLibError

    fonts = sorted(FONT_DIR.glob("*.ttf"))
    if not fonts:
        return Check("fonts", "fail", f"no fonts in {FONT_DIR}", "reinstall the kiosk")
    problems = []
    for path in fonts:
        try:
            with TTFont(path, lazy=True) as font:
                cmap = font.getBestCmap() or {}
        except (OSError, TTLibError, AssertionError) as exc:
            problems.append(f"{path.name}: cannot be read ({exc})")
            continue
        missing = "".join(c for c in REQUIRED_GLYPHS if ord(c) not in cmap)
        if missing:
            problems.append(f"{path.name}: no glyphs for {missing}")
    if problems:
        return Check(
            "fonts",
            "fail",
            "the bundled fonts are damaged or incomplete",
            "reinstall the kiosk",
            tuple(problems),
        )
    return Check("fonts", "ok", f"{len(fonts)} bundled fonts load and cover Cyrillic and Latin")


def check_content(ctx: Context) -> Check:
    from kiosk.content.validate import Prober, validate

    root = ctx.content_dir if ctx.content_dir is not None else ctx.settings.path("content")
    if not (root / "collection.yaml").is_file():
        return Check(
            "content",
            "fail",
            f"there is no collection at {root}",
            "install a content release, or set paths.content to the collection folder",
        )
    prober: Prober | None = None
    if ctx.media:
        from kiosk.media import probe

        prober = probe.probe
    report = validate(root, prober)
    if not report.ok:
        return Check(
            "content",
            "fail",
            f"the collection at {root} has {len(report.errors)} error(s)",
            f"run `kiosk content validate {root}` and correct the files it names",
            tuple(str(p) for p in report.errors[:5]),
        )
    extra = f", {len(report.warnings)} warning(s)" if report.warnings else ""
    return Check(
        "content",
        "ok",
        f"{report.explorers} explorers, {report.segments} segments at {root}{extra}",
    )


def check_disk(ctx: Context) -> Check:
    where = _existing_ancestor(ctx.settings.path("database").parent)
    usage = shutil.disk_usage(where)
    free_mb = usage.free / 1024**2
    text = f"{free_mb:.0f} MB free on the disk holding {where}"
    fix = "remove old content releases (kiosk content packs) or fit a larger card or disk"
    if usage.free < DISK_FAIL_BYTES:
        return Check("disk", "fail", text, fix)
    if usage.free < DISK_WARN_BYTES:
        return Check("disk", "warn", text, fix)
    return Check("disk", "ok", text)


def check_database(ctx: Context) -> Check:
    db = ctx.settings.path("database")
    folder = db.parent
    if not folder.is_dir():
        return Check(
            "database",
            "fail",
            f"the database folder {folder} does not exist",
            "run the installer, or set paths.database to a writable place",
        )
    who = f"the {ctx.user} user" if ctx.user and os.geteuid() == 0 else "this user"
    fix = f"make {folder} and the database writable for the kiosk: sudo chown -R kiosk: {folder}"
    if not _writable_for(folder, ctx.user):
        return Check("database", "fail", f"{who} cannot write in {folder}", fix)
    if not db.exists():
        return Check("database", "ok", f"{db} will be created with the first visit")
    if not _writable_for(db, ctx.user):
        return Check("database", "fail", f"{who} cannot write {db}", fix)
    # As root, never open the database for writing: SQLite would create its -wal/-shm files
    # owned by root, and the kiosk could no longer write its own database.
    uri = f"file:{db}?mode=ro&immutable=1" if os.geteuid() == 0 else f"file:{db}?mode=rw"
    try:
        con = sqlite3.connect(uri, uri=True, timeout=5)
        try:
            con.execute("PRAGMA schema_version").fetchone()
            if os.geteuid() != 0:
                con.execute("BEGIN IMMEDIATE")
                con.execute("ROLLBACK")
        finally:
            con.close()
    except sqlite3.Error as exc:
        return Check(
            "database",
            "fail",
            f"{db} cannot be used: {exc}",
            "if it is damaged, move it aside (the kiosk starts a new one) and keep it for analysis",
        )
    return Check("database", "ok", f"{db} opens and is writable")


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


def check_health(ctx: Context) -> Check:
    h = ctx.settings.health
    if not h.enabled:
        return Check("health", "skip", "the health file is off (health.enabled: false)")
    target = ctx.settings.resolve(h.textfile)
    where = _existing_ancestor(target.parent)
    if not _writable_for(where, ctx.user):
        return Check(
            "health",
            "warn",
            f"the health file {target} cannot be written",
            f"let the kiosk write in {where}, or choose another health.textfile",
        )
    return Check("health", "ok", f"health figures go to {target} every {h.interval_s:g} s")


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


CHECKS: tuple[Callable[[Context], Check], ...] = (
    check_display,
    check_audio,
    check_camera,
    check_inference,
    check_fonts,
    check_content,
    check_disk,
    check_database,
    check_schedule,
    check_admin,
    check_health,
    check_service,
)
ESSENTIAL = frozenset({"display", "fonts", "content", "disk", "database", "service"})


def run_checks(ctx: Context, checks: tuple[Callable[[Context], Check], ...] = CHECKS) -> Report:
    """Run every check; a check that breaks is itself reported, never a traceback."""
    results = []
    for fn in checks:
        name = fn.__name__.removeprefix("check_")
        try:
            results.append(fn(ctx))
        except Exception as exc:  # one broken check must not hide the others' answers
            level = "fail" if name in ESSENTIAL else "warn"
            results.append(
                Check(name, level, f"the check could not run: {type(exc).__name__}: {exc}")
            )
    return Report(results)


def format_report(report: Report) -> str:
    """The report for a person."""
    lines = []
    for c in report.checks:
        tag = {"ok": "ok", "warn": "WARN", "fail": "FAIL", "skip": "-"}.get(c.level, c.level)
        lines.append(f"  {tag:<5} {c.name:<10} {c.summary}")
        lines += [f"{'':18}{d}" for d in c.details]
        if c.fix:
            lines.append(f"{'':18}fix: {c.fix}")
    failed = [c.name for c in report.checks if c.level == "fail"]
    if failed:
        lines.append(f"NOT READY: fix {', '.join(failed)} first.")
    else:
        warned = sum(c.level == "warn" for c in report.checks)
        lines.append("READY" + (f", with {warned} warning(s)." if warned else "."))
    return "\n".join(lines)
