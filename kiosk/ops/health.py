"""Health figures for the museum's monitoring, written as a file; no network listener.

Every ``health.interval_s`` seconds the main loop hands over a :class:`HealthSnapshot` and
:class:`HealthWriter` replaces ``health.textfile`` with it in the Prometheus text format that
node_exporter's textfile collector reads (``--collector.textfile.directory``). The file is written
to a temporary name and renamed, so the collector never reads half a file. Off by default.

The figures: ``kiosk_up``, ``kiosk_uptime_seconds``, ``kiosk_frame_rate``,
``kiosk_frames_dropped_total``, ``kiosk_faults_total{kind}``, ``kiosk_resident_memory_bytes``,
``kiosk_open``, ``kiosk_quiet``, ``kiosk_mirror_perception{state}`` and
``kiosk_mirror_perception_problem{model}`` (with a mirror),
``kiosk_info{version,content_release,provider}`` and ``kiosk_health_timestamp_seconds`` (alert when
it grows old: the kiosk, or its writing, has stopped). With ``fleet.enabled``, the fleet's figures
follow (:mod:`kiosk.fleet.health`: the installed pack's version, the statistics export's age...).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kiosk import __version__
from kiosk.fsutil import atomic_write
from kiosk.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HealthSnapshot:
    """The figures at one moment, as the main loop knows them."""

    uptime_s: float
    fps: float
    frames_dropped: int  # since start
    faults: Mapping[str, int] = field(default_factory=dict)  # since start, by kind
    content_release: str = ""
    provider: str = ""  # onnxruntime provider in use; "" when the mirror is off
    perception: str = ""  # the mirror's perception models: ok, partial, plain; "" without a mirror
    perception_problems: tuple[str, ...] = ()  # the perception models missing or broken
    open: bool = True
    quiet: bool = False
    resident_bytes: int = 0  # the process's resident memory (0: unknown)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render(snapshot: HealthSnapshot, now: float) -> str:
    """The snapshot in the Prometheus text exposition format."""
    s = snapshot
    lines = [
        "# HELP kiosk_up 1 while the kiosk's main loop runs.",
        "# TYPE kiosk_up gauge",
        "kiosk_up 1",
        "# HELP kiosk_uptime_seconds Seconds since the kiosk started.",
        "# TYPE kiosk_uptime_seconds gauge",
        f"kiosk_uptime_seconds {s.uptime_s:.1f}",
        "# HELP kiosk_frame_rate Frames drawn per second, recently.",
        "# TYPE kiosk_frame_rate gauge",
        f"kiosk_frame_rate {s.fps:.2f}",
        "# HELP kiosk_frames_dropped_total Video frames dropped since start.",
        "# TYPE kiosk_frames_dropped_total counter",
        f"kiosk_frames_dropped_total {int(s.frames_dropped)}",
        "# HELP kiosk_faults_total Faults since start, by kind (each degraded one feature).",
        "# TYPE kiosk_faults_total counter",
    ]
    lines += [
        f'kiosk_faults_total{{kind="{_label(kind)}"}} {int(n)}'
        for kind, n in sorted(s.faults.items())
    ]
    if s.resident_bytes:
        lines += [
            "# HELP kiosk_resident_memory_bytes Resident memory of the kiosk process.",
            "# TYPE kiosk_resident_memory_bytes gauge",
            f"kiosk_resident_memory_bytes {int(s.resident_bytes)}",
        ]
    lines += [
        "# HELP kiosk_open 1 within opening hours, 0 in standby.",
        "# TYPE kiosk_open gauge",
        f"kiosk_open {int(s.open)}",
        "# HELP kiosk_quiet 1 within quiet hours.",
        "# TYPE kiosk_quiet gauge",
        f"kiosk_quiet {int(s.quiet)}",
    ]
    if s.perception:
        lines += [
            "# HELP kiosk_mirror_perception The frost mirror's perception models: 1 for their "
            "state (ok; partial: some missing or broken; plain: none, the plain frost grade).",
            "# TYPE kiosk_mirror_perception gauge",
            f'kiosk_mirror_perception{{state="{_label(s.perception)}"}} 1',
        ]
    if s.perception_problems:
        lines += [
            "# HELP kiosk_mirror_perception_problem A perception model of the frost mirror that "
            "is missing or broken.",
            "# TYPE kiosk_mirror_perception_problem gauge",
        ]
        lines += [
            f'kiosk_mirror_perception_problem{{model="{_label(m)}"}} 1'
            for m in sorted(s.perception_problems)
        ]
    lines += [
        "# HELP kiosk_info Program version, content release and inference provider.",
        "# TYPE kiosk_info gauge",
        f'kiosk_info{{version="{_label(__version__)}",content_release="{_label(s.content_release)}",'
        f'provider="{_label(s.provider)}"}} 1',
        "# HELP kiosk_health_timestamp_seconds When this file was written (Unix time).",
        "# TYPE kiosk_health_timestamp_seconds gauge",
        f"kiosk_health_timestamp_seconds {now:.0f}",
    ]
    return "\n".join(lines) + "\n"


class HealthWriter:
    """Writes the health file at most every ``interval_s``; never raises into the main loop."""

    def __init__(
        self,
        path: Path | None,
        interval_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        extra: Callable[[float], list[str]] | None = None,
    ) -> None:
        self.path = path
        self.interval_s = interval_s
        self.clock = clock
        self.wall = wall
        self.extra = extra  # more figures' lines at a (wall) time, e.g. the fleet's
        self.failures = 0
        self._last: float | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> HealthWriter:
        """A writer for ``health.textfile``, or a disabled one when ``health.enabled`` is off."""
        h = settings.health
        extra = fleet_lines(settings) if h.enabled and settings.fleet.enabled else None
        return cls(settings.resolve(h.textfile) if h.enabled else None, h.interval_s, extra=extra)

    @property
    def enabled(self) -> bool:
        return self.path is not None

    def tick(self, make_snapshot: Callable[[], HealthSnapshot]) -> bool:
        """Call every loop iteration; builds a snapshot and writes only when one is due."""
        if self.path is None:
            return False
        now = self.clock()
        if self._last is not None and now - self._last < self.interval_s:
            return False
        self._last = now
        return self.write(make_snapshot())

    def write(self, snapshot: HealthSnapshot) -> bool:
        """Write one snapshot now; True on success."""
        if self.path is None:
            return False
        try:
            # Not synced: the file is rewritten every few seconds, and a sync that often would
            # wear out an SD card for a file that is worthless after a power cut anyway.
            now = self.wall()
            text = (render(snapshot, now) + self._extra(now)).encode("utf-8")
            atomic_write(self.path, text, mode=0o644, durable=False)
        except OSError as exc:
            self.failures += 1
            # Once, then every hundredth time: a full disk must not flood the journal.
            if self.failures == 1 or self.failures % 100 == 0:
                log.warning(
                    "cannot write health file %s: %s (%d times)", self.path, exc, self.failures
                )
            return False
        return True

    def _extra(self, now: float) -> str:
        if self.extra is None:
            return ""
        try:
            return "".join(f"{line}\n" for line in self.extra(now))
        except Exception as exc:  # the kiosk's own figures are still written
            log.warning("health file: the extra figures failed: %s", exc)
            return ""


def fleet_lines(settings: Settings) -> Callable[[float], list[str]]:
    """The fleet's figures for the health file, read from the fleet home and the releases folder
    at each write (files only: they are written while Syncthing is down, too)."""
    from kiosk.fleet import health as fleet_health
    from kiosk.fleet.layout import FleetHome

    home, root = FleetHome(settings.resolve(settings.fleet.home)), settings.path("releases")
    return lambda now: fleet_health.render(fleet_health.figures(home, root, now))
