"""Boot counting: a new release must prove it starts, or the kiosk goes back to the previous one.

``ROOT/state.json`` records the current release, how often it started without being confirmed,
the release to go back to, and the releases that failed. The app calls :func:`begin_boot` at each
start and :func:`confirm` once an explorer has loaded; a release that fails to start
``max_boots`` times is left for the previous one, like an A/B update with boot counting, and
:func:`reject` leaves it at once.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.delivery.releases.durable import Job, locked, switch, write_durable
from kiosk.delivery.releases.listing import Release, current_release, older_than, release

log = logging.getLogger(__name__)

DEFAULT_MAX_BOOTS = 3


@dataclass
class State:
    """``ROOT/state.json``: how the current release is doing, and where to go back to."""

    release: str | None = None
    previous: str | None = None
    boots: int = 0
    confirmed: bool = False
    bad: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "release": self.release,
            "previous": self.previous,
            "boots": self.boots,
            "confirmed": self.confirmed,
            "bad": self.bad,
        }


def read_state(root: Path) -> State:
    try:
        data = json.loads((Path(root) / "state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return State()
    if not isinstance(data, dict):
        return State()

    def text(key: str) -> str | None:
        value = data.get(key)
        return value if isinstance(value, str) else None

    boots = data.get("boots")
    bad = data.get("bad")
    return State(
        release=text("release"),
        previous=text("previous"),
        boots=boots if isinstance(boots, int) and boots >= 0 else 0,
        confirmed=data.get("confirmed") is True,
        bad=[b for b in bad if isinstance(b, str)] if isinstance(bad, list) else [],
    )


def write_state(root: Path, state: State, job: Job) -> None:
    data = json.dumps(state.as_dict(), indent=1).encode("utf-8") + b"\n"
    write_durable(root / "state.json", data, job)


def _state_of(root: Path, current: Release) -> State:
    state = read_state(root)
    if state.release != current.name:
        # Installed (or switched by hand) but the state was not written yet: start counting.
        before = state.release if state.release and release(root, state.release) else None
        state = State(release=current.name, previous=before, bad=state.bad)
    return state


def _fall_back(root: Path, current: Release, state: State, job: Job) -> Release | None:
    """Leave ``current`` for its previous release and mark it bad; None if there is none."""
    previous = release(root, state.previous) if state.previous else None
    if previous is None:
        return None
    switch(root, previous.name, job)
    bad = [*state.bad, current.base][-20:]
    older = older_than(root, previous, {current.name, *bad})
    write_state(root, State(previous.name, older.name if older else None, 1, False, bad), job)
    return previous


def begin_boot(root: Path, max_boots: int = DEFAULT_MAX_BOOTS) -> Release | None:
    """Count a start of the current release; past ``max_boots`` unconfirmed, go back.

    The app calls this before loading content and :func:`confirm` once an explorer has loaded.
    Returns the release to show (None when nothing is installed).
    """
    root = Path(root)
    if not (root / "current").is_symlink():
        return None
    with locked(root):
        job = Job(root)
        current = current_release(root)
        if current is None:
            return None
        state = _state_of(root, current)
        if state.confirmed:
            return current
        state.boots += 1
        if state.boots > max_boots:
            previous = _fall_back(root, current, state, job)
            if previous is not None:
                log.warning(
                    "content release %s did not start %d times; back to %s",
                    current.name,
                    max_boots,
                    previous.name,
                )
                return previous
        write_state(root, state, job)
        return current


def reject(root: Path) -> Release | None:
    """The current release cannot be shown (no explorer loads): go back to the previous now.

    For the app when it finds the release unusable without crashing. A release already confirmed
    is kept (a later failure is not the release's fault). Returns the release to show now.
    """
    root = Path(root)
    if not (root / "current").is_symlink():
        return None
    with locked(root):
        current = current_release(root)
        if current is None:
            return None
        state = _state_of(root, current)
        if state.confirmed:
            return current
        previous = _fall_back(root, current, state, Job(root))
        if previous is not None:
            log.warning(
                "content release %s cannot be shown; back to %s", current.name, previous.name
            )
            return previous
        return current


def confirm(root: Path) -> None:
    """The current release started well: stop counting its boots."""
    root = Path(root)
    if not (root / "current").is_symlink():
        return
    with locked(root):
        current = current_release(root)
        if current is None:
            return
        state = _state_of(root, current)
        if state.confirmed:
            return
        state.confirmed, state.boots = True, 0
        write_state(root, state, Job(root))
