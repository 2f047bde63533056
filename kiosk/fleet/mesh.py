"""A kiosk's side of the ``packs`` folder: which packs are complete, and installing them.

The completeness rule (:func:`judge`): a pack in the kiosk's receive-only ``packs`` folder may
be installed only when Syncthing reports it complete, that is

- Syncthing knows the file, locally and globally, and neither is deleted, invalid or ignored;
- the local version equals the global one (the curator's newest), at the global size;
- Syncthing has no temporary file for it (``.syncthing.NAME.tmp``, ``~syncthing~NAME.tmp``)
  and no local change is flagged (a receive-only folder flags files changed on the kiosk);
- the file on disk has the size and modification time Syncthing recorded.

Syncthing renames a file into place only once it has every block, so what the rule adds is
"and it is the newest version". A pack the curator's side was still writing when Syncthing
scanned it arrives complete *as Syncthing sees it* but cut short; :func:`pack_is_whole` (the tar's
end-of-archive blocks are there) makes the kiosk wait for the next version instead of refusing
it. What is then refused (a bad signature, a changed file, a downgrade) is refused for that
version of the file only, remembered in the fleet home's ``state.json``, reported and counted.

:class:`MeshInstaller` does one pass: survey, take a private snapshot of each new complete pack
(a hard link, else a copy, in the fleet home's ``.inbox``: Syncthing may replace the file in
the folder at any time and the kiosk never changes anything in that folder), verify it and
install the newest with :func:`kiosk.delivery.releases.install_pack`. The running kiosk swaps
the new release in at the next attract boundary, as for a USB stick.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import logging
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.content.validate import Prober
from kiosk.delivery.packs import DEFAULT_MAX_PACK_BYTES, PACK_SUFFIX, PackError, open_pack
from kiosk.delivery.releases import current_release, install_pack
from kiosk.delivery.signing import PublicKey
from kiosk.fleet.layout import PACKS_FOLDER, FleetHome
from kiosk.fleet.rest import SyncthingClient, SyncthingError

log = logging.getLogger(__name__)

INSTALLED, REFUSED, SKIPPED, WAITING = "installed", "refused", "skipped", "waiting"
FINAL = (INSTALLED, REFUSED, SKIPPED)
_TAR_END = 1024  # two zero blocks close a tar archive
_KEEP_MEMORY = 200


@dataclass(frozen=True)
class Availability:
    """What the completeness rule says of one file in the folder."""

    name: str
    path: Path
    ready: bool
    reason: str  # why it is not ready ("" when it is)
    key: str  # this version of the file: Syncthing's version vector, size and time
    size: int = 0


def temporary_names(name: str) -> tuple[str, str]:
    """Syncthing's names for the file it is writing in place of ``name`` (same folder)."""
    return f".syncthing.{name}.tmp", f"~syncthing~{name}.tmp"


def parse_time(text: str) -> float | None:
    """Seconds since the epoch of Syncthing's RFC 3339 time (nanoseconds cut to micro)."""
    if not text:
        return None
    head, dot, rest = text.partition(".")
    if dot:
        digits = "".join(c for c in rest if c.isdigit())
        zone = rest[len(digits) :]
        text = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _key(info: dict[str, Any]) -> str:
    return f"{','.join(info.get('version') or [])}|{info.get('size')}|{info.get('modified')}"


def judge(folder: Path, name: str, info: dict[str, Any] | None) -> Availability:
    """Apply the completeness rule to ``folder/name`` given Syncthing's ``/rest/db/file``."""
    path = folder / name

    def no(reason: str, key: str = "") -> Availability:
        return Availability(name, path, False, reason, key)

    if info is None:
        return no("Syncthing does not know this file yet")
    glob, local = info.get("global") or {}, info.get("local") or {}
    key = _key(glob)
    if not glob or glob.get("deleted"):
        return no("deleted on the curator's side", key)
    if glob.get("invalid") or glob.get("ignored"):
        return no("the curator's copy cannot be used", key)
    if not local or local.get("deleted") or local.get("invalid") or local.get("ignored"):
        return no("arriving: not here yet", key)
    if (local.get("version") or []) != (glob.get("version") or []):
        return no("arriving: an older version is here, the newest is on its way", key)
    if local.get("size") != glob.get("size"):
        return no("arriving: the size differs from the curator's", key)
    if local.get("localFlags"):
        return no("changed on this kiosk (the folder is receive-only; revert it)", key)
    if any((folder / t).exists() for t in temporary_names(name)):
        return no("arriving: Syncthing is writing it", key)
    try:
        st = path.stat()
    except OSError:
        return no("arriving: not on disk yet", key)
    if st.st_size != local.get("size"):
        return no("the file on disk is not the one Syncthing recorded", key)
    recorded = parse_time(str(local.get("modified", "")))
    if recorded is not None and abs(st.st_mtime - recorded) > 1.0:
        return no("the file on disk is not the one Syncthing recorded", key)
    return Availability(name, path, True, "", key, st.st_size)


