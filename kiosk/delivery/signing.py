"""Ed25519 keys and signatures in minisign's file formats, so curators can check packs themselves.

A content pack is signed with a curator's secret key; the kiosk accepts it only when the signature
is made by one of the public keys in its settings. The files are exactly minisign's, so the
standard tool verifies what we sign (``minisign -Vm FILE -p key.pub``) and keys made by minisign
work here.

The formats (all numbers little-endian, every binary line base64):

* public key: ``untrusted comment: ...`` then ``"Ed" | key id (8) | public key (32)``;
* secret key: ``untrusted comment: ...`` then ``"Ed" | kdf ("Sc" scrypt or two zero bytes) |
  "B2" | salt (32) | opslimit (u64) | memlimit (u64) | key id (8) ^ sk (64) ^ checksum (32)``,
  where ``sk`` is the 32-byte seed followed by the public key, the checksum is BLAKE2b-256 of
  ``"Ed" | key id | sk``, and with scrypt those 104 bytes are XORed with a key stream derived from
  the password (libsodium's scryptsalsa208sha256 parameters, picked from opslimit/memlimit);
* signature: ``untrusted comment: ...``, ``alg | key id | signature (64)``,
  ``trusted comment: ...``, then the global signature (64) over ``signature | trusted comment``.
  ``alg`` "ED" signs the BLAKE2b-512 hash of the file (minisign's default), "Ed" the file itself.

This module is pure: ``cryptography`` for Ed25519, ``hashlib`` for BLAKE2b and scrypt.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ALG_LEGACY = b"Ed"
ALG_HASHED = b"ED"
KDF_SCRYPT = b"Sc"
KDF_NONE = b"\x00\x00"
CHK_BLAKE2B = b"B2"
COMMENT_PREFIX = "untrusted comment: "
TRUSTED_PREFIX = "trusted comment: "
# minisign's own cost: scrypt with N=2^20, r=8 (1 GiB, a few seconds). Readers take the cost
# from the file, so a key written with other limits still works with minisign.
OPSLIMIT = 33_554_432
MEMLIMIT = 1_073_741_824
# Refuse key files asking for absurd work (a damaged or hostile file): N up to 2^22 (4 GiB).
_MAX_N_LOG2 = 22
_KEYNUM_SK_LEN = 8 + 64 + 32
_SECRET_LEN = 2 + 2 + 2 + 32 + 8 + 8 + _KEYNUM_SK_LEN
_MAX_COMMENT = 1024


class SigningError(Exception):
    """A key or a signature cannot be used; the message says why in plain words."""


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SigningError(f"{what} is not valid base64") from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _data_lines(text: str) -> list[str]:
    return [line.rstrip("\r") for line in text.splitlines() if line.strip()]


def _one_line(comment: str) -> str:
    """A comment fit for one line of a key or signature file."""
    flat = " ".join(comment.split())
    if len(flat.encode("utf-8")) > _MAX_COMMENT:
        raise SigningError(f"comment longer than {_MAX_COMMENT} bytes")
    return flat


def key_id_hex(key_id: bytes) -> str:
    """The key id as minisign prints it: the 8 bytes as a little-endian number, in hex."""
    return f"{int.from_bytes(key_id, 'little'):016X}"


@dataclass(frozen=True)
class PublicKey:
    """A minisign public key: its 8-byte id and the 32-byte Ed25519 key."""

    key_id: bytes
    raw: bytes

    @property
    def id_hex(self) -> str:
        return key_id_hex(self.key_id)

    @classmethod
    def parse(cls, text: str) -> PublicKey:
        """Read a public key file's text, or the bare base64 line (``RWQ...``)."""
        lines = [ln for ln in _data_lines(text) if not ln.startswith(COMMENT_PREFIX)]
        if len(lines) != 1:
            raise SigningError("not a minisign public key (expected one line of base64)")
        blob = _b64decode(lines[0], "public key")
        if len(blob) != 42 or blob[:2] != ALG_LEGACY:
            raise SigningError("not a minisign Ed25519 public key")
        return cls(blob[2:10], blob[10:])

    @classmethod
    def load(cls, path: Path) -> PublicKey:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SigningError(f"{path}: cannot read the public key: {_reason(exc)}") from None
        try:
            return cls.parse(text)
        except SigningError as exc:
            raise SigningError(f"{path}: {exc}") from None

    @classmethod
    def from_setting(cls, value: str, base_dir: Path) -> PublicKey:
        """A trusted key as written in the settings: a key file path, or the key itself."""
        value = value.strip()
        if re.fullmatch(r"RW[A-Za-z0-9+/]{54}", value):
            return cls.parse(value)
        return cls.load(base_dir / value)  # an absolute path stays as it is

    def to_base64(self) -> str:
        return _b64(ALG_LEGACY + self.key_id + self.raw)

    def to_file_text(self, comment: str | None = None) -> str:
        comment = _one_line(comment or f"minisign public key {self.id_hex}")
        return f"{COMMENT_PREFIX}{comment}\n{self.to_base64()}\n"

    def verify(self, data: bytes, signature: Signature) -> None:
        """Check ``signature`` over ``data`` and its trusted comment; raise SigningError if not."""
        if signature.key_id != self.key_id:
            raise SigningError(
                f"signed with key {key_id_hex(signature.key_id)}, not with key {self.id_hex}"
            )
        key = Ed25519PublicKey.from_public_bytes(self.raw)
        message = hashlib.blake2b(data).digest() if signature.alg == ALG_HASHED else data
        try:
            key.verify(signature.signature, message)
        except InvalidSignature:
            raise SigningError(
                "the signature does not match: the file was changed after signing"
            ) from None
        try:
            key.verify(
                signature.global_signature,
                signature.signature + signature.trusted_comment.encode("utf-8"),
            )
        except InvalidSignature:
            raise SigningError(
                "the signature's trusted comment was changed after signing"
            ) from None


