"""Pages of media, segments and captions (filled in below)."""

from __future__ import annotations

from typing import Any


def routes() -> list[Any]:
    return []
