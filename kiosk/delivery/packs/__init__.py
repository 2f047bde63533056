"""Content packs: the one signed file a curator makes and a kiosk checks before installing.

A pack is one uncompressed tar file (clips do not compress)::

    manifest.json            version, created, title, every file's size and sha256, the verdict
    manifest.json.minisig    minisign signature of manifest.json by a curator's key
    content/...              the collection's files, in the manifest's order

The signature covers the manifest and the manifest covers every byte of content, so checking the
signature and then each file's size and hash while reading proves the whole pack. Reading is
strict: the first two entries are checked by hand before the tar reader sees them; after that,
only plain files under ``content/`` that the manifest lists, once each, at their listed size;
never a link, a device, an absolute path or one that climbs out. ``kiosk content pack`` also
writes ``PACK.minisig`` over the whole file, for anyone checking it with minisign.

The manifest and the format are :mod:`.manifest`, making a pack :mod:`.build`, reading and
verifying one :mod:`.read`. Installing a pack into a releases folder is
:mod:`kiosk.delivery.releases`.
"""

from __future__ import annotations

from kiosk.delivery.packs.build import PackInfo, collect_files, make_pack
from kiosk.delivery.packs.manifest import (
    CONTENT,
    DEFAULT_MAX_PACK_BYTES,
    FORMAT_VERSION,
    MANIFEST,
    MANIFEST_SIG,
    PACK_FORMAT,
    PACK_SUFFIX,
    FileEntry,
    Manifest,
    PackError,
)
from kiosk.delivery.packs.read import (
    VerifiedPack,
    copy_checked,
    iter_files,
    open_pack,
    verify_pack,
)

__all__ = [
    "CONTENT",
    "DEFAULT_MAX_PACK_BYTES",
    "FORMAT_VERSION",
    "MANIFEST",
    "MANIFEST_SIG",
    "PACK_FORMAT",
    "PACK_SUFFIX",
    "FileEntry",
    "Manifest",
    "PackError",
    "PackInfo",
    "VerifiedPack",
    "collect_files",
    "copy_checked",
    "iter_files",
    "make_pack",
    "open_pack",
    "verify_pack",
]
