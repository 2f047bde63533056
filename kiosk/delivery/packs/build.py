"""Making a pack: hash a validated collection folder, sign its manifest, write the tar.

The pack is written through one atomic stream (it appears whole or not at all), and each file is
hashed again while it is copied, so a file changed during packing is caught, not shipped. A pack
of a large collection takes a while (every byte is read twice, and once more to sign the whole
file): ``progress`` hears how far it has got.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import os
import stat
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from kiosk.content.loader import load_collection
from kiosk.content.validate import Report
from kiosk.delivery.packs.manifest import (
    CONTENT,
    MANIFEST,
    MANIFEST_SIG,
    FileEntry,
    Manifest,
    PackError,
    unsafe_path,
)
from kiosk.delivery.signing import SecretKey, Signature
from kiosk.fsutil import atomic_stream, atomic_write, os_error_text

_CHUNK = 1 << 20
# Files a desktop or an editor leaves behind; never part of a collection.
_SKIP_NAMES = {"Thumbs.db", "desktop.ini", "__pycache__"}


def collect_files(src: Path) -> list[tuple[str, Path]]:
    """Every file of a collection folder as (pack path, file), sorted; links are refused."""
    out: list[tuple[str, Path]] = []
    for dirpath, dirnames, filenames in os.walk(src, followlinks=False):
        base = Path(dirpath)
        for d in list(dirnames):
            if d.startswith(".") or d in _SKIP_NAMES:
                dirnames.remove(d)
            elif (base / d).is_symlink():
                raise PackError(f"{base / d}: links are not packed; copy the folder instead")
        dirnames.sort()
        for name in sorted(filenames):
            if name.startswith(".") or name in _SKIP_NAMES or name.endswith(".pyc"):
                continue
            path = base / name
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                raise PackError(f"{path}: links are not packed; copy the file instead")
            if not stat.S_ISREG(st.st_mode):
                raise PackError(f"{path}: not a regular file")
            rel = path.relative_to(src).as_posix()
            problem = unsafe_path(rel)
            if problem:
                raise PackError(f"{path}: cannot be packed: {problem}")
            out.append((rel, path))
    return out


Progress = Callable[[int, int], None]
"""Called with (bytes done, bytes in all) as a pack is made."""


class _Work:
    """How far making a pack has got, in bytes: each pass over the content (hashing, writing,
    and signing the whole file) counts its size once. Reported about every megabyte."""

    def __init__(self, progress: Progress | None, size: int, passes: int) -> None:
        self.progress = progress
        self.size = size
        self.total = max(1, size * passes)
        self.done = 0
        self._told = 0

    def add(self, n: int) -> None:
        self.done += n
        if self.progress is not None and self.done - self._told >= _CHUNK:
            self._told = self.done
            self.progress(min(self.done, self.total), self.total)

    def finish(self) -> None:
        if self.progress is not None:
            self.progress(self.total, self.total)


def _hash_file(path: Path, work: _Work | None = None) -> tuple[int, str]:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
            if work is not None:
                work.add(len(chunk))
    return size, h.hexdigest()


def _title(src: Path) -> str:
    result = load_collection(src)
    if result.collection is None:
        return ""
    return result.collection.title.get(result.collection.default_language)


@dataclass(frozen=True)
class PackInfo:
    """A pack just made."""

    path: Path
    manifest: Manifest
    key_id: str | None
    detached_signature: Path | None


def make_pack(
    src: Path,
    out: Path,
    report: Report,
    *,
    key: SecretKey | None = None,
    version: int | None = None,
    now: _dt.datetime | None = None,
    progress: Progress | None = None,
) -> PackInfo:
    """Pack the collection folder ``src`` (already validated: ``report``) into ``out``.

    With ``key`` the manifest is signed inside the pack and ``out.minisig`` is written over the
    whole file. A collection with errors is refused. ``progress(done, total)`` is called as the
    work advances, in bytes, last with ``done == total``.
    """
    if Path(out).resolve().is_relative_to(Path(src).resolve()):
        raise PackError(f"{out}: write the pack outside the collection folder it packs")
    if not report.ok:
        raise PackError(
            f"{src}: the collection has {len(report.errors)} errors; fix them before packing"
        )
    now = now or _dt.datetime.now(_dt.UTC)
    created = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    if version is None:
        version = int(now.strftime("%Y%m%d%H%M%S"))
    files = collect_files(src)
    work = _Work(progress, sum(p.stat().st_size for _, p in files), 3 if key else 2)
    entries = []
    for rel, path in files:
        size, digest = _hash_file(path, work)
        entries.append(FileEntry(rel, size, digest))
    validation = {k: v for k, v in report.as_dict().items() if k != "problems"}
    manifest = Manifest.build(entries, version, created, _title(src), validation)
    mtime = int(now.timestamp())
    signature = None
    if key is not None:
        signature = key.sign(
            manifest.raw, manifest.describe(), f"signature from White Road key {key.public.id_hex}"
        ).to_text()
    try:
        with (
            atomic_stream(out) as raw,
            tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tf,
        ):
            _add_bytes(tf, MANIFEST, manifest.raw, mtime)
            if signature is not None:
                _add_bytes(tf, MANIFEST_SIG, signature.encode("utf-8"), mtime)
            for (rel, path), entry in zip(files, entries, strict=True):
                info = _tarinfo(f"{CONTENT}/{rel}", entry.size, mtime)
                with path.open("rb") as fh:
                    hashing = _HashingReader(fh, work)
                    tf.addfile(info, hashing)
                if hashing.hexdigest() != entry.sha256 or hashing.size != entry.size:
                    raise PackError(f"{path} changed while it was being packed; pack again")
        detached = None
        if key is not None:
            detached = out.with_name(out.name + ".minisig")
            whole = _sign_file(key, out, f"{manifest.describe()}, file {out.name}", work)
            atomic_write(detached, whole.to_text().encode("utf-8"))
    except OSError as exc:
        raise PackError(f"{out}: cannot write the pack: {os_error_text(exc)}") from None
    work.finish()
    return PackInfo(out, manifest, key.public.id_hex if key else None, detached)


def _sign_file(key: SecretKey, path: Path, comment: str, work: _Work) -> Signature:
    # A pack can be gigabytes: hash it in chunks and sign the BLAKE2b-512 digest, which is
    # exactly what minisign's prehashed ("ED") signature covers.
    h = hashlib.blake2b()
    # This pass reads the whole file (headers too) but counts as one pass over the content.
    scale = work.size / max(1, path.stat().st_size)
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
            work.add(round(len(chunk) * scale))
    return key.sign(
        b"", comment, f"signature from White Road key {key.public.id_hex}", digest=h.digest()
    )


class _HashingReader:
    """A read-only file wrapper that hashes what tarfile copies out of it."""

    def __init__(self, fh: IO[bytes], work: _Work) -> None:
        self._fh = fh
        self._h = hashlib.sha256()
        self._work = work
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self._fh.read(n)
        self._h.update(data)
        self.size += len(data)
        self._work.add(len(data))
        return data

    def hexdigest(self) -> str:
        return self._h.hexdigest()


def _tarinfo(name: str, size: int, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = mtime
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _add_bytes(tf: tarfile.TarFile, name: str, data: bytes, mtime: int) -> None:
    tf.addfile(_tarinfo(name, len(data), mtime), io.BytesIO(data))
