"""``kiosk fleet`` and ``kiosk content publish``: thin commands, one clear line on a refusal.

With a real Syncthing the commands run in tests/e2e/test_fleet.py; here Syncthing is not
running, which they must say plainly.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.cli import main
from kiosk.content.validate import validate
from kiosk.delivery.packs import make_pack
from kiosk.delivery.signing import SecretKey
from kiosk.fleet.layout import FleetHome

ME = "TOI62XT-WZTOO45-GSWNJEA-N3A7MDF-6ESCVKM-JETJD4H-H3QZWOQ-FDJXRAE"


@pytest.fixture
def pack(make_collection: Callable[..., Path], tmp_path: Path) -> Path:
    src = make_collection()
    out = tmp_path / "white-road-7.wrpack"
    make_pack(src, out, validate(src), key=SecretKey.generate(), version=7)
    return out


@pytest.fixture
def curator(tmp_path: Path) -> FleetHome:
    """A curator's fleet home whose Syncthing is not running."""
    home = FleetHome(tmp_path / "fleet")
    home.packs.mkdir(parents=True)
    home.syncthing.mkdir()
    home.node_file.write_text(json.dumps({"role": "curator", "name": "curator", "device_id": ME}))
    home.config_xml.write_text(
        f'<configuration><gui tls="false"><address>{tmp_path / "none.sock"}</address>'
        "<apikey>abc</apikey></gui></configuration>"
    )
    return home


def test_publish_to_the_fleet_without_syncthing_still_publishes(
    curator: FleetHome, pack: Path
) -> None:
    out = CliRunner().invoke(
        main, ["content", "publish", str(pack), "--fleet", "--home", str(curator.root)]
    )
    assert out.exit_code == 0, out.output
    assert "Published white-road-7.wrpack (version 7" in out.output
    assert "Syncthing did not answer" in out.output
    assert (curator.packs / pack.name).read_bytes() == pack.read_bytes()
    assert "kiosk_fleet_published_pack_version 7" in curator.metrics_file.read_text()


def test_publish_onto_a_stick(pack: Path, tmp_path: Path) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    out = CliRunner().invoke(main, ["content", "publish", str(pack), "--to", str(stick)])
    assert out.exit_code == 0, out.output
    assert [p.name for p in stick.iterdir()] == [pack.name]
    junk = tmp_path / "junk.wrpack"
    junk.write_bytes(b"junk")
    out = CliRunner().invoke(main, ["content", "publish", str(junk), "--to", str(stick)])
    assert out.exit_code == 1 and "Traceback" not in out.output
    assert [p.name for p in stick.iterdir()] == [pack.name]


def test_mistakes_are_one_line(curator: FleetHome, pack: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    both = runner.invoke(main, ["content", "publish", str(pack)])
    assert both.exit_code == 2 and "one of --fleet or --to" in both.output
    down = runner.invoke(main, ["fleet", "status", "--home", str(curator.root)])
    assert down.exit_code == 1 and "Syncthing does not answer" in down.output
    assert "Traceback" not in down.output
    bare = runner.invoke(main, ["fleet", "id", "--home", str(tmp_path / "nothing")])
    assert bare.exit_code == 1 and "kiosk fleet init" in bare.output
    bad = runner.invoke(
        main,
        ["fleet", "pair", "--name", "hall-2", "--device", "nope", "--address", "10.0.0.2",
         "--home", str(curator.root)],
    )  # fmt: skip
    assert bad.exit_code == 1 and "not a Syncthing device ID" in bad.output
    assert runner.invoke(main, ["fleet", "id", "--home", str(curator.root)]).output.strip() == ME


@pytest.mark.skipif(shutil.which("syncthing") is None, reason="syncthing is not installed")
def test_init_prints_the_device_id_and_is_idempotent(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["fleet", "init", "--role", "kiosk", "--name", "hall-2", "--listen", "10.0.0.12",
            "--home", str(tmp_path / "fleet")]  # fmt: skip
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "Set up: kiosk 'hall-2'" in first.output and "Device ID: " in first.output
    again = runner.invoke(main, args)
    assert again.exit_code == 0 and "Already set up" in again.output
    assert again.output.split("Device ID: ")[1][:63] == first.output.split("Device ID: ")[1][:63]
