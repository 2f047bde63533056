"""Opening a media file and the first stages of every decode chain: seek, demux, decode.

Both decode threads (:mod:`kiosk.media.decoder` for video, :mod:`kiosk.media.audio_decoder` for
sound) open their own container with :func:`open_container` and run
``seek -> demux -> decode`` before their own stages. Failures become :class:`MediaError` with a
fault kind; a damaged packet is skipped and reported as a warning instead.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import av.error

from kiosk.media.errors import FaultKind, MediaError

log = logging.getLogger(__name__)

MAX_BAD_PACKETS = 50  # consecutive undecodable packets before a stream is declared corrupt


def open_container(path: Path) -> av.container.InputContainer:
    """Open a media file for reading or raise :class:`MediaError` with the reason."""
    try:
        st = path.stat()
    except FileNotFoundError as e:
        raise MediaError(FaultKind.MISSING, f"{path} does not exist") from e
    except OSError as e:
        raise MediaError(FaultKind.UNREADABLE, f"cannot read {path}: {e}") from e
    if not path.is_file():
        raise MediaError(FaultKind.UNREADABLE, f"{path} is not a file")
    if st.st_size == 0:
        raise MediaError(FaultKind.EMPTY, f"{path} is empty (0 bytes)")
    try:
        # metadata_errors="replace": tags written in a legacy 8-bit encoding (common in files
        # from old cameras and editors) would otherwise raise UnicodeDecodeError on open.
        # skip_frame: FFmpeg's stream probe decodes the first picture only to learn its pixel
        # format (30-70 ms for a 1080p keyframe, paid by both decode threads before the first
        # frame on screen); the option reaches the probe's decoders, not the streams' own, so
        # the pictures decoded are the same and the pixel format comes with the first frame.
        return av.open(
            str(path), mode="r", metadata_errors="replace", options={"skip_frame": "all"}
        )
    except av.error.FileNotFoundError as e:
        raise MediaError(FaultKind.MISSING, f"{path} does not exist") from e
    except av.FFmpegError as e:
        raise MediaError(FaultKind.UNREADABLE, f"FFmpeg cannot open {path}: {e}") from e
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise MediaError(FaultKind.UNREADABLE, f"cannot open {path}: {e}") from e


def media_origin(container: av.container.InputContainer) -> float:
    """The file's time zero: segment times count from the container's start time.

    MPEG-TS and some MP4 edit lists start at a non-zero timestamp; players (and ffmpeg -ss)
    measure positions from the container's start, so in/out points do too.
    """
    st = container.start_time
    return 0.0 if st is None else st / 1_000_000


def seek(container: av.container.InputContainer, stream: av.stream.Stream, t: float) -> None:
    """Seek to the last keyframe at or before media time ``t`` (no-op at the very start)."""
    if t <= 0.0 or stream.time_base is None:
        return
    try:
        container.seek(int(t / stream.time_base), stream=stream, backward=True, any_frame=False)
    except av.FFmpegError as e:
        # An unseekable file (a stream without an index): decode from the start and let the
        # trim stage drop what precedes the in point.
        log.warning("seek to %.3f failed (%s); decoding from the start", t, e)
        container.seek(0)


def demux(
    container: av.container.InputContainer, stream: av.stream.Stream, stop: threading.Event
) -> Iterator[av.Packet]:
    """Read ``stream``'s packets until the file ends, a read fails or ``stop`` is set."""
    packets = container.demux(stream)
    while not stop.is_set():
        try:
            packet = next(packets)
        except StopIteration:
            return
        except av.error.EOFError:
            return
        except av.FFmpegError as e:
            # A read error mid-file (a truncated or damaged container): end the stream here;
            # the decoder is flushed by the caller and the short end is reported as truncated.
            log.warning("demux stopped early: %s", e)
            return
        yield packet
    return


def decode(
    packets: Iterator[av.Packet],
    stream: av.video.stream.VideoStream | av.audio.stream.AudioStream,
    warnings: deque[MediaError],
    stop: threading.Event,
) -> Iterator[Any]:
    """Decode packets; skip damaged ones (counted) unless too many come in a row."""
    bad = 0
    flushed = False
    for packet in packets:
        flushed = packet.size == 0  # PyAV's demux ends with an empty packet that flushes
        try:
            frames = packet.decode()
        except av.FFmpegError as e:
            # Bit rot or a cut download damages single packets; the decoder recovers at the
            # next keyframe, so skip the packet instead of failing the whole clip.
            bad += 1
            if bad == 1:
                warnings.append(MediaError(FaultKind.DECODE_ERROR, f"damaged packet: {e}"))
            if bad >= MAX_BAD_PACKETS:
                raise MediaError(
                    FaultKind.CORRUPT, f"{bad} damaged packets in a row, last: {e}"
                ) from e
            continue
        bad = 0
        yield from frames
        if stop.is_set():
            return
    if not flushed and not stop.is_set():
        # The demuxer gave up before its end: drain the frames still inside the decoder
        # (frame threading holds several).
        try:
            yield from stream.decode(None)
        except av.FFmpegError as e:
            log.warning("flushing the decoder failed: %s", e)
