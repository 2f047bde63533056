"""The recorder: scenes hand it events on the UI thread; a writer thread puts them in SQLite.

``Recorder.emit(event)`` costs the UI thread one clock read and one deque append. A writer thread
wakes every ``flush_s`` seconds, turns the events into rows (:mod:`kiosk.analytics.rows`) and
inserts them in one transaction per batch. When the database cannot be written the writer keeps
the rows in memory up to ``buffer_events``, says what is wrong in :meth:`Recorder.status`, tries
again with growing pauses (:mod:`kiosk.analytics.writer_state`) and, once it succeeds, records
what happened as an ``analytics`` fault. The kiosk never waits for the database and never stops
because of it.

What a power cut can lose: the events of the last ``flush_s`` seconds (2 s by default) that were
still in memory, and the batch being committed at that instant. Committed batches survive: the
file is in WAL mode with ``synchronous=FULL``.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.analytics.events import EVENT_TYPES, EndReason, Event, Fault, FaultKind, VisitEnded
from kiosk.analytics.port import RecorderOptions, RecorderStatus, clean_release
from kiosk.analytics.rows import ReleaseChange, Row, RowMaker
from kiosk.analytics.storage import Store, StoreProblem
from kiosk.analytics.writer_state import WriterState

log = logging.getLogger(__name__)

KIOSK_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
"""A configured kiosk id: a short machine name such as ``hall-2``."""


@dataclass(frozen=True)
class _Flush:
    done: threading.Event
    result: list[bool] = field(default_factory=list)


class Recorder:
    """Records visitor events into the analytics database without slowing the UI.

    ``emit`` may be called from any thread; everything else belongs to the thread that made the
    recorder. ``close()`` writes what is left (ending an open visit as ``shutdown``) and joins the
    writer thread. ``monotonic`` and ``wall`` are the clocks, replaceable for tests.
    """

    def __init__(
        self,
        path: Path,
        release: str,
        options: RecorderOptions | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.options = opts = options or RecorderOptions()
        self.path = Path(path)
        self._monotonic = monotonic
        # Unbounded on purpose: emit() itself refuses events past the cap, so a flush marker
        # or a release change can never push an event out uncounted.
        self._queue: collections.deque[tuple[float, Event | ReleaseChange | _Flush]] = (
            collections.deque()
        )
        self._queue_cap = max(1, opts.buffer_events)
        self._overflow = 0
        self._rejected = 0
        self._wake = threading.Event()
        self._closing = threading.Event()
        self._health = WriterState(opts.retry_s, opts.retry_max_s)
        kiosk_id = opts.kiosk_id.strip()
        if kiosk_id and not KIOSK_ID_RE.match(kiosk_id):
            self._health.incident(
                f"kiosk_id {kiosk_id[:40]!r} is not a short machine name "
                "(letters, digits, '.', '_', '-'); using the database's own id"
            )
            kiosk_id = ""
        self._store = Store(self.path, kiosk_id=kiosk_id, busy_timeout_s=opts.busy_timeout_s)
        # Writer-thread state from here on.
        self._maker = RowMaker(clean_release(release), monotonic, wall)
        self._raw: list[tuple[float, Event | ReleaseChange]] = []
        self._rows: list[Row] = []
        self._written = 0
        self._dropped = 0
        self._lost_mark = 0  # events lost when the last write succeeded
        self._last_write = time.monotonic()
        self._status = self._snapshot()
        self._thread = threading.Thread(target=self._run, name="analytics-writer", daemon=True)
        self._thread.start()

    # -- the UI thread's side ----------------------------------------------------------------

    def emit(self, event: Event) -> None:
        """Queue an event; never blocks, never raises. Anything but an event is refused."""
        if type(event) not in EVENT_TYPES:
            self._rejected += 1
            return
        if len(self._queue) >= self._queue_cap:
            self._overflow += 1  # the writer is stuck: drop the newest, count it
            return
        self._queue.append((self._monotonic(), event))

    def set_release(self, release: str) -> None:
        """The content release changed (a new collection swapped in between visits)."""
        self._queue.append((self._monotonic(), ReleaseChange(clean_release(release))))

    def status(self) -> RecorderStatus:
        """The writer's latest state, with live counts."""
        s = self._status
        return dataclasses.replace(
            s,
            pending=s.pending + len(self._queue),
            dropped=s.dropped + self._overflow,
            rejected=self._rejected,
        )

    def flush(self, timeout: float = 5.0) -> bool:
        """Ask the writer to write everything emitted so far; True once it is in the database.

        Returns False at once when the database cannot be written now, or after ``timeout``.
        """
        if not self._thread.is_alive():
            return False
        marker = _Flush(threading.Event())
        self._queue.append((0.0, marker))
        self._wake.set()
        if not marker.done.wait(timeout):
            return False
        return bool(marker.result and marker.result[0])

    def close(self, timeout: float = 10.0) -> None:
        """Write what is left and stop the writer thread (joined, up to ``timeout``)."""
        self._closing.set()
        self._wake.set()
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("analytics writer did not stop within %.0f s", timeout)

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the writer thread -------------------------------------------------------------------

    def _run(self) -> None:
        self._attempt_open()
        self._publish()
        while True:
            busy = len(self._queue) >= self.options.batch_max and self._health.state == "ok"
            if not busy:
                self._wake.wait(self._wait_s())
                self._wake.clear()
            closing = self._closing.is_set()
            try:
                self._cycle(force=closing)
            except Exception as exc:  # a bug here must not take the kiosk down
                log.exception("analytics writer")
                self._health.trouble(f"internal error: {type(exc).__name__}: {exc}")
            self._publish()
            if closing and not self._queue:
                break
        self._finish()

    def _wait_s(self) -> float:
        wait = self.options.flush_s
        if self._health.state == "degraded":
            wait = min(wait, max(0.01, self._health.next_try - time.monotonic()))
        return wait

    def _cycle(self, *, force: bool) -> None:
        waiters: list[_Flush] = []
        queue = self._queue
        for _ in range(min(len(queue), self.options.batch_max * 2)):
            mono, item = queue.popleft()
            if isinstance(item, _Flush):
                waiters.append(item)
            else:
                self._raw.append((mono, item))
        forced = force or bool(waiters)
        now = time.monotonic()
        due = forced or now >= self._health.next_try
        if not self._store.ready and due:
            self._attempt_open()
        if self._store.ready:
            self._convert()
        self._enforce_cap()
        if self._store.ready and due:
            full = len(self._rows) >= self.options.batch_max
            timely = self._rows and now - self._last_write >= self.options.flush_s
            # While degraded, an empty write probes whether the database is back.
            if self._health.state == "degraded" or (self._rows and (forced or full or timely)):
                self._write_rows()
        for waiter in waiters:
            ok = not self._rows and not self._raw and self._health.state == "ok"
            waiter.result.append(ok)
            waiter.done.set()

    def _attempt_open(self) -> None:
        for _ in range(3):
            try:
                self._store.open()
            except StoreProblem as problem:
                self._health.trouble(problem.message)
                if problem.retry_now:
                    continue
                return
            self._health.opened()
            return

    def _write_rows(self) -> None:
        attempts = 0
        while True:
            batch = self._rows[: self.options.batch_max]
            kiosk = self._store.kiosk_id
            assert kiosk is not None and self._store.next_visit is not None
            try:
                self._store.write(kiosk, batch, self._store.next_visit)
            except StoreProblem as problem:
                self._health.trouble(problem.message)
                attempts += 1
                if problem.retry_now and attempts < 3:
                    continue
                return
            del self._rows[: len(batch)]
            self._written += len(batch)
            self._last_write = time.monotonic()
            lost = self._dropped + self._overflow - self._lost_mark
            if self._health.state != "ok":
                # The recovery is itself recorded, as a fault row written just below.
                self._record_fault(self._health.recovered(lost))
            elif lost:
                note = f"{lost} events lost: more arrived between writes than buffer_events"
                self._health.incident(note)
                self._record_fault(note)
            self._lost_mark += lost
            if not self._rows:
                return

    def _record_fault(self, note: str) -> None:
        self._raw.append((self._monotonic(), Fault(FaultKind.ANALYTICS, note)))
        self._convert()

    def _enforce_cap(self) -> None:
        excess = len(self._raw) + len(self._rows) - self.options.buffer_events
        if excess <= 0:
            return
        from_rows = min(excess, len(self._rows))
        del self._rows[:from_rows]
        del self._raw[: excess - from_rows]
        self._dropped += excess

    def _convert(self) -> None:
        self._maker.convert(self._raw, self._rows, self._store)

    def _publish(self) -> None:
        self._status = self._snapshot()

    def _snapshot(self) -> RecorderStatus:
        return RecorderStatus(
            state=self._health.state,
            problem=self._health.problem,
            path=str(self.path),
            kiosk_id=self._store.kiosk_id or "",
            release=self._maker.release,
            written=self._written,
            pending=len(self._raw) + len(self._rows),
            dropped=self._dropped,
            rejected=0,
            incidents=tuple(self._health.incidents),
        )

    def _finish(self) -> None:
        if self._maker.visit is not None:
            self._raw.append((self._monotonic(), VisitEnded(EndReason.SHUTDOWN)))
        if not self._store.ready:
            self._attempt_open()
        if self._store.ready:
            self._convert()
            if self._rows:
                self._write_rows()
        left = len(self._rows) + len(self._raw)
        if left:
            log.warning("analytics: %d events could not be written before closing", left)
        self._store.close(checkpoint=True)
        self._health.state = "closed"
        self._publish()