@dataclass(frozen=True)
class Signature:
    """A parsed minisign signature file."""

    alg: bytes
    key_id: bytes
    signature: bytes
    trusted_comment: str
    global_signature: bytes
    untrusted_comment: str = ""

    @classmethod
    def parse(cls, text: str) -> Signature:
        lines = _data_lines(text)
        if len(lines) != 4:
            raise SigningError("not a minisign signature (expected 4 lines)")
        if not lines[0].startswith(COMMENT_PREFIX):
            raise SigningError("not a minisign signature (no untrusted comment line)")
        if not lines[2].startswith(TRUSTED_PREFIX):
            raise SigningError("not a minisign signature (no trusted comment line)")
        blob = _b64decode(lines[1], "signature")
        if len(blob) != 74 or blob[:2] not in (ALG_LEGACY, ALG_HASHED):
            raise SigningError("not an Ed25519 minisign signature")
        global_sig = _b64decode(lines[3], "trusted comment signature")
        if len(global_sig) != 64:
            raise SigningError("the trusted comment signature has the wrong length")
        return cls(
            alg=blob[:2],
            key_id=blob[2:10],
            signature=blob[10:],
            trusted_comment=lines[2][len(TRUSTED_PREFIX) :],
            global_signature=global_sig,
            untrusted_comment=lines[0][len(COMMENT_PREFIX) :],
        )

    def to_text(self) -> str:
        return (
            f"{COMMENT_PREFIX}{self.untrusted_comment}\n"
            f"{_b64(self.alg + self.key_id + self.signature)}\n"
            f"{TRUSTED_PREFIX}{self.trusted_comment}\n"
            f"{_b64(self.global_signature)}\n"
        )


