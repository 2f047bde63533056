"""The kiosk's own parts the studio reuses, imported in one place.

The studio never has its own copy of a rule or of the renderer: the loader, the validator (with
the same probe, fonts and screen checks as ``kiosk content validate``), the packs and signing, the
polar map and the scenes all come from the kiosk. Heavy modules (pygame, PyAV) are imported when
first used, so starting the studio and its fast tests stay light.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from kiosk.content.loader import LoadResult, load_collection
from kiosk.content.model import LANG_RE, SLUG_RE
from kiosk.content.validate import Report, check_captions, validate
from kiosk.settings import Settings, ValidationSettings
from kiosk.yamlsrc import Problem

__all__ = [
    "LANG_RE",
    "SLUG_RE",
    "LoadResult",
    "Problem",
    "Report",
    "Settings",
    "ValidationSettings",
    "check_captions",
    "load_collection",
    "validate",
]


def validator_args(settings: Settings) -> dict[str, Any]:
    """The fonts and screen checks ``kiosk content validate`` passes to the validator."""
    from kiosk.ui import theme
    from kiosk.ui.fit import screen_checks

    return {
        "rules": settings.validation,
        "fonts": list(theme.FONTS.values()),
        "extra": screen_checks(settings),
    }


def deep_probe() -> Callable[[Path], Any]:
    """The media probe ``kiosk content validate`` uses (reads each file to its end)."""
    from kiosk.media.probe import probe_deep

    return probe_deep


def quick_probe(path: Path) -> Any:
    from kiosk.media.probe import probe

    return probe(path)


def probe_error() -> type[Exception]:
    from kiosk.media.probe import ProbeError

    return ProbeError


def playable_codecs() -> Iterable[str]:
    from kiosk.content import validate as v

    return v.PLAYABLE_CODECS


def packs() -> Any:
    """The kiosk's packs module (make_pack, PackError, PACK_SUFFIX)."""
    from kiosk.delivery import packs as p

    return p


def signing() -> Any:
    """The kiosk's signing module (SecretKey, SigningError)."""
    from kiosk.delivery import signing as s

    return s
