"""Clip playback for the kiosk: decode threads, audio output, A/V clock, captions, faults.

The UI uses :class:`Player` (or anything implementing :class:`ClipPlayer`)::

    player = Player(size=(1280, 720))
    player.preload(segment)
    player.play(segment)
    # each display frame, on the main thread:
    frame = player.latest_frame()
    if frame is not None:
        surface = pygame.image.frombuffer(frame.data, frame.size, frame.format)
    text = player.caption("en")
"""

from __future__ import annotations

from kiosk.media.audio import AudioSink, NullSink, SoundDeviceSink
from kiosk.media.captions import CaptionTrack, Cue
from kiosk.media.decoder import Frame
from kiosk.media.errors import Fault, FaultKind, Faults, MediaError
from kiosk.media.player import ClipPlayer, Player, PlayerState

__all__ = [
    "AudioSink",
    "CaptionTrack",
    "ClipPlayer",
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
