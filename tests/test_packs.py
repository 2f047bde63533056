"""Content packs: make, verify, refuse every bad one, and the commands a curator runs.

Every bad pack must be refused with a clear message and leave the releases folder exactly as it
was. Installing, rollback, the start-up check and the watched folder are in test_releases.py;
the power-cut test is in test_packs_powercut.py.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.cli import main
from kiosk.content.validate import validate
from kiosk.delivery import packs, releases
from kiosk.delivery.packs import FileEntry, Manifest, PackError
from kiosk.delivery.signing import SecretKey, write_keypair
from testkit.packs import build_pack, release_is_complete, retitle

MINISIGN = shutil.which("minisign")
needs_minisign = pytest.mark.skipif(
    MINISIGN is None, reason="the minisign program is not installed (Debian package: minisign)"
)


# --- helpers ------------------------------------------------------------------------------


def snapshot(root: Path) -> dict[str, tuple[object, ...]]:
    """Everything under ``root``: type, link target, size and hash."""
    out: dict[str, tuple[object, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                out[rel] = ("link", os.readlink(path))
            elif path.is_dir():
                out[rel] = ("dir",)
            else:
                out[rel] = ("file", hashlib.sha256(path.read_bytes()).hexdigest())
    return out


@pytest.fixture
def key() -> SecretKey:
    return SecretKey.generate()


@pytest.fixture
def src(make_collection: Callable[..., Path]) -> Path:
    return make_collection()


# --- making and verifying -------------------------------------------------------------------


def test_pack_layout_manifest_and_signature(src: Path, key: SecretKey, tmp_path: Path) -> None:
    pack = build_pack(src, tmp_path / "v1.wrpack", key, 1)
    with tarfile.open(pack) as tf:
        names = tf.getnames()
        manifest = Manifest.parse(tf.extractfile(packs.MANIFEST).read())  # type: ignore[union-attr]
    assert names[:2] == [packs.MANIFEST, packs.MANIFEST_SIG]
    assert names[2:] == [f"content/{f.path}" for f in manifest.files]
    on_disk = sorted(p.relative_to(src).as_posix() for p in src.rglob("*") if p.is_file())
    assert sorted(f.path for f in manifest.files) == on_disk
    clip = next(f for f in manifest.files if f.path == "media/master.mp4")
    assert clip.sha256 == hashlib.sha256((src / "media/master.mp4").read_bytes()).hexdigest()
    assert clip.size == (src / "media/master.mp4").stat().st_size
    assert manifest.version == 1 and manifest.created.endswith("Z")
    assert manifest.validation["ok"] is True and manifest.validation["explorers"] == 2
    assert (tmp_path / "v1.wrpack.minisig").exists()
    verified = packs.verify_pack(pack, [key.public])
    assert verified.key_id == key.public.id_hex and verified.manifest == manifest


def test_making_verifying_and_installing_tell_their_progress(
    src: Path, key: SecretKey, tmp_path: Path
) -> None:
    """A large pack takes a while: each step reports bytes done, rising, ending at the total."""
    (src / "media" / "archive.bin").write_bytes(os.urandom(5 << 20))  # several 1 MB chunks
    made: list[tuple[int, int]] = []
    pack = tmp_path / "v1.wrpack"
    packs.make_pack(
        src, pack, validate(src), key=key, version=1, progress=lambda d, t: made.append((d, t))
    )
    totals = {t for _, t in made}
    content = sum(p.stat().st_size for p in src.rglob("*") if p.is_file())
    assert totals == {3 * content}  # hashing, writing, signing: each one pass over the content
    done = [d for d, _ in made]
    assert len(done) > 10 and done == sorted(done) and done[-1] == 3 * content
    size = pack.stat().st_size
    for step in ("verify", "install"):
        read: list[int] = []
        if step == "verify":
            packs.verify_pack(pack, [key.public], progress=read.append)
        else:
            releases.install_pack(pack, tmp_path / "releases", [key.public], progress=read.append)
        assert len(read) > 3 and read == sorted(set(read)) and read[-1] == size, step


def test_pack_refuses_links_and_broken_collections(
    src: Path, key: SecretKey, tmp_path: Path
) -> None:
    (src / "media" / "alias.mp4").symlink_to(src / "media" / "master.mp4")
    with pytest.raises(PackError, match="links are not packed"):
        build_pack(src, tmp_path / "x.wrpack", key, 1)
    (src / "media" / "alias.mp4").unlink()
    (src / "collection.yaml").write_text("title: [\n", encoding="utf-8")
    with pytest.raises(PackError, match="errors; fix them before packing"):
        build_pack(src, tmp_path / "x.wrpack", key, 1)
    assert not (tmp_path / "x.wrpack").exists()
    with pytest.raises(PackError, match="outside the collection folder"):
        build_pack(src, src / "x.wrpack", key, 1)


@needs_minisign
def test_curator_checks_a_pack_with_minisign(src: Path, tmp_path: Path) -> None:
    """Both the detached signature over the pack and the one inside it verify with minisign."""
    key = SecretKey.generate()
    pub = write_keypair(key, tmp_path / "curator", None)
    pack = build_pack(src, tmp_path / "v1.wrpack", key, 1)
    assert MINISIGN is not None
    out = subprocess.run(
        [MINISIGN, "-Vm", str(pack), "-p", str(pub)], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    assert "White Road content pack: version 1" in out.stdout
    with tarfile.open(pack) as tf:
        tf.extractall(tmp_path / "x", members=[tf.getmember(n) for n in tf.getnames()[:2]])
    out = subprocess.run(
        [MINISIGN, "-Vm", str(tmp_path / "x" / packs.MANIFEST), "-p", str(pub)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr


BAD_CASES = [
    "wrong key",
    "tampered file",
    "tampered manifest",
    "truncated",
    "path traversal",
    "traversal in manifest",
    "absolute path",
    "symlink",
    "hard link",
    "device",
    "oversize pack",
    "file larger than manifest",
    "duplicate entry",
    "extra data appended",
    "unsigned",
    "downgrade",
    "reinstall",
    "invalid collection",
]


def _members(src: Path) -> tuple[list[FileEntry], list[tuple[tarfile.TarInfo, bytes | None]]]:
    entries, members = [], []
    for rel, path in packs.collect_files(src):
        data = path.read_bytes()
        entries.append(FileEntry(rel, len(data), hashlib.sha256(data).hexdigest()))
        info = tarfile.TarInfo(f"content/{rel}")
        info.size = len(data)
        members.append((info, data))
    return entries, members


def craft(
    out: Path,
    key: SecretKey | None,
    entries: list[FileEntry],
    members: list[tuple[tarfile.TarInfo, bytes | None]],
    version: int = 9,
) -> Path:
    """A pack written by hand: a signed manifest of ``entries``, then exactly ``members``."""
    raw = json.dumps(
        {
            "format": packs.PACK_FORMAT,
            "format_version": packs.FORMAT_VERSION,
            "version": version,
            "created": "2025-01-01T00:00:00Z",
            "files": [{"path": e.path, "size": e.size, "sha256": e.sha256} for e in entries],
        }
    ).encode()
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tf:
        info = tarfile.TarInfo(packs.MANIFEST)
        info.size = len(raw)
        tf.addfile(info, io.BytesIO(raw))
        if key is not None:
            sig = key.sign(raw, f"version {version}").to_text().encode()
            info = tarfile.TarInfo(packs.MANIFEST_SIG)
            info.size = len(sig)
            tf.addfile(info, io.BytesIO(sig))
        for info, data in members:
            tf.addfile(info, io.BytesIO(data) if data is not None else None)
    return out


def _special(name: str, kind: bytes, target: str = "") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, None


def _bad_pack(case: str, src: Path, key: SecretKey, tmp_path: Path) -> tuple[Path, str, int]:
    """(pack, expected message, size limit) for one kind of bad pack."""
    out = tmp_path / f"{case.replace(' ', '-')}.wrpack"
    limit = packs.DEFAULT_MAX_PACK_BYTES
    entries, members = _members(src)
    clip = next(i for i, e in enumerate(entries) if e.path.endswith("clips/clip.mp4"))
    if case == "wrong key":
        return build_pack(src, out, SecretKey.generate(), 9), "not trusted here", limit
    if case in ("tampered file", "tampered manifest"):
        build_pack(src, out, key, 9)
        with tarfile.open(out) as tf:
            name = (
                packs.MANIFEST if case == "tampered manifest" else f"content/{entries[clip].path}"
            )
            offset = tf.getmember(name).offset_data + 40
        data = bytearray(out.read_bytes())
        data[offset] ^= 0x01
        out.write_bytes(bytes(data))
        expected = "changed after signing" if case == "tampered file" else "does not match"
        return out, expected, limit
    if case == "truncated":
        build_pack(src, out, key, 9)
        out.write_bytes(out.read_bytes()[: out.stat().st_size * 2 // 3])
        return out, "cut short|incomplete|damaged", limit
    if case == "path traversal":
        members.append((tarfile.TarInfo("content/../../evil"), b""))
        return craft(out, key, entries, members), r"unsafe entry .*climbs out", limit
    if case == "traversal in manifest":
        entries.append(FileEntry("../evil", 0, hashlib.sha256(b"").hexdigest()))
        return craft(out, key, entries, members), "unsafe path '../evil'", limit
    if case == "absolute path":
        members.insert(0, (tarfile.TarInfo("/evil"), b""))
        return craft(out, key, entries, members), "unsafe entry '/evil': absolute", limit
    if case == "symlink":
        members[clip] = _special(members[clip][0].name, tarfile.SYMTYPE, "/etc/passwd")
        return craft(out, key, entries, members), "is a symbolic link", limit
    if case == "hard link":
        members[clip] = _special(members[clip][0].name, tarfile.LNKTYPE, "content/media/master.mp4")
        return craft(out, key, entries, members), "is a hard link", limit
    if case == "device":
        members[clip] = _special(members[clip][0].name, tarfile.CHRTYPE)
        return craft(out, key, entries, members), "is a device", limit
    if case == "oversize pack":
        return build_pack(src, out, key, 9), "over this kiosk's limit", 100_000
    if case == "file larger than manifest":
        info, data = members[clip]
        assert data is not None
        info.size += 4096
        members[clip] = (info, data + bytes(4096))
        return craft(out, key, entries, members), "larger than its manifest says", limit
    if case == "duplicate entry":
        members.append(members[0])
        return craft(out, key, entries, members), "holds content/collection.yaml twice", limit
    if case == "extra data appended":
        build_pack(src, out, key, 9)
        with out.open("ab") as fh:
            fh.write(bytes(200_000))
        return out, "larger than its manifest allows", limit
    if case == "unsigned":
        return build_pack(src, out, None, 9), "not signed", limit
    if case == "downgrade":
        return build_pack(src, out, key, 1), "older than the installed 2 .*--force", limit
    if case == "reinstall":
        return tmp_path / "v2.wrpack", "already installed", limit
    if case == "invalid collection":
        yaml_index = next(i for i, e in enumerate(entries) if e.path == "collection.yaml")
        broken = b"title: [\n"
        entries[yaml_index] = FileEntry("collection.yaml", len(broken), _sha(broken))
        info = tarfile.TarInfo("content/collection.yaml")
        info.size = len(broken)
        members[yaml_index] = (info, broken)
        return craft(out, key, entries, members), "the collection in the pack has", limit
    raise AssertionError(case)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_pack_is_refused_and_nothing_changes(
    case: str, src: Path, key: SecretKey, tmp_path: Path
) -> None:
    root = tmp_path / "releases"
    retitle(src, "Edition 2")
    installed = build_pack(src, tmp_path / "v2.wrpack", key, 2)
    releases.install_pack(installed, root, [key.public])
    pack, expected, limit = _bad_pack(case, src, key, tmp_path)
    before = snapshot(root)
    with pytest.raises(PackError, match=expected) as err:
        releases.install_pack(pack, root, [key.public], max_bytes=limit)
    assert "\n" not in str(err.value)
    assert snapshot(root) == before
    current = releases.current_release(root)
    assert current is not None and current.version == 2 and release_is_complete(current)
    if case in ("downgrade", "reinstall"):
        assert releases.install_pack(pack, root, [key.public], force=True).release.version in (1, 2)


def test_cli_refusal_is_one_line(src: Path, key: SecretKey, tmp_path: Path) -> None:
    pub = write_keypair(SecretKey.generate(), tmp_path / "other", None)
    pack = build_pack(src, tmp_path / "v.wrpack", key, 3)
    runner = CliRunner()
    result = runner.invoke(
        main, ["content", "install", str(pack), "--root", str(tmp_path / "r"), "--trust", str(pub)]
    )
    assert result.exit_code == 1
    assert "not trusted here" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    empty = tmp_path / "kiosk.yaml"
    empty.write_text("content: {keep_releases: 2}\n")
    result = runner.invoke(
        main,
        ["content", "install", str(pack), "--root", str(tmp_path / "r"), "--config", str(empty)],
    )
    assert result.exit_code == 2 and "no trusted keys" in result.output


# --- the command line, end to end -----------------------------------------------------------


def test_cli_keygen_pack_verify_install_list_rollback(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kiosk.cli import content as content_commands

    # Cheap password hashing for the test; minisign's default costs a second or more.
    monkeypatch.setattr(
        content_commands,
        "write_keypair",
        lambda k, p, pw: write_keypair(k, p, pw, opslimit=1 << 20, memlimit=1 << 25),
    )
    runner = CliRunner()
    key_file = tmp_path / "curator.key"
    result = runner.invoke(
        main, ["content", "keygen", "--out", str(key_file)], input="s3cret\ns3cret\n"
    )
    assert result.exit_code == 0, result.output
    pub = tmp_path / "curator.key.pub"
    assert pub.exists() and key_file.stat().st_mode & 0o077 == 0
    again = runner.invoke(main, ["content", "keygen", "--out", str(key_file), "--no-password"])
    assert again.exit_code == 1 and "already exists" in again.output
    root = tmp_path / "releases"
    common = ["--root", str(root), "--trust", str(pub)]
    for version in (1, 2):
        retitle(src, f"Edition {version}")
        pack = tmp_path / f"v{version}.wrpack"
        result = runner.invoke(
            main,
            ["content", "pack", str(src), "-o", str(pack), "--key", str(key_file),
             "--version", str(version), "--no-media"],
            input="s3cret\n",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert f"version {version}" in result.output
        result = runner.invoke(main, ["content", "verify", str(pack), "--trust", str(pub)])
        assert result.exit_code == 0 and result.output.startswith("OK:"), result.output
        result = runner.invoke(main, ["content", "install", str(pack), *common, "--no-media"])
        assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["content", "list", "--root", str(root), "--json"])
    listing = json.loads(result.output)
    assert [(r["version"], r["current"]) for r in listing["releases"]] == [(1, False), (2, True)]
    result = runner.invoke(main, ["content", "rollback", "--root", str(root)])
    assert result.exit_code == 0 and "to 1-" in result.output
    result = runner.invoke(main, ["content", "list", "--root", str(root)])
    assert result.output.splitlines()[1].startswith("* 1-"), result.output
    result = runner.invoke(main, ["content", "install", str(tmp_path / "v1.wrpack"), *common])
    assert result.exit_code == 1 and "already installed" in result.output
    wrong = runner.invoke(
        main,
        ["content", "pack", str(src), "-o", str(tmp_path / "x.wrpack"), "--key", str(key_file)],
        input="nope\n",
    )
    assert wrong.exit_code == 1 and "wrong password" in wrong.output
