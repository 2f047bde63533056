"""Machine settings (``kiosk.yaml``): typed, defaulted, validated.

Everything a technician may set on one kiosk lives here: the screen, sound, camera, languages,
timeouts, paths, and the fleet it may belong to. Every field has a default and a line of
documentation, so ``kiosk settings --defaults`` can print a complete, commented file. Reading a
file reports an unknown key or a bad value as ``path:line: section.key: message``; nothing is
guessed.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk import yamlsrc
from kiosk.yamlsrc import LMap, Problem


def _f(default: Any, doc: str) -> Any:
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata={"doc": doc})
    return field(default=default, metadata={"doc": doc})


@dataclass(frozen=True)
class DisplaySettings:
    """The screen."""

    fullscreen: bool = _f(True, "fill the whole screen (kiosk run --fullscreen forces it on)")
    width: int = _f(1920, "window size in pixels when not fullscreen; fullscreen uses the screen's")
    height: int = _f(1080, "window height in pixels when not fullscreen")
    screen_width_mm: float = _f(
        0.0, "visible width of the screen in millimetres; 0 = a 24-inch 16:9 screen (531 mm)"
    )
    fps: int = _f(60, "frame rate cap while something moves")
    large_text: bool = _f(False, "start in large-text mode")


@dataclass(frozen=True)
class AudioSettings:
    """Sound output."""

    device: str = _f("", "output device name or index as PortAudio lists it; empty = default")
    volume: float = _f(0.7, "volume at the start of each visit, 0.0-1.0")
    volume_cap: float = _f(0.9, "the highest volume a visitor can choose, 0.0-1.0")
    sample_rate: int = _f(48000, "output sample rate in Hz")


@dataclass(frozen=True)
class CameraSettings:
    """The frost mirror's camera."""

    enabled: bool = _f(True, "offer the frost mirror when a camera is present")
    device: str = _f("0", "camera index (0 = first) or a video file/still image for testing")
    width: int = _f(640, "capture width in pixels")
    height: int = _f(480, "capture height in pixels")
    model: str = _f("frost", "style model name in the models folder (frost = the bundled one)")
    provider: str = _f("auto", "where the style model runs: auto (GPU if there is one), cuda, cpu")
    threads: int = _f(0, "inference threads; 0 = all CPU cores but one, left to the screen")
    flip: bool = _f(True, "show the camera picture mirrored, as a mirror does")
    background: str = _f("", "picture behind the visitor; empty = the Arctic scene of the model")
    freeze_s: float = _f(4.0, "seconds a 'hold still' picture stays on screen")


@dataclass(frozen=True)
class LanguageSettings:
    """Languages offered to visitors."""

    enabled: list[str] = _f([], "language codes offered, in order; empty = all of the collection")
    default: str = _f("", "language a visit starts in; empty = the collection's default")


@dataclass(frozen=True)
class TimeoutSettings:
    """How long the kiosk waits for a visitor."""

    idle_s: float = _f(90.0, "seconds without a touch before asking 'still there?'")
    countdown_s: float = _f(15.0, "seconds the 'still there?' countdown lasts")
    long_press_s: float = _f(0.8, "seconds a finger must rest to count as a long press")


@dataclass(frozen=True)
class CaptionSettings:
    """Captions under the clips."""

    default_on: bool = _f(True, "captions are on at the start of each visit")


@dataclass(frozen=True)
class PathSettings:
    """Where things are. Relative paths are relative to this settings file's folder."""

    content: str = _f("content", "the collection folder (holds collection.yaml)")
    releases: str = _f("/var/lib/kiosk/releases", "installed content releases (content packs)")
    database: str = _f("/var/lib/kiosk/analytics.db", "visitor analytics database")
    models: str = _f("models/onnx", "folder of ONNX style models and their manifests")


@dataclass(frozen=True)
class ContentSettings:
    """Content packs: who may sign them, how many releases to keep, where USB sticks appear."""

    trusted_keys: list[str] = _f(
        [],
        "keys whose signed packs this kiosk installs: a .pub file (relative = beside this "
        "file) or the key itself (RW...)",
    )
    keep_releases: int = _f(3, "installed releases kept on disk, the current one included")
    max_pack_bytes: int = _f(16_000_000_000, "the largest content pack accepted, in bytes")
    watch_folder: str = _f(
        "", "a folder searched for *.wrpack files to install, e.g. where USB sticks appear"
    )
    max_boots: int = _f(
        3, "starts of a new release that fail before the kiosk returns to the previous one"
    )


