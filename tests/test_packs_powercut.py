"""Power cuts during an install: SIGKILL the installer at every one of its durable steps.

The installer reports each durable step to its ``on_step`` callback; a child process runs it with
a callback that kills the process at step N, for every N. After each kill the kiosk must find a
complete old or a complete new release (every file there with its signed hash, the collection
loads and validates) and start with it; the next install cleans up what the killed one left and
finishes the job.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from kiosk.content.loader import load_collection
from kiosk.content.validate import validate
from kiosk.delivery import packs, releases
from kiosk.delivery.signing import SecretKey, write_keypair
from kiosk.media.probe import probe
from testkit.packs import build_pack, release_is_complete, retitle

ROOT = Path(__file__).resolve().parent.parent
# The installer, stopped dead (no cleanup, no finally) at its N-th durable step: argv[4].
CHILD = """
import itertools, os, signal, sys
from pathlib import Path
from kiosk.delivery.releases import install_pack
from kiosk.delivery.signing import PublicKey

kill_at, counter = int(sys.argv[4]), itertools.count(1)

def on_step(what: str) -> None:
    if next(counter) == kill_at:
        print(what, file=sys.stderr, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

install_pack(
    Path(sys.argv[1]), Path(sys.argv[2]), [PublicKey.load(Path(sys.argv[3]))],
    keep=2, on_step=on_step,
)
"""
PARALLEL = 4
LEFTOVER_PREFIXES = (".staging-", ".trash-", ".current-", ".state.json.")


def _run_killed(jobs: list[tuple[Path, Path, int]], pub: Path) -> dict[Path, str]:
    """Run the installer for each (pack, root, step) with a SIGKILL at that step.

    Returns, for each root, the step the installer was killed at, as its callback named it.
    """
    killed: dict[Path, str] = {}
    pending = list(jobs)
    running: list[tuple[Path, subprocess.Popen[bytes]]] = []
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    while pending or running:
        while pending and len(running) < PARALLEL:
            pack, root, step = pending.pop(0)
            proc = subprocess.Popen(
                [sys.executable, "-c", CHILD, str(pack), str(root), str(pub), str(step)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            running.append((root, proc))
        root, proc = running.pop(0)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == -signal.SIGKILL, (root, err.decode())
        killed[root] = err.decode().strip().splitlines()[-1]
    return killed


def _check_starts(root: Path, allowed: dict[str | None, str | None]) -> str | None:
    """The kiosk's view after a kill: None (nothing installed yet) or a complete release."""
    current = releases.current_release(root)
    name = current.name if current is not None else None
    assert name in allowed, (root, name, list(allowed))
    if current is None:
        assert releases.begin_boot(root) is None
        return None
    assert release_is_complete(current), root
    loaded = load_collection(current.content)
    assert loaded.ok and loaded.collection is not None, loaded.problems
    assert loaded.collection.title.get("en") == allowed[name]
    assert validate(current.content, probe).ok
    assert releases.begin_boot(root) == current  # the app's first call at start-up
    return name


def _leftovers(root: Path) -> list[str]:
    names = os.listdir(root) + os.listdir(root / "releases")
    return [n for n in names if n.startswith(LEFTOVER_PREFIXES) or n.endswith(".tmp")]


def test_install_killed_at_every_step_leaves_old_or_new(
    make_collection: Callable[..., Path], tmp_path: Path
) -> None:
    started = time.monotonic()
    key = SecretKey.generate()
    pub = write_keypair(key, tmp_path / "curator", None)
    src = make_collection()
    built = {}
    for version in (0, 1, 2):
        retitle(src, f"Edition {version}")
        built[version] = build_pack(src, tmp_path / f"v{version}.wrpack", key, version + 1)

    # Scenario "first": the very first install into an empty releases folder.
    # Scenario "upgrade": 1 -> 2 with two releases kept, so the oldest is removed on the way.
    bases = {"first": tmp_path / "base-first", "upgrade": tmp_path / "base-upgrade"}
    bases["first"].mkdir()
    releases.install_pack(built[0], bases["upgrade"], [key.public])
    old = releases.install_pack(built[1], bases["upgrade"], [key.public]).release
    releases.confirm(bases["upgrade"])
    names: dict[str, dict[str | None, str | None]] = {}
    steps: dict[str, list[str]] = {}
    for scenario, base in bases.items():
        trial = tmp_path / f"trial-{scenario}"
        shutil.copytree(base, trial, symlinks=True)
        reported: list[str] = []
        done = releases.install_pack(built[2], trial, [key.public], keep=2, on_step=reported.append)
        assert len(reported) == done.steps, reported  # every durable step is reported, once
        steps[scenario] = reported
        before = {None: None} if scenario == "first" else {old.name: "Edition 1"}
        names[scenario] = {**before, done.release.name: "Edition 2"}
        # The kill points cover every kind of change: staged files (mid-file too), the rename
        # into releases/, the switch of current, the state file and the removal of old releases.
        kinds = [": chunk", ": synced", "renamed into place", "current -> ", "state.json: "]
        if scenario == "upgrade":
            assert done.removed
            kinds.append("moved to the trash")
        assert all(any(k in s for s in reported) for k in kinds), reported

    jobs = []
    for scenario, base in bases.items():
        for step in range(1, len(steps[scenario]) + 1):
            root = tmp_path / f"{scenario}-{step:03d}"
            shutil.copytree(base, root, symlinks=True)
            jobs.append((built[2], root, step))
    assert len(jobs) >= 50, steps
    killed = _run_killed(jobs, pub)

    outcomes: dict[str, list[str | None]] = {"first": [], "upgrade": []}
    for _, root, step in jobs:
        scenario = root.name.split("-")[0]
        # The child died at the step the reference install reported N-th: the same sequence.
        assert killed[root] == steps[scenario][step - 1], (root, killed[root])
        outcomes[scenario].append(_check_starts(root, names[scenario]))
        # The next install finishes the job (or finds it done) and leaves nothing behind.
        try:
            releases.install_pack(built[2], root, [key.public], keep=2)
        except packs.PackError as exc:
            assert "already installed" in str(exc), (root, exc)
        current = releases.current_release(root)
        assert current is not None and names[scenario].get(current.name) == "Edition 2"
        assert release_is_complete(current) and not _leftovers(root), root

    for scenario, seen in outcomes.items():
        new = sum(1 for n in seen if n is not None and names[scenario][n] == "Edition 2")
        print(
            f"power cut, {scenario}: {len(seen)} kills over {len(steps[scenario])} steps: "
            f"{len(seen) - new} left the old state, {new} the new release"
        )
        assert 0 < new < len(seen)  # kills landed both before and after the switch
    print(f"power-cut test: {len(jobs)} kills in {time.monotonic() - started:.1f} s")
