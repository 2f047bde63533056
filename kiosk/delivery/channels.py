"""The running kiosk's content source as the settings want it, with the ways new packs reach it.

A part of the composition root (:mod:`kiosk.app`), kept apart so that each stays short. Packs
come by USB stick (``content.watch_folder``) and, with ``fleet.enabled``, from the fleet's
``packs`` folder (:class:`kiosk.fleet.agent.FleetKiosk`, which also sends the statistics back).
Both are scanned by the content source's one watcher thread, the USB stick first, off the main
thread; a release installed either way is shown at the next attract boundary.

A kiosk whose fleet cannot start (before ``kiosk fleet init``, or a broken fleet home) says why
in the log and in the admin panel, and goes on with USB sticks: the visitors never notice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.delivery.source import ContentSource, combine_scans, load_trusted, make_scan
from kiosk.settings import Settings

if TYPE_CHECKING:  # the fleet is loaded only when the settings want it
    from kiosk.fleet.agent import FleetKiosk

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FleetLink:
    """This kiosk's part in the fleet, as it started."""

    kiosk: FleetKiosk | None  # its duties; None: not in the fleet (packs come by USB only)
    line: str  # for the admin panel: its name and device ID (to pair it), or why it is not in
    problem: str = ""  # why it could not join the fleet; "" when it did


def make_fleet(settings: Settings) -> FleetLink | None:
    """This kiosk's fleet duties as the settings say; None with the fleet off. Never raises: a
    fleet that cannot start is logged and named in the link's ``problem``."""
    if not settings.fleet.enabled:
        return None
    from kiosk.fleet.agent import FleetKiosk
    from kiosk.fleet.layout import FleetHome
    from kiosk.media.probe import probe

    c = settings.content
    home = FleetHome(settings.resolve(settings.fleet.home))
    try:
        kiosk = FleetKiosk(
            home,
            settings.path("releases"),
            load_trusted(c.trusted_keys, settings.base_dir),
            analytics_db=settings.path("database") if settings.analytics.enabled else None,
            export_every_s=settings.fleet.export_every_s,
            probe=probe,
            keep=c.keep_releases,
            max_bytes=c.max_pack_bytes,
        )
    except Exception as exc:  # FleetError before `kiosk fleet init`; the exhibit goes on
        log.error(
            "fleet: this kiosk is not in the fleet (%s); new packs come by USB stick only", exc
        )
        return FleetLink(None, f"not in the fleet: {exc}", str(exc))
    node = kiosk.node
    log.info("fleet: kiosk %r, device ID %s, fleet home %s", node.name, node.device_id, home.root)
    return FleetLink(kiosk, f"{node.name} · {node.device_id}")


def make_source(
    settings: Settings, content_dir: Path | None, fleet: FleetLink | None = None
) -> ContentSource:
    """A fixed folder when one is given. Else the installed releases, or the settings' content
    folder until a first release is installed; with a watched folder or the fleet, the watcher
    scans them for new packs (the USB stick first, then the fleet)."""
    if content_dir is not None:
        return ContentSource(content_dir, None)
    root = settings.path("releases")
    c = settings.content
    mesh = fleet.kiosk if fleet is not None else None
    installed = (root / "current").is_symlink()
    if not (installed or c.watch_folder or mesh is not None):
        return ContentSource(settings.path("content"), None)
    scans: list[Callable[[], object]] = []
    if c.watch_folder:
        from kiosk.media.probe import probe

        folder = settings.resolve(c.watch_folder)
        keys, keep, limit = c.trusted_keys, c.keep_releases, c.max_pack_bytes
        scans.append(make_scan(folder, root, keys, settings.base_dir, probe, keep, limit))
    if mesh is not None:
        scans.append(mesh.scan)
    folder_first = None if installed else settings.path("content")
    source = ContentSource(folder_first, root, max_boots=c.max_boots, scan=combine_scans(scans))
    if mesh is not None:
        mesh.shown = lambda: source.release  # what the curator's `kiosk fleet status` shows
    return source