@dataclass(frozen=True)
class SecretKey:
    """A minisign secret key, decrypted: the key id and the 32-byte Ed25519 seed."""

    key_id: bytes
    seed: bytes

    @property
    def public(self) -> PublicKey:
        raw = (
            Ed25519PrivateKey.from_private_bytes(self.seed)
            .public_key()
            .public_bytes(Encoding.Raw, PublicFormat.Raw)
        )
        return PublicKey(self.key_id, raw)

    @classmethod
    def generate(cls) -> SecretKey:
        return cls(secrets.token_bytes(8), secrets.token_bytes(32))

    @staticmethod
    def is_encrypted(text: str) -> bool:
        """Whether a secret key file's text needs a password."""
        return _secret_blob(text)[2:4] == KDF_SCRYPT

    @classmethod
    def parse(cls, text: str, password: str | None = None) -> SecretKey:
        blob = _secret_blob(text)
        kdf = blob[2:4]
        if blob[4:6] != CHK_BLAKE2B:
            raise SigningError("unsupported checksum in the secret key")
        keynum_sk = blob[54:]
        if kdf == KDF_SCRYPT:
            if password is None:
                raise SigningError("the secret key is protected by a password; give it")
            salt = blob[6:38]
            opslimit = int.from_bytes(blob[38:46], "little")
            memlimit = int.from_bytes(blob[46:54], "little")
            stream = _kdf(password, salt, opslimit, memlimit, len(keynum_sk))
            keynum_sk = bytes(a ^ b for a, b in zip(keynum_sk, stream, strict=True))
        elif kdf != KDF_NONE:
            raise SigningError("the secret key uses an unknown password scheme")
        key_id, sk, chk = keynum_sk[:8], keynum_sk[8:72], keynum_sk[72:]
        expected = _checksum(key_id, sk)
        # minisign writes an all-zero checksum into a key saved without a password (-W).
        if chk != expected and not (kdf == KDF_NONE and chk == bytes(32)):
            if kdf == KDF_SCRYPT:
                raise SigningError("wrong password for this secret key")
            raise SigningError("the secret key is damaged (checksum mismatch)")
        key = cls(key_id, sk[:32])
        if key.public.raw != sk[32:]:
            raise SigningError("the secret key is damaged (its public half does not match)")
        return key

    @classmethod
    def load(cls, path: Path, password: str | None = None) -> SecretKey:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SigningError(f"{path}: cannot read the secret key: {_reason(exc)}") from None
        try:
            return cls.parse(text, password)
        except SigningError as exc:
            raise SigningError(f"{path}: {exc}") from None

    def to_file_text(
        self,
        password: str | None = None,
        *,
        opslimit: int = OPSLIMIT,
        memlimit: int = MEMLIMIT,
    ) -> str:
        """The key file's text; encrypted with scrypt when a password is given."""
        sk = self.seed + self.public.raw
        keynum_sk = self.key_id + sk + _checksum(self.key_id, sk)
        if password is None:
            kdf, salt, opslimit, memlimit = KDF_NONE, bytes(32), 0, 0
            comment = "minisign secret key (not protected by a password)"
        else:
            kdf, salt = KDF_SCRYPT, secrets.token_bytes(32)
            stream = _kdf(password, salt, opslimit, memlimit, len(keynum_sk))
            keynum_sk = bytes(a ^ b for a, b in zip(keynum_sk, stream, strict=True))
            comment = "minisign encrypted secret key"
        blob = (
            ALG_LEGACY
            + kdf
            + CHK_BLAKE2B
            + salt
            + opslimit.to_bytes(8, "little")
            + memlimit.to_bytes(8, "little")
            + keynum_sk
        )
        return f"{COMMENT_PREFIX}{comment}\n{_b64(blob)}\n"

    def sign(
        self,
        data: bytes,
        trusted_comment: str,
        untrusted_comment: str = "signature from minisign secret key",
        *,
        prehash: bool = True,
        digest: bytes | None = None,
    ) -> Signature:
        """Sign ``data``; prehashed ("ED", minisign's default) unless ``prehash`` is False.

        ``digest``, the BLAKE2b-512 of a file hashed in chunks, replaces ``data`` for big files.
        """
        key = Ed25519PrivateKey.from_private_bytes(self.seed)
        alg = ALG_HASHED if prehash or digest is not None else ALG_LEGACY
        if digest is not None:
            if len(digest) != 64:
                raise SigningError("a prehashed signature needs a BLAKE2b-512 digest")
            message = digest
        else:
            message = hashlib.blake2b(data).digest() if prehash else data
        signature = key.sign(message)
        trusted = _one_line(trusted_comment)
        global_sig = key.sign(signature + trusted.encode("utf-8"))
        return Signature(
            alg, self.key_id, signature, trusted, global_sig, _one_line(untrusted_comment)
        )


