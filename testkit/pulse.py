"""Test kit: a private PulseAudio server with a null sink, a paced sound device without hardware.

Tests and the benchmark run the player's real PortAudio path against it: PortAudio's ALSA
backend opens the ``pulse`` PCM (the ALSA plugin from libasound2-plugins), which talks to this
server. A PulseAudio null sink consumes samples in real time (unlike ALSA's null device, which
swallows a second of sound in milliseconds), and its ``.monitor`` source can be recorded to see
what was played and when (:class:`MonitorRecorder`).

The server runs as whoever runs the tests, root included: PulseAudio only warns when run as root
outside ``--system`` mode, provided it has a private HOME and runtime directory, which
:class:`PulseServer` gives it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

ALSA_DEVICE = "pulse"  # the PortAudio (ALSA) device name that reaches the server


def pulseaudio_binary() -> str | None:
    """Path of the ``pulseaudio`` program, or None if it is not installed."""
    return shutil.which("pulseaudio")


def reinitialize_portaudio() -> None:
    """Make sounddevice re-scan devices (PortAudio lists them once, at initialisation)."""
    import sounddevice as sd

    # sounddevice has no public call for this; its module-level init/terminate pair is it.
    sd._terminate()
    sd._initialize()


class PulseServer:
    """Start ``pulseaudio`` with one null sink; stop it on exit. Use as a context manager.

    ``activate()`` points this process's PulseAudio clients (and so PortAudio's ``pulse``
    device) at the server; ``deactivate()`` undoes it.
    """

    def __init__(self, *, rate: int = 48000, channels: int = 2, sink: str = "kiosk_null") -> None:
        self.rate = rate
        self.channels = channels
        self.sink = sink
        self.dir: Path | None = None
        self.socket: Path | None = None
        self.log_path: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._saved_env: dict[str, str | None] = {}

    @property
    def server(self) -> str:
        assert self.socket is not None, "server not started"
        return f"unix:{self.socket}"

    def start(self, timeout: float = 15.0) -> None:
        binary = pulseaudio_binary()
        if binary is None:
            raise FileNotFoundError("pulseaudio is not installed")
        # A short path: a unix socket path must fit in 108 bytes.
        self.dir = Path(tempfile.mkdtemp(prefix="kpa-"))
        runtime = self.dir / "run"
        runtime.mkdir(mode=0o700)
        self.socket = runtime / "native"
        self.log_path = self.dir / "pulse.log"
        config = self.dir / "default.pa"
        config.write_text(
            f"load-module module-null-sink sink_name={self.sink} rate={self.rate} "
            f"channels={self.channels} format=float32le norewinds=1\n"
            f"load-module module-native-protocol-unix auth-anonymous=1 socket={self.socket}\n"
            f"set-default-sink {self.sink}\n"
            f"set-default-source {self.sink}.monitor\n"
        )
        (self.dir / "client.conf").write_text(f"autospawn = no\ndefault-server = {self.server}\n")
        env = dict(os.environ)
        env.update(
            HOME=str(self.dir),
            XDG_RUNTIME_DIR=str(runtime),
            XDG_CONFIG_HOME=str(self.dir / "config"),
            PULSE_RUNTIME_PATH=str(runtime),
            PULSE_STATE_PATH=str(self.dir / "state"),
        )
        env.pop("PULSE_SERVER", None)
        cmd = [
            binary,
            "--daemonize=no",
            "--exit-idle-time=-1",
            "--use-pid-file=no",
            "--high-priority=no",
            "--realtime=no",
            "--disallow-module-loading=no",
            "-n",
            "-F",
            str(config),
            f"--log-target=file:{self.log_path}",
        ]
        self._proc = subprocess.Popen(
            cmd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while not self.socket.exists():
            if self._proc.poll() is not None:
                err = self._proc.stderr.read().decode(errors="replace") if self._proc.stderr else ""
                self._proc = None
                raise RuntimeError(f"pulseaudio exited with {err.strip() or 'no message'}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError("pulseaudio did not create its socket")
            time.sleep(0.02)
        time.sleep(0.1)  # the socket exists slightly before the modules after it are loaded

    def activate(self) -> None:
        """Point this process's PulseAudio clients at the server and re-scan PortAudio."""
        assert self.dir is not None
        for key, value in (
            ("PULSE_SERVER", self.server),
            ("PULSE_CLIENTCONFIG", str(self.dir / "client.conf")),
        ):
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value
        reinitialize_portaudio()

    def deactivate(self) -> None:
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(5.0)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5.0)
            if proc.stderr is not None:
                proc.stderr.close()
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self) -> PulseServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.deactivate()
        self.stop()


