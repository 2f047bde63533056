"""The doctor's checks of what the kiosk reads and writes: fonts, content, disk space, the
analytics database and the health file.

Run as root (``sudo kiosk doctor``), permissions are judged for the kiosk's own user, since that
is who must write the database and the health file.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import sqlite3
import stat
from pathlib import Path

import kiosk
from kiosk.ops.doctor.report import Check, Context

FONT_DIR = Path(kiosk.__file__).resolve().parent / "assets" / "fonts"
# Every letter of the Russian alphabet in both cases, the typographic marks the texts use, and
# the Latin alphabet for English.
REQUIRED_GLYPHS = (
    "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюя«»—–№"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)
DISK_FAIL_BYTES = 200 * 1024**2
DISK_WARN_BYTES = 1024**3


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
    fix = "remove old content releases (kiosk content list) or fit a larger card or disk"
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
