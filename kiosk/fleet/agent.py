"""What a kiosk does for the fleet, in one call the content watcher makes every few seconds.

:meth:`FleetKiosk.scan` is meant to be the ``scan`` of the kiosk's
:class:`~kiosk.delivery.source.ContentSource` (beside the USB stick's): each call

1. installs the newest complete, verified pack from the ``packs`` folder
   (:class:`~kiosk.fleet.mesh.MeshInstaller`); the content watcher then loads the new release
   and the loop shows it at the next attract boundary, as for a USB stick;
2. exports a snapshot of the analytics database into the kiosk's ``stats-<kiosk>`` folder when
   the last one is older than ``export_every_s`` (:func:`~kiosk.fleet.stats.export_snapshot`);
3. rewrites ``status.json`` in the same folder when something in it changed: the release shown
   and installed, what became of each pack (refusals are the fleet's faults), the last export.
   The curator's ``kiosk fleet status`` reads it there.

It never raises: a failure is logged and the next call tries again. Call it from one thread
(the content watcher's): it keeps its memory in the fleet home's ``state.json``.
:meth:`FleetKiosk.wait` blocks until Syncthing reports a change in the ``packs`` folder (its
event stream), so a loop can react at once instead of polling.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kiosk import __version__
from kiosk.content.validate import Prober
from kiosk.delivery.packs import DEFAULT_MAX_PACK_BYTES
from kiosk.delivery.releases import current_release
from kiosk.delivery.signing import PublicKey
from kiosk.fleet.layout import (
    PACKS_FOLDER,
    STATUS_NAME,
    FleetError,
    FleetHome,
)
from kiosk.fleet.mesh import FINAL, REFUSED, MeshInstaller, Outcome, pack_names
from kiosk.fleet.rest import SyncthingClient, SyncthingError
from kiosk.fleet.stats import export_snapshot
from kiosk.fsutil import atomic_write

log = logging.getLogger(__name__)

DEFAULT_EXPORT_EVERY_S = 300.0
_WAKE_EVENTS = ("LocalIndexUpdated", "ItemFinished", "RemoteIndexUpdated")


class FleetKiosk:
    """A kiosk's fleet duties; see the module's docstring."""

    def __init__(
        self,
        home: FleetHome,
        root: Path,
        trusted: Sequence[PublicKey],
        *,
        analytics_db: Path | None = None,
        client: SyncthingClient | None = None,
        export_every_s: float = DEFAULT_EXPORT_EVERY_S,
        probe: Prober | None = None,
        keep: int = 3,
        max_bytes: int = DEFAULT_MAX_PACK_BYTES,
        shown: Callable[[], str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.home = home
        self.node = home.node()
        self.root = Path(root)
        self.client = client or SyncthingClient.from_config(home.config_xml)
        self.installer = MeshInstaller(
            home, self.client, root, trusted, probe=probe, keep=keep, max_bytes=max_bytes
        )
        self.analytics_db = analytics_db
        self.export_every_s = export_every_s
        self.shown = shown
        self.clock = clock
        self._since: int | None = None

    # -- the call ---------------------------------------------------------------------------------

    def scan(self) -> list[Outcome]:
        """Install, export and report, as due; never raises (see the module's docstring)."""
        outcomes: list[Outcome] = []
        try:
            outcomes = self.installer.scan()
        except Exception as exc:  # the fleet degrades; the exhibit keeps its collection
            log.error("fleet: installing from the packs folder failed: %s", exc)
        try:
            self.export_stats()
        except Exception as exc:
            log.error("fleet: statistics export failed: %s", exc)
        try:
            self.write_status()
        except Exception as exc:
            log.error("fleet: cannot write the status file: %s", exc)
        return outcomes

    def export_stats(self, *, force: bool = False) -> bool:
        """Export the analytics snapshot when one is due (or ``force``); True when written."""
        if self.analytics_db is None:
            return False
        state = self.home.read_state()
        stats: dict[str, Any] = state.get("stats", {})
        now = self.clock()
        if not force and now - float(stats.get("exported_at", 0)) < self.export_every_s:
            return False
        try:
            done, signature = export_snapshot(
                self.analytics_db,
                self.home,
                self.node.name,
                last=None if force else stats.get("signature"),
                now=now,
            )
        except FleetError as exc:
            stats["error"] = str(exc)
            state["stats"] = stats
            self.home.write_state(state)
            raise
        if done is None:
            return False
        stats.update({"exported_at": now, "signature": signature, "error": ""})
        if done.copied:
            stats.update({"copied_at": now, "events": done.events})
        state["stats"] = stats
        self.home.write_state(state)
        return done.copied

    def status(self) -> dict[str, Any]:
        """What ``status.json`` says now (without ``written_at``)."""
        state = self.home.read_state()
        current = current_release(self.root)
        packs = state.get("packs", {})
        arriving = [
            {"name": a.name, "reason": a.reason} for a in self.installer.last_survey if not a.ready
        ]
        # A refusal is a fault while the pack is still offered; the counter keeps the history.
        present = set(pack_names(self.home.packs))
        faults = [
            {"pack": name, "message": p.get("message", ""), "at": p.get("at")}
            for name, p in sorted(packs.items())
            if p.get("status") == REFUSED and name in present
        ]
        stats = state.get("stats", {})
        return {
            "kiosk": self.node.name,
            "device_id": self.node.device_id,
            "software": __version__,
            "release_shown": self.shown() if self.shown is not None else "",
            "release_installed": current.name if current else "",
            "version_installed": current.version if current else 0,
            "packs": {
                name: {k: p.get(k) for k in ("status", "message", "version", "release", "at")}
                for name, p in sorted(packs.items())
                if p.get("status") in FINAL
            },
            "arriving": arriving,
            "faults": faults,
            "installed_total": int(state.get("installed_total", 0)),
            "refused_total": int(state.get("refused_total", 0)),
            "stats_exported_at": stats.get("exported_at"),
            "stats_copied_at": stats.get("copied_at"),
            "stats_events": stats.get("events"),
            "stats_error": stats.get("error", ""),
        }

    def write_status(self) -> bool:
        """Rewrite ``status.json`` if what it says changed; True when written."""
        report = self.status()
        path = self.home.stats_dir(self.node.name) / STATUS_NAME
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
            old.pop("written_at", None)
        except (OSError, ValueError):
            old = None
        if old == report:
            return False
        report["written_at"] = round(self.clock(), 3)
        text = json.dumps(report, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text.encode("utf-8"), tmp_dir=self.home.tmp)
        return True

    # -- waiting ----------------------------------------------------------------------------------

    def wait(self, timeout_s: float) -> None:
        """Return when Syncthing reports a change in the ``packs`` folder, or after
        ``timeout_s`` (also at once, after a pause, when Syncthing does not answer)."""
        deadline = time.monotonic() + timeout_s
        try:
            if self._since is None:
                last = self.client.events(0, _WAKE_EVENTS, timeout_s=0, limit=1)
                self._since = int(last[-1]["id"]) if last else 0
            while (left := deadline - time.monotonic()) > 0:
                events = self.client.events(self._since, _WAKE_EVENTS, timeout_s=max(1, int(left)))
                if events:
                    self._since = int(events[-1]["id"])
                if any((e.get("data") or {}).get("folder") == PACKS_FOLDER for e in events):
                    return
        except (SyncthingError, KeyError, ValueError, TypeError):
            time.sleep(max(0.0, min(1.0, deadline - time.monotonic())))