class MonitorRecorder:
    """Records a PortAudio input (the null sink's monitor) with the time of every sample.

    The monitor of a PulseAudio null sink receives each sample when the sink plays it, and the
    sink is paced by the system clock, so recorded sample ``i`` was played at ``t0 + i / rate``.
    ``t0`` is estimated from PortAudio's ``inputBufferAdcTime`` of every callback (converted to
    ``time.monotonic()``), as the median over a window, which removes scheduling jitter.
    """

    def __init__(self, device: str | int = ALSA_DEVICE, *, rate: int = 48000) -> None:
        self.device = device
        self.rate = rate
        self._chunks: list[np.ndarray] = []
        self._marks: list[tuple[int, float]] = []  # (index of first sample, its monotonic time)
        self._count = 0
        self._offset: float | None = None
        self._stream: Any = None
        self._lock = threading.Lock()
        self.overflows = 0

    def start(self) -> None:
        import sounddevice as sd

        self._stream = sd.InputStream(
            device=self.device,
            samplerate=self.rate,
            channels=1,
            dtype="float32",
            latency="low",
            callback=self._callback,
        )
        self._stream.start()

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        now = time.monotonic()
        if status.input_overflow:
            self.overflows += 1
        cur = float(time_info.currentTime)
        adc = float(time_info.inputBufferAdcTime)
        # currentTime - now is the stream-clock offset minus the delay before Python ran;
        # the running maximum is the offset (see audio._ClockOffset).
        sample = cur - now
        if self._offset is None or sample > self._offset or sample < self._offset - 0.5:
            self._offset = sample
        with self._lock:
            if cur > 0 and adc > 0:
                self._marks.append((self._count, adc - self._offset))
            self._chunks.append(indata[:, 0].copy())
            self._count += frames

    def stop(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.stop()
            stream.close()

    def samples(self) -> np.ndarray:
        with self._lock:
            return np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.float32)

    def wait_stable(
        self, timeout: float = 8.0, span: float = 0.5, tolerance: float = 0.002
    ) -> bool:
        """Wait until the timestamps agree with the sample count (see ``stable_from``).

        A monitor stream of a PulseAudio null sink starts with a backlog that it works off
        over a second or two; until then its timestamps do not match the samples.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                marks = list(self._marks)
            if marks and marks[-1][1] - marks[0][1] > span:
                last_t = marks[-1][1]
                recent = [(i, t) for i, t in marks if t >= last_t - span]
                res = [t - i / self.rate for i, t in recent]
                if len(recent) >= 10 and max(res) - min(res) < tolerance:
                    self.stable_from = recent[0][0]
                    return True
            time.sleep(0.05)
        return False

    stable_from = 0  # sample index from which timestamps are trusted

    def time_of(self, index: int, window: float = 1.0) -> float:
        """Monotonic time at which recorded sample ``index`` was played by the sink."""
        with self._lock:
            marks = [(i, t) for i, t in self._marks if i >= self.stable_from]
        if not marks:
            raise RuntimeError("no timestamps were recorded")
        near = [t - i / self.rate for i, t in marks if abs(i - index) <= window * self.rate]
        if not near:
            near = [t - i / self.rate for i, t in marks]
        return float(np.median(near)) + index / self.rate

    def onsets(self, threshold: float = 0.3, min_gap: float = 0.2) -> list[float]:
        """Monotonic times at which the signal first exceeds ``threshold`` after quiet."""
        x = np.abs(self.samples())
        idx = np.flatnonzero(x > threshold)
        out: list[float] = []
        last = -(10**12)
        gap = round(min_gap * self.rate)
        for i in idx:
            if i - last > gap:
                out.append(self.time_of(int(i)))
            last = int(i)
        return out

    def __enter__(self) -> MonitorRecorder:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            self.stop()
