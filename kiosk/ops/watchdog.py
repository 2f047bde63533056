"""The systemd watchdog: ``sd_notify`` messages and a heartbeat sent from the main loop.

Under the kiosk's unit (``Type=notify``, ``WatchdogSec=``) systemd waits for ``READY=1`` and then
expects ``WATCHDOG=1`` more often than ``WatchdogSec``; when the heartbeats stop it kills the
kiosk and starts it again. The heartbeat is deliberately sent from the main loop itself
(:meth:`Watchdog.tick` once per loop iteration) and never from a timer thread: a thread would keep
beating while the loop hangs, and the hang is exactly what the watchdog is for.

The protocol is one datagram per message to the ``AF_UNIX`` socket named in ``$NOTIFY_SOCKET``
(a leading ``@`` means Linux's abstract namespace), so it is written here with ``socket`` in a few
lines. Outside systemd (a developer's ``kiosk run``, the tests) everything is a silent no-op.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)


def _address(value: str) -> str:
    # systemd writes abstract socket names with a leading "@"; the kernel wants a NUL byte there.
    return "\0" + value[1:] if value.startswith("@") else value


class Notifier:
    """Sends ``sd_notify`` datagrams to one socket; without a socket it does nothing."""

    def __init__(self, address: str | None) -> None:
        self.address = address or None
        self._sock: socket.socket | None = None
        self._warned = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Notifier:
        env = os.environ if env is None else env
        return cls(env.get("NOTIFY_SOCKET"))

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def send(self, *fields: str) -> bool:
        """Send ``KEY=value`` fields as one message; True when it left this process."""
        if self.address is None:
            return False
        message = "\n".join(fields).encode("utf-8", "replace")
        try:
            if self._sock is None:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                # Never block the main loop: if systemd's queue is full, this heartbeat is lost
                # and the next one goes out a few seconds later, well inside WatchdogSec.
                sock.setblocking(False)
                self._sock = sock
            self._sock.sendto(message, _address(self.address))
        except OSError as exc:
            if not self._warned:
                log.warning("cannot notify systemd at %s: %s", self.address, exc)
                self._warned = True
            return False
        return True

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def watchdog_interval(env: Mapping[str, str], pid: int, ppid: int) -> float | None:
    """Seconds between heartbeats (a third of ``WatchdogSec``), or None when there is no watchdog.

    ``$WATCHDOG_PID`` names the process systemd watches. Under cage that is cage, the kiosk's
    parent, which passes its environment on to the kiosk; the unit's ``NotifyAccess=all`` lets the
    kiosk's heartbeats count for it. A different PID means the variables were inherited by some
    unrelated program, which must then stay quiet.
    """
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    if usec <= 0:
        return None
    owner = env.get("WATCHDOG_PID", "")
    if owner and owner not in (str(pid), str(ppid)):
        return None
    return usec / 1e6 / 3


class Watchdog:
    """Readiness, status and the heartbeat, as the main loop uses them.

    ``tick()`` is cheap enough to call every frame: it sends ``WATCHDOG=1`` at most once per
    interval. The loop must also pass through ``tick()`` while idle; a loop that blocks on
    ``pygame.event.wait(timeout)`` does, as long as the timeout is well below the interval.
    """

    def __init__(
        self,
        notifier: Notifier,
        interval_s: float | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.notifier = notifier
        self.interval_s = interval_s
        self.clock = clock
        self._last: float | None = None

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, clock: Callable[[], float] = time.monotonic
    ) -> Watchdog:
        env = os.environ if env is None else env
        return cls(Notifier.from_env(env), watchdog_interval(env, os.getpid(), os.getppid()), clock)

    @property
    def enabled(self) -> bool:
        return self.notifier.enabled and self.interval_s is not None

    def ready(self, status: str | None = None) -> None:
        """Tell systemd the kiosk is up (first frame on screen); starts the heartbeat."""
        fields = ["READY=1"]
        if status:
            fields.append(_status(status))
        self.notifier.send(*fields)
        self.tick(force=True)

    def tick(self, force: bool = False) -> bool:
        """Send a heartbeat if one is due; True when one was sent."""
        if self.interval_s is None or not self.notifier.enabled:
            return False
        now = self.clock()
        if not force and self._last is not None and now - self._last < self.interval_s:
            return False
        self._last = now
        return self.notifier.send("WATCHDOG=1")

    def status(self, text: str) -> None:
        """A one-line status that ``systemctl status kiosk`` shows."""
        self.notifier.send(_status(text))

    def extend_start(self, seconds: float) -> None:
        """Ask for more start-up time (before ``ready``), e.g. while a model warms up."""
        self.notifier.send(f"EXTEND_TIMEOUT_USEC={int(seconds * 1e6)}")

    def stopping(self, status: str | None = None) -> None:
        """Tell systemd the kiosk is shutting down on purpose (admin quit, nightly restart)."""
        fields = ["STOPPING=1"]
        if status:
            fields.append(_status(status))
        self.notifier.send(*fields)

    def close(self) -> None:
        self.notifier.close()


def _status(text: str) -> str:
    # A newline would end the field and start a bogus one.
    return "STATUS=" + " ".join(text.split())
