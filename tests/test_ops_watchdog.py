"""sd_notify and the watchdog heartbeat, against a NOTIFY_SOCKET the test binds itself."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.ops.watchdog import Notifier, Watchdog, watchdog_interval


def _receive(sock: socket.socket, seconds: float) -> list[str]:
    """Every datagram that arrives within ``seconds``."""
    out: list[str] = []
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            out.append(sock.recv(4096).decode())
        except TimeoutError:
            break
    return out


@pytest.fixture
def abstract_socket() -> Iterator[tuple[socket.socket, str]]:
    name = f"kiosk-test-{uuid.uuid4().hex}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    yield sock, "@" + name
    sock.close()


@pytest.fixture
def path_socket() -> Iterator[tuple[socket.socket, str]]:
    # A short folder of its own: socket paths are limited to 107 bytes.
    folder = tempfile.mkdtemp(prefix="kn")
    path = os.path.join(folder, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    yield sock, path
    sock.close()
    shutil.rmtree(folder)


def _env(address: str, usec: int = 3_000_000) -> dict[str, str]:
    return {"NOTIFY_SOCKET": address, "WATCHDOG_USEC": str(usec), "WATCHDOG_PID": str(os.getpid())}


@pytest.mark.parametrize("kind", ["abstract_socket", "path_socket"])
def test_ready_status_and_stopping_arrive(kind: str, request: pytest.FixtureRequest) -> None:
    sock, address = request.getfixturevalue(kind)
    wd = Watchdog.from_env(_env(address))
    assert wd.enabled and wd.interval_s == pytest.approx(1.0)
    wd.ready("attract loop\nshowing")
    wd.status("visit in progress")
    wd.extend_start(30)
    wd.stopping("nightly restart")
    wd.close()
    got = _receive(sock, 0.5)
    assert got[0] == "READY=1\nSTATUS=attract loop showing"  # a newline would start a new field
    assert got[1] == "WATCHDOG=1"  # ready() starts the heartbeat at once
    assert got[2:] == [
        "STATUS=visit in progress",
        "EXTEND_TIMEOUT_USEC=30000000",
        "STOPPING=1\nSTATUS=nightly restart",
    ]


def test_tick_sends_at_most_every_third_of_watchdog_sec(
    abstract_socket: tuple[socket.socket, str],
) -> None:
    sock, address = abstract_socket
    now = [100.0]
    wd = Watchdog.from_env(_env(address, usec=30_000_000), clock=lambda: now[0])
    sent = []
    for _ in range(300):  # 30 s of a loop running at 10 Hz
        sent.append(wd.tick())
        now[0] += 0.1
    assert sum(sent) == 3  # at 0 s, 10 s and 20 s
    assert _receive(sock, 0.2) == ["WATCHDOG=1"] * 3


def test_heartbeats_stop_while_the_main_loop_hangs(
    abstract_socket: tuple[socket.socket, str],
) -> None:
    sock, address = abstract_socket
    wd = Watchdog.from_env(_env(address, usec=150_000))  # a beat every 50 ms
    hang, release, stop = threading.Event(), threading.Event(), threading.Event()

    def main_loop() -> None:
        wd.ready()
        while not stop.is_set():
            if hang.is_set():
                release.wait()  # the loop is stuck: a deadlock, an endless decode, ...
            wd.tick()
            time.sleep(0.005)

    loop = threading.Thread(target=main_loop, daemon=True)
    loop.start()
    try:
        running = _receive(sock, 0.6)
        assert running.count("WATCHDOG=1") >= 5, running
        hang.set()
        _receive(sock, 0.1)  # whatever the loop sent before it got stuck
        hung = _receive(sock, 0.6)
        assert hung == [], "heartbeats went on while the main loop hung"
        hang.clear()
        release.set()
        resumed = _receive(sock, 0.4)
        assert resumed.count("WATCHDOG=1") >= 2, resumed
    finally:
        stop.set()
        release.set()
        loop.join(5)
    assert not loop.is_alive()


def test_without_systemd_everything_is_a_quiet_no_op() -> None:
    wd = Watchdog.from_env({})
    assert not wd.enabled
    wd.ready("x")
    assert wd.tick() is False
    wd.stopping()


def test_a_vanished_socket_never_raises_into_the_loop(tmp_path: Path) -> None:
    wd = Watchdog(Notifier(str(tmp_path / "gone")), 0.01)
    assert wd.tick() is False
    assert wd.tick(force=True) is False


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"WATCHDOG_USEC": "30000000"}, 10.0),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "10"}, 10.0),  # this process
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "20"}, 10.0),  # cage, the parent
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "99"}, None),  # someone else's
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "soon"}, None),
        ({}, None),
    ],
)
def test_watchdog_interval(env: dict[str, str], expected: float | None) -> None:
    assert watchdog_interval(env, pid=10, ppid=20) == expected
