"""``kiosk mirror``: the frost mirror on a photograph or a video file.

Thin commands over :mod:`kiosk.mirror.files`: the same models, tracking and stylizer as the live
mirror, on a file instead of the camera. They read the input and write only the output asked
for; the camera is never opened.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from kiosk.cli._common import CONTEXT, config_option, fail, json_option, load_settings


@click.group("mirror", context_settings=CONTEXT)
def mirror_group() -> None:
    """Run the frost mirror on a photograph or a video file (never the camera)."""


def _open(models: Path | None, config: Path | None, provider: str) -> Any:
    from kiosk.mirror.files import FileMirror
    from kiosk.mirror.manifest import ManifestError
    from kiosk.mirror.stylizer import StylizerError

    folder = models if models is not None else load_settings(config).path("models")
    try:
        return FileMirror.load(folder, provider)
    except (ManifestError, StylizerError) as exc:
        fail(f"kiosk mirror: {exc}")


def _say(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(report))
        return
    faces = report.get("faces")
    if faces is None:  # a clip
        counts = [len(f["faces"]) for f in report["frames"]]
        click.echo(
            f"wrote {report['output']}: {len(counts)} frames, up to {max(counts, default=0)} "
            f"face(s); median ms per frame {report['timings_ms']}"
        )
    else:
        coverage = report["mask_coverage"]
        mask = "no person mask" if coverage is None else f"person mask {coverage:.0%} of it"
        click.echo(f"wrote {report['output']}: {len(faces)} face(s), {mask}")
        for face in faces:
            box = ", ".join(f"{v:.0f}" for v in face["box"])
            click.echo(f"  face {face['id']}: box {box}, confidence {face['confidence']:.2f}")
    for name, problem in report["problems"].items():
        click.echo(f"  {name}: {problem} (the plain frost grade stands in)", err=True)


def _options(fn: Any) -> Any:
    fn = json_option(fn)
    fn = config_option(fn)
    fn = click.option(
        "--models",
        type=click.Path(path_type=Path, file_okay=False, exists=True),
        help="Models folder (default: the settings' paths.models).",
    )(fn)
    fn = click.option(
        "--provider",
        type=click.Choice(["cpu", "cuda", "auto"]),
        default="cpu",
        show_default=True,
        help="Where the models run.",
    )(fn)
    fn = click.option(
        "-o",
        "--out",
        type=click.Path(path_type=Path, dir_okay=False),
        required=True,
        help="The file to write.",
    )(fn)
    return click.argument("source", type=click.Path(path_type=Path, dir_okay=False, exists=True))(
        fn
    )


@mirror_group.command(context_settings=CONTEXT)
@_options
def photo(
    source: Path, out: Path, provider: str, models: Path | None, config: Path | None, as_json: bool
) -> None:
    """Put the people in photograph SOURCE in the frost; write a PNG to OUT.

    --json prints each face's box and 468 landmarks (in SOURCE's pixels), its confidence, the
    person mask's coverage and the time each part took.
    """
    from kiosk.mirror.files import MirrorFileError, mirror_photo

    if out.suffix.lower() != ".png":
        fail("kiosk mirror photo: the output is a PNG picture (-o NAME.png)", code=2)
    mirror = _open(models, config, provider)
    try:
        _say(mirror_photo(mirror, source, out), as_json)
    except MirrorFileError as exc:
        fail(f"kiosk mirror photo: {exc}")


@mirror_group.command(context_settings=CONTEXT)
@_options
def clip(
    source: Path, out: Path, provider: str, models: Path | None, config: Path | None, as_json: bool
) -> None:
    """Put the people in video SOURCE in the frost, frame by frame; write an MP4 to OUT.

    Faces are tracked and smoothed as in the live mirror. --json prints one object with every
    frame's faces (box, 468 landmarks in SOURCE's pixels, confidence) and mask coverage, and
    the median time per frame of each part.
    """
    from kiosk.mirror.files import MirrorFileError, mirror_clip

    if out.suffix.lower() != ".mp4":
        fail("kiosk mirror clip: the output is an MP4 video (-o NAME.mp4)", code=2)
    mirror = _open(models, config, provider)
    try:
        _say(mirror_clip(mirror, source, out), as_json)
    except MirrorFileError as exc:
        fail(f"kiosk mirror clip: {exc}")
