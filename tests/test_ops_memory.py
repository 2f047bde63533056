"""The heap trimmer gives the memory that clips leave behind back to the system."""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
import time

import pytest

from kiosk.media.allocator import tune_allocator
from kiosk.ops import memory
from kiosk.ops.memory import HeapTrimmer, rss_kb
from testkit.waits import wait_for

glibc = pytest.mark.skipif(memory._malloc_trim() is None, reason="malloc_trim is glibc's")


def _fragment_heap(blocks: int, size: int) -> list[int]:
    """Allocate ``blocks`` buffers in the heap, touch them, free all but every tenth.

    The kept ones pin the heap's top, so glibc cannot shrink it on its own: what is left is
    what a day of clips leaves, free memory that stays resident.
    """
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    ptrs = [libc.malloc(size) for _ in range(blocks)]
    assert all(ptrs)
    for p in ptrs:
        ctypes.memset(p, 1, size)
    kept = ptrs[9::10]
    for i, p in enumerate(ptrs):
        if i % 10 != 9:
            libc.free(p)
    return kept


def _free(ptrs: list[int]) -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.free.argtypes = [ctypes.c_void_p]
    for p in ptrs:
        libc.free(p)


@glibc
def test_trim_gives_freed_heap_pages_back() -> None:
    assert tune_allocator()  # as the kiosk runs: 1-8 MB frame buffers stay in the heap
    kept = _fragment_heap(200, 1 << 20)  # 180 MB freed between 20 MB still in use
    try:
        trimmer = HeapTrimmer()
        before = rss_kb()
        released = trimmer.trim_now()
        assert released > 100 * 1024, f"only {released} kB given back"
        assert rss_kb() < before - 100 * 1024
        assert trimmer.trims == 1 and trimmer.released_kb == released and trimmer.last_ms > 0
    finally:
        _free(kept)


@glibc
def test_requests_are_served_by_one_thread_and_coalesced() -> None:
    with HeapTrimmer(interval_s=3600, min_gap_s=0.3) as trimmer:
        names = [t.name for t in threading.enumerate()]
        assert names.count("heap-trim") == 1
        trimmer.request()
        assert wait_for(lambda: trimmer.trims >= 1)
        assert trimmer.trims == 1
        for _ in range(20):  # a burst of visits ending: one more trim, after the gap
            trimmer.request()
        assert wait_for(lambda: trimmer.trims >= 2)
        time.sleep(3 * trimmer.min_gap_s)  # room for a third trim, if the burst had asked twice
        assert trimmer.trims == 2
    assert "heap-trim" not in [t.name for t in threading.enumerate()]


@glibc
def test_trims_on_its_own_when_nobody_comes() -> None:
    with HeapTrimmer(interval_s=0.05, min_gap_s=0.0) as trimmer:
        assert wait_for(lambda: trimmer.trims >= 3)


def test_without_glibc_it_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "_malloc_trim", lambda: None)
    before = threading.active_count()
    with HeapTrimmer() as trimmer:
        assert not trimmer.available
        trimmer.request()
        assert trimmer.trim_now() == 0
        assert threading.active_count() == before
