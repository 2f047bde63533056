"""The doctor's checks of the devices: screen, sound, camera, and the style model's runtime.

Only the screen is essential; without sound, a camera or a runnable model the kiosk still serves
visitors (silent clips with captions, no frost mirror), so those checks warn. The camera check
reads one frame's size and lets the frame go: no picture is ever kept.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from kiosk.ops.doctor.report import Check, Context

CAMERA_TIMEOUT_S = 10.0


def check_display(ctx: Context) -> Check:
    connected = []
    for status in sorted((ctx.sys_root / "class" / "drm").glob("card*-*/status")):
        try:
            if status.read_text().strip() == "connected":
                connected.append(status.parent.name.split("-", 1)[1])
        except OSError:
            continue
    if connected:
        return Check("display", "ok", f"screen connected: {', '.join(connected)}")
    for var in ("WAYLAND_DISPLAY", "DISPLAY"):
        if ctx.env.get(var):
            return Check("display", "ok", f"a display is available ({var}={ctx.env[var]})")
    return Check(
        "display",
        "fail",
        "no screen is connected",
        "check the screen's cable and power and that it shows the right input; then restart "
        "the kiosk (sudo systemctl restart kiosk)",
    )


def check_audio(ctx: Context) -> Check:
    try:
        import sounddevice as sd
    except OSError:
        return Check(
            "audio",
            "warn",
            "the PortAudio library is missing, so the clips play without sound",
            "sudo apt-get install libportaudio2",
        )
    try:
        devices = list(sd.query_devices())
    except Exception as exc:  # PortAudio reports device trouble as its own error type
        return Check("audio", "warn", f"sound devices cannot be listed: {exc}", "check `aplay -l`")
    outputs = [str(d["name"]) for d in devices if int(d.get("max_output_channels", 0)) > 0]
    if not outputs:
        return Check(
            "audio",
            "warn",
            "no sound output device: the clips play without sound",
            "connect the speakers (or a screen with sound over HDMI), check `aplay -l`, and that "
            f"the {ctx.user or 'kiosk'} user is in the 'audio' group",
        )
    wanted = ctx.settings.audio.device.strip()
    if wanted:
        try:
            sd.query_devices(int(wanted) if wanted.isdigit() else wanted, "output")
        except (ValueError, sd.PortAudioError):
            return Check(
                "audio",
                "warn",
                f"the sound device in the settings (audio.device: {wanted!r}) is not there",
                "set audio.device to one of the devices below, or leave it empty for the default",
                tuple(outputs),
            )
    return Check("audio", "ok", f"{len(outputs)} sound output(s); using {wanted or 'the default'}")


def _grab_one_frame(source: int | str, out: dict[str, Any]) -> None:
    import cv2

    cap = cv2.VideoCapture(source)
    try:
        out["opened"] = bool(cap.isOpened())
        if out["opened"]:
            ok, frame = cap.read()
            # Only the size is kept; the picture itself is dropped here, never stored.
            out["size"] = (int(frame.shape[1]), int(frame.shape[0])) if ok else None
            del frame
    finally:
        cap.release()


def check_camera(ctx: Context) -> Check:
    cam = ctx.settings.camera
    if not cam.enabled:
        return Check("camera", "skip", "the frost mirror is switched off (camera.enabled: false)")
    if not ctx.camera:
        return Check("camera", "skip", "not checked (--no-camera)")
    # OpenCV prints its own warnings for a missing camera; the check says it in plain words.
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    try:
        import cv2  # noqa: F401
    except ImportError as exc:
        return Check("camera", "warn", f"OpenCV cannot be loaded: {exc}", "reinstall the kiosk")
    source: int | str = (
        int(cam.device) if cam.device.isdigit() else str(ctx.settings.resolve(cam.device))
    )
    out: dict[str, Any] = {}
    worker = threading.Thread(target=_grab_one_frame, args=(source, out), daemon=True)
    worker.start()
    worker.join(CAMERA_TIMEOUT_S)
    fix = (
        "check the camera's USB cable (try another port), that camera.device is right, and that "
        f"the {ctx.user or 'kiosk'} user is in the 'video' group; the mirror stays hidden meanwhile"
    )
    if worker.is_alive():
        return Check(
            "camera", "warn", f"the camera did not answer within {CAMERA_TIMEOUT_S:.0f} s", fix
        )
    if not out.get("opened"):
        return Check("camera", "warn", f"no camera at camera.device {cam.device!r}", fix)
    if not out.get("size"):
        return Check("camera", "warn", f"the camera {cam.device!r} opens but gives no picture", fix)
    w, h = out["size"]
    return Check("camera", "ok", f"camera {cam.device!r} gives {w}x{h} pictures")


def check_inference(ctx: Context) -> Check:
    if not ctx.settings.camera.enabled:
        return Check("inference", "skip", "the frost mirror is switched off")
    try:
        import onnxruntime as ort
    except ImportError as exc:
        return Check(
            "inference", "warn", f"onnxruntime cannot be loaded: {exc}", "reinstall the kiosk"
        )
    available = list(ort.get_available_providers())
    model = ctx.settings.path("models") / f"{ctx.settings.camera.model}.onnx"
    if not model.is_file():
        return Check(
            "inference",
            "warn",
            f"the style model {model} is missing, so the frost mirror is hidden "
            f"(providers available: {', '.join(available)})",
            "install a content release that carries the model, or set paths.models / camera.model",
        )
    try:
        # The Azure provider runs models remotely; this kiosk is offline and never asks for it.
        wanted = [p for p in available if p != "AzureExecutionProvider"]
        session = ort.InferenceSession(str(model), providers=wanted)
    except Exception as exc:  # onnxruntime raises its own exception types for bad models
        return Check(
            "inference",
            "warn",
            f"the style model {model} cannot be loaded: {exc}",
            "install the model again",
        )
    used = session.get_providers()[0]
    return Check(
        "inference", "ok", f"model {model.name} runs on {used} (available: {', '.join(available)})"
    )
