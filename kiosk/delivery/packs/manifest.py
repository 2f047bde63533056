"""A pack's manifest: the signed list of every file with its size and sha256, read strictly.

Also the pack's format constants, its error, and the one rule for which names a pack may hold
(:func:`unsafe_path`), shared by making and reading packs.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

PACK_FORMAT = "white-road-content-pack"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MANIFEST_SIG = "manifest.json.minisig"
CONTENT = "content"
PACK_SUFFIX = ".wrpack"
DEFAULT_MAX_PACK_BYTES = 16_000_000_000

MAX_FILES = 100_000


class PackError(Exception):
    """A pack cannot be made, verified, installed or rolled back; one line for the curator."""


@dataclass(frozen=True)
class FileEntry:
    """One file of the collection: its path inside ``content/``, size and sha256."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """What a pack holds. ``raw`` is the exact signed bytes."""

    version: int
    created: str
    title: str
    files: tuple[FileEntry, ...]
    validation: dict[str, Any] = field(compare=False)
    raw: bytes = field(default=b"", compare=False, repr=False)

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def release_name(self) -> str:
        return f"{self.version}-{self.digest[:8]}"

    def describe(self) -> str:
        """The trusted comment signed with the manifest: what minisign shows a curator."""
        return (
            f"White Road content pack: version {self.version}, created {self.created}, "
            f"{len(self.files)} files, {self.total_bytes} bytes"
        )

    @classmethod
    def build(
        cls,
        files: Sequence[FileEntry],
        version: int,
        created: str,
        title: str,
        validation: dict[str, Any],
    ) -> Manifest:
        data = {
            "format": PACK_FORMAT,
            "format_version": FORMAT_VERSION,
            "version": version,
            "created": created,
            "title": title,
            "total_bytes": sum(f.size for f in files),
            "validation": validation,
            "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in files],
        }
        raw = (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
        return cls.parse(raw)

    @classmethod
    def parse(cls, raw: bytes) -> Manifest:
        """Read and check a manifest strictly; PackError names the first thing wrong."""
        try:
            data = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicate_keys)
        except (UnicodeDecodeError, ValueError) as exc:
            raise PackError(f"the manifest is not valid JSON: {exc}") from None
        if not isinstance(data, dict) or data.get("format") != PACK_FORMAT:
            raise PackError("not a White Road content pack (the manifest has the wrong format)")
        if data.get("format_version") != FORMAT_VERSION:
            raise PackError(
                f"pack format {data.get('format_version')!r} is not supported here "
                f"(this kiosk reads format {FORMAT_VERSION}); update the kiosk software"
            )
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or not 0 < version < 10**20:
            raise PackError("the manifest's version must be a positive whole number")
        created, title = data.get("created"), data.get("title", "")
        if not isinstance(created, str) or not isinstance(title, str):
            raise PackError("the manifest's created/title must be text")
        validation = data.get("validation", {})
        if not isinstance(validation, dict):
            raise PackError("the manifest's validation must be a mapping")
        raw_files = data.get("files")
        if not isinstance(raw_files, list) or not raw_files:
            raise PackError("the manifest lists no files")
        if len(raw_files) > MAX_FILES:
            raise PackError(f"the manifest lists more than {MAX_FILES} files")
        files: list[FileEntry] = []
        seen: set[str] = set()
        for item in raw_files:
            if not isinstance(item, dict) or set(item) != {"path", "size", "sha256"}:
                raise PackError("the manifest has a malformed file entry")
            path, size, digest = item["path"], item["size"], item["sha256"]
            problem = unsafe_path(path) if isinstance(path, str) else "not text"
            if problem:
                raise PackError(f"the manifest lists an unsafe path {path!r}: {problem}")
            if path in seen:
                raise PackError(f"the manifest lists {path} twice")
            if not isinstance(size, int) or isinstance(size, bool) or size < 0:
                raise PackError(f"the manifest gives {path} a bad size")
            if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
                raise PackError(f"the manifest gives {path} a bad sha256")
            seen.add(path)
            files.append(FileEntry(path, size, digest))
        for path in seen:
            parts = path.split("/")
            for i in range(1, len(parts)):
                if "/".join(parts[:i]) in seen:
                    raise PackError(
                        f"the manifest lists {'/'.join(parts[:i])} as a file and a folder"
                    )
        if "collection.yaml" not in seen:
            raise PackError("the pack holds no collection.yaml")
        return cls(version, created, title, tuple(files), validation, raw)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def unsafe_path(path: str) -> str | None:
    """Why ``path`` may not be unpacked (None when it is a plain relative path)."""
    if not path:
        return "empty name"
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        return "absolute path"
    if "\\" in path:
        return "backslash in the name"
    if any(ord(c) < 32 or c == "\x7f" for c in path):
        return "control character in the name"
    parts = path.split("/")
    if ".." in parts:
        return "climbs out of the folder (..)"
    if any(p in ("", ".") for p in parts):
        return "empty or '.' part in the name"
    if len(path.encode("utf-8")) > 1024 or any(len(p.encode("utf-8")) > 255 for p in parts):
        return "name too long"
    return None
