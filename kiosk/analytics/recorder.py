"""The recorder: scenes hand it events on the UI thread; a writer thread puts them in SQLite.

``Recorder.emit(event)`` costs the UI thread one clock read and one deque append. A writer thread
wakes every ``flush_s`` seconds, turns the events into rows (time, visit number, sequence number,
content release) and inserts them in one transaction per batch. When the database cannot be
written (full disk, lock, read-only, deleted or damaged file) the writer keeps the rows in memory
up to ``buffer_events``, says what is wrong in :meth:`Recorder.status`, tries again with growing
pauses and, once it succeeds, records what happened as an ``analytics`` fault. The kiosk never
waits for the database and never stops because of it.

What a power cut can lose: the events of the last ``flush_s`` seconds (2 s by default) that were
still in memory, and the batch being committed at that instant. Committed batches survive: the
file is in WAL mode with ``synchronous=FULL``.

Times: a row's ``ts`` is wall-clock time derived from the monotonic clock, re-anchored when the
system clock is stepped (an NTP sync), and durations (visit length) come from the monotonic clock
alone, so a clock step never makes a visit negative or days long.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

from kiosk.analytics.events import (
    EVENT_TYPES,
    CaptionsToggled,
    EndReason,
    Event,
    ExplorerOpened,
    Fault,
    FaultKind,
    LanguageChosen,
    MirrorUsed,
    Scene,
    SceneViewed,
    SegmentStarted,
    SegmentWatched,
    VisitEnded,
    VisitStarted,
)
from kiosk.analytics.storage import Store, StoreProblem

log = logging.getLogger(__name__)

KIOSK_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
"""A configured kiosk id: a short machine name such as ``hall-2``."""

_RELEASE_BAD = re.compile(r"[^A-Za-z0-9._+-]")
_CLOCK_STEP_S = 2.0  # wall clock this far off the monotonic clock's account: it was stepped

Row = tuple[Any, ...]


@dataclass(frozen=True)
class RecorderOptions:
    """How the writer behaves. Defaults suit a kiosk; tests shorten the pauses."""

    flush_s: float = 2.0
    """Seconds between writes: the most a power cut can lose."""
    buffer_events: int = 50_000
    """Events kept in memory while the database cannot be written; the oldest go beyond this."""
    batch_max: int = 20_000
    """The most rows in one transaction."""
    retry_s: float = 1.0
    """First pause before trying a failed database again; doubled each time up to retry_max_s."""
    retry_max_s: float = 30.0
    """The longest pause between attempts."""
    busy_timeout_s: float = 0.25
    """How long one attempt waits for another program's lock."""
    kiosk_id: str = ""
    """This kiosk's name in merged reports; empty: a random id kept in the database."""

    @classmethod
    def from_settings(cls, analytics: Any) -> RecorderOptions:
        """Options from the ``analytics`` section of the machine settings."""
        return cls(
            flush_s=float(analytics.flush_s),
            buffer_events=int(analytics.buffer_events),
            kiosk_id=str(analytics.kiosk_id),
        )


@dataclass(frozen=True)
class RecorderStatus:
    """What the admin screen shows about analytics."""

    state: str
    """``starting``, ``ok``, ``degraded`` (events wait in memory), ``closed`` or ``off``."""
    problem: str
    """What is wrong now, in words; empty when nothing is."""
    path: str
    kiosk_id: str
    release: str
    written: int
    """Events written since start."""
    pending: int
    """Events waiting to be written."""
    dropped: int
    """Events lost since start (memory full while the database could not be written)."""
    rejected: int
    """Objects handed to emit() that are not analytics events (a programming mistake)."""
    incidents: tuple[str, ...] = ()
    """Recent troubles and recoveries, oldest first, each with its local time."""

    @property
    def ok(self) -> bool:
        return self.state in ("ok", "starting", "off", "closed") and not self.problem

    def line(self) -> str:
        """One line for the admin screen."""
        if self.state == "off":
            return "analytics: off"
        text = f"analytics: {self.state}, {self.written} written, {self.pending} waiting"
        if self.dropped:
            text += f", {self.dropped} lost"
        if self.problem:
            text += f": {self.problem}"
        return text


