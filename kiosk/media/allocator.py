"""glibc's allocator tuned for video-frame buffers: reused, not handed back, two arenas.

The player calls :func:`tune_allocator` when it is made (``Player(tune_malloc=True)``, the
default); the kiosk gives the heap's free part back between visits (``kiosk.ops.memory``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

_M_TRIM_THRESHOLD = -1  # glibc mallopt() parameters
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
ARENAS = 2  # as MALLOC_ARENA_MAX=2 in the kiosk's unit; applies however the kiosk is started


@functools.cache  # once per process: mallopt settings are process-wide
def tune_allocator() -> bool:
    """Keep video-frame-sized blocks in the C heap for reuse (glibc only; once per process).

    Each decoded and converted frame is a fresh 1-8 MB buffer, allocated in a decoder thread
    and freed on the main thread. glibc hands blocks that large back to the kernel on free
    (mmap threshold, heap trimming), so every new frame faults its pages in again: ~400 page
    faults per 1080p frame, 1-3 ms of CPU. Raising both thresholds makes the freed buffers
    reusable; the cost is that the heap keeps its high-water mark, which for a kiosk showing
    video all day is the working set anyway (the kiosk gives the free part back between visits,
    see ``kiosk.ops.memory``).

    It also caps glibc at two heaps ("arenas"): by default every thread that allocates may get a
    heap of its own (up to 8 per core), and the clip, mirror and audio threads each kept a
    high-water mark of frames; a 1200-visit soak measured 650-720 MB resident that way against
    ~410 MB with two, at the same speed. Returns whether the allocator was tuned.
    """
    try:
        name = ctypes.util.find_library("c")
        if name is None or "libc" not in name:
            return False
        libc = ctypes.CDLL(name)
        if not hasattr(libc, "mallopt"):
            return False
        ok = (
            libc.mallopt(_M_MMAP_THRESHOLD, 32 * 2**20)
            and libc.mallopt(_M_TRIM_THRESHOLD, 256 * 2**20)
            and libc.mallopt(_M_ARENA_MAX, ARENAS)
        )
    except OSError:
        return False
    return bool(ok)
