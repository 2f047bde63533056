"""``kiosk fleet``: set up, pair and watch the kiosks of a museum over Syncthing, on the LAN only;
and ``kiosk content publish``, which sends a pack to the fleet (``--fleet``) or onto a USB
stick (``--to``).

Thin on purpose: parse, call :mod:`kiosk.fleet`, print. A refusal is one line on stderr and
exit status 1; a usage mistake exits 2. The technician's guide is docs/fleet.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
from collections.abc import Callable, Iterator
from pathlib import Path

import click

from kiosk.cli._common import CONTEXT, byte_progress, fail, json_option

HOME_ENV = "KIOSK_FLEET_HOME"


def home_option(fn: Callable[..., object]) -> Callable[..., object]:
    """``--home DIR``: the fleet home (default /var/lib/kiosk/fleet, or $KIOSK_FLEET_HOME)."""
    from kiosk.fleet.layout import DEFAULT_HOME

    return click.option(
        "--home",
        type=click.Path(path_type=Path, file_okay=False),
        default=DEFAULT_HOME,
        envvar=HOME_ENV,
        show_default=True,
        help=f"The fleet home: Syncthing's files, the synced folders (or ${HOME_ENV}).",
    )(fn)


@contextlib.contextmanager
def fleet_errors() -> Iterator[None]:
    """A refusal becomes one line and exit status 1, never a traceback."""
    from kiosk.delivery.packs import PackError
    from kiosk.delivery.signing import SigningError
    from kiosk.fleet.layout import FleetError

    try:
        yield
    except (FleetError, PackError, SigningError) as exc:
        fail(f"kiosk fleet: {exc}")
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        fail(f"kiosk fleet: {where}{(exc.strerror or str(exc)).lower()}")


@click.group("fleet", context_settings=CONTEXT)
def fleet() -> None:
    """The museum's kiosks kept in step over the LAN (Syncthing), no internet needed.

    On the curator's machine: `kiosk fleet init --role curator`, then `kiosk fleet pair` for
    each kiosk, `kiosk content publish PACK --fleet`, `kiosk fleet status`. On a kiosk,
    install/install.sh --fleet does the set-up. The guide: docs/fleet.md.
    """


@fleet.command("init", context_settings=CONTEXT)
@click.option(
    "--role", type=click.Choice(["curator", "kiosk"]), required=True, help="What this machine is."
)
@click.option("--name", required=True, help="This machine's name in the fleet, e.g. hall-2.")
@click.option(
    "--listen",
    "address",
    required=True,
    metavar="ADDRESS",
    help="This machine's LAN address (e.g. 192.168.1.20, or tcp://IP:PORT).",
)
@click.option(
    "--curator",
    metavar="DEVICE_ID@ADDRESS",
    help="On a kiosk: pair with the curator's machine at once.",
)
@click.option("--user", help="Who runs Syncthing (the files become theirs; with sudo).")
@click.option(
    "--service", is_flag=True, help="Install and start Syncthing as a systemd service (with sudo)."
)
@home_option
def init_cmd(
    role: str,
    name: str,
    address: str,
    curator: str | None,
    user: str | None,
    service: bool,
    home: Path,
) -> None:
    """Make this machine a fleet node: Syncthing's identity and its LAN-only configuration.

    Nothing is contacted and no device is accepted: pairing is done on purpose, with
    `kiosk fleet pair`. Running it again changes nothing and prints the device ID again.
    """
    from kiosk.fleet import pairing
    from kiosk.fleet import service as service_mod
    from kiosk.fleet.config import Peer, check_device_id
    from kiosk.fleet.layout import FleetHome

    with fleet_errors():
        peer = None
        if curator is not None:
            device_id, _, where = curator.partition("@")
            if not where:
                fail("kiosk fleet: --curator takes DEVICE_ID@ADDRESS", code=2)
            listen = pairing.default_listen(where)
            peer = Peer(check_device_id(device_id), "curator", listen, introducer=True)
        fleet_home = FleetHome(home)
        done = pairing.init(fleet_home, role, name, pairing.default_listen(address), curator=peer)
        if user is not None:
            _give_to(fleet_home.root, user)
        click.echo(f"{'Set up' if done.created else 'Already set up'}: {role} {name!r} in {home}")
        click.echo(f"Device ID: {done.node.device_id}")
        if service:
            unit = service_mod.render_unit(user or _current_user(), fleet_home.root)
            for line in service_mod.install_unit(unit):
                click.echo(line)
        click.echo(
            "Next: on the curator's machine, kiosk fleet pair --name NAME --device ID "
            "--address ADDRESS"
            if role == "kiosk"
            else "Next: for each kiosk, kiosk fleet pair --name NAME --device ID --address ADDRESS"
        )


def _current_user() -> str:
    return pwd.getpwuid(os.getuid()).pw_name


def _give_to(root: Path, user: str) -> None:
    from kiosk.fleet.layout import FleetError

    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise FleetError(f"no user {user!r} on this machine") from None
    for path in [root, *root.rglob("*")]:
        os.chown(path, entry.pw_uid, entry.pw_gid, follow_symlinks=False)


@fleet.command("id", context_settings=CONTEXT)
@home_option
def id_cmd(home: Path) -> None:
    """Print this machine's device ID (to pair it on the other side)."""
    from kiosk.fleet.layout import FleetHome

    with fleet_errors():
        click.echo(FleetHome(home).node().device_id)