def verify_any(data: bytes, signature: Signature, keys: Iterable[PublicKey]) -> PublicKey:
    """The trusted key that made ``signature`` over ``data``; SigningError if none did."""
    keys = list(keys)
    if not keys:
        raise SigningError("no trusted keys are set up (settings: content.trusted_keys)")
    for key in keys:
        if key.key_id == signature.key_id:
            key.verify(data, signature)
            return key
    known = ", ".join(k.id_hex for k in keys)
    raise SigningError(
        f"signed with key {key_id_hex(signature.key_id)}, which is not trusted here "
        f"(trusted: {known})"
    )


def write_keypair(
    key: SecretKey,
    secret_path: Path,
    password: str | None,
    *,
    opslimit: int = OPSLIMIT,
    memlimit: int = MEMLIMIT,
) -> Path:
    """Write the secret key (owner-only) and ``<secret_path>.pub``; return the public key path."""
    public_path = secret_path.with_name(secret_path.name + ".pub")
    text = key.to_file_text(password, opslimit=opslimit, memlimit=memlimit)
    fd = os.open(secret_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(secret_path, 0o600)
    public_path.write_text(key.public.to_file_text(), encoding="utf-8")
    return public_path


def _secret_blob(text: str) -> bytes:
    lines = [ln for ln in _data_lines(text) if not ln.startswith(COMMENT_PREFIX)]
    if len(lines) != 1:
        raise SigningError("not a minisign secret key (expected one line of base64)")
    blob = _b64decode(lines[0], "secret key")
    if len(blob) != _SECRET_LEN or blob[:2] != ALG_LEGACY:
        raise SigningError("not a minisign Ed25519 secret key")
    return blob


def _checksum(key_id: bytes, sk: bytes) -> bytes:
    return hashlib.blake2b(ALG_LEGACY + key_id + sk, digest_size=32).digest()


def _scrypt_params(opslimit: int, memlimit: int) -> tuple[int, int, int]:
    """libsodium's pickparams(): (log2 N, r, p) for crypto_pwhash_scryptsalsa208sha256."""
    opslimit = max(opslimit, 32768)
    r = 8
    if opslimit < memlimit // 32:
        p = 1
        max_n = opslimit // (r * 4)
        n_log2 = 1
        while n_log2 < 63 and (1 << n_log2) <= max_n // 2:
            n_log2 += 1
    else:
        max_n = memlimit // (r * 128)
        n_log2 = 1
        while n_log2 < 63 and (1 << n_log2) <= max_n // 2:
            n_log2 += 1
        max_rp = min((opslimit // 4) // (1 << n_log2), 0x3FFFFFFF)
        p = max_rp // r
    return n_log2, r, p


def _kdf(password: str, salt: bytes, opslimit: int, memlimit: int, length: int) -> bytes:
    n_log2, r, p = _scrypt_params(opslimit, memlimit)
    if n_log2 > _MAX_N_LOG2 or not 1 <= p <= 16:
        raise SigningError("the secret key asks for an unreasonable password-hashing cost")
    n = 1 << n_log2
    try:
        return hashlib.scrypt(
            password.encode("utf-8"),
            salt=salt,
            n=n,
            r=r,
            p=p,
            maxmem=128 * r * (n + p + 2) + (16 << 20),
            dklen=length,
        )
    except (ValueError, MemoryError) as exc:
        raise SigningError(f"cannot derive the key from the password: {exc}") from None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc)