class RecorderLike(Protocol):
    """What the UI needs from a recorder; both Recorder and NullRecorder provide it."""

    def emit(self, event: Event) -> None: ...
    def set_release(self, release: str) -> None: ...
    def status(self) -> RecorderStatus: ...
    def flush(self, timeout: float = 5.0) -> bool: ...
    def close(self, timeout: float = 10.0) -> None: ...


def clean_release(release: str) -> str:
    """A content release name fit for the database: ``[A-Za-z0-9._+-]``, at most 64 long."""
    return _RELEASE_BAD.sub("_", str(release))[:64] or "unknown"


def local_iso(t: float) -> str:
    """Unix time as local ISO 8601 with milliseconds and UTC offset (the reference version)."""
    lt = time.localtime(t)
    off = lt.tm_gmtoff or 0
    ms = int((t - int(t)) * 1000)
    return f"{time.strftime('%Y-%m-%dT%H:%M:%S', lt)}.{ms:03d}{_offset(off)}"


def _offset(seconds: int) -> str:
    sign = "+" if seconds >= 0 else "-"
    seconds = abs(seconds)
    return f"{sign}{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


class LocalTimeFormatter:
    """:func:`local_iso`, fast: the UTC offset is looked up once per minute (zones change offset
    on a whole minute) and the date once per local day; the rest is arithmetic."""

    def __init__(self) -> None:
        self._block = -1
        self._off = 0
        self._suffix = ""
        self._day = -1
        self._date = ""

    def __call__(self, t: float) -> str:
        block = int(t // 60)
        if block != self._block:
            off = time.localtime(block * 60).tm_gmtoff or 0
            self._block, self._off, self._suffix = block, off, _offset(off)
        local = t + self._off
        day = int(local // 86400)
        if day != self._day:
            self._day = day
            self._date = time.strftime("%Y-%m-%d", time.gmtime(day * 86400))
        rest = local - day * 86400
        whole = int(rest)
        minutes, sec = divmod(whole, 60)
        hours, minutes = divmod(minutes, 60)
        two = _TWO_DIGITS
        return (
            f"{self._date}T{two[hours]}:{two[minutes]}:{two[sec]}"
            f"{_MILLIS[int((rest - whole) * 1000)]}{self._suffix}"
        )


_TWO_DIGITS = tuple(f"{i:02d}" for i in range(60))
_MILLIS = tuple(f".{i:03d}" for i in range(1000))


@dataclass(frozen=True)
class _Release:
    release: str


@dataclass(frozen=True)
class _Flush:
    done: threading.Event
    result: list[bool] = field(default_factory=list)


class NullRecorder:
    """A recorder that records nothing (analytics switched off, or a test that does not care)."""

    def __init__(self, release: str = "") -> None:
        self._release = clean_release(release) if release else ""

    def emit(self, event: Event) -> None:
        """Accept and forget an event."""

    def set_release(self, release: str) -> None:
        self._release = clean_release(release)

    def status(self) -> RecorderStatus:
        return RecorderStatus("off", "", "", "", self._release, 0, 0, 0, 0)

    def flush(self, timeout: float = 5.0) -> bool:
        return True

    def close(self, timeout: float = 10.0) -> None:
        pass

    def __enter__(self) -> NullRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
        self._wall = wall
        # Unbounded on purpose: emit() itself refuses events past the cap, so a flush marker
        # or a release change can never push an event out uncounted.
        self._queue: collections.deque[tuple[float, Event | _Release | _Flush]] = (
            collections.deque()
        )
        self._queue_cap = max(1, opts.buffer_events)
        self._overflow = 0
        self._rejected = 0
        self._wake = threading.Event()
        self._closing = threading.Event()
        self._incidents: collections.deque[str] = collections.deque(maxlen=20)
        kiosk_id = opts.kiosk_id.strip()
        if kiosk_id and not KIOSK_ID_RE.match(kiosk_id):
            self._incident(
                f"kiosk_id {kiosk_id[:40]!r} is not a short machine name "
                "(letters, digits, '.', '_', '-'); using the database's own id"
            )
            kiosk_id = ""
        self._store = Store(self.path, kiosk_id=kiosk_id, busy_timeout_s=opts.busy_timeout_s)
        # Writer-thread state from here on.
        self._release = clean_release(release)
        # 52 bits: unique enough across every start of every kiosk, and exact in JavaScript
        # (a Datasette page or any JSON reader), whose numbers stop being exact past 2**53.
        self._run_id = secrets.randbits(52) + 1
        self._seq = 0
        self._visit: int | None = None
        self._visit_start = 0.0
        self._anchor = (wall(), monotonic())
        self._iso = LocalTimeFormatter()
        self._raw: list[tuple[float, Event | _Release]] = []
        self._rows: list[Row] = []
        self._written = 0
        self._dropped = 0
        self._state = "starting"
        self._problem = ""
        self._trouble_since: float | None = None
        self._lost_mark = 0  # events lost when the last write succeeded
        self._next_try = 0.0
        self._pause = opts.retry_s
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
        self._queue.append((self._monotonic(), _Release(clean_release(release))))

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
            busy = len(self._queue) >= self.options.batch_max and self._state == "ok"
            if not busy:
                self._wake.wait(self._wait_s())
                self._wake.clear()
            closing = self._closing.is_set()
            try:
                self._cycle(force=closing)
            except Exception as exc:  # a bug here must not take the kiosk down
                log.exception("analytics writer")
                self._trouble(f"internal error: {type(exc).__name__}: {exc}")
            self._publish()
            if closing and not self._queue:
                break
        self._finish()

    def _wait_s(self) -> float:
        wait = self.options.flush_s
        if self._state == "degraded":
            wait = min(wait, max(0.01, self._next_try - time.monotonic()))
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
        due = forced or now >= self._next_try
        if not self._store.ready and due:
            self._attempt_open()
        if self._store.ready:
            self._convert()
        self._enforce_cap()
        if self._store.ready and due:
            full = len(self._rows) >= self.options.batch_max
            timely = self._rows and now - self._last_write >= self.options.flush_s
            # While degraded, an empty write probes whether the database is back.
            if self._state == "degraded" or (self._rows and (forced or full or timely)):
                self._write_rows()
        for waiter in waiters:
            waiter.result.append(not self._rows and not self._raw and self._state == "ok")
            waiter.done.set()

    def _attempt_open(self) -> None:
        for _ in range(3):
            try:
                self._store.open()
            except StoreProblem as problem:
                self._trouble(problem.message)
                if problem.retry_now:
                    continue
                return
            if self._state != "degraded":
                self._state = "ok"
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
                self._trouble(problem.message)
                attempts += 1
                if problem.retry_now and attempts < 3:
                    continue
                return
            del self._rows[: len(batch)]
            self._written += len(batch)
            self._last_write = time.monotonic()
            lost = self._dropped + self._overflow - self._lost_mark
            if self._state != "ok":
                self._recovered(lost)  # queues an analytics fault row, written just below
            elif lost:
                note = f"{lost} events lost: more arrived between writes than buffer_events"
                self._incident(note)
                self._raw.append((self._monotonic(), Fault(FaultKind.ANALYTICS, note)))
                self._convert()
            self._lost_mark += lost
            if not self._rows:
                return

    def _trouble(self, message: str) -> None:
        now = time.monotonic()
        if self._trouble_since is None:
            self._trouble_since = now
            self._pause = self.options.retry_s
        else:
            self._pause = min(self._pause * 2, self.options.retry_max_s)
        if message != self._problem:
            log.warning("analytics: %s", message)
            self._incident(message)
        self._state = "degraded"
        self._problem = message
        self._next_try = now + self._pause

    def _recovered(self, lost: int) -> None:
        since = self._trouble_since if self._trouble_since is not None else time.monotonic()
        took = time.monotonic() - since
        # Numbers first: a fault reason is cut at 120 characters, the problem's tail may go.
        note = f"writing again after {took:.0f} s, {lost} events lost: {self._problem}"
        log.info("analytics: %s", note)
        self._incident(f"recovered: {note}")
        self._state, self._problem = "ok", ""
        self._trouble_since = None
        self._pause = self.options.retry_s
        self._next_try = 0.0
        self._raw.append((self._monotonic(), Fault(FaultKind.ANALYTICS, note)))
        self._convert()

    def _incident(self, message: str) -> None:
        self._incidents.append(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {message}")

    def _enforce_cap(self) -> None:
        excess = len(self._raw) + len(self._rows) - self.options.buffer_events
        if excess <= 0:
            return
        from_rows = min(excess, len(self._rows))
        del self._rows[:from_rows]
        del self._raw[: excess - from_rows]
        self._dropped += excess

    def _publish(self) -> None:
        self._status = self._snapshot()

    def _snapshot(self) -> RecorderStatus:
        return RecorderStatus(
            state=self._state,
            problem=self._problem,
            path=str(self.path),
            kiosk_id=self._store.kiosk_id or "",
            release=self._release,
            written=self._written,
            pending=len(self._raw) + len(self._rows),
            dropped=self._dropped,
            rejected=0,
            incidents=tuple(self._incidents),
        )

    def _finish(self) -> None:
        if self._visit is not None:
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
        self._state = "closed"
        self._publish()

    # -- events to rows ----------------------------------------------------------------------

    def _convert(self) -> None:
        if not self._raw:
            return
        now_wall, now_mono = self._wall(), self._monotonic()
        anchor_wall, anchor_mono = self._anchor
        drift = now_wall - (anchor_wall + (now_mono - anchor_mono))
        if abs(drift) > _CLOCK_STEP_S:
            log.info("analytics: the system clock was stepped by %+.1f s", drift)
            self._anchor = (anchor_wall, anchor_mono) = (now_wall, now_mono)
        offset = anchor_wall - anchor_mono
        rows = self._rows
        iso = self._iso
        for mono, item in self._raw:
            if isinstance(item, _Release):
                self._release = item.release
                continue
            row = self._row(mono, iso(offset + mono), item)
            if row is not None:
                rows.append(row)
        self._raw.clear()

    def _row(self, mono: float, ts: str, event: Event) -> Row | None:
        kind = type(event)
        if kind is VisitStarted:
            if self._visit is not None:
                ended = self._row(mono, ts, VisitEnded(EndReason.INTERRUPTED))
                if ended is not None:
                    self._rows.append(ended)
            store = self._store
            assert store.next_visit is not None
            self._visit = store.next_visit
            store.next_visit += 1
            self._visit_start = mono
            extra: tuple[Any, ...] = _NOTHING
        elif kind is VisitEnded:
            if self._visit is None:
                return None  # no visit to end
            length = round(max(0.0, mono - self._visit_start), 3)
            reason = _VALUE[event.reason]  # type: ignore[attr-defined]
            extra = (None, None, None, None, None, reason, None, length, None)
            visit = self._visit
            self._visit = None
            self._seq += 1
            return (self._run_id, self._seq, ts, self._release, visit, event.event, *extra)
        else:
            extra = _FIELDS[kind](event)
        self._seq += 1
        return (self._run_id, self._seq, ts, self._release, self._visit, event.event, *extra)


# An event's own columns, after the common ones:
#   scene explorer segment lang captions reason fault seconds length_s
_NOTHING: tuple[Any, ...] = (None,) * 9
_VALUE: Mapping[StrEnum, str] = MappingProxyType(
    {m: m.value for enum in (Scene, EndReason, FaultKind) for m in enum}
)
_FIELDS: Mapping[type, Callable[[Any], tuple[Any, ...]]] = MappingProxyType(
    {
        SceneViewed: lambda e: (_VALUE[e.scene], None, None, None, None, None, None, None, None),
        ExplorerOpened: lambda e: (None, e.slug, None, None, None, None, None, None, None),
        SegmentStarted: lambda e: (None, e.slug, e.segment, None, None, None, None, None, None),
        SegmentWatched: lambda e: (
            None,
            e.slug,
            e.segment,
            None,
            None,
            None,
            None,
            e.watched_s,
            e.duration_s,
        ),
        LanguageChosen: lambda e: (None, None, None, e.lang, None, None, None, None, None),
        CaptionsToggled: lambda e: (None, None, None, None, int(e.on), None, None, None, None),
        MirrorUsed: lambda e: (None, None, None, None, None, None, None, e.duration_s, None),
        Fault: lambda e: (None, None, None, None, None, e.reason, _VALUE[e.kind], None, None),
    }
)
