"""Hand freed heap memory back to the system between visits, so months of visits stay flat.

Every clip decodes into fresh multi-megabyte buffers in several threads, and the sizes vary
(a 720p clip, a 1080p one, the mirror's camera frames). glibc keeps what is freed inside its
heaps for reuse, but the holes left between buffers still in use are never returned: a soak of
1000 visits showed the heap's free space grow from 40 to 290 MB while the memory in use stayed
between 45 and 180 MB, and the resident size grew ~30 % after warm-up. ``malloc_trim(0)`` gives
the free pages in the middle of every heap back (``madvise``) without moving anything.

The trim takes 10-30 ms and locks each heap while it walks it, so it runs in one long-lived
thread of its own, never on the UI thread: :meth:`HeapTrimmer.request` (a visit ended, a new
content release is showing) wakes it, and it also trims every ``interval_s`` for days on which
nobody comes. On a C library other than glibc it does nothing (``available`` is False).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import threading
import time
from typing import Any

log = logging.getLogger(__name__)


def _malloc_trim() -> Any | None:
    name = ctypes.util.find_library("c")
    if name is None or "libc" not in name:
        return None
    try:
        fn = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None  # musl and others have no malloc_trim
    fn.argtypes = [ctypes.c_size_t]
    fn.restype = ctypes.c_int
    return fn


def rss_kb() -> int:
    """This process's resident memory in kB (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except (OSError, ValueError, IndexError):
        return 0


class HeapTrimmer:
    """One thread that trims the C heap on request and every ``interval_s`` seconds."""

    def __init__(self, interval_s: float = 600.0, min_gap_s: float = 5.0) -> None:
        self.interval_s = interval_s
        self.min_gap_s = min_gap_s  # several requests in a row cost one trim
        self._trim = _malloc_trim()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last = -float("inf")
        self.trims = 0
        self.released_kb = 0  # resident memory given back, in all
        self.last_ms = 0.0

    @property
    def available(self) -> bool:
        return self._trim is not None

    def start(self) -> HeapTrimmer:
        if self._trim is not None and self._thread is None:
            self._thread = threading.Thread(target=self._main, name="heap-trim", daemon=True)
            self._thread.start()
        return self

    def request(self) -> None:
        """Trim soon (returns at once; the UI thread never waits for it)."""
        self._wake.set()

    def trim_now(self) -> int:
        """Trim in this thread; returns the resident kilobytes given back."""
        if self._trim is None:
            return 0
        before = rss_kb()
        t0 = time.perf_counter()
        self._trim(0)
        self.last_ms = (time.perf_counter() - t0) * 1000
        self._last = time.monotonic()
        released = max(0, before - rss_kb())
        self.trims += 1
        self.released_kb += released
        log.debug("heap trimmed in %.1f ms, %d kB given back", self.last_ms, released)
        return released

    def _main(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval_s)
            if self._stop.is_set():
                return
            wait = self._last + self.min_gap_s - time.monotonic()
            if wait > 0 and self._stop.wait(wait):
                return
            self._wake.clear()  # requests made while waiting are served by this trim
            try:
                self.trim_now()
            except Exception:  # never let housekeeping take the kiosk down
                log.exception("heap trim failed")
                return

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None

    def __enter__(self) -> HeapTrimmer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
