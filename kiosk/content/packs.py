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

Installing a pack into a releases folder is :mod:`kiosk.content.releases`.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import hashlib
import io
import json
import os
import re
import secrets
import stat
import tarfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from kiosk.content.loader import load_collection
from kiosk.content.signing import PublicKey, SecretKey, Signature, SigningError, verify_any
from kiosk.content.validate import Report

PACK_FORMAT = "white-road-content-pack"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MANIFEST_SIG = "manifest.json.minisig"
CONTENT = "content"
PACK_SUFFIX = ".wrpack"
DEFAULT_MAX_PACK_BYTES = 16_000_000_000

MAX_MANIFEST_BYTES = 16 << 20
MAX_SIG_BYTES = 8192
MAX_FILES = 100_000
_CHUNK = 1 << 20
_BLOCK = 512
# Files a desktop or an editor leaves behind; never part of a collection.
_SKIP_NAMES = {"Thumbs.db", "desktop.ini", "__pycache__"}


class PackError(Exception):
    """A pack cannot be made, verified, installed or rolled back; one line for the curator."""


# --- the manifest -------------------------------------------------------------------------


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
            problem = _unsafe_path(path) if isinstance(path, str) else "not text"
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


def _unsafe_path(path: str) -> str | None:
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


# --- making a pack --------------------------------------------------------------------------


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
            problem = _unsafe_path(rel)
            if problem:
                raise PackError(f"{path}: cannot be packed: {problem}")
            out.append((rel, path))
    return out


