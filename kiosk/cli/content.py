"""``kiosk content``: the collection group, and the commands a curator runs on their own machine:
``validate`` (check a folder), ``keygen`` (a signing key pair) and ``pack`` (one signed file).

The commands that act on a kiosk's releases (verify, install, rollback, list, scan) are in
:mod:`kiosk.cli.content_releases`. A refusal is one line on stderr and exit status 1; a usage
mistake exits 2.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import click

from kiosk.cli._common import (
    CONTEXT,
    byte_progress,
    config_option,
    fail,
    json_option,
    load_settings,
)
from kiosk.content.validate import Prober, validate
from kiosk.delivery import packs
from kiosk.delivery.signing import SecretKey, SigningError, write_keypair


@contextlib.contextmanager
def curator_errors() -> Iterator[None]:
    """A refusal or a broken file becomes one line and exit status 1, never a traceback."""
    try:
        yield
    except (packs.PackError, SigningError) as exc:
        fail(str(exc))
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        fail(f"{where}{(exc.strerror or str(exc)).lower()}")


def probe_for(no_media: bool) -> Prober | None:
    """The quick media probe the pack commands validate with, or None for ``--no-media``."""
    if no_media:
        return None
    from kiosk.media.probe import probe

    return probe


def megabytes(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


def _require_collection(root: Path) -> None:
    if not (root / "collection.yaml").exists():
        fail(f"{root}: no collection.yaml here; give the collection folder", code=2)


@click.group(context_settings=CONTEXT)
def content() -> None:
    """Check, pack and install the collection (explorers, texts, clips)."""


@content.command("validate", context_settings=CONTEXT)
@click.argument(
    "directory",
    required=False,
    type=click.Path(path_type=Path, file_okay=False),
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--no-media", is_flag=True, help="Skip opening the video files (faster).")
@click.option(
    "--no-speed",
    is_flag=True,
    help="Skip timing a few seconds of each clip's decoding on this machine (faster).",
)
@config_option
def validate_cmd(
    directory: Path | None, as_json: bool, no_media: bool, no_speed: bool, config: Path | None
) -> None:
    """Check a collection folder; list every problem as file:line: message.

    Checks the YAML, media (opened and read to the end), captions (timing and readability),
    that every letter can be drawn by the bundled fonts, that names and summaries fit the
    screen (by the settings' screen size and caption rules), and the images. Exits 0 when the
    collection can be shown (warnings allowed), 1 when it has errors.
    """
    from kiosk.media.probe import probe_deep
    from kiosk.ui import theme
    from kiosk.ui.fit import screen_checks

    cfg = load_settings(config)
    root = directory if directory is not None else Path("content")
    _require_collection(root)
    checks = [screen_checks(cfg)]
    timed = not no_media and not no_speed
    if timed:
        from kiosk.media.speed import slow_clip_check

        # Clips this machine decodes at less than 1.5x real time (a 4K HEVC file) are named.
        checks.append(slow_clip_check((cfg.display.width, cfg.display.height)))
    report = validate(
        root,
        None if no_media else probe_deep,
        rules=cfg.validation,
        fonts=list(theme.FONTS.values()),
        extra=lambda c: [p for check in checks for p in check(c)],
    )
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        for path, problems in report.grouped().items():
            click.secho(str(path), bold=True)
            for p in problems:
                colour = "red" if p.severity == "error" else "yellow"
                label = click.style(p.severity, fg=colour)
                click.echo(f"{path}:{p.line}: {label}: {p.message}")
        if timed:
            from kiosk.media.speed import KIOSK_UNIT, machine

            click.echo(f"Clips timed on {machine()}.")
            if not KIOSK_UNIT.exists():
                click.echo(
                    "This is not a kiosk: a clip quick enough here may be too heavy for the "
                    "kiosk; `kiosk doctor` there times them on its own hardware."
                )
        verdict = "OK" if report.ok else "FAILED"
        click.echo(
            f"{verdict}: {report.explorers} explorers, {report.segments} segments, "
            f"{len(report.errors)} errors, {len(report.warnings)} warnings"
        )
    raise SystemExit(0 if report.ok else 1)


@content.command(context_settings=CONTEXT)
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
            fail(f"{path} already exists; use --force to overwrite it")
    password: str | None = None
    if not no_password:
        password = click.prompt(
            "Password for the secret key", hide_input=True, confirmation_prompt=True
        )
        if not password:
            fail("an empty password protects nothing; use --no-password", code=2)
        click.echo("Deriving a key from the password (a few seconds)...", err=True)
    key = SecretKey.generate()
    with curator_errors():
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
    with curator_errors():
        text = path.read_text(encoding="utf-8")
        password = None
        if SecretKey.is_encrypted(text):
            password = click.prompt(f"Password for {path.name}", hide_input=True)
        try:
            return SecretKey.parse(text, password)
        except SigningError as exc:
            raise SigningError(f"{path}: {exc}") from None


@content.command(context_settings=CONTEXT)
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
    """Check a collection folder and pack it into one signed file for the kiosks.

    A large collection takes a while: on a terminal a bar shows how far it has got.
    """
    _require_collection(directory)
    secret = _load_secret(key) if key is not None else None
    report = validate(directory, probe_for(no_media))
    if not report.ok:
        for p in report.errors:
            click.echo(str(p), err=True)
        fail(f"not packed: {len(report.errors)} errors (see kiosk content validate)")
    with (
        curator_errors(),
        byte_progress(0, f"Packing {out.name}", enabled=not as_json) as progress,
    ):
        info = packs.make_pack(
            directory, out, report, key=secret, version=version, progress=progress
        )
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
        f"packed {len(m.files)} files ({megabytes(m.total_bytes)}), version {m.version} "
        f"-> {info.path}"
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