@dataclass(frozen=True)
class ScheduleSettings:
    """Opening hours, quiet hours and the nightly restart, in the kiosk's local time."""

    opening_hours: list[str] = _f(
        [],
        'when the screen is on, e.g. ["mon-fri 10:00-18:00", "sat,sun 11:00-17:00", '
        '"2025-12-31 10:00-14:00", "2026-01-01 closed"]; outside them a dark standby; '
        "empty = always on",
    )
    wake_before_min: float = _f(15.0, "minutes before opening that the screen comes back on")
    quiet_hours: list[str] = _f(
        [], "when sound is capped and captions forced on, written like opening_hours; empty = never"
    )
    quiet_volume_cap: float = _f(0.0, "the highest volume in quiet hours, 0.0-1.0 (0 = muted)")
    nightly_restart: str = _f(
        "", 'restart the kiosk every night at this time, in quotes ("03:30"); empty = never'
    )


@dataclass(frozen=True)
class AdminSettings:
    """Admin mode for staff: a hidden gesture, then a PIN."""

    pin_file: str = _f(
        "admin.pin", "the PIN's scrypt hash (relative = beside this file); set: kiosk admin set-pin"
    )
    lockout_file: str = _f(
        "/var/lib/kiosk/admin-lockout.json", "failed PIN attempts, remembered across restarts"
    )
    max_attempts: int = _f(5, "wrong PINs in a row before the PIN pad locks")
    lockout_s: float = _f(300.0, "seconds the PIN pad stays locked; doubles each time, up to 1 h")
    gesture: list[str] = _f(
        ["top-left", "top-right", "bottom-right"],
        "corners to long-press in order to open admin mode (top-left, top-right, bottom-left, "
        "bottom-right)",
    )
    gesture_window_s: float = _f(8.0, "seconds in which the corner presses must all be made")
    corner_size: float = _f(0.12, "size of a corner zone as a fraction of the screen's short side")
    idle_close_s: float = _f(60.0, "admin mode closes and locks again after this idle time")


@dataclass(frozen=True)
class HealthSettings:
    """Health figures for the museum's monitoring, as a file (no network listener)."""

    enabled: bool = _f(False, "write the health file (node_exporter textfile-collector format)")
    textfile: str = _f(
        "/run/kiosk/health/kiosk.prom",
        "the .prom file, replaced atomically (/run is in memory: no wear on an SD card)",
    )
    interval_s: float = _f(10.0, "seconds between writes")


@dataclass(frozen=True)
class LogSettings:
    """Log lines go to the journal; a bounded, rotating file is the fallback."""

    to_file: str = _f("auto", "auto = only when not under the systemd journal; always; never")
    file: str = _f("/var/log/kiosk/kiosk.log", "the log file (relative = beside this file)")
    max_mb: float = _f(5.0, "size in MB at which the file is rotated")
    backups: int = _f(3, "rotated files kept; the logs never take more than max_mb x (backups+1)")


@dataclass(frozen=True)
class AnalyticsSettings:
    """Visitor analytics: what visitors did, counted without knowing who they are."""

    enabled: bool = _f(True, "record visitor events in the database at paths.database")
    kiosk_id: str = _f(
        "", "this kiosk's name in merged reports, e.g. hall-2; empty = a random id kept in the db"
    )
    flush_s: float = _f(
        2.0, "seconds between writes to the database: the most events a power cut can lose"
    )
    buffer_events: int = _f(
        50000, "events held in memory while the database cannot be written; beyond, oldest go"
    )


@dataclass(frozen=True)
class FleetSettings:
    """The museum's kiosks kept in step over its LAN (docs/fleet.md): packs in, statistics out."""

    enabled: bool = _f(
        False, "install packs from the fleet and send statistics back (set up: install.sh --fleet)"
    )
    home: str = _f(
        "/var/lib/kiosk/fleet", "the fleet home: Syncthing's files and the synced folders"
    )
    export_every_s: float = _f(
        300.0, "seconds between snapshots of the statistics for the curator (when they changed)"
    )