def pack_names(folder: Path) -> list[str]:
    """The packs in ``folder`` (top level, plain files, not hidden), sorted by name."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    return sorted(
        e.name
        for e in entries
        if e.name.lower().endswith(PACK_SUFFIX)
        and not e.name.startswith((".", "~"))
        and e.is_file(follow_symlinks=False)
    )


def survey(
    folder: Path, client: SyncthingClient, folder_id: str = PACKS_FOLDER
) -> list[Availability]:
    """The completeness rule for every pack in the folder. Raises SyncthingError."""
    return [judge(folder, n, client.db_file(folder_id, n)) for n in pack_names(folder)]


def ready_packs(folder: Path, client: SyncthingClient, folder_id: str = PACKS_FOLDER) -> list[Path]:
    """The packs in ``folder`` Syncthing reports complete (see the module's docstring).

    The signature is not checked here: :class:`MeshInstaller` (or ``install_pack``) does.
    """
    return [a.path for a in survey(folder, client, folder_id) if a.ready]


def pack_is_whole(path: Path) -> bool:
    """True when the file ends like a finished tar (whole blocks, then the end-of-archive
    zeros): a pack still being written by its maker does not."""
    try:
        with path.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size < 3 * _TAR_END or size % 512:
                return False
            fh.seek(size - _TAR_END)
            return fh.read(_TAR_END) == bytes(_TAR_END)
    except OSError:
        return False


@dataclass(frozen=True)
class Outcome:
    """What became of one pack in a pass."""

    name: str
    status: str  # installed, refused, skipped or waiting
    message: str
    version: int | None = None
    release: str = ""


class MeshInstaller:
    """Installs complete, verified packs from the fleet's ``packs`` folder; one pass per scan."""

    def __init__(
        self,
        home: FleetHome,
        client: SyncthingClient,
        root: Path,
        trusted: Sequence[PublicKey],
        *,
        probe: Prober | None = None,
        keep: int = 3,
        max_bytes: int = DEFAULT_MAX_PACK_BYTES,
        folder_id: str = PACKS_FOLDER,
    ) -> None:
        self.home = home
        self.client = client
        self.root = Path(root)
        self.trusted = list(trusted)
        self.probe = probe
        self.keep = keep
        self.max_bytes = max_bytes
        self.folder_id = folder_id
        self.last_survey: list[Availability] = []

    def scan(self) -> list[Outcome]:
        """One pass; the outcomes that are new (a pack waiting is reported once per version)."""
        state = self.home.read_state()
        memory: dict[str, Any] = state.setdefault("packs", {})
        try:
            found = survey(self.home.packs, self.client, self.folder_id)
        except SyncthingError as exc:
            log.warning("fleet: cannot ask Syncthing about the packs: %s", exc)
            return []
        self.last_survey = found
        arriving = sum(1 for a in found if not a.ready)
        changed = state.get("arriving") != arriving
        state["arriving"] = arriving
        outcomes: list[Outcome] = []
        verified = []
        for item in found:
            seen = memory.get(item.name, {})
            if seen.get("key") == item.key and seen.get("status") in FINAL:
                continue
            if not item.ready:
                continue
            if not pack_is_whole(item.path):
                outcome = Outcome(item.name, WAITING, "still being written on the curator's side")
                if seen.get("key") != item.key:
                    outcomes.append(outcome)
                self._remember(memory, item, outcome)
                continue
            snapshot, outcome_or_pack = self._verify(item)
            if isinstance(outcome_or_pack, Outcome):
                outcomes.append(outcome_or_pack)
                self._remember(memory, item, outcome_or_pack, state)
            else:
                verified.append((outcome_or_pack.manifest, item, snapshot))
        verified.sort(key=lambda v: v[0].version)
        for manifest, item, snapshot in verified[:-1]:
            newest = verified[-1][1].name
            outcome = Outcome(item.name, SKIPPED, f"superseded by {newest}", manifest.version)
            outcomes.append(outcome)
            self._remember(memory, item, outcome)
            self._drop(snapshot)
        if verified:
            manifest, item, snapshot = verified[-1]
            outcome = self._install(item, snapshot, manifest.version, manifest.release_name)
            outcomes.append(outcome)
            self._remember(memory, item, outcome, state)
        names = {a.name for a in found}
        for name in [n for n in memory if n not in names][: max(0, len(memory) - _KEEP_MEMORY)]:
            del memory[name]
        if outcomes or changed:
            self.home.write_state(state)
        for o in outcomes:
            level = logging.WARNING if o.status == REFUSED else logging.INFO
            log.log(level, "fleet: pack %s: %s: %s", o.name, o.status, o.message)
        return outcomes

    # -- one pack ---------------------------------------------------------------------------------

    def _snapshot(self, item: Availability) -> Path:
        """A private copy of the pack, of exactly the version judged complete."""
        self.home.inbox.mkdir(parents=True, exist_ok=True)
        dest = self.home.inbox / item.name
        self._drop(dest)
        try:
            os.link(item.path, dest)
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
                raise
            shutil.copyfile(item.path, dest)
        # Syncthing may have put a newer version in place meanwhile: then this one waits.
        again = judge(self.home.packs, item.name, self.client.db_file(self.folder_id, item.name))
        st = dest.stat()
        if not again.ready or again.key != item.key or st.st_size != item.size:
            self._drop(dest)
            raise _Changed
        return dest

    def _verify(self, item: Availability) -> tuple[Path, Any]:
        """(snapshot, VerifiedPack) or (path, Outcome) when it cannot go further."""
        try:
            snapshot = self._snapshot(item)
        except _Changed:
            return item.path, Outcome(item.name, WAITING, "a newer version arrived meanwhile")
        except (OSError, SyncthingError) as exc:
            return item.path, Outcome(item.name, WAITING, f"cannot take a copy: {exc}")
        try:
            return snapshot, open_pack(snapshot, self.trusted, self.max_bytes)
        except PackError as exc:
            self._drop(snapshot)
            return snapshot, Outcome(item.name, REFUSED, str(exc))

    def _install(self, item: Availability, snapshot: Path, version: int, name: str) -> Outcome:
        try:
            current = current_release(self.root)
            if current is not None and current.base == name:
                return Outcome(item.name, SKIPPED, f"already installed ({current.name})", version)
            if current is not None and version < current.version:
                return Outcome(
                    item.name, SKIPPED, f"older than the installed {current.name}", version
                )
            done = install_pack(
                snapshot,
                self.root,
                self.trusted,
                probe=self.probe,
                keep=self.keep,
                max_bytes=self.max_bytes,
            )
            release = done.release.name
            return Outcome(item.name, INSTALLED, f"installed as {release}", version, release)
        except PackError as exc:
            return Outcome(item.name, REFUSED, str(exc), version)
        except OSError as exc:
            # The disk, not the pack: try this version again on the next pass.
            return Outcome(item.name, WAITING, f"cannot install now: {exc}", version)
        finally:
            self._drop(snapshot)

    def _remember(
        self,
        memory: dict[str, Any],
        item: Availability,
        outcome: Outcome,
        state: dict[str, Any] | None = None,
    ) -> None:
        memory[item.name] = {
            "key": item.key,
            "status": outcome.status,
            "message": outcome.message,
            "version": outcome.version,
            "release": outcome.release,
            "at": round(time.time(), 3),
        }
        if state is not None and outcome.status in (INSTALLED, REFUSED):
            counter = f"{outcome.status}_total"
            state[counter] = int(state.get(counter, 0)) + 1

    @staticmethod
    def _drop(path: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


class _Changed(Exception):
    """The file was replaced while a copy was being taken."""
