"""A fleet on one machine, for the end-to-end test and the benchmark: a curator and N kiosks.

:class:`FleetLab` builds the hosts as network namespaces (:class:`testkit.netns.Lab`), makes each
a fleet node with the product's own code (:func:`kiosk.fleet.pairing.init`, the kiosks given
their curator as the installer would), starts a real Syncthing in each namespace and pairs the
kiosks on the curator's machine through its REST API (:func:`kiosk.fleet.pairing.pair`).

Each kiosk's Python side runs in this process as a :class:`KioskAgent` thread: a
:class:`kiosk.delivery.source.ContentSource` whose ``scan`` is the kiosk's
:meth:`kiosk.fleet.agent.FleetKiosk.scan`, as in the running kiosk, and a loop that takes a new
release at each "attract boundary" (every pass) and remembers when. It needs no network: it
talks to its Syncthing over a Unix socket and works on files. An analytics database per kiosk
receives events while the lab runs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import tarfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.analytics import schema
from kiosk.content.validate import validate
from kiosk.delivery.packs import MANIFEST_SIG, make_pack
from kiosk.delivery.signing import PublicKey, SecretKey
from kiosk.delivery.source import ContentSource
from kiosk.fleet.agent import FleetKiosk
from kiosk.fleet.config import Peer
from kiosk.fleet.layout import FleetHome
from kiosk.fleet.pairing import default_listen, init, pair
from kiosk.fleet.rest import SyncthingClient
from testkit.netns import Lab

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "content"
CURATOR = "curator"


def syncthing_binary() -> str | None:
    return shutil.which("syncthing")


def make_content_pack(
    out: Path, key: SecretKey, version: int, *, pad_bytes: int = 0, work: Path | None = None
) -> Path:
    """A signed pack of the bundled collection (about 11 MB), with ``pad_bytes`` of random
    data added as an extra file to make it larger."""
    src = BUNDLED
    if pad_bytes:
        assert work is not None
        src = work / f"collection-{version}"
        shutil.rmtree(src, ignore_errors=True)
        shutil.copytree(BUNDLED, src, ignore=shutil.ignore_patterns("build"))
        with (src / "media" / "archive.bin").open("wb") as fh:
            left = pad_bytes
            while left > 0:
                n = min(left, 8 << 20)
                fh.write(os.urandom(n))
                left -= n
    make_pack(src, out, validate(src), key=key, version=version)
    return out


def tamper_signature(pack: Path) -> None:
    """Change one character of the manifest's signature inside the pack (a bad signature)."""
    with tarfile.open(pack) as tf:
        sig = tf.getmember(MANIFEST_SIG)
        reader = tf.extractfile(sig)
        assert reader is not None
        text = reader.read().decode()
    lines = text.split("\n")
    # Character 40 of the base64 line lies in the Ed25519 signature itself (not the key id).
    line = lines[1]
    lines[1] = line[:40] + ("B" if line[40] != "B" else "C") + line[41:]
    with pack.open("r+b") as fh:
        fh.seek(sig.offset_data)
        fh.write("\n".join(lines).encode())


def write_events(db: Path, kiosk: str, run: int, start_seq: int, n: int) -> None:
    """Append ``n`` visit events to a kiosk's analytics database (WAL, as the kiosk writes)."""
    conn = schema.connect(db, busy_timeout_s=10)
    try:
        schema.migrate(conn)
        with conn.atomic():
            schema.meta_set(conn, "kiosk_id", kiosk)
        rest = (None,) * 8
        rows = [
            (kiosk, run, seq, f"2026-05-01T10:{seq // 60 % 60:02d}:{seq % 60:02d}.000+03:00",
             "r1", seq, "visit_started", "attract", *rest)
            for seq in range(start_seq, start_seq + n)
        ]  # fmt: skip
        with conn.atomic():
            conn.conn.executemany(schema.INSERT_EVENTS, rows)
    finally:
        conn.close()


def count_events(db: Path) -> int:
    conn = schema.open_readonly(db)
    try:
        return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])
    finally:
        conn.close()


@dataclass
class KioskAgent:
    """A kiosk's Python side in a thread; see the module's docstring."""

    name: str
    home: FleetHome
    root: Path
    db: Path
    trusted: Sequence[PublicKey]
    export_every_s: float = 2.0
    shown_at: dict[str, float] = field(default_factory=dict)  # release -> monotonic time
    errors: list[BaseException] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.fleet = FleetKiosk(
            self.home,
            self.root,
            self.trusted,
            analytics_db=self.db,
            export_every_s=self.export_every_s,
            shown=lambda: self.source.release,
        )
        self.source = ContentSource(None, self.root, scan=self.fleet.scan)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"agent-{self.name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.source.check_once()
                loaded = self.source.take_pending()  # an attract boundary, every pass
                if loaded is not None:
                    self.shown_at.setdefault(loaded.release, time.monotonic())
                    self.source.confirm()
                    self.fleet.write_status()
            except Exception as exc:  # kept for the test to see
                self.errors.append(exc)
                log.exception("agent %s", self.name)
            self.fleet.wait(0.5)

    @property
    def shown(self) -> str:
        return self.source.release

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


