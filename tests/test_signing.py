"""minisign-format keys and signatures: round trips, refusals, and interop with minisign itself."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kiosk.delivery.signing import (
    PublicKey,
    SecretKey,
    Signature,
    SigningError,
    verify_any,
    write_keypair,
)

MINISIGN = shutil.which("minisign")
needs_minisign = pytest.mark.skipif(
    MINISIGN is None, reason="the minisign program is not installed (Debian package: minisign)"
)
# Cheap scrypt limits for tests (N=2^15, 32 MiB); minisign reads them from the key file.
CHEAP = {"opslimit": 1_048_576, "memlimit": 33_554_432}


def _minisign(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    assert MINISIGN is not None
    return subprocess.run(
        [MINISIGN, *args], input=stdin, capture_output=True, text=True, timeout=60, check=False
    )


def test_sign_and_verify_round_trip() -> None:
    key = SecretKey.generate()
    for prehash in (True, False):
        sig = key.sign(b"hello", "version 7", prehash=prehash)
        parsed = Signature.parse(sig.to_text())
        assert parsed == sig
        key.public.verify(b"hello", parsed)
        assert verify_any(b"hello", parsed, [SecretKey.generate().public, key.public]) == key.public
        assert parsed.trusted_comment == "version 7"


def test_tampering_is_refused() -> None:
    key = SecretKey.generate()
    sig = key.sign(b"hello", "version 7")
    with pytest.raises(SigningError, match="changed after signing"):
        key.public.verify(b"hellO", sig)
    forged = Signature(sig.alg, sig.key_id, sig.signature, "version 8", sig.global_signature, "x")
    with pytest.raises(SigningError, match="trusted comment was changed"):
        key.public.verify(b"hello", forged)
    other = SecretKey.generate()
    with pytest.raises(SigningError, match="not trusted here"):
        verify_any(b"hello", sig, [other.public])
    with pytest.raises(SigningError, match="no trusted keys"):
        verify_any(b"hello", sig, [])


def test_key_files_round_trip(tmp_path: Path) -> None:
    key = SecretKey.generate()
    pub_path = write_keypair(key, tmp_path / "plain", None)
    assert pub_path == tmp_path / "plain.pub"
    assert (tmp_path / "plain").stat().st_mode & 0o077 == 0
    assert SecretKey.load(tmp_path / "plain") == key
    assert PublicKey.load(pub_path) == key.public
    assert PublicKey.parse(key.public.to_base64()) == key.public
    assert PublicKey.from_setting(key.public.to_base64(), tmp_path) == key.public
    assert PublicKey.from_setting("plain.pub", tmp_path) == key.public
    assert key.public.id_hex in pub_path.read_text()

    write_keypair(key, tmp_path / "locked", "correct horse", **CHEAP)
    text = (tmp_path / "locked").read_text()
    assert SecretKey.is_encrypted(text)
    assert SecretKey.parse(text, "correct horse") == key
    with pytest.raises(SigningError, match="wrong password"):
        SecretKey.parse(text, "wrong")
    with pytest.raises(SigningError, match="password"):
        SecretKey.parse(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "expected one line"),
        ("untrusted comment: x\nnot base64!!\n", "not valid base64"),
        ("untrusted comment: x\nRWQAAAA=\n", "not a minisign Ed25519 public key"),
    ],
)
def test_bad_public_keys(text: str, message: str) -> None:
    with pytest.raises(SigningError, match=message):
        PublicKey.parse(text)


def test_bad_signature_files() -> None:
    with pytest.raises(SigningError, match="expected 4 lines"):
        Signature.parse("untrusted comment: x\n")
    good = SecretKey.generate().sign(b"x", "c").to_text().splitlines()
    with pytest.raises(SigningError, match="no trusted comment"):
        Signature.parse("\n".join([good[0], good[1], "comment: c", good[3]]))


@needs_minisign
def test_minisign_verifies_our_signatures(tmp_path: Path) -> None:
    key = SecretKey.generate()
    pub = write_keypair(key, tmp_path / "k", None)
    data = tmp_path / "file.bin"
    data.write_bytes(bytes(range(256)) * 100)
    for prehash in (True, False):
        sig = key.sign(data.read_bytes(), "version 3, created today", prehash=prehash)
        (tmp_path / "file.bin.minisig").write_text(sig.to_text())
        out = _minisign("-Vm", str(data), "-p", str(pub))
        assert out.returncode == 0, out.stderr
        assert "Trusted comment: version 3, created today" in out.stdout
    # minisign too refuses a changed file.
    data.write_bytes(b"changed")
    assert _minisign("-Vm", str(data), "-p", str(pub)).returncode != 0


@needs_minisign
def test_we_verify_minisign_keys_and_signatures(tmp_path: Path) -> None:
    made = _minisign("-G", "-W", "-p", str(tmp_path / "m.pub"), "-s", str(tmp_path / "m.key"))
    assert made.returncode == 0, made.stderr
    data = tmp_path / "file.bin"
    data.write_bytes(b"a collection\n" * 50)
    signed = _minisign(
        "-S", "-W", "-s", str(tmp_path / "m.key"), "-t", "from minisign", "-m", str(data)
    )
    assert signed.returncode == 0, signed.stderr
    pub = PublicKey.load(tmp_path / "m.pub")
    sig = Signature.parse((tmp_path / "file.bin.minisig").read_text())
    pub.verify(data.read_bytes(), sig)
    assert sig.trusted_comment == "from minisign"
    # Its secret key (saved without a password) works here, and signs what minisign accepts.
    secret = SecretKey.load(tmp_path / "m.key")
    assert secret.public == pub
    (tmp_path / "file.bin.minisig").write_text(secret.sign(data.read_bytes(), "ours").to_text())
    assert _minisign("-Vm", str(data), "-p", str(tmp_path / "m.pub")).returncode == 0


@needs_minisign
def test_minisign_uses_our_secret_keys(tmp_path: Path) -> None:
    key = SecretKey.generate()
    write_keypair(key, tmp_path / "plain", None)
    write_keypair(key, tmp_path / "locked", "pass phrase", **CHEAP)
    data = tmp_path / "f"
    data.write_bytes(b"data\n")
    plain = _minisign(
        "-S", "-W", "-s", str(tmp_path / "plain"), "-m", str(data), "-x", str(tmp_path / "1.sig")
    )
    assert plain.returncode == 0, plain.stderr
    key.public.verify(b"data\n", Signature.parse((tmp_path / "1.sig").read_text()))
    locked = _minisign(
        "-S", "-s", str(tmp_path / "locked"), "-m", str(data), "-x", str(tmp_path / "2.sig"),
        stdin="pass phrase\n",
    )  # fmt: skip
    assert locked.returncode == 0, locked.stderr
    key.public.verify(b"data\n", Signature.parse((tmp_path / "2.sig").read_text()))
