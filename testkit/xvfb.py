"""Test kit: a private Xvfb screen, and a tiny X11 client to read its pixels and tap on it.

:class:`Xvfb` starts a virtual X screen on a free display number and stops it on exit.
:class:`XClient` talks to it through Xlib (``ctypes``, no Python X library needed): it reads a
small rectangle of the screen (``XGetImage``: a 256x144 region costs a fraction of a
millisecond, so the benchmark can watch for a first frame every few milliseconds without taking
the CPU from the players it measures) and sends a real pointer click through the XTEST
extension, as a finger on a touchscreen would, without starting a process for it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import shutil
import subprocess
import time
from pathlib import Path
from types import TracebackType

import numpy as np

_ZPIXMAP = 2
_ALL_PLANES = ctypes.c_ulong(0xFFFFFFFF)


class _XImage(ctypes.Structure):
    # The leading fields of Xlib's XImage, as far as ``data`` and the row layout.
    _fields_ = [
        ("width", ctypes.c_int),
        ("height", ctypes.c_int),
        ("xoffset", ctypes.c_int),
        ("format", ctypes.c_int),
        ("data", ctypes.POINTER(ctypes.c_ubyte)),
        ("byte_order", ctypes.c_int),
        ("bitmap_unit", ctypes.c_int),
        ("bitmap_bit_order", ctypes.c_int),
        ("bitmap_pad", ctypes.c_int),
        ("depth", ctypes.c_int),
        ("bytes_per_line", ctypes.c_int),
        ("bits_per_pixel", ctypes.c_int),
    ]


def xvfb_binary() -> str | None:
    return shutil.which("Xvfb")


class Xvfb:
    """``Xvfb`` on the first free display from :99 on, ``size`` pixels at 24-bit colour."""

    def __init__(self, size: tuple[int, int] = (1920, 1080)) -> None:
        self.size = size
        self.display = ""
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10.0) -> None:
        binary = xvfb_binary()
        if binary is None:
            raise FileNotFoundError("Xvfb is not installed (Debian package xvfb)")
        for n in range(99, 160):
            if not Path(f"/tmp/.X{n}-lock").exists() and not Path(f"/tmp/.X11-unix/X{n}").exists():
                break
        else:
            raise RuntimeError("no free X display number between :99 and :159")
        self.display = f":{n}"
        w, h = self.size
        self._proc = subprocess.Popen(
            [binary, self.display, "-screen", "0", f"{w}x{h}x24", "-nolisten", "tcp", "-br"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while not Path(f"/tmp/.X11-unix/X{n}").exists():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"Xvfb did not start on {self.display}")
            time.sleep(0.05)

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

    def __enter__(self) -> Xvfb:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class XClient:
    """A connection to ``display`` that reads screen pixels and clicks (Xlib and XTEST)."""

    def __init__(self, display: str) -> None:
        x11 = ctypes.util.find_library("X11")
        xtst = ctypes.util.find_library("Xtst")
        if x11 is None:
            raise OSError("libX11 is not installed")
        self._x = ctypes.CDLL(x11)
        self._xtst = ctypes.CDLL(xtst) if xtst is not None else None
        self._x.XOpenDisplay.restype = ctypes.c_void_p
        self._x.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self._x.XDefaultRootWindow.restype = ctypes.c_ulong
        self._x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        self._x.XGetImage.restype = ctypes.POINTER(_XImage)
        self._x.XGetImage.argtypes = [
            ctypes.c_void_p,
            ctypes.c_ulong,
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_ulong,
            ctypes.c_int,
        ]
        self._x.XFree.argtypes = [ctypes.c_void_p]
        self._x.XFlush.argtypes = [ctypes.c_void_p]
        self._x.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
        self._x.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self._dpy = self._x.XOpenDisplay(display.encode())
        if not self._dpy:
            raise OSError(f"cannot open X display {display}")
        self._root = self._x.XDefaultRootWindow(self._dpy)

    def grab(self, rect: tuple[int, int, int, int]) -> np.ndarray:
        """The screen's pixels in ``rect`` (x, y, w, h) as an RGB uint8 array (h x w x 3)."""
        x, y, w, h = rect
        img = self._x.XGetImage(self._dpy, self._root, x, y, w, h, _ALL_PLANES, _ZPIXMAP)
        if not img:
            raise OSError(f"XGetImage failed for {rect}")
        try:
            im = img.contents
            if im.bits_per_pixel != 32:
                raise OSError(f"the screen is {im.bits_per_pixel} bits a pixel; expected 32")
            buf = ctypes.string_at(im.data, im.bytes_per_line * h)
            rows = np.frombuffer(buf, np.uint8).reshape(h, im.bytes_per_line)
            bgrx = rows[:, : w * 4].reshape(h, w, 4)
            return np.ascontiguousarray(bgrx[:, :, 2::-1])
        finally:
            # XDestroyImage is a macro calling the image's destroy function; freeing the data
            # and the structure with XFree does the same for an image XGetImage made.
            self._x.XFree(img.contents.data)
            self._x.XFree(img)

    def click(self, pos: tuple[int, int], hold: float = 0.05) -> None:
        """Move the pointer to ``pos`` and press and release the first button (a tap)."""
        if self._xtst is None:
            raise OSError("libXtst is not installed")
        f = self._xtst
        f.XTestFakeMotionEvent(ctypes.c_void_p(self._dpy), -1, pos[0], pos[1], 0)
        f.XTestFakeButtonEvent(ctypes.c_void_p(self._dpy), 1, 1, 0)
        self._x.XFlush(self._dpy)
        time.sleep(hold)
        f.XTestFakeButtonEvent(ctypes.c_void_p(self._dpy), 1, 0, 0)
        self._x.XSync(self._dpy, 0)

    def close(self) -> None:
        if self._dpy:
            self._x.XCloseDisplay(self._dpy)
            self._dpy = None

    def __enter__(self) -> XClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
