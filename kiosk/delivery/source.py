"""Where the running kiosk gets its collection, and how a new one reaches it.

Either a fixed folder (``kiosk run --content DIR``, the demo), or the installed releases
(``paths.releases``): then start-up counts the boot of an unconfirmed release and falls back to
the previous one past the limit, a release that loads no explorer is rejected at once, and a
watcher thread notices a newly installed release (by ``kiosk content install``, or by its
``scan``: a pack found on a USB stick or in the fleet's folder) and loads it off the main thread.
The loop swaps it in only at an attract boundary, never in the middle of a visit. A kiosk with
nothing installed yet shows its content folder and watches the same way for its first release.

Pure of pygame and PyAV: media are probed through a function passed in.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kiosk.content.loader import load_collection
from kiosk.content.model import Collection
from kiosk.content.validate import Prober
from kiosk.delivery import releases
from kiosk.delivery.releases.boot import DEFAULT_MAX_BOOTS
from kiosk.delivery.signing import PublicKey

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Loaded:
    """A collection ready to show, and the release it came from ("" for a plain folder)."""

    collection: Collection
    release: str


def load_showable(folder: Path) -> Collection | None:
    """The collection in ``folder`` if it has at least one explorer to show; problems logged."""
    result = load_collection(folder)
    for p in result.errors:
        log.error("%s", p)
    if result.collection is None or not result.collection.explorers:
        log.error("the collection in %s cannot be shown", folder)
        return None
    return result.collection


class ContentSource:
    """The kiosk's collection, with boot counting and live reload for installed releases.

    ``folder`` alone: a plain folder, never reloaded. ``releases_root`` alone: the installed
    releases. Both: the folder until a first release is installed there, then the releases.
    """

    POLL_S = 5.0  # how often the watcher looks for a new release (and scans the watched folder)

    def __init__(
        self,
        folder: Path | None,
        releases_root: Path | None,
        *,
        max_boots: int = DEFAULT_MAX_BOOTS,
        scan: Callable[[], object] | None = None,
    ) -> None:
        self.folder = folder
        self.root = releases_root
        self.max_boots = max_boots
        self.scan = scan
        self.release = ""
        self._pending: Loaded | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def uses_releases(self) -> bool:
        """An installed release is shown (not the plain folder)."""
        return self.root is not None and (self.folder is None or bool(self.release))

    def load_initial(self) -> Loaded | None:
        """What to show at start-up; counts the boot of an unconfirmed release."""
        if not self.uses_releases:
            folder = self.folder
            collection = load_showable(folder) if folder is not None else None
            return Loaded(collection, "") if collection is not None else None
        assert self.root is not None
        try:
            release = releases.begin_boot(self.root, self.max_boots)
        except OSError as exc:
            log.error("content releases in %s cannot be read: %s", self.root, exc)
            return None
        for _ in range(self.max_boots + 1):
            if release is None:
                return None
            collection = load_showable(release.content)
            if collection is not None:
                self.release = release.name
                return Loaded(collection, release.name)
            # Unusable without crashing: leave it now rather than after more boots.
            previous = releases.reject(self.root)
            if previous is None or previous.name == release.name:
                return None
            release = previous
        return None

    def confirm(self) -> None:
        """The shown release started well (an explorer loaded and the screen was drawn)."""
        if self.uses_releases and self.release and self.root is not None:
            try:
                releases.confirm(self.root)
            except OSError as exc:
                log.warning("cannot confirm release %s: %s", self.release, exc)

    # -- the watcher ---------------------------------------------------------------------------
    def start(self) -> None:
        if self.root is not None and self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="content-watch", daemon=True)
            self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(self.POLL_S):
            try:
                self.check_once()
            except Exception as exc:  # the watcher degrades; the exhibit keeps its collection
                log.error("content watcher: %s", exc)

    def check_once(self) -> Loaded | None:
        """Scan the watched folder, then load a newly installed release if there is one."""
        if self.scan is not None:
            self.scan()
        if self.root is None:
            return None
        current = releases.current_release(self.root)
        if current is None or current.name == self.release:
            return None
        with self._lock:
            if self._pending is not None and self._pending.release == current.name:
                return self._pending
        collection = load_showable(current.content)
        if collection is None:
            releases.reject(self.root)
            return None
        loaded = Loaded(collection, current.name)
        with self._lock:
            self._pending = loaded
        log.info("content release %s is ready; it will show when the visit ends", current.name)
        return loaded

    def take_pending(self) -> Loaded | None:
        """A newly loaded collection, once; the caller shows it from now on."""
        with self._lock:
            loaded, self._pending = self._pending, None
        if loaded is not None:
            self.release = loaded.release
        return loaded

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None


def combine_scans(scans: Sequence[Callable[[], object]]) -> Callable[[], object] | None:
    """One ``scan`` for the content watcher that runs each of ``scans`` in turn (the USB sticks
    first, then the fleet); one that fails is logged and the next still runs. None for none."""
    if not scans:
        return None

    def scan() -> object:
        results: list[object] = []
        for one in scans:
            try:
                results.append(one())
            except Exception as exc:  # one channel degrades; the others still bring packs
                log.error("content watcher: %s", exc)
        return results

    return scan


def load_trusted(values: Sequence[str], base_dir: Path) -> list[PublicKey]:
    """The keys of ``content.trusted_keys``; one that cannot be read is logged and left out."""
    trusted = []
    for value in values:
        try:
            trusted.append(PublicKey.from_setting(value, base_dir))
        except Exception as exc:  # a broken key setting must not stop the exhibit
            log.error("trusted key %r cannot be read: %s", value, exc)
    return trusted


def make_scan(
    watch_folder: Path,
    root: Path,
    trusted_keys: list[str],
    base_dir: Path,
    probe: Prober | None,
    keep: int,
    max_bytes: int,
) -> Callable[[], object]:
    """One pass over the watched folder (USB sticks), installing new signed packs."""

    def scan() -> object:
        if not watch_folder.is_dir():
            return []
        trusted = load_trusted(trusted_keys, base_dir)
        return releases.scan_watch_folder(
            watch_folder, root, trusted, probe=probe, keep=keep, max_bytes=max_bytes
        )

    return scan
