"""Test kit: wait for the event a test is about, with a timeout only as a safety net.

Tests assert what happened, not how fast: :func:`wait_for` polls a condition until it holds and
says whether it did, so a slow or busy machine makes a test slower, never red.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_for(condition: Callable[[], object], timeout: float = 10.0, poll: float = 0.005) -> bool:
    """Poll ``condition`` until it is true (returns True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return bool(condition())
        time.sleep(poll)
    return True
