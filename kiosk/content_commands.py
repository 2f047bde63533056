"""``kiosk content keygen|pack|verify|install|rollback|list|scan``: the curator's pack workflow.

Thin commands over :mod:`kiosk.content.packs`, :mod:`kiosk.content.releases` and
:mod:`kiosk.content.signing`, added to the ``content`` group of :mod:`kiosk.cli` by
:func:`register`. ``--root`` (the releases folder) and ``--trust`` (a public key) override the
machine settings, so scripts and tests need no settings file. A refusal is one line on stderr
and exit status 1; a usage mistake exits 2.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from kiosk import settings as settings_mod
from kiosk.cliutil import CONTEXT, load_settings
from kiosk.content import packs, releases
from kiosk.content.signing import PublicKey, SecretKey, SigningError, write_keypair
from kiosk.content.validate import Prober, validate

F = TypeVar("F", bound=Callable[..., Any])


@contextlib.contextmanager
def _curator_errors() -> Iterator[None]:
    """A refusal or a broken file becomes one line and exit status 1, never a traceback."""
    try:
        yield
    except (packs.PackError, SigningError) as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(1) from None
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"{where}{(exc.strerror or str(exc)).lower()}", err=True)
        raise SystemExit(1) from None


def _settings(config: Path | None) -> settings_mod.Settings:
    """Settings found as every command finds them, so ``sudo kiosk content install PACK`` on an
    installed kiosk needs no options."""
    return load_settings(config)


def _root(cfg: settings_mod.Settings, root: Path | None) -> Path:
    return root if root is not None else cfg.path("releases")


def _trusted(cfg: settings_mod.Settings, trust: tuple[str, ...]) -> list[PublicKey]:
    """Keys from ``--trust`` (files or RW... strings) or else from content.trusted_keys."""
    keys = []
    values = [(v, Path.cwd()) for v in trust] or [
        (v, cfg.base_dir) for v in cfg.content.trusted_keys
    ]
    for value, base in values:
        try:
            keys.append(PublicKey.from_setting(value, base))
        except SigningError as exc:
            click.echo(f"trusted key: {exc}", err=True)
            raise SystemExit(2) from None
    if not keys:
        click.echo(
            "no trusted keys: give --trust KEY.pub or set content.trusted_keys in kiosk.yaml",
            err=True,
        )
        raise SystemExit(2)
    return keys


def _probe(no_media: bool) -> Prober | None:
    if no_media:
        return None
    from kiosk.media.probe import probe

    return probe


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


def config_option(fn: F) -> F:
    return click.option(
        "--config",
        type=click.Path(path_type=Path, dir_okay=False, exists=True),
        help="Machine settings file (default: $KIOSK_CONFIG, else /etc/kiosk/kiosk.yaml if "
        "present).",
    )(fn)


def root_option(fn: F) -> F:
    return click.option(
        "--root",
        type=click.Path(path_type=Path, file_okay=False),
        help="Releases folder (default: the settings' paths.releases).",
    )(fn)


def trust_option(fn: F) -> F:
    return click.option(
        "--trust",
        multiple=True,
        metavar="PUBKEY",
        help="Trusted public key: a .pub file or the RW... string; repeatable. "
        "Replaces content.trusted_keys.",
    )(fn)


def json_option(fn: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")(fn)


@click.command(context_settings=CONTEXT)
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Secret key file to write; the public key goes beside it as OUT.pub.",
)
@click.option(
    "--no-password",
    is_flag=True,
    help="Save the secret key without a password (anyone who copies it can sign packs).",
)
@click.option("--force", is_flag=True, help="Overwrite existing key files.")
def keygen(out: Path, no_password: bool, force: bool) -> None:
    """Make a signing key pair: OUT (secret, keep it safe) and OUT.pub (for the kiosks)."""
    pub = out.with_name(out.name + ".pub")
    for path in (out, pub):
        if path.exists() and not force:
            click.echo(f"{path} already exists; use --force to overwrite it", err=True)
            raise SystemExit(1)
    password: str | None = None
    if not no_password:
        password = click.prompt(
            "Password for the secret key", hide_input=True, confirmation_prompt=True
        )
        if not password:
            click.echo("an empty password protects nothing; use --no-password", err=True)
            raise SystemExit(2)
        click.echo("Deriving a key from the password (a few seconds)...", err=True)
    key = SecretKey.generate()
    with _curator_errors():
        write_keypair(key, out, password)
    if password is None:
        click.secho(
            f"warning: {out} is not protected by a password; anyone who copies it can sign "
            "packs that your kiosks will install. Keep it off shared drives.",
            fg="yellow",
            err=True,
        )
    click.echo(f"secret key: {out} (keep it safe; it never goes onto a kiosk)")
    click.echo(f"public key: {pub} (key id {key.public.id_hex})")
    click.echo(f"On each kiosk, add it to kiosk.yaml:  content: {{trusted_keys: [{pub.name}]}}")


def _load_secret(path: Path) -> SecretKey:
    with _curator_errors():
        text = path.read_text(encoding="utf-8")
        password = None
        if SecretKey.is_encrypted(text):
            password = click.prompt(f"Password for {path.name}", hide_input=True)
        try:
            return SecretKey.parse(text, password)
        except SigningError as exc:
            raise SigningError(f"{path}: {exc}") from None


@click.command(context_settings=CONTEXT)
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help=f"Pack file to write (e.g. exhibit{packs.PACK_SUFFIX}).",
)
@click.option(
    "--key",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Secret key to sign with (made by kiosk content keygen); kiosks refuse unsigned packs.",
)
@click.option(
    "--version",
    "version",
    type=click.IntRange(min=1),
    help="Pack version, a whole number larger than the installed one (default: the date and "
    "time, YYYYMMDDhhmmss).",
)
@click.option("--no-media", is_flag=True, help="Skip opening the video files while validating.")
@json_option
def pack(
    directory: Path,
    out: Path,
    key: Path | None,
    version: int | None,
    no_media: bool,
    as_json: bool,
) -> None:
    """Check a collection folder and pack it into one signed file for the kiosks."""
    if not (directory / "collection.yaml").exists():
        click.echo(f"{directory}: no collection.yaml here; give the collection folder", err=True)
        raise SystemExit(2)
    secret = _load_secret(key) if key is not None else None
    report = validate(directory, _probe(no_media))
    if not report.ok:
        for p in report.errors:
            click.echo(str(p), err=True)
        click.echo(
            f"not packed: {len(report.errors)} errors (see kiosk content validate)", err=True
        )
        raise SystemExit(1)
    with _curator_errors():
        info = packs.make_pack(directory, out, report, key=secret, version=version)
    m = info.manifest
    if as_json:
        click.echo(
            json.dumps(
                {
                    "pack": str(info.path),
                    "version": m.version,
                    "created": m.created,
                    "files": len(m.files),
                    "bytes": m.total_bytes,
                    "key_id": info.key_id,
                    "signature": str(info.detached_signature) if info.detached_signature else None,
                    "warnings": len(report.warnings),
                },
                indent=2,
            )
        )
        return
    click.echo(
        f"packed {len(m.files)} files ({_mb(m.total_bytes)}), version {m.version} -> {info.path}"
    )
    if report.warnings:
        click.echo(f"{len(report.warnings)} warnings (see kiosk content validate)")
    if info.key_id is None:
        click.secho(
            "warning: the pack is not signed; kiosks refuse it. Sign with --key SECRET.",
            fg="yellow",
            err=True,
        )
    else:
        click.echo(f"signed with key {info.key_id}; also wrote {info.detached_signature}")


@click.command(context_settings=CONTEXT)
@click.argument("pack_file", metavar="PACK", type=click.Path(path_type=Path, dir_okay=False))
@trust_option
@config_option
@json_option
def verify(pack_file: Path, trust: tuple[str, ...], config: Path | None, as_json: bool) -> None:
    """Check a pack's signature and every file in it, without installing anything."""
    cfg = _settings(config)
    keys = _trusted(cfg, trust)
    with _curator_errors():
        verified = packs.verify_pack(pack_file, keys, cfg.content.max_pack_bytes)
    m = verified.manifest
    if as_json:
        click.echo(json.dumps(_pack_dict(verified), indent=2, ensure_ascii=False))
        return
    click.echo(
        f"OK: {pack_file.name}: version {m.version}, created {m.created}, {len(m.files)} files "
        f"({_mb(m.total_bytes)}), signed with key {verified.key_id}"
    )


