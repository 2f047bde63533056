"""``kiosk studio``: the curator's web studio for a collection folder, served on this machine."""

from __future__ import annotations

import secrets
import threading
import webbrowser
from pathlib import Path

import click

from kiosk.cli._common import CONTEXT, config_option, fail, load_settings

LOCAL = ("127.0.0.1", "localhost", "::1")


@click.command(context_settings=CONTEXT)
@click.option(
    "--content",
    type=click.Path(path_type=Path, file_okay=False),
    help="Collection folder (default: the settings' paths.content).",
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8765,
    show_default=True,
    help="Port to listen on.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Any other than this machine's asks for an access code, "
    "printed here.",
)
@click.option("--no-browser", is_flag=True, help="Do not open the browser.")
@click.option(
    "--media",
    "media_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="A folder of clips and pictures to add from.",
)
@click.option(
    "--out",
    "out_dirs",
    multiple=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="A folder the publish page offers for packs (USB sticks are found by "
    "themselves); may be repeated.",
)
@config_option
def studio(
    content: Path | None,
    port: int,
    host: str,
    no_browser: bool,
    media_dir: Path | None,
    out_dirs: tuple[Path, ...],
    config: Path | None,
) -> None:
    """Open the curator's studio: edit explorers, routes, clips and captions, preview them as
    the kiosk draws them, and publish a signed pack. Works offline."""
    import uvicorn

    from kiosk.studio.app import StudioConfig, create_app

    settings = load_settings(config)
    root = content if content is not None else settings.path("content")
    if not (root / "collection.yaml").is_file():
        fail(f"{root}: no collection.yaml here; give the collection folder with --content", 2)
    token = None if host in LOCAL else secrets.token_urlsafe(9)
    app = create_app(
        StudioConfig(
            root,
            settings,
            port=port,
            host=host,
            media_dir=media_dir,
            access_token=token,
            out_dirs=out_dirs,
        )
    )
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{'127.0.0.1' if host in LOCAL else shown}:{port}/"
    click.echo(f"White Road studio for {root.resolve()} at {url} (Ctrl+C to stop)")
    if token is not None:
        click.secho(f"Access code (asked once in each browser): {token}", bold=True)
    if not no_browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    uvicorn.run(app, host=host, port=port, log_level="warning")
