"""The mirror on a file: a photograph or a video through the same pipeline as the live scene.

What ``kiosk mirror photo`` and ``kiosk mirror clip`` call. The perception models, the cue map
and the stylizer are the live mirror's own; a photograph is seen as a still (every face at full
strength from the start, :meth:`CueTracker.still`), a video frame after frame as the camera's
would be (tracking, smoothing, fades). The frost is shown as it looks a few seconds into a
visit (:data:`HEAD_START_S`), so that a short clip shows it grown.

Only the input file is read and only the output asked for is written; nothing else touches the
disk. The report (:func:`face_report`) gives each face's box and 468 landmarks in the input's
own pixels, its confidence, the person mask's coverage and the time each part took.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from kiosk.mirror import manifest
from kiosk.mirror.cues import CueOptions, Cues, CueTracker, PerceptionModels
from kiosk.mirror.perception import PerceptionOptions
from kiosk.mirror.stylizer import Stylizer, StylizerOptions

HEAD_START_S = 6.0
"""The mirror's clock at the first frame: the rime has grown in by then."""

MAX_SIDE = 1280
"""Larger pictures are worked on at this size (their report is scaled back to theirs)."""


class MirrorFileError(Exception):
    """The input cannot be read, or the output cannot be written; the message says which."""


@dataclass
class FileMirror:
    """The models, loaded once, and the stylizer, for one photograph or one video."""

    models: PerceptionModels
    stylizer: Stylizer

    @classmethod
    def load(cls, models_dir: Path, provider: str = "cpu") -> FileMirror:
        found = manifest.find(models_dir, "frost")
        options = CueOptions(perception=PerceptionOptions(provider=provider, warm_up=False))
        return cls(
            PerceptionModels.load(models_dir, options),
            Stylizer(found, StylizerOptions(provider=provider, warm_up_size=None)),
        )

    def frame(self, rgb: np.ndarray, cues: Cues, t: float) -> tuple[np.ndarray, float]:
        t0 = time.perf_counter()
        out = self.stylizer.run(rgb, cues.mask, cues.cue_map, t)
        return out, (time.perf_counter() - t0) * 1000


def _working(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    """The picture at the size it is worked on, and the factor back to the input's pixels."""
    h, w = rgb.shape[:2]
    k = min(1.0, MAX_SIDE / max(w, h))
    if k >= 1.0:
        return rgb, 1.0
    small = cv2.resize(rgb, (round(w * k), round(h * k)), interpolation=cv2.INTER_AREA)
    return small, 1.0 / k


def face_report(cues: Cues, back: float) -> dict[str, Any]:
    """Faces (box and landmarks in the input's pixels, confidence) and the mask's coverage."""
    faces = []
    for face in cues.faces:
        pts = face.points[:, :2].astype(np.float64) * back
        x0, y0 = pts.min(axis=0)
        x1, y1 = pts.max(axis=0)
        faces.append(
            {
                "id": face.id,
                "box": [round(float(v), 1) for v in (x0, y0, x1, y1)],
                "landmarks": np.round(pts, 1).tolist(),
                "confidence": round(float(face.presence), 4),
                "strength": round(float(face.strength), 3),
            }
        )
    coverage = None if cues.mask is None else round(float((cues.mask > 0.5).mean()), 4)
    return {"faces": faces, "mask_coverage": coverage}


def _timings(cues: Cues, stylize_ms: float) -> dict[str, float]:
    out = {k: round(v, 2) for k, v in cues.timings.items()}
    out["stylize"] = round(stylize_ms, 2)
    return out


def _encode_png(rgb: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:  # pragma: no cover - OpenCV always encodes PNG
        raise MirrorFileError("the picture could not be encoded as PNG")
    return bytes(data.tobytes())


def mirror_photo(mirror: FileMirror, source: Path, out: Path) -> dict[str, Any]:
    """Stylize one photograph into ``out`` (PNG); returns the report."""
    bgr = cv2.imread(str(source), cv2.IMREAD_COLOR)
    if bgr is None:
        raise MirrorFileError(f"{source}: cannot be read as a picture")
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    work, back = _working(rgb)
    cues = CueTracker(mirror.models).still(work)
    image, stylize_ms = mirror.frame(work, cues, HEAD_START_S)
    if back != 1.0:
        image = cv2.resize(image, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_LINEAR)
    try:
        out.write_bytes(_encode_png(image))
    except OSError as exc:
        raise MirrorFileError(f"{out}: cannot be written: {exc.strerror or exc}") from None
    return {
        "input": str(source),
        "output": str(out),
        "size": [rgb.shape[1], rgb.shape[0]],
        "perception": mirror.models.state,
        "problems": dict(mirror.models.problems),
        **face_report(cues, back),
        "timings_ms": _timings(cues, stylize_ms),
    }


def mirror_clip(mirror: FileMirror, source: Path, out: Path) -> dict[str, Any]:
    """Stylize every frame of a video into ``out`` (H.264 in MP4); returns the report, with
    one entry per frame and the median timings."""
    import av

    capture = cv2.VideoCapture(str(source))
    if not capture.isOpened():
        raise MirrorFileError(f"{source}: cannot be opened as a video")
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    tracker = CueTracker(mirror.models)
    frames: list[dict[str, Any]] = []
    parts: dict[str, list[float]] = {}
    container: Any = None
    stream: Any = None
    size: list[int] = []
    try:
        try:
            container = av.open(str(out), "w", format="mp4")
        except (OSError, av.FFmpegError) as exc:
            raise MirrorFileError(f"{out}: cannot be written: {exc}") from None
        index = 0
        while True:
            ok, bgr = capture.read()
            if not ok:
                break
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            work, back = _working(rgb)
            t = index / fps
            cues = tracker.update(work, t)
            image, stylize_ms = mirror.frame(work, cues, HEAD_START_S + t)
            if stream is None:
                h, w = image.shape[:2]
                size = [rgb.shape[1], rgb.shape[0]]
                stream = container.add_stream("libx264", rate=round(fps))
                stream.width, stream.height = w - w % 2, h - h % 2
                stream.pix_fmt = "yuv420p"
            image = np.ascontiguousarray(image[: stream.height, : stream.width])
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
            frames.append({"index": index, "t": round(t, 4), **face_report(cues, back)})
            for k, v in _timings(cues, stylize_ms).items():
                parts.setdefault(k, []).append(v)
            index += 1
        if stream is None:
            raise MirrorFileError(f"{source}: no frame could be read")
        for packet in stream.encode():
            container.mux(packet)
    except BaseException:
        if container is not None:
            container.close()
            container = None
        out.unlink(missing_ok=True)  # no half-written video left behind
        raise
    finally:
        capture.release()
        if container is not None:
            container.close()
    return {
        "input": str(source),
        "output": str(out),
        "size": size,
        "fps": round(fps, 3),
        "perception": mirror.models.state,
        "problems": dict(mirror.models.problems),
        "frames": frames,
        "timings_ms": {k: round(float(np.median(v)), 2) for k, v in parts.items()},
    }