@dataclass(frozen=True)
class ValidationSettings:
    """What `kiosk content validate` holds a collection to (captioning guidance and sizes)."""

    caption_max_lines: int = _f(2, "lines a caption may have on screen at once")
    caption_max_chars: int = _f(42, "characters a caption line may have")
    caption_max_cps: float = _f(20.0, "characters a second a caption may ask a visitor to read")
    caption_min_s: float = _f(1.0, "the shortest time a caption may stay on screen, in seconds")
    image_max_pixels: int = _f(16_000_000, "the largest image accepted, in pixels (4000x4000)")
    image_max_bytes: int = _f(20_000_000, "the largest image file accepted, in bytes")
    video_max_pixels: int = _f(
        1920 * 1080, "clips larger than this (e.g. 4K) play, but a warning suggests 1080p"
    )


@dataclass(frozen=True)
class Settings:
    """All of one kiosk's settings."""

    display: DisplaySettings = field(default_factory=DisplaySettings)
    audio: AudioSettings = field(default_factory=AudioSettings)
    camera: CameraSettings = field(default_factory=CameraSettings)
    languages: LanguageSettings = field(default_factory=LanguageSettings)
    timeouts: TimeoutSettings = field(default_factory=TimeoutSettings)
    captions: CaptionSettings = field(default_factory=CaptionSettings)
    paths: PathSettings = field(default_factory=PathSettings)
    content: ContentSettings = field(default_factory=ContentSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    admin: AdminSettings = field(default_factory=AdminSettings)
    health: HealthSettings = field(default_factory=HealthSettings)
    logs: LogSettings = field(default_factory=LogSettings)
    analytics: AnalyticsSettings = field(default_factory=AnalyticsSettings)
    fleet: FleetSettings = field(default_factory=FleetSettings)
    validation: ValidationSettings = field(default_factory=ValidationSettings)
    base_dir: Path = field(default=Path("."), compare=False, metadata={"internal": True})

    def resolve(self, value: Path | str) -> Path:
        """A path from the settings; a relative one is taken from the settings file's folder."""
        return self.base_dir / value  # pathlib keeps an absolute path as it is

    def path(self, name: str) -> Path:
        """The ``paths`` setting ``name`` (``content``, ``database``...), resolved."""
        return self.resolve(getattr(self.paths, name))

    def visitor_start(
        self, collection_languages: Sequence[str], collection_default: str
    ) -> VisitorStart:
        """What a new visitor starts with, for a collection in these languages (its default given).

        Offered: ``languages.enabled`` that the collection has, in that order, else all of the
        collection's. Language: ``languages.default``, else the collection's default, else the
        first offered. Volume: ``audio.volume``, never above ``audio.volume_cap``.
        """
        offered = tuple(x for x in self.languages.enabled if x in collection_languages)
        offered = offered or tuple(collection_languages)
        wanted = [x for x in (self.languages.default, collection_default) if x in offered]
        return VisitorStart(
            languages=offered,
            language=wanted[0] if wanted else offered[0],
            captions_on=self.captions.default_on,
            volume=min(self.audio.volume, self.audio.volume_cap),
            large_text=self.display.large_text,
        )


@dataclass(frozen=True)
class VisitorStart:
    """What every visitor finds on the first touch, whatever the last visitor chose."""

    languages: tuple[str, ...]
    """The languages offered, in order."""
    language: str
    captions_on: bool
    volume: float
    large_text: bool


class SettingsError(Exception):
    """One or more problems in a settings file."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def _sections() -> dict[str, type]:
    hints = typing.get_type_hints(Settings)
    return {f.name: hints[f.name] for f in dataclasses.fields(Settings) if not f.metadata}


_RANGES: dict[str, tuple[float, float]] = {
    "audio.volume": (0.0, 1.0),
    "audio.volume_cap": (0.0, 1.0),
    "audio.sample_rate": (8000, 192000),
    "display.fps": (10, 240),
    "display.width": (160, 16384),
    "display.height": (120, 16384),
    "display.screen_width_mm": (0.0, 10000.0),
    "camera.width": (16, 8192),
    "camera.height": (16, 8192),
    "timeouts.idle_s": (5.0, 86400.0),
    "timeouts.countdown_s": (1.0, 600.0),
    "timeouts.long_press_s": (0.2, 10.0),
    "schedule.wake_before_min": (0.0, 240.0),
    "schedule.quiet_volume_cap": (0.0, 1.0),
    "admin.max_attempts": (1, 100),
    "admin.lockout_s": (0.0, 86400.0),
    "admin.gesture_window_s": (1.0, 60.0),
    "admin.corner_size": (0.02, 0.45),
    "admin.idle_close_s": (10.0, 3600.0),
    "health.interval_s": (1.0, 3600.0),
    "logs.max_mb": (0.1, 1000.0),
    "logs.backups": (1, 100),
    "analytics.flush_s": (0.1, 60.0),
    "analytics.buffer_events": (100, 10_000_000),
    "content.keep_releases": (2, 100),
    "content.max_pack_bytes": (1_000_000, 100_000_000_000_000),
    "content.max_boots": (1, 100),
    "fleet.export_every_s": (10.0, 86400.0),
    "validation.caption_max_lines": (1, 10),
    "validation.caption_max_chars": (10, 200),
    "validation.caption_max_cps": (1.0, 100.0),
    "validation.caption_min_s": (0.0, 60.0),
}


def from_mapping(data: Any, path: Path, base_dir: Path | None = None) -> Settings:
    """Build Settings from a parsed (line-aware) mapping, collecting every problem."""
    problems: list[Problem] = []
    if data is None:
        data = LMap()
        data.line, data.key_lines = 1, {}
    if not isinstance(data, LMap):
        raise SettingsError([Problem(path, 1, "settings must be a mapping of sections")])
    sections = _sections()
    built: dict[str, Any] = {}
    for name, value in data.items():
        line = data.line_of(name)
        if name not in sections:
            known = ", ".join(sections)
            problems.append(Problem(path, line, f"{name}: unknown section (known: {known})"))
            continue
        cls = sections[name]
        if value is None:
            continue
        if not isinstance(value, LMap):
            problems.append(Problem(path, line, f"{name}: must be a mapping of settings"))
            continue
        hints = typing.get_type_hints(cls)
        kwargs: dict[str, Any] = {}
        for key, raw in value.items():
            key_line = value.line_of(key)
            dotted = f"{name}.{key}"
            if key not in hints:
                known = ", ".join(hints)
                problems.append(Problem(path, key_line, f"{dotted}: unknown key (known: {known})"))
                continue
            ok, conv = yamlsrc.convert(hints[key], raw)
            if not ok:
                wanted = yamlsrc.describe_type(hints[key])
                problems.append(
                    Problem(path, key_line, f"{dotted}: expected {wanted}, got {raw!r}")
                )
                continue
            if dotted in _RANGES:
                lo, hi = _RANGES[dotted]
                if not lo <= conv <= hi:
                    problems.append(
                        Problem(path, key_line, f"{dotted}: {conv} is outside {lo}..{hi}")
                    )
                    continue
            kwargs[key] = conv
        built[name] = cls(**kwargs)
    if problems:
        raise SettingsError(problems)
    return Settings(**built, base_dir=base_dir if base_dir is not None else path.parent)


def load(path: Path | None) -> Settings:
    """Read a settings file; None gives the defaults (paths relative to the current folder)."""
    if path is None:
        return Settings()
    try:
        data = yamlsrc.load(path)
    except yamlsrc.YamlError as exc:
        raise SettingsError([exc.problem]) from None
    return from_mapping(data, path)


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_yaml_scalar(v) for v in value) + "]"
    if isinstance(value, str):
        return '""' if value == "" else f'"{value}"'
    return str(value)


def defaults_yaml() -> str:
    """A complete settings file with every default and what it means."""
    lines = [
        "# White Road kiosk: machine settings (kiosk.yaml).",
        "# Every key is optional; these are the defaults. Check a file with:",
        "#   kiosk settings --check kiosk.yaml",
        "",
    ]
    defaults = Settings()
    for name, cls in _sections().items():
        lines.append(f"# {(cls.__doc__ or '').strip()}")
        lines.append(f"{name}:")
        section = getattr(defaults, name)
        for f in dataclasses.fields(cls):
            lines.append(f"  # {f.metadata['doc']}")
            lines.append(f"  {f.name}: {_yaml_scalar(getattr(section, f.name))}")
        lines.append("")
    return "\n".join(lines)
