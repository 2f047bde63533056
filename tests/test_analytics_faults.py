"""A database that is deleted, read-only, full, locked or damaged never stops the kiosk.

In each case the recorder goes on accepting events, says what is wrong in its status, keeps the
events in memory, and writes them once the database can be written again (recording the
trouble itself as an ``analytics`` fault). Waiting here has generous deadlines and no timing
asserts: a slow machine only takes longer.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.analytics import (
    EndReason,
    ExplorerOpened,
    Recorder,
    RecorderOptions,
    Scene,
    SceneViewed,
    VisitEnded,
    VisitStarted,
)

FAST = RecorderOptions(flush_s=0.05, retry_s=0.02, retry_max_s=0.1, busy_timeout_s=0.05)


def wait_until(predicate: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def visit(rec: Recorder, slug: str = "dezhnev") -> None:
    """A short visit: four events."""
    rec.emit(VisitStarted())
    rec.emit(SceneViewed(Scene.GALLERY))
    rec.emit(ExplorerOpened(slug))
    rec.emit(VisitEnded(EndReason.GOODBYE))


def query(path: Path, sql: str) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(path)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def visits(path: Path) -> int:
    return int(query(path, "SELECT count(*) FROM events WHERE event = 'visit_started'")[0][0])


def analytics_faults(path: Path) -> list[str]:
    return [r[0] for r in query(path, "SELECT reason FROM events WHERE fault = 'analytics'")]


def moved_aside(folder: Path) -> list[Path]:
    """Damaged databases moved aside (their -wal and -shm lie beside them)."""
    found = folder.glob("analytics.db.corrupt-*")
    return sorted(p for p in found if not p.name.endswith(("-wal", "-shm")))


def test_database_deleted_while_running(tmp_path: Path) -> None:
    path = tmp_path / "analytics.db"
    rec = Recorder(path, "r1", FAST)
    visit(rec)
    assert rec.flush()
    kiosk = rec.status().kiosk_id
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    visit(rec, "laptev")
    assert rec.flush()  # a new file at once
    status = rec.status()
    assert status.state == "ok"
    assert any("deleted" in i for i in status.incidents), status.incidents
    rec.close()
    assert visits(path) == 1
    assert query(path, "SELECT DISTINCT kiosk FROM events") == [(kiosk,)]  # same machine
    assert query(path, "SELECT value FROM meta WHERE key = 'next_visit'") == [("3",)]
    assert any("deleted" in r for r in analytics_faults(path))


def test_garbage_over_the_file_while_running_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "analytics.db"
    rec = Recorder(path, "r1", FAST)
    for _ in range(20):
        visit(rec)
    assert rec.flush()
    garbage = os.urandom(path.stat().st_size)
    path.write_bytes(garbage)
    visit(rec, "laptev")
    assert rec.flush()
    status = rec.status()
    assert status.state == "ok"
    assert any("moved it aside" in i for i in status.incidents), status.incidents
    rec.close()
    (aside,) = moved_aside(tmp_path)
    assert aside.read_bytes() == garbage  # kept exactly as found
    assert Path(f"{aside}-wal").exists()  # with the latest good pages beside it
    assert visits(path) == 1
    assert query(path, "PRAGMA integrity_check") == [("ok",)]
    assert any("overwritten" in r for r in analytics_faults(path))


def test_a_garbage_file_found_at_start_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "analytics.db"
    path.write_bytes(b"this is no database" * 500)
    rec = Recorder(path, "r1", FAST)
    visit(rec)
    assert rec.flush()
    rec.close()
    assert len(moved_aside(tmp_path)) == 1
    assert visits(path) == 1


def test_damaged_pages_found_at_start_are_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "analytics.db"
    rec = Recorder(path, "r1", FAST)
    for _ in range(400):
        visit(rec)
    rec.close()
    with path.open("r+b") as fh:  # the header stays, pages in the middle become noise
        fh.seek(4096 * 3)
        fh.write(os.urandom(4096 * 8))
    rec = Recorder(path, "r1", FAST)
    visit(rec)
    assert rec.flush()
    assert any("damaged" in i for i in rec.status().incidents)
    rec.close()
    assert len(moved_aside(tmp_path)) == 1
    assert visits(path) == 1


LOCKER = textwrap.dedent(
    """
    import sqlite3, sys
    con = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
    con.execute("BEGIN EXCLUSIVE")
    con.execute("INSERT INTO meta (key, value) VALUES ('locker', 'x')")
    print("locked", flush=True)
    sys.stdin.readline()
    con.execute("ROLLBACK")
    """
)


def test_locked_by_another_process(tmp_path: Path) -> None:
    path = tmp_path / "analytics.db"
    rec = Recorder(path, "r1", RecorderOptions(**{**FAST.__dict__, "buffer_events": 100}))
    visit(rec)
    assert rec.flush()
    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert locker.stdout is not None and locker.stdout.readline().strip() == "locked"
        for _ in range(40):  # 160 events: more than the 100 kept in memory
            visit(rec)
        assert not rec.flush()
        status = rec.status()
        assert status.state == "degraded" and "locked" in status.problem
        assert status.dropped == 60 and status.pending == 100
        assert "locked" in status.line()
    finally:
        assert locker.stdin is not None
        locker.stdin.write("\n")
        locker.stdin.close()
        locker.wait(10)
    assert wait_until(rec.flush)
    assert rec.status().state == "ok"
    rec.close()
    assert visits(path) == 1 + 25  # the oldest 60 events (15 visits) did not fit
    (fault,) = analytics_faults(path)
    assert "locked" in fault and "60 events lost" in fault


CHILD = textwrap.dedent(
    """
    import dataclasses, json, resource, signal, sys
    from pathlib import Path
    from kiosk.analytics import (EndReason, Recorder, RecorderOptions, Scene, SceneViewed,
                                 VisitEnded, VisitStarted)

    # A write past RLIMIT_FSIZE raises SIGXFSZ, which kills by default; SQLite must see EFBIG.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    opts = RecorderOptions(flush_s=0.05, retry_s=0.02, retry_max_s=0.1, busy_timeout_s=0.05)
    rec = Recorder(Path(sys.argv[1]), "r1", opts)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    for line in sys.stdin:
        cmd, *args = line.split()
        ok = None
        if cmd == "visits":
            for _ in range(int(args[0])):
                rec.emit(VisitStarted())
                rec.emit(SceneViewed(Scene.GALLERY))
                rec.emit(VisitEnded(EndReason.IDLE))
        elif cmd == "flush":
            ok = rec.flush(5.0)
        elif cmd == "limit":
            resource.setrlimit(resource.RLIMIT_FSIZE, (int(args[0]), hard))
        elif cmd == "unlimit":
            resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
        elif cmd == "close":
            rec.close()
        print(json.dumps({"ok": ok, "status": dataclasses.asdict(rec.status())}), flush=True)
    """
)


class Kiosk:
    """A recorder in another process, driven line by line (its limits are its own)."""

    def __init__(self, db: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(db)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )

    def __call__(self, command: str) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, f"the kiosk process died (exit {self.proc.wait(5)})"
        reply: dict[str, Any] = json.loads(line)
        return reply

    def stop(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            self.proc.wait(20)


def test_disk_full_by_a_file_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "analytics.db"
    kiosk = Kiosk(path)
    try:
        kiosk("visits 2")
        assert kiosk("flush")["ok"]
        biggest = max(Path(f"{path}{s}").stat().st_size for s in ("", "-wal"))
        kiosk(f"limit {biggest}")  # no file may grow any more: a full disk
        kiosk("visits 50")
        reply = kiosk("flush")
        assert reply["ok"] is False
        status = reply["status"]
        assert status["state"] == "degraded" and "disk" in status["problem"], status
        assert status["pending"] >= 150
        kiosk("visits 1")  # the kiosk carries on
        kiosk("unlimit")
        assert wait_until(lambda: bool(kiosk("flush")["ok"]))
        assert kiosk("close")["status"]["state"] == "closed"
    finally:
        kiosk.stop()
    assert visits(path) == 53  # nothing lost
    assert any("disk" in r for r in analytics_faults(path))


def test_read_only_file_at_start(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes read-only files; the mounted read-only test covers root")
    path = tmp_path / "analytics.db"
    rec = Recorder(path, "r1", FAST)
    visit(rec)
    rec.close()
    path.chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        rec = Recorder(path, "r1", FAST)
        visit(rec)
        assert not rec.flush()
        status = rec.status()
        assert status.state == "degraded" and "read-only" in status.problem, status
    finally:
        tmp_path.chmod(0o755)
        path.chmod(0o644)
    assert wait_until(rec.flush)
    rec.close()
    assert visits(path) == 2


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[str], None]]:
    """A 256 KiB tmpfs at tmp_path/disk; the fixture's value remounts it with options."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root (the file-size-limit test does not)")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")

    def remount(options: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{options}", str(mnt)], check=True)

    try:
        yield remount
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_a_small_disk_fills_up_and_is_grown(
    tmp_path: Path, small_disk: Callable[[str], None]
) -> None:
    path = tmp_path / "disk" / "analytics.db"
    rec = Recorder(path, "r1", FAST)
    emitted = 0
    for _ in range(200):
        for _ in range(50):
            visit(rec)
        emitted += 50
        if not rec.flush():
            break
    status = rec.status()
    assert status.state == "degraded" and "full" in status.problem, status
    visit(rec)  # the kiosk carries on
    emitted += 1
    small_disk("size=16m")
    assert wait_until(rec.flush)
    rec.close()
    assert visits(path) == emitted
    assert any("full" in r for r in analytics_faults(path))


def test_a_disk_mounted_read_only(tmp_path: Path, small_disk: Callable[[str], None]) -> None:
    # Linux refuses to remount a disk read-only while a file on it is open for writing, so
    # this is the kiosk restarting on a disk that went read-only (as ext4 does after errors).
    small_disk("size=4m")
    path = tmp_path / "disk" / "analytics.db"
    rec = Recorder(path, "r1", FAST)
    visit(rec)
    rec.close()
    small_disk("ro")
    rec = Recorder(path, "r1", FAST)
    visit(rec)
    assert not rec.flush()
    status = rec.status()
    assert status.state == "degraded" and "read-only" in status.problem, status
    visit(rec)  # the kiosk carries on
    small_disk("rw")
    assert wait_until(rec.flush)
    rec.close()
    assert visits(path) == 3
    assert any("read-only" in r for r in analytics_faults(path))