def _hash_file(path: Path) -> tuple[int, str]:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
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
) -> PackInfo:
    """Pack the collection folder ``src`` (already validated: ``report``) into ``out``.

    With ``key`` the manifest is signed inside the pack and ``out.minisig`` is written over the
    whole file. A collection with errors is refused.
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
    entries = []
    for rel, path in files:
        size, digest = _hash_file(path)
        entries.append(FileEntry(rel, size, digest))
    validation = {k: v for k, v in report.as_dict().items() if k != "problems"}
    manifest = Manifest.build(entries, version, created, _title(src), validation)
    mtime = int(now.timestamp())
    signature = None
    if key is not None:
        signature = key.sign(
            manifest.raw, manifest.describe(), f"signature from White Road key {key.public.id_hex}"
        ).to_text()
    tmp = out.with_name(f".{out.name}.{secrets.token_hex(4)}.tmp")
    try:
        with (
            tmp.open("wb") as raw,
            tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tf,
        ):
            _add_bytes(tf, MANIFEST, manifest.raw, mtime)
            if signature is not None:
                _add_bytes(tf, MANIFEST_SIG, signature.encode("utf-8"), mtime)
            for (rel, path), entry in zip(files, entries, strict=True):
                info = _tarinfo(f"{CONTENT}/{rel}", entry.size, mtime)
                with path.open("rb") as fh:
                    hashing = _HashingReader(fh)
                    tf.addfile(info, hashing)
                if hashing.hexdigest() != entry.sha256 or hashing.size != entry.size:
                    raise PackError(f"{path} changed while it was being packed; pack again")
            tf.close()
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, out)
    except OSError as exc:
        raise PackError(f"{out}: cannot write the pack: {_reason(exc)}") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    detached = None
    if key is not None:
        detached = out.with_name(out.name + ".minisig")
        whole = _sign_file(key, out, f"{manifest.describe()}, file {out.name}")
        detached.write_text(whole.to_text(), encoding="utf-8")
    return PackInfo(out, manifest, key.public.id_hex if key else None, detached)


def _sign_file(key: SecretKey, path: Path, comment: str) -> Signature:
    # A pack can be gigabytes: hash it in chunks and sign the BLAKE2b-512 digest, which is
    # exactly what minisign's prehashed ("ED") signature covers.
    h = hashlib.blake2b()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return key.sign(
        b"", comment, f"signature from White Road key {key.public.id_hex}", digest=h.digest()
    )


class _HashingReader:
    """A read-only file wrapper that hashes what tarfile copies out of it."""

    def __init__(self, fh: IO[bytes]) -> None:
        self._fh = fh
        self._h = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self._fh.read(n)
        self._h.update(data)
        self.size += len(data)
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


# --- reading a pack -------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedPack:
    """A pack whose manifest signature checked out against a trusted key."""

    path: Path
    manifest: Manifest
    signature: bytes
    key_id: str
    max_size: int


def _raw_header(fh: IO[bytes], expected: str, limit: int, what: str) -> int:
    """Check a plain ustar header for ``expected`` by hand, before tarfile may allocate."""
    block = fh.read(_BLOCK)
    if len(block) < _BLOCK:
        raise PackError("the pack is empty or cut short (no manifest); copy it again")
    name = block[:100].split(b"\0", 1)[0].decode("utf-8", "replace")
    prefix = block[345:500].split(b"\0", 1)[0]
    typeflag = block[156:157]
    if name != expected or prefix or typeflag not in (b"0", b"\0"):
        if expected == MANIFEST_SIG and name.startswith(f"{CONTENT}/"):
            raise PackError("the pack is not signed; sign it with: kiosk content pack --key")
        raise PackError(f"not a White Road content pack (no {what} where it belongs)")
    try:
        size = int(block[124:136].split(b"\0", 1)[0].strip() or b"0", 8)
    except ValueError:
        raise PackError("the pack is damaged (a bad tar header)") from None
    if size > limit:
        raise PackError(f"the pack's {what} is too large ({size} bytes)")
    return size


def _read_head(fh: IO[bytes]) -> tuple[bytes, bytes]:
    """The manifest's and the signature's bytes, the first two entries of the tar."""
    size = _raw_header(fh, MANIFEST, MAX_MANIFEST_BYTES, "manifest")
    raw = fh.read(size)
    fh.read(-size % _BLOCK)
    if len(raw) < size:
        raise PackError("the pack is cut short; copy it again")
    sig_size = _raw_header(fh, MANIFEST_SIG, MAX_SIG_BYTES, "signature")
    sig_raw = fh.read(sig_size)
    if len(sig_raw) < sig_size:
        raise PackError("the pack is cut short; copy it again")
    return raw, sig_raw


def open_pack(
    path: Path, trusted: Sequence[PublicKey], max_bytes: int = DEFAULT_MAX_PACK_BYTES
) -> VerifiedPack:
    """Check the pack's size and signature, then read its manifest. Nothing is unpacked."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            pack_size = os.fstat(fh.fileno()).st_size
            if pack_size > max_bytes:
                raise PackError(
                    f"{path.name}: refused: the pack is {pack_size} bytes, over this kiosk's "
                    f"limit of {max_bytes} (settings: content.max_pack_bytes)"
                )
            raw, sig_raw = _read_head(fh)
    except FileNotFoundError:
        raise PackError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise PackError(f"{path}: is a folder, not a pack") from None
    except OSError as exc:
        raise PackError(f"{path}: cannot read: {_reason(exc)}") from None
    try:
        signature = Signature.parse(sig_raw.decode("utf-8"))
        key = verify_any(raw, signature, trusted)
    except (SigningError, UnicodeDecodeError) as exc:
        raise PackError(f"{path.name}: refused: {exc}") from None
    manifest = Manifest.parse(raw)
    if manifest.total_bytes > max_bytes:
        raise PackError(
            f"{path.name}: refused: the collection is {manifest.total_bytes} bytes, over this "
            f"kiosk's limit of {max_bytes} (settings: content.max_pack_bytes)"
        )
    allowed = _allowed_pack_size(manifest, len(raw), len(sig_raw))
    if pack_size > allowed:
        raise PackError(
            f"{path.name}: refused: the pack is larger than its manifest allows "
            f"({pack_size} > {allowed} bytes): something was added to it"
        )
    return VerifiedPack(path, manifest, sig_raw, key.id_hex, allowed)


