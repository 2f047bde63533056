"""Reading a pack: check its size and signature, then each file's entry, size and hash.

Nothing is trusted before the signature checks out: the first two tar entries (manifest and
signature) are read by hand with size limits, before the tar reader sees the file. After that
only plain files under ``content/`` that the signed manifest lists are accepted, once each, at
their listed size; the caller hashes each file while copying it (:func:`copy_checked`). A pack
can be gigabytes on a slow USB stick: ``progress`` hears how many of its bytes have been read.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from kiosk.delivery.packs.manifest import (
    CONTENT,
    DEFAULT_MAX_PACK_BYTES,
    MANIFEST,
    MANIFEST_SIG,
    FileEntry,
    Manifest,
    PackError,
    unsafe_path,
)
from kiosk.delivery.signing import PublicKey, Signature, SigningError, verify_any
from kiosk.fsutil import os_error_text

MAX_MANIFEST_BYTES = 16 << 20
MAX_SIG_BYTES = 8192
_BLOCK = 512
_CHUNK = 1 << 20


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
        raise PackError(f"{path}: cannot read: {os_error_text(exc)}") from None
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
    pack: VerifiedPack, progress: Callable[[int], None] | None = None
) -> Iterator[tuple[FileEntry, Callable[[int], bytes]]]:
    """Each content file with its reader, after checking its tar entry; hashes are the caller's.

    The file is opened again, so it is checked again: the same signed head, the same size bound.
    ``progress(bytes)`` is called with how much of the pack file has been read, as it grows, and
    with the file's size once every file has been read.
    """
    expected = {f.path: f for f in pack.manifest.files}
    seen: set[str] = set()
    try:
        with pack.path.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > pack.max_size:
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
                    yield entry, _guarded(reader, _reporter(fh, progress))
                if progress is not None:
                    progress(size)
    except tarfile.TarError as exc:
        raise PackError(f"the pack is damaged or cut short ({exc}); copy it again") from None
    except EOFError:
        raise PackError("the pack is cut short; copy it again") from None
    except OSError as exc:
        raise PackError(f"{pack.path}: cannot read: {os_error_text(exc)}") from None
    missing = [p for p in expected if p not in seen]
    if missing:
        raise PackError(
            f"the pack is incomplete: {len(missing)} files of its manifest are missing "
            f"(first: content/{missing[0]}); it may have been cut short, copy it again"
        )


def _reporter(fh: IO[bytes], progress: Callable[[int], None] | None) -> Callable[[], None] | None:
    """Tells ``progress`` where reading the pack file has got (never backwards)."""
    if progress is None:
        return None
    last = [0]

    def report() -> None:
        at = fh.tell()
        if at > last[0]:
            last[0] = at
            progress(at)

    return report


def _guarded(reader: IO[bytes], report: Callable[[], None] | None = None) -> Callable[[int], bytes]:
    """``reader.read`` whose errors, raised in the caller's frame, still read as PackError."""

    def read(n: int) -> bytes:
        try:
            data = reader.read(n)
            if report is not None:
                report()
            return data
        except (tarfile.TarError, EOFError) as exc:
            raise PackError(f"the pack is damaged or cut short ({exc}); copy it again") from None
        except OSError as exc:
            raise PackError(f"cannot read the pack: {os_error_text(exc)}") from None

    return read


def _check_member(
    member: tarfile.TarInfo, expected: dict[str, FileEntry], seen: set[str]
) -> FileEntry | None:
    """The manifest entry a tar member stands for (None for a folder); PackError if unsafe."""
    name = member.name
    problem = unsafe_path(name.rstrip("/") if member.isdir() else name)
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
    path: Path,
    trusted: Sequence[PublicKey],
    max_bytes: int = DEFAULT_MAX_PACK_BYTES,
    progress: Callable[[int], None] | None = None,
) -> VerifiedPack:
    """Check the signature and every file's size and hash without unpacking anything;
    ``progress`` as for :func:`iter_files`."""
    pack = open_pack(path, trusted, max_bytes)
    for entry, read in iter_files(pack, progress):
        copy_checked(entry, read, lambda _b: None)
    return pack
