"""``kiosk content verify|install|rollback|list|scan``: the commands that act on a kiosk's
releases of the collection.

Thin commands over :mod:`kiosk.delivery.packs` and :mod:`kiosk.delivery.releases`, added to the
``content`` group by :mod:`kiosk.cli`. ``--root`` (the releases folder) and ``--trust`` (a public
key) override the machine settings, so scripts and tests need no settings file; without them the
settings are found as every command finds them, so ``sudo kiosk content install PACK`` on an
installed kiosk needs no options. A refusal is one line on stderr and exit status 1; a usage
mistake exits 2.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from kiosk import settings as settings_mod
from kiosk.cli._common import (
    CONTEXT,
    byte_progress,
    config_option,
    fail,
    json_option,
    load_settings,
)
from kiosk.cli.content import curator_errors, megabytes, probe_for
from kiosk.delivery import packs, releases
from kiosk.delivery.signing import PublicKey, SigningError

F = TypeVar("F", bound=Callable[..., Any])


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
            fail(f"trusted key: {exc}", code=2)
    if not keys:
        fail(
            "no trusted keys: give --trust KEY.pub or set content.trusted_keys in kiosk.yaml",
            code=2,
        )
    return keys


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


def _size(path: Path) -> int:
    """The pack's size for the progress bar (0 when it is missing: the command says so)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


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
@trust_option
@config_option
@json_option
def verify(pack_file: Path, trust: tuple[str, ...], config: Path | None, as_json: bool) -> None:
    """Check a pack's signature and every file in it, without installing anything.

    On a terminal a bar shows how much of the pack has been read.
    """
    cfg = load_settings(config)
    keys = _trusted(cfg, trust)
    label = f"Checking {pack_file.name}"
    with (
        curator_errors(),
        byte_progress(_size(pack_file), label, enabled=not as_json) as progress,
    ):
        verified = packs.verify_pack(pack_file, keys, cfg.content.max_pack_bytes, progress)
    m = verified.manifest
    if as_json:
        click.echo(json.dumps(_pack_dict(verified), indent=2, ensure_ascii=False))
        return
    click.echo(
        f"OK: {pack_file.name}: version {m.version}, created {m.created}, {len(m.files)} files "
        f"({megabytes(m.total_bytes)}), signed with key {verified.key_id}"
    )


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
    """Verify a signed pack and switch the kiosk to it in one step (the old one is kept).

    On a terminal a bar shows how much of the pack has been read.
    """
    cfg = load_settings(config)
    keys = _trusted(cfg, trust)
    releases_root = _root(cfg, root)
    label = f"Installing {pack_file.name}"
    with (
        curator_errors(),
        byte_progress(_size(pack_file), label, enabled=not as_json) as progress,
    ):
        result = releases.install_pack(
            pack_file,
            releases_root,
            keys,
            probe=probe_for(no_media),
            force=force,
            keep=cfg.content.keep_releases,
            max_bytes=cfg.content.max_pack_bytes,
            progress=progress,
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
    cfg = load_settings(config)
    with curator_errors():
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
    cfg = load_settings(config)
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
        size = megabytes(r.total_bytes)
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
    cfg = load_settings(config)
    folder = watch
    if folder is None and cfg.content.watch_folder:
        folder = cfg.resolve(cfg.content.watch_folder)
    if folder is None:
        fail("no folder to watch: give --watch DIR or set content.watch_folder", code=2)
    keys = _trusted(cfg, trust)
    with curator_errors():
        results = releases.scan_watch_folder(
            folder,
            _root(cfg, root),
            keys,
            probe=probe_for(no_media),
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
