"""The releases folder: install a pack (staged, then one atomic switch), roll back, boot counting.

Installed collections live in a releases folder (``ROOT``, the settings' ``paths.releases``)::

    ROOT/releases/<version>-<hash8>/content/...   one complete collection per release
    ROOT/releases/<version>-<hash8>/manifest.json (+ .minisig, as signed)
    ROOT/current -> releases/<name>               the release the kiosk shows
    ROOT/state.json                               boot counting: boots, confirmed, previous, bad
    ROOT/watch.json                               packs the watched folder has offered

The rooms: which releases there are (:mod:`.listing`), the durable file-system steps a change is
made of (:mod:`.durable`), install and rollback (:mod:`.install`), boot counting
(:mod:`.boot`), and the watched folder for USB sticks (:mod:`.usb`).
"""

from __future__ import annotations

from kiosk.delivery.releases.boot import State, begin_boot, confirm, read_state, reject
from kiosk.delivery.releases.durable import StepCallback
from kiosk.delivery.releases.install import InstallResult, install_pack, rollback
from kiosk.delivery.releases.listing import Release, current_content, current_release, releases
from kiosk.delivery.releases.usb import ScanResult, scan_watch_folder

__all__ = [
    "InstallResult",
    "Release",
    "ScanResult",
    "State",
    "StepCallback",
    "begin_boot",
    "confirm",
    "current_content",
    "current_release",
    "install_pack",
    "read_state",
    "reject",
    "releases",
    "rollback",
    "scan_watch_folder",
]
