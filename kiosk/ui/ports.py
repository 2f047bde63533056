"""The small typed interfaces the screens use to reach the rest of the kiosk.

A scene talks to the clip player through :class:`PlayerPort`, to the frost mirror through
:class:`~kiosk.mirror.scene.MirrorPort`, to the running kiosk's figures through
:class:`DiagnosticsPort`, and to staff actions through :class:`AdminHooks`. Each states all the
UI uses, so a test drives every scene with fakes and no optional feature is probed for.
Implementations: :class:`kiosk.media.Player` and :class:`kiosk.media.stills.StillPlayer` for the
player, :class:`kiosk.mirror.pipeline.MirrorPipeline` for the mirror, ``kiosk.app`` for the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from kiosk.content.model import Segment
from kiosk.media import Faults, PlayerState
from kiosk.media.convert import PixelFormat
from kiosk.mirror.scene import MirrorPort

__all__ = [
    "AdminHooks",
    "Diagnostics",
    "DiagnosticsPort",
    "FrameLike",
    "MirrorPort",
    "PlayerPort",
    "PlayerState",
    "SinkInfo",
]


class FrameLike(Protocol):
    """A decoded video frame, converted by the worker to the size the screen asked for."""

    @property
    def data(self) -> Any: ...  # bytes or a C-contiguous uint8 array
    @property
    def size(self) -> tuple[int, int]: ...
    @property
    def pts(self) -> float: ...
    @property
    def format(self) -> PixelFormat: ...  # pygame's name for the pixel layout


class SinkInfo(Protocol):
    """The sound output, as the admin panel shows it."""

    @property
    def name(self) -> str: ...
    @property
    def error(self) -> BaseException | None: ...


class PlayerPort(Protocol):
    """Everything a scene asks of the clip player."""

    @property
    def state(self) -> PlayerState: ...
    @property
    def faults(self) -> Faults: ...
    @property
    def sink(self) -> SinkInfo | None:
        """The sound output; None when this player makes no sound at all (still pictures)."""
        ...

    def stats(self) -> Mapping[str, float]:
        """Counters for diagnostics (``frames_dropped``, ...); may be empty."""
        ...

    def play(self, segment: Segment, *, loop: bool = False) -> None: ...
    def play_playlist(self, segments: Sequence[Segment], *, loop: bool = True) -> None: ...
    def preload(self, segment: Segment) -> None: ...
    def drop_preloaded(self) -> None:
        """Forget preloaded segments (they belong to a content release being replaced, or to a
        page the visitor did not open) and stop their decoding."""
        ...

    def stop(self) -> None: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...
    def set_volume(self, volume: float) -> None: ...
    def set_size(self, size: tuple[int, int]) -> None: ...
    def clock(self) -> float: ...
    def latest_frame(self) -> FrameLike | None: ...
    def frame_due_in(self) -> float | None:
        """Seconds until the next frame is due on screen; None when that is not known yet
        (the loop then draws at the display's rate)."""
        ...

    def caption(self, lang: str) -> str | None: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class Diagnostics:
    """The running kiosk's figures that the admin panel shows and the scenes cannot know."""

    release: str  # the content release shown ("folder" for a plain content folder)
    fps: float
    frames_dropped: int
    faults: int  # media faults counted since start
    uptime_s: float
    model: str = ""  # the mirror's style model; "" without a mirror
    provider: str = ""  # where the model runs (the onnxruntime provider in use)
    fallback: bool = False  # the provider is a fallback from the one the settings ask for
    perception: str = ""  # the mirror's perception models: ok, partial, plain; "" without a mirror
    perception_problems: Mapping[str, str] = field(default_factory=dict)  # model -> what is wrong
    # This kiosk in the fleet: its name and Syncthing device ID (to pair it from the panel), or
    # why it is not in the fleet; "" with the fleet off.
    fleet: str = ""


class DiagnosticsPort(Protocol):
    """Where the admin panel reads :class:`Diagnostics` (about once a second)."""

    def diagnostics(self) -> Diagnostics: ...


@dataclass(frozen=True)
class AdminHooks:
    """What the app lets the admin panel do; a button is off when its hook is None.

    ``on_rollback`` may block (it installs and loads content): the panel runs it in a worker
    thread and shows the line it returns. ``on_restart`` and ``on_exit`` only ask the loop to
    stop and return at once.
    """

    on_rollback: Callable[[], str] | None = None
    on_restart: Callable[[], object] | None = None
    on_exit: Callable[[], object] | None = None
