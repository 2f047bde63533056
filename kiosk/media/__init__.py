"""Clip playback for the kiosk: decode threads, sound output, the A/V clock, captions, faults.

The UI uses :class:`Player` through the small player port of ``kiosk.ui.ports``::

    player = Player(size=(1280, 720))
    player.preload(segment)
    player.play(segment)
    # each display frame, on the main thread:
    frame = player.latest_frame()
    if frame is not None:
        surface = pygame.image.frombuffer(frame.data, frame.size, frame.format)
    text = player.caption("en")

The rooms: ``player`` (the state machine the UI drives), ``sources`` (a segment's decode threads,
preloading), ``decoder`` and ``audio_decoder`` (the video and audio threads), ``container``
(open, seek, demux, decode), ``convert`` (pixel formats and sizes), ``workers`` (bounded
hand-over between threads), ``output``, ``mixer`` and ``audio`` (sound and the clock),
``captions`` (WebVTT), ``errors`` (fault kinds and counts), ``probe`` (what a file holds, for
``kiosk content validate``), ``speed`` (whether this machine decodes a clip fast enough to play
it, for validate and ``kiosk doctor``), ``allocator`` (glibc tuned for frame buffers), ``stills`` (a
still-picture player for tours and golden images) and ``tone`` (the admin's sound check).

The names below are loaded when first used, so that importing one light module of the package
(``kiosk.media.captions`` for the content validator, ``kiosk.media.probe``) does not load PyAV,
numpy and the player.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.media.audio import AudioSink, NullSink, SoundDeviceSink
    from kiosk.media.captions import CaptionTrack, Cue
    from kiosk.media.decoder import Frame
    from kiosk.media.errors import Fault, FaultKind, Faults, MediaError
    from kiosk.media.player import Player, PlayerState

_HOMES = {
    "AudioSink": "kiosk.media.audio",
    "NullSink": "kiosk.media.audio",
    "SoundDeviceSink": "kiosk.media.audio",
    "CaptionTrack": "kiosk.media.captions",
    "Cue": "kiosk.media.captions",
    "Frame": "kiosk.media.decoder",
    "Fault": "kiosk.media.errors",
    "FaultKind": "kiosk.media.errors",
    "Faults": "kiosk.media.errors",
    "MediaError": "kiosk.media.errors",
    "Player": "kiosk.media.player",
    "PlayerState": "kiosk.media.player",
}

__all__ = [
    "AudioSink",
    "CaptionTrack",
    "Cue",
    "Fault",
    "FaultKind",
    "Faults",
    "Frame",
    "MediaError",
    "NullSink",
    "Player",
    "PlayerState",
    "SoundDeviceSink",
]


def __getattr__(name: str) -> Any:
    # PEP 562: ``from kiosk.media import Player`` imports kiosk.media.player on first use.
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'kiosk.media' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