class FleetLab:
    """A curator and ``kiosks`` kiosks, each its own network namespace with its own Syncthing."""

    def __init__(self, work: Path, kiosks: int, trusted: Sequence[PublicKey]) -> None:
        self.work = work
        self.names = [f"k{i + 1}" for i in range(kiosks)]
        self.trusted = list(trusted)
        self.lab = Lab([CURATOR, *self.names], addresses={CURATOR: 1}, first=10)
        self.homes: dict[str, FleetHome] = {}
        self.clients: dict[str, SyncthingClient] = {}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.agents: dict[str, KioskAgent] = {}
        self.device_ids: dict[str, str] = {}
        try:
            self._init_nodes()
        except BaseException:
            self.close()
            raise

    def _init_nodes(self) -> None:
        cur_home = FleetHome(self.work / CURATOR / "fleet")
        gui = str(cur_home.syncthing / "gui.sock")  # reachable from outside the namespace
        listen = default_listen(self.lab.host(CURATOR).address)
        done = init(cur_home, "curator", CURATOR, listen, gui_address=gui)
        self.homes[CURATOR] = cur_home
        self.device_ids[CURATOR] = done.node.device_id
        curator = Peer(done.node.device_id, CURATOR, listen, introducer=True)
        for name in self.names:
            home = FleetHome(self.work / name / "fleet")
            listen = default_listen(self.lab.host(name).address)
            done = init(home, "kiosk", name, listen, curator=curator)
            self.device_ids[name] = done.node.device_id
            self.homes[name] = home
        for name, home in self.homes.items():
            self.clients[name] = SyncthingClient.from_config(home.config_xml, timeout=30)

    # -- Syncthing ------------------------------------------------------------------------------

    def start_syncthing(self, name: str) -> None:
        home = self.homes[name]
        env = {
            "STNODEFAULTFOLDER": "1",
            "STNOUPGRADE": "1",
            "HOME": str(home.root),
            "PATH": "/usr/bin:/bin",
        }
        argv = ["syncthing", "serve", f"--home={home.syncthing}", "--no-browser",
                "--no-restart", "--no-upgrade", "--logflags=3"]  # fmt: skip
        log_path = home.root.parent / "syncthing.log"
        self.procs[name] = self.lab.spawn(name, argv, log=log_path, env=env)
        deadline = time.monotonic() + 60
        while not self.clients[name].ping():
            if self.procs[name].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name}: Syncthing did not start; see {log_path}")
            time.sleep(0.1)

    def kill_syncthing(self, name: str) -> None:
        self.lab.kill(self.procs.pop(name), signal.SIGKILL)

    def start_all(self) -> None:
        for name in self.homes:
            self.start_syncthing(name)

    def pair(self, names: Sequence[str]) -> None:
        """Pair kiosks on the curator's machine, as the technician does."""
        cur = self.clients[CURATOR]
        for name in names:
            peer = Peer(self.device_ids[name], name, default_listen(self.lab.host(name).address))
            pair(cur, self.homes[CURATOR], peer)

    def wait_connected(self, names: Sequence[str], timeout_s: float = 60) -> None:
        cur = self.clients[CURATOR]
        self.wait_for(
            lambda: all(
                cur.connections()["connections"].get(self.device_ids[n], {}).get("connected")
                for n in names
            ),
            timeout_s,
            "kiosks connected to the curator",
        )

    # -- kiosks' Python side ----------------------------------------------------------------------

    def start_agents(self, export_every_s: float = 2.0) -> None:
        for name in self.names:
            agent = KioskAgent(
                name,
                self.homes[name],
                self.work / name / "releases",
                self.analytics_db(name),
                self.trusted,
                export_every_s,
            )
            self.agents[name] = agent
            agent.start()

    def analytics_db(self, name: str) -> Path:
        return self.work / name / "analytics.sqlite"

    @staticmethod
    def wait_for(check: Callable[[], bool], timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            with contextlib.suppress(Exception):
                if check():
                    return
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout_s:.0f} s for: {what}")
            time.sleep(0.05)

    def wait_shown(self, release: str, timeout_s: float, names: Sequence[str] = ()) -> float:
        """Wait until every kiosk (or ``names``) shows ``release``; the monotonic time the last
        one did."""
        names = list(names) or self.names
        self.wait_for(
            lambda: all(release in self.agents[n].shown_at for n in names),
            timeout_s,
            f"{release} shown on {', '.join(names)}",
        )
        return max(self.agents[n].shown_at[release] for n in names)

    def close(self) -> None:
        for agent in self.agents.values():
            with contextlib.suppress(Exception):
                agent.stop()
        self.lab.close()

    def __enter__(self) -> FleetLab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