@fleet.command("pair", context_settings=CONTEXT)
@click.option("--name", required=True, help="The other machine's name (a kiosk's own name).")
@click.option(
    "--device",
    "device_id",
    required=True,
    metavar="ID",
    help="The other machine's device ID, as `kiosk fleet id` prints it there.",
)
@click.option(
    "--address",
    required=True,
    metavar="ADDRESS",
    help="The other machine's LAN address (e.g. 192.168.1.21, or tcp://IP:PORT).",
)
@home_option
def pair_cmd(name: str, device_id: str, address: str, home: Path) -> None:
    """Pair with another machine, on purpose (Syncthing must be running here).

    On the curator's machine, pair each kiosk: it gets the packs and sends its statistics
    back. On a kiosk, pair the curator's machine (the installer's --curator does it). Devices
    that were not paired are never accepted; `kiosk fleet status` lists those that tried.
    """
    from kiosk.fleet.config import Peer
    from kiosk.fleet.layout import FleetHome
    from kiosk.fleet.pairing import default_listen, pair
    from kiosk.fleet.rest import SyncthingClient

    with fleet_errors():
        fleet_home = FleetHome(home)
        client = SyncthingClient.from_config(fleet_home.config_xml)
        peer = Peer(device_id, name, default_listen(address))
        for line in pair(client, fleet_home, peer):
            click.echo(line)


@fleet.command("status", context_settings=CONTEXT)
@json_option
@home_option
def status_cmd(as_json: bool, home: Path) -> None:
    """Every kiosk: last seen, release shown, the newest pack's journey, statistics, faults."""
    from kiosk.fleet import status
    from kiosk.fleet.layout import FleetHome
    from kiosk.fleet.rest import SyncthingClient

    with fleet_errors():
        fleet_home = FleetHome(home)
        client = SyncthingClient.from_config(fleet_home.config_xml)
        fleet_status = status.collect(fleet_home, client)
    if as_json:
        click.echo(json.dumps(status.as_json(fleet_status), indent=1))
    else:
        click.echo(status.render_table(fleet_status))


@fleet.command("targets", context_settings=CONTEXT)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write Prometheus' targets file here (else print it).",
)
@home_option
def targets_cmd(out: Path | None, home: Path) -> None:
    """The paired kiosks' node_exporters, for Prometheus on the curator's machine."""
    from kiosk.fleet.layout import FleetHome
    from kiosk.fleet.rest import SyncthingClient
    from kiosk.fleet.service import prometheus_targets, write_targets

    with fleet_errors():
        client = SyncthingClient.from_config(FleetHome(home).config_xml)
        targets = prometheus_targets(client.config(), client.my_id())
        if out is None:
            click.echo(json.dumps(targets, indent=1))
        else:
            write_targets(out, targets)
            click.echo(f"{len(targets)} kiosks written to {out}")


@click.command("publish", context_settings=CONTEXT)
@click.argument("pack", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--fleet",
    "to_fleet",
    is_flag=True,
    help="Send it to every paired kiosk (the fleet's packs folder).",
)
@click.option(
    "--to",
    "folder",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Copy it into this folder instead, e.g. a USB stick.",
)
@click.option(
    "--keep", default=3, show_default=True, help="Packs kept in the fleet's folder (the newest)."
)
@home_option
def publish(pack: Path, to_fleet: bool, folder: Path | None, keep: int, home: Path) -> None:
    """Publish a pack: to every kiosk over the LAN (--fleet), or onto a USB stick (--to DIR).

    The file appears there whole or not at all. A kiosk installs it once it has all of it and
    the signature checks, and shows it when the current visit ends.
    """
    from kiosk.fleet.layout import FleetHome, atomic_copy
    from kiosk.fleet.publish import publish as publish_pack
    from kiosk.fleet.publish import read_manifest
    from kiosk.fleet.rest import SyncthingClient

    if to_fleet == (folder is not None):
        fail("kiosk content publish: give one of --fleet or --to DIR", code=2)
    size = pack.stat().st_size
    with fleet_errors():
        if folder is not None:
            read_manifest(pack)  # a pack, not some other file
            with byte_progress(size, f"Copying {pack.name}") as progress:
                atomic_copy(pack, folder / pack.name, None, progress)
            click.echo(f"{pack.name} copied to {folder}; a kiosk installs it from the stick")
            return
        fleet_home = FleetHome(home)
        client = SyncthingClient.from_config(fleet_home.config_xml)
        with byte_progress(size, f"Publishing {pack.name}") as progress:
            done = publish_pack(
                pack,
                fleet_home,
                client,
                keep=keep,
                progress=progress,
                textfile=fleet_home.metrics_file,
            )
    click.echo(f"Published {pack.name} (version {done.version}, {size / 1e6:.1f} MB)")
    for name in done.removed:
        click.echo(f"  removed the older {name} from the fleet's folder")
    if not done.scanned:
        click.echo("  Syncthing did not answer; it will notice the pack when it runs")
    click.echo("Follow it with: kiosk fleet status")
