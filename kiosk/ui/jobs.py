"""Blocking work off the main thread: staff actions that scan, install, load or encode.

The main thread owns pygame and must keep drawing, so a slow action runs as a :class:`Job` in a
worker thread. Its outcome (the value, or the exception it raised) comes back through a
one-slot queue that the scene polls once per loop iteration; nothing else crosses threads.
:class:`JobRunner` runs at most one job at a time (staff actions are rare and must not pile up)
and joins it on :meth:`JobRunner.close`.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """How a job ended: its ``value``, or the ``error`` it raised."""

    name: str
    value: T | None = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class Job(Generic[T]):
    """``work`` running in a thread of its own; :meth:`outcome` is None until it has ended."""

    def __init__(self, name: str, work: Callable[[], T]) -> None:
        self.name = name
        self._work = work
        self._slot: queue.Queue[Outcome[T]] = queue.Queue(maxsize=1)
        self._outcome: Outcome[T] | None = None
        self._thread = threading.Thread(target=self._run, name=f"job-{name}", daemon=True)

    def start(self) -> Job[T]:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            outcome: Outcome[T] = Outcome(self.name, value=self._work())
        except BaseException as exc:  # handed to the main thread, which shows or logs it
            log.exception("job %s failed", self.name)
            outcome = Outcome(self.name, error=exc)
        self._slot.put(outcome)

    def outcome(self) -> Outcome[T] | None:
        """The result once the job has ended (never blocks)."""
        if self._outcome is None:
            try:
                self._outcome = self._slot.get_nowait()
            except queue.Empty:
                return None
        return self._outcome

    @property
    def running(self) -> bool:
        return self.outcome() is None

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread; True when it has ended."""
        self._thread.join(timeout)
        return not self._thread.is_alive()


class JobRunner:
    """Starts jobs one at a time and joins the last one on close."""

    def __init__(self) -> None:
        self.current: Job[Any] | None = None

    @property
    def busy(self) -> bool:
        return self.current is not None and self.current.running

    def start(self, name: str, work: Callable[[], T]) -> Job[T] | None:
        """Run ``work`` in a worker thread; None (and nothing started) while another runs."""
        if self.busy:
            return None
        job: Job[T] = Job(name, work)
        self.current = job
        return job.start()

    def close(self, timeout: float = 30.0) -> None:
        """Wait for a running job (an install half done is worse than a slow exit)."""
        if self.current is not None and not self.current.join(timeout):
            log.error("job %s did not finish within %.0f s", self.current.name, timeout)
        self.current = None