def _round(n: int) -> int:
    return -(-n // _BLOCK) * _BLOCK


def _allowed_pack_size(manifest: Manifest, manifest_len: int, sig_len: int) -> int:
    """The most bytes an honest pack of this manifest can take (headers, pax records, padding)."""
    total = _BLOCK + _round(manifest_len) + _BLOCK + _round(sig_len)
    for f in manifest.files:
        name_len = len(f.path.encode("utf-8")) + len(CONTENT) + 1
        total += _round(f.size) + 3 * _BLOCK + _round(2 * name_len + 256)
    return total + 2 * tarfile.RECORDSIZE


def iter_files(
    pack: VerifiedPack,
) -> Iterator[tuple[FileEntry, Callable[[int], bytes]]]:
    """Each content file with its reader, after checking its tar entry; hashes are the caller's.

    The file is opened again, so it is checked again: the same signed head, the same size bound.
    """
    expected = {f.path: f for f in pack.manifest.files}
    seen: set[str] = set()
    try:
        with pack.path.open("rb") as fh:
            if os.fstat(fh.fileno()).st_size > pack.max_size:
                raise PackError("refused: the pack changed while it was read")
            if _read_head(fh) != (pack.manifest.raw, pack.signature):
                raise PackError("refused: the pack changed while it was read")
            fh.seek(0)
            with tarfile.open(fileobj=fh, mode="r:") as tf:
                for _ in range(2):
                    tf.next()
                while (member := tf.next()) is not None:
                    entry = _check_member(member, expected, seen)
                    if entry is None:
                        continue
                    reader = tf.extractfile(member)
                    if reader is None:
                        raise PackError(f"refused: {member.name} cannot be read")
                    yield entry, _guarded(reader)
    except tarfile.TarError as exc:
        raise PackError(f"the pack is damaged or cut short ({exc}); copy it again") from None
    except EOFError:
        raise PackError("the pack is cut short; copy it again") from None
    except OSError as exc:
        raise PackError(f"{pack.path}: cannot read: {_reason(exc)}") from None
    missing = [p for p in expected if p not in seen]
    if missing:
        raise PackError(
            f"the pack is incomplete: {len(missing)} files of its manifest are missing "
            f"(first: content/{missing[0]}); it may have been cut short, copy it again"
        )


def _guarded(reader: IO[bytes]) -> Callable[[int], bytes]:
    """``reader.read`` whose errors, raised in the caller's frame, still read as PackError."""

    def read(n: int) -> bytes:
        try:
            return reader.read(n)
        except (tarfile.TarError, EOFError) as exc:
            raise PackError(f"the pack is damaged or cut short ({exc}); copy it again") from None
        except OSError as exc:
            raise PackError(f"cannot read the pack: {_reason(exc)}") from None

    return read


def _check_member(
    member: tarfile.TarInfo, expected: dict[str, FileEntry], seen: set[str]
) -> FileEntry | None:
    """The manifest entry a tar member stands for (None for a folder); PackError if unsafe."""
    name = member.name
    problem = _unsafe_path(name.rstrip("/") if member.isdir() else name)
    if problem:
        raise PackError(f"refused: the pack holds an unsafe entry {name!r}: {problem}")
    kinds = (
        (member.issym(), "a symbolic link"),
        (member.islnk(), "a hard link"),
        (member.ischr() or member.isblk(), "a device"),
        (member.isfifo(), "a pipe"),
    )
    for is_kind, what in kinds:
        if is_kind:
            raise PackError(f"refused: {name} is {what}; packs hold plain files only")
    if member.isdir():
        return None
    if not member.isreg() or member.sparse is not None:
        raise PackError(f"refused: {name} is not a plain file")
    if not name.startswith(f"{CONTENT}/"):
        raise PackError(f"refused: unexpected entry {name} (only content/ belongs in a pack)")
    rel = name[len(CONTENT) + 1 :]
    if rel in seen:
        raise PackError(f"refused: the pack holds {name} twice")
    entry = expected.get(rel)
    if entry is None:
        raise PackError(f"refused: {name} is not listed in the signed manifest")
    if member.size != entry.size:
        bigger = "larger" if member.size > entry.size else "smaller"
        raise PackError(
            f"refused: {name} is {bigger} than its manifest says "
            f"({member.size} bytes, manifest: {entry.size})"
        )
    seen.add(rel)
    return entry


def copy_checked(
    entry: FileEntry,
    read: Callable[[int], bytes],
    write: Callable[[bytes], Any],
    on_chunk: Callable[[], None] | None = None,
) -> None:
    """Copy one file from ``read`` to ``write``, refusing it unless its sha256 matches."""
    h = hashlib.sha256()
    left = entry.size
    while left > 0:
        chunk = read(min(_CHUNK, left))
        if not chunk:
            raise PackError(f"the pack is cut short inside content/{entry.path}; copy it again")
        h.update(chunk)
        write(chunk)
        left -= len(chunk)
        if on_chunk is not None:
            on_chunk()
    if h.hexdigest() != entry.sha256:
        raise PackError(
            f"refused: content/{entry.path} was changed after signing (checksum mismatch)"
        )


def verify_pack(
    path: Path, trusted: Sequence[PublicKey], max_bytes: int = DEFAULT_MAX_PACK_BYTES
) -> VerifiedPack:
    """Check the signature and every file's size and hash without unpacking anything."""
    pack = open_pack(path, trusted, max_bytes)
    for entry, read in iter_files(pack):
        copy_checked(entry, read, lambda _b: None)
    return pack


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    return (exc.strerror or str(exc)).lower()
