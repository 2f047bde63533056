"""Test kit: the players `bench/peers.py` compares the kiosk with, and how each one is measured.

Every player runs as its own process on the same X screen, in a window at the kiosk's video
panel, with sound to the same PulseAudio null sink. What is measured from outside, the same way
for every player:

* the time to the first frame on screen, by reading the screen where the picture goes
  (:class:`FrameWatcher`) from the moment the player was started (mpv, ffplay) or tapped (the
  kiosk's gallery card);
* the process's CPU time (user + system, all threads) over a window of steady playback, and its
  peak resident memory (``VmHWM``), from ``/proc``.

Each player's own count of dropped frames is read from the player: mpv's properties through its
IPC socket, ffplay's status line, the kiosk's log line for the segment it played.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import numpy as np

from testkit.xvfb import XClient

Rect = tuple[int, int, int, int]
GRID = (8, 6)  # block means compared between the screen and the clip's first frames


class PlayerError(Exception):
    """A player could not be started or did not show the clip; the message says why."""


@dataclass
class Measured:
    """One player playing one clip."""

    player: str
    clip: str
    cpu_s_per_s: float | None = None
    frames_dropped: int | None = None
    frames_presented: int | None = None
    peak_rss_mb: float | None = None
    first_frame_s: float | None = None
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _descriptor(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    gx, gy = GRID
    img = rgb[: h - h % gy, : w - w % gx].astype(np.float32)
    return img.reshape(gy, img.shape[0] // gy, gx, img.shape[1] // gx, 3).mean(axis=(1, 3))


def inner(rect: Rect) -> Rect:
    """The middle half of ``rect``: inside the picture whatever each player does at its edges."""
    x, y, w, h = rect
    return (x + w // 4, y + h // 4, w // 2, h // 2)


class FrameWatcher:
    """Recognises a clip's first second of pictures on screen in ``panel`` (x, y, w, h).

    Each of the clip's first frames is scaled to the panel like a player would and reduced to a
    grid of block means; the screen matches frame ``i`` when its grid is close to that frame's
    (closer than a third of the frame's distance from black, at least 3 levels). Clips that open
    dark are recognised a few frames in; the time of frame 0 is then worked back from frame
    ``i``'s time stamp, since every player shows a clip in real time once it has started.
    """

    def __init__(self, clip: Path, panel: Rect, seconds: float = 1.0) -> None:
        self.region = inner(panel)
        x, y, w, h = panel
        rx, ry, rw, rh = self.region
        self.frames: list[tuple[float, np.ndarray, float]] = []
        with av.open(str(clip)) as c:
            s = c.streams.video[0]
            for frame in c.decode(s):
                t = float(frame.time or 0.0)
                if t > seconds:
                    break
                rgb = frame.to_ndarray(width=w, height=h, format="rgb24", interpolation="BILINEAR")[
                    ry - y : ry - y + rh, rx - x : rx - x + rw
                ]
                d = _descriptor(rgb)
                tol = max(3.0, float(np.abs(d).mean()) / 3)
                self.frames.append((t, d, tol))
        if not self.frames:
            raise PlayerError(f"{clip} has no frames to recognise")
        self.t0 = self.frames[0][0]
        self.changed_s: float | None = None
        self.matched_t: float | None = None

    def match(self, rgb: np.ndarray) -> float | None:
        """The clip time of the earliest first-second frame that ``rgb`` shows, or None."""
        d = _descriptor(rgb)
        for t, ref, tol in self.frames:
            if float(np.abs(d - ref).mean()) < tol:
                return t - self.t0
        return None

    def wait(self, x: XClient, since: float, timeout: float, alive: Any) -> tuple[float, float]:
        """Wait for the clip on screen; (seconds from ``since`` to its frame 0, when seen).

        ``changed_s`` and ``matched_t`` say when the region first changed at all and which
        frame was recognised first (its clip time).
        """
        deadline = since + timeout
        before: np.ndarray | None = None
        self.changed_s = None
        while time.perf_counter() < deadline:
            now = time.perf_counter()
            rgb = x.grab(self.region)
            if before is None:
                before = rgb
            elif self.changed_s is None and not np.array_equal(rgb, before):
                self.changed_s = now - since
            t = self.match(rgb)
            if t is not None:
                self.matched_t = t
                return now - t - since, now
            if not alive():
                raise PlayerError("the player exited before showing the clip")
            time.sleep(0.004)
        raise PlayerError(f"no frame of the clip on screen after {timeout:.0f} s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` and all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float | None:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def stop(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def steady_cpu(pid: int, first_at: float, seconds: float) -> float:
    """CPU seconds per second over [first frame + 0.5 s, first frame + seconds - 0.5 s]."""
    start, end = first_at + 0.5, first_at + seconds - 0.5
    time.sleep(max(0.0, start - time.perf_counter()))
    c0, t0 = cpu_seconds(pid), time.perf_counter()
    time.sleep(max(0.0, end - t0))
    c1, t1 = cpu_seconds(pid), time.perf_counter()
    return (c1 - c0) / (t1 - t0)


# -- mpv ---------------------------------------------------------------------------------------


def mpv_command(clip: Path, panel: Rect, ipc: Path, vo: str) -> list[str]:
    x, y, w, h = panel
    return [
        "mpv",
        "--no-config",
        "--hwdec=no",
        f"--vo={vo}",
        "--ao=pulse",
        f"--geometry={w}x{h}+{x}+{y}",
        "--no-border",
        "--no-osc",
        "--osd-level=0",
        "--really-quiet",
        f"--input-ipc-server={ipc}",
        str(clip),
    ]


def mpv_properties(ipc: Path, names: list[str]) -> dict[str, Any]:
    """Read properties from a running mpv through its JSON IPC socket."""
    out: dict[str, Any] = {}
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(2.0)
        s.connect(str(ipc))
        for i, name in enumerate(names):
            s.sendall(json.dumps({"command": ["get_property", name], "request_id": i}).encode())
            s.sendall(b"\n")
        buf = b""
        while len(out) < len(names):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for line in lines:
                msg = json.loads(line)
                if "request_id" in msg:
                    out[names[msg["request_id"]]] = msg.get("data")
    return out


def run_mpv(
    clip: Path, label: str, panel: Rect, x: XClient, seconds: float, workdir: Path, vo: str
) -> Measured:
    m = Measured("mpv", label)
    ipc = workdir / "mpv.sock"
    ipc.unlink(missing_ok=True)
    watcher = FrameWatcher(clip, panel)
    err = workdir / "mpv.log"
    t0 = time.perf_counter()
    with err.open("wb") as log:
        proc = subprocess.Popen(
            mpv_command(clip, panel, ipc, vo), stdout=log, stderr=log, stdin=subprocess.DEVNULL
        )
    try:
        m.first_frame_s, first_at = watcher.wait(x, t0, 20.0, lambda: proc.poll() is None)
        m.cpu_s_per_s = steady_cpu(proc.pid, first_at, seconds)
        m.peak_rss_mb = peak_rss_mb(proc.pid)
        props = mpv_properties(
            ipc, ["frame-drop-count", "decoder-frame-drop-count", "vo-delayed-frame-count"]
        )
        m.frames_dropped = int(props.get("frame-drop-count") or 0) + int(
            props.get("decoder-frame-drop-count") or 0
        )
        m.details = {"vo": vo, "first_matched_t": watcher.matched_t, **props}
    except (PlayerError, OSError) as e:
        m.error = f"{e}; mpv said: {_tail(err)}"
    finally:
        stop(proc)
    return m


# -- ffplay ------------------------------------------------------------------------------------


def ffplay_command(clip: Path, panel: Rect) -> list[str]:
    x, y, w, h = panel
    return [
        "ffplay",
        "-hide_banner",
        "-loglevel",
        "info",
        "-stats",
        "-x",
        str(w),
        "-y",
        str(h),
        "-left",
        str(x),
        "-top",
        str(y),
        "-noborder",
        "-window_title",
        "ffplay",
        str(clip),
    ]


def run_ffplay(
    clip: Path, label: str, panel: Rect, x: XClient, seconds: float, workdir: Path, renderer: str
) -> Measured:
    m = Measured("ffplay", label)
    watcher = FrameWatcher(clip, panel)
    err = workdir / "ffplay.log"
    env = dict(
        os.environ,
        SDL_VIDEODRIVER="x11",
        SDL_AUDIODRIVER="pulseaudio",
        SDL_RENDER_DRIVER=renderer,
    )
    t0 = time.perf_counter()
    with err.open("wb") as log:
        proc = subprocess.Popen(
            ffplay_command(clip, panel),
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
            env=env,
        )
    try:
        m.first_frame_s, first_at = watcher.wait(x, t0, 20.0, lambda: proc.poll() is None)
        m.cpu_s_per_s = steady_cpu(proc.pid, first_at, seconds)
        m.peak_rss_mb = peak_rss_mb(proc.pid)
    except (PlayerError, OSError) as e:
        m.error = f"{e}; ffplay said: {_tail(err)}"
    finally:
        stop(proc)
    # The status line: "  12.34 A-V:  0.001 fd=   3 aq= ..."; fd counts frames it dropped.
    drops = re.findall(rb"fd=\s*(\d+)", err.read_bytes())
    if drops and m.error is None:
        m.frames_dropped = int(drops[-1])
    m.details = {"renderer": renderer, "first_matched_t": watcher.matched_t}
    return m


# -- the kiosk ---------------------------------------------------------------------------------


KIOSK_LOG = re.compile(
    r"played (?P<what>.+?) for (?P<secs>[\d.]+) s: (?P<shown>\d+) frames shown, "
    r"(?P<dropped>\d+) dropped \((?P<late>\d+) of them late in the decoder\)"
)


def kiosk_settings(workdir: Path, content: Path) -> Path:
    """A kiosk.yaml for a 1920x1080 window with sound to the PulseAudio sink, no camera."""
    cfg = workdir / "kiosk.yaml"
    cfg.write_text(
        "display: {fullscreen: false, width: 1920, height: 1080}\n"
        "audio: {device: pulse}\n"
        "camera: {enabled: false}\n"
        f"paths: {{content: {content}, releases: {workdir / 'releases'}, "
        f"database: {workdir / 'analytics.db'}}}\n"
        f"admin: {{pin_file: {workdir / 'admin.pin'}, "
        f"lockout_file: {workdir / 'lockout.json'}}}\n"
        "logs: {to_file: never}\n"
        "health: {enabled: false}\n",
        encoding="utf-8",
    )
    return cfg


def kiosk_collection(workdir: Path, clip: Path, bundled: Path) -> Path:
    """The bundled collection cut to one explorer (Dezhnev) whose clip is ``clip``."""
    root = workdir / f"content-{clip.stem}"
    if root.exists():
        shutil.rmtree(root)
    src = bundled / "explorers" / "dezhnev"
    dst = root / "explorers" / "dezhnev"
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.mp4"))
    (dst / "clips" / "voyage.mp4").symlink_to(clip.resolve())
    (root / "media").mkdir()
    for f in (bundled / "media").iterdir():
        (root / "media" / f.name).symlink_to(f.resolve())
    text = (bundled / "collection.yaml").read_text(encoding="utf-8")
    text = re.sub(r"attract:\n(  - .*\n)+", "attract:\n  - dezhnev/voyage\n", text)
    (root / "collection.yaml").write_text(text, encoding="utf-8")
    return root


def _stable(x: XClient, rect: Rect, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = x.grab(rect)
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = x.grab(rect)
        if np.array_equal(now, last):
            return
        last = now
    raise PlayerError("the gallery did not settle after the tap on the attract loop")


def run_kiosk(
    clip: Path,
    label: str,
    panel: Rect,
    card: tuple[int, int],
    back: tuple[int, int],
    x: XClient,
    seconds: float,
    workdir: Path,
    *,
    python: str,
    root: Path,
    bundled: Path,
) -> Measured:
    """`kiosk run` in a 1920x1080 window: tap the attract loop, then the explorer's card;
    after the measured playback, back to the gallery and the card again (a second visit)."""
    m = Measured("kiosk", label)
    seen: dict[str, Any] = {}
    content = kiosk_collection(workdir, clip, bundled)
    cfg = kiosk_settings(workdir, content)
    log_path = workdir / "kiosk.log"
    env = dict(os.environ, SDL_VIDEODRIVER="x11", SDL_AUDIODRIVER="dummy", PYTHONPATH=str(root))
    env.pop("WAYLAND_DISPLAY", None)
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [python, "-m", "kiosk", "run", "--config", str(cfg), "--windowed"],
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=root,
        )
    try:
        deadline = time.monotonic() + 90
        while b"ready: attract on screen" not in log_path.read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise PlayerError("the kiosk did not show its attract loop")
            time.sleep(0.1)
        time.sleep(1.0)
        x.click((960, 540))  # any tap leaves the attract loop for the gallery
        time.sleep(0.5)
        _stable(x, (card[0] - 100, card[1] - 100, 200, 200), 10.0)
        watcher = FrameWatcher(clip, panel)
        x.click(card)
        t0 = time.perf_counter()  # a tap is a tap when the finger lifts: timed from there
        m.first_frame_s, first_at = watcher.wait(x, t0, 20.0, lambda: proc.poll() is None)
        seen = {"page_changed_s": _r(watcher.changed_s), "first_matched_t": watcher.matched_t}
        m.cpu_s_per_s = steady_cpu(proc.pid, first_at, seconds)
        m.peak_rss_mb = peak_rss_mb(proc.pid)
        # A kiosk serves visitors all day: the second visit to the page, without the first
        # visit's fonts and text to render, is what most visitors see.
        x.click(back)
        time.sleep(0.5)
        _stable(x, (card[0] - 100, card[1] - 100, 200, 200), 10.0)
        x.click(card)
        t1 = time.perf_counter()
        seen["first_frame_s_again"] = _r(watcher.wait(x, t1, 20.0, lambda: True)[0])
    except (PlayerError, OSError) as e:
        m.error = f"{e}; the kiosk said: {_tail(log_path)}"
    finally:
        stop(proc)
    found = [r for r in KIOSK_LOG.finditer(log_path.read_text(errors="replace"))]
    played = [r for r in found if "voyage" in r["what"]]
    if played and m.error is None:
        r = max(played, key=lambda r: float(r["secs"]))  # the measured visit, the longest
        m.frames_presented = int(r["shown"])
        m.frames_dropped = int(r["dropped"])
        m.details = {"late_in_decoder": int(r["late"]), "played_s": float(r["secs"]), **seen}

    elif m.error is None:
        m.details = {"note": "no 'played' line in its log (a kiosk older than the bench)", **seen}
    return m


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


def _tail(path: Path, n: int = 400) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no output)"
    text = " ".join(text.replace("\r", "\n").split())
    return text[-n:] or "(no output)"
