"""Thread plumbing of the decode stages: bounded hand-over, the read-ahead, the worker base.

Every item that crosses a thread here goes through a bounded queue (a :class:`BurstQueue`: its
producer refills it in bursts), and every put gives up when its stop flag is set, so a consumer
that has gone away never leaves a thread blocked.
:class:`Worker` is the base of the two decode threads (it stores errors instead of raising them
into the main thread); :class:`ReadAhead` runs one stage of a chain in a thread of its own.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

import av

from kiosk.media.errors import FaultKind, MediaError

log = logging.getLogger(__name__)

# The longest a waiting decode thread sleeps before it looks at its stop flag again; a stop
# wakes it at once (StopFlag), so this only bounds a missed wake-up.
WAIT_S = 0.5


class BurstQueue(queue.Queue[Any]):
    """A bounded queue whose producer, once it has filled it, waits until the consumer has
    taken it down to ``low`` items before it adds more.

    The producer then works in bursts instead of one item each time the consumer takes one.
    Waking a decode thread for every frame or sound chunk cost more than the work itself on a
    small machine shared with other programs (its caches cold each time): the audio thread took
    17 ms of CPU a second woken for each 21 ms chunk, and 6 ms woken for a dozen at a time.

    A put or a get notifies the other side only when a thread waits there (it counts them):
    ``Condition.notify`` costs as much Python as the rest of a hand-over, waiter or not, and
    each frame crosses two of these queues. :meth:`put_until` waits for room and puts under one
    lock.
    """

    def __init__(self, maxsize: int, low: int | None = None) -> None:
        super().__init__(maxsize)
        self.low = max(0, maxsize // 2 if low is None else min(low, maxsize - 1))
        self._wakes = 0  # counts wake(): a waiter that sees it change returns to its caller
        self._getters = 0  # threads waiting for an item
        self._putters = 0  # threads waiting for room

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        """As :meth:`queue.Queue.put`."""
        with self.mutex:
            if 0 < self.maxsize <= self._qsize():
                if not block:
                    raise queue.Full
                end = None if timeout is None else time.monotonic() + max(0.0, timeout)
                self._putters += 1
                try:
                    while self._qsize() >= self.maxsize:
                        if end is None:
                            self.not_full.wait()
                            continue
                        left = end - time.monotonic()
                        if left <= 0.0:
                            raise queue.Full
                        self.not_full.wait(left)
                finally:
                    self._putters -= 1
            self._add(item)

    def put_until(self, item: Any, stops: Iterable[threading.Event]) -> bool:
        """Put ``item`` unless one of ``stops`` is set; a full queue is waited on until the
        consumer has taken it down to ``low`` (or a :meth:`wake`), ``WAIT_S`` at a time."""
        with self.mutex:
            while True:
                for stop in stops:
                    if stop.is_set():
                        return False
                if self.maxsize <= 0 or self._qsize() < self.maxsize:
                    self._add(item)
                    return True
                end = time.monotonic() + WAIT_S
                wakes = self._wakes
                self._putters += 1
                try:
                    while self._qsize() > self.low and self._wakes == wakes:
                        left = end - time.monotonic()
                        if left <= 0.0:
                            break
                        self.not_full.wait(left)
                finally:
                    self._putters -= 1

    def _add(self, item: Any) -> None:
        # the mutex is held
        self._put(item)
        self.unfinished_tasks += 1
        if self._getters:
            self.not_empty.notify()

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        """As :meth:`queue.Queue.get`, but a waiting producer is woken only when the queue is
        down to ``low`` (it would only go back to waiting before that), and a :meth:`wake`
        ends a wait with a timeout (:class:`queue.Empty`)."""
        with self.mutex:
            if not self._qsize():
                if not block:
                    raise queue.Empty
                self._getters += 1
                try:
                    if timeout is None:
                        while not self._qsize():
                            self.not_empty.wait()
                    else:
                        end = time.monotonic() + max(0.0, timeout)
                        wakes = self._wakes
                        while not self._qsize():
                            left = end - time.monotonic()
                            # Woken by a stop: back to the caller, who looks at its flag
                            # (waiting on for the rest of the timeout made every stopped
                            # decoder linger 0.5 s).
                            if left <= 0.0 or self._wakes != wakes:
                                raise queue.Empty
                            self.not_empty.wait(left)
                finally:
                    self._getters -= 1
            item = self._get()
            if self._putters and self._qsize() <= self.low:
                self.not_full.notify()
            return item

    def wake(self) -> None:
        """Wake every thread waiting to put or to get (to look at its stop flag)."""
        with self.mutex:
            self._wakes += 1
            self.not_full.notify_all()
            self.not_empty.notify_all()


class StopFlag(threading.Event):
    """A stop flag that also wakes the threads waiting on the queues it watches.

    The decode threads wait for room in full queues most of the time (a preloaded segment's
    threads do nothing else); woken only by their consumer or their stop flag, they wait long
    without polling.
    """

    def __init__(self) -> None:
        super().__init__()
        self._queues: list[BurstQueue] = []

    def watch(self, q: queue.Queue[Any]) -> None:
        if isinstance(q, BurstQueue):
            self._queues.append(q)

    def set(self) -> None:
        super().set()
        for q in self._queues:
            q.wake()


class ReadAhead:
    """Runs an iterator in a thread of its own, ``size`` items ahead of the consumer.

    The video thread converts frames while this one keeps FFmpeg's frame-threaded decoder fed:
    converting in the feeding thread leaves the decoder's threads waiting for their next packet
    (on a light 720p clip swscale costs a quarter of the decode time, and it was all added to
    the wall time). Used as a context manager: leaving it stops the thread and joins it, also
    when the consumer stops early. An exception in the iterator is raised in the consumer.
    """

    _END = object()

    def __init__(self, items: Iterator[Any], stop: threading.Event, name: str, size: int = 6):
        self._items = items
        self._stop = stop
        self._quit = StopFlag()
        self._queue = BurstQueue(size)
        self._stops = (self._quit, stop)
        self._quit.watch(self._queue)
        if isinstance(stop, StopFlag):
            stop.watch(self._queue)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name=f"decode-{name}", daemon=True)

    def __enter__(self) -> ReadAhead:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._quit.set()
        while self._thread.is_alive():
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=0.05)  # unblock a put
        self._thread.join()

    def _main(self) -> None:
        try:
            for item in self._items:
                if not self._offer(item):
                    return
        except BaseException as e:  # handed to the consumer, which classifies it
            self._error = e
        self._offer(self._END)

    def _offer(self, item: Any) -> bool:
        return self._queue.put_until(item, self._stops)

    def __iter__(self) -> Iterator[Any]:
        # The thread always ends with _END unless the worker is being stopped.
        while not self._stop.is_set():
            try:
                item = self._queue.get(timeout=WAIT_S)
            except queue.Empty:
                continue
            if item is self._END:
                if self._error is not None:
                    raise self._error
                return
            yield item


class Worker:
    """Base of the two decode threads: a stop flag, a bounded queue, stored errors."""

    kind = "worker"

    def __init__(self, name: str, maxsize: int) -> None:
        self.queue = BurstQueue(maxsize)
        self.error: MediaError | None = None
        self.warnings: deque[MediaError] = deque(maxlen=32)
        self.done = threading.Event()
        self._stop = StopFlag()
        self._stops = (self._stop,)
        self._stop.watch(self.queue)
        self._thread = threading.Thread(target=self._main, name=f"{self.kind}-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to end; it does within one decode step. Does not wait."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        if self._thread.ident is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _put(self, item: Any) -> bool:
        return self.queue.put_until(item, self._stops)

    def _put_end(self, item: Any) -> None:
        # The end marker must get through even when the consumer is gone, without blocking.
        while True:
            try:
                self.queue.put_nowait(item)
                return
            except queue.Full:
                if not self._stop.is_set():
                    try:
                        self.queue.put(item, timeout=0.05)
                        return
                    except queue.Full:
                        continue
                with contextlib.suppress(queue.Empty):
                    self.queue.get_nowait()

    def _main(self) -> None:
        try:
            self._run()
        except MediaError as e:
            self.error = e
        except av.FFmpegError as e:
            self.error = MediaError(FaultKind.CORRUPT, f"FFmpeg: {e}")
        except MemoryError as e:
            self.error = MediaError(FaultKind.UNSUPPORTED_FORMAT, f"out of memory: {e}")
        except Exception as e:
            log.exception("%s thread crashed", self.kind)
            self.error = MediaError(FaultKind.INTERNAL, f"{type(e).__name__}: {e}")
        finally:
            self._finish()
            self.done.set()

    def _run(self) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        raise NotImplementedError