def _pack_dict(verified: packs.VerifiedPack) -> dict[str, Any]:
    m = verified.manifest
    return {
        "pack": str(verified.path),
        "version": m.version,
        "created": m.created,
        "title": m.title,
        "files": len(m.files),
        "bytes": m.total_bytes,
        "key_id": verified.key_id,
        "release": m.release_name,
    }


@click.command(context_settings=CONTEXT)
@click.argument("pack_file", metavar="PACK", type=click.Path(path_type=Path, dir_okay=False))
@root_option
@trust_option
@config_option
@click.option("--force", is_flag=True, help="Allow installing an older or the same version.")
@click.option("--no-media", is_flag=True, help="Skip opening the video files while validating.")
@json_option
def install(
    pack_file: Path,
    root: Path | None,
    trust: tuple[str, ...],
    config: Path | None,
    force: bool,
    no_media: bool,
    as_json: bool,
) -> None:
    """Verify a signed pack and switch the kiosk to it in one step (the old one is kept)."""
    cfg = _settings(config)
    keys = _trusted(cfg, trust)
    releases_root = _root(cfg, root)
    with _curator_errors():
        result = releases.install_pack(
            pack_file,
            releases_root,
            keys,
            probe=_probe(no_media),
            force=force,
            keep=cfg.content.keep_releases,
            max_bytes=cfg.content.max_pack_bytes,
        )
    if as_json:
        click.echo(
            json.dumps(
                {
                    **_pack_dict(result.pack),
                    "release": result.release.name,
                    "previous": result.previous.name if result.previous else None,
                    "removed": list(result.removed),
                    "warnings": len(result.report.warnings),
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    was = f" (was {result.previous.name})" if result.previous else ""
    click.echo(f"installed {result.release.name}{was}; undo with: kiosk content rollback")
    if result.removed:
        click.echo(f"removed old releases: {', '.join(result.removed)}")


@click.command(context_settings=CONTEXT)
@root_option
@config_option
@click.option("--to", "to", metavar="NAME", help="Return to this release (see kiosk content list).")
@json_option
def rollback(root: Path | None, config: Path | None, to: str | None, as_json: bool) -> None:
    """Return to the previous release (again: the one before it)."""
    cfg = _settings(config)
    with _curator_errors():
        before, after = releases.rollback(_root(cfg, root), to)
    if as_json:
        click.echo(json.dumps({"from": before.name, "to": after.name}))
        return
    click.echo(f"rolled back from {before.name} to {after.name}")


@click.command("list", context_settings=CONTEXT)
@root_option
@config_option
@json_option
def list_cmd(root: Path | None, config: Path | None, as_json: bool) -> None:
    """List the installed releases; * marks the one the kiosk shows."""
    cfg = _settings(config)
    releases_root = _root(cfg, root)
    found = releases.releases(releases_root)
    current = releases.current_release(releases_root)
    state = releases.read_state(releases_root)

    def status(r: releases.Release) -> str:
        if current is not None and r.name == current.name:
            if state.release == r.name and state.confirmed:
                return "current"
            boots = state.boots if state.release == r.name else 0
            return f"current, not yet confirmed ({boots} starts)"
        if r.base in state.bad:
            return "failed its start-up check"
        if r.name == state.previous:
            return "previous"
        return ""

    if as_json:
        rows = [
            {
                "name": r.name,
                "version": r.version,
                "created": r.created,
                "title": r.title,
                "files": r.files,
                "bytes": r.total_bytes,
                "current": current is not None and r.name == current.name,
                "status": status(r),
            }
            for r in found
        ]
        click.echo(json.dumps({"root": str(releases_root), "releases": rows}, indent=2))
        return
    if not found:
        click.echo(f"{releases_root}: no releases installed")
        return
    width = max(len(r.name) for r in found)
    for r in reversed(found):
        mark = "*" if current is not None and r.name == current.name else " "
        note = status(r)
        size = _mb(r.total_bytes)
        line = f"{mark} {r.name:<{width}}  {r.created:<20}  {r.files:>5} files  {size:>10}"
        click.echo(line + (f"  {note}" if note else ""))


@click.command(context_settings=CONTEXT)
@click.option(
    "--watch",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder to search (default: the settings' content.watch_folder).",
)
@root_option
@trust_option
@config_option
@click.option("--no-media", is_flag=True, help="Skip opening the video files while validating.")
@json_option
def scan(
    watch: Path | None,
    root: Path | None,
    trust: tuple[str, ...],
    config: Path | None,
    no_media: bool,
    as_json: bool,
) -> None:
    """Install any new pack in the watched folder once, as the running kiosk does."""
    cfg = _settings(config)
    folder = watch
    if folder is None and cfg.content.watch_folder:
        value = Path(cfg.content.watch_folder)
        folder = value if value.is_absolute() else cfg.base_dir / value
    if folder is None:
        click.echo("no folder to watch: give --watch DIR or set content.watch_folder", err=True)
        raise SystemExit(2)
    keys = _trusted(cfg, trust)
    with _curator_errors():
        results = releases.scan_watch_folder(
            folder,
            _root(cfg, root),
            keys,
            probe=_probe(no_media),
            keep=cfg.content.keep_releases,
            max_bytes=cfg.content.max_pack_bytes,
            settle_s=0.0,
        )
    if as_json:
        rows = [
            {"pack": str(r.path), "installed": r.installed, "message": r.message} for r in results
        ]
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        for r in results:
            click.echo(f"{r.path}: {r.message}")
        if not results:
            click.echo(f"{folder}: no new packs")
    if any(not r.installed for r in results):
        raise SystemExit(1)


COMMANDS = (keygen, pack, verify, install, rollback, list_cmd, scan)


def register(group: click.Group) -> None:
    """Add the pack commands to the ``kiosk content`` group."""
    for command in COMMANDS:
        group.add_command(command)
