"""The analytics writer's trouble and recovery: what is wrong, since when, when to try again.

When the database cannot be written (full disk, lock, read-only, deleted or damaged file) the
writer says what is wrong in words, keeps a short list of incidents for the admin screen and tries
again after pauses that double up to a limit. Once a write succeeds, :meth:`WriterState.recovered`
gives the note the recorder stores as an ``analytics`` fault.
"""

from __future__ import annotations

import collections
import logging
import time

log = logging.getLogger(__name__)


class WriterState:
    """``starting``, ``ok``, ``degraded`` (events wait in memory) or ``closed``, with the problem.

    Pauses and incident times use the machine's own clocks, not the recorder's (replaceable) ones:
    they are about the database, not about visits.
    """

    def __init__(self, retry_s: float, retry_max_s: float) -> None:
        self.state = "starting"
        self.problem = ""
        """What is wrong now, in words; empty when nothing is."""
        self.next_try = 0.0
        """When (monotonic) to try the database again while degraded."""
        self.incidents: collections.deque[str] = collections.deque(maxlen=20)
        self._retry_s = retry_s
        self._retry_max_s = retry_max_s
        self._pause = retry_s
        self._since: float | None = None

    def opened(self) -> None:
        """The database opened; still degraded until a write succeeds."""
        if self.state != "degraded":
            self.state = "ok"

    def trouble(self, message: str) -> None:
        """The database failed: degrade, and try again after a longer pause than last time."""
        now = time.monotonic()
        if self._since is None:
            self._since = now
            self._pause = self._retry_s
        else:
            self._pause = min(self._pause * 2, self._retry_max_s)
        if message != self.problem:
            log.warning("analytics: %s", message)
            self.incident(message)
        self.state = "degraded"
        self.problem = message
        self.next_try = now + self._pause

    def recovered(self, lost: int) -> str:
        """A write succeeded after trouble; returns the note to record as an analytics fault."""
        since = self._since if self._since is not None else time.monotonic()
        took = time.monotonic() - since
        # Numbers first: a fault reason is cut at 120 characters, the problem's tail may go.
        note = f"writing again after {took:.0f} s, {lost} events lost: {self.problem}"
        log.info("analytics: %s", note)
        self.incident(f"recovered: {note}")
        self.state, self.problem = "ok", ""
        self._since = None
        self._pause = self._retry_s
        self.next_try = 0.0
        return note

    def incident(self, message: str) -> None:
        """Remember a trouble or recovery, with the local time, for the admin screen."""
        self.incidents.append(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {message}")
