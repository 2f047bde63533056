"""Lock-down: while locked, no key, gesture or window request takes a visitor out of the kiosk.

Two layers keep a visitor in. Outside the program, the installed session has no desktop to fall
back to: cage runs the kiosk alone, without ``-s`` (so Ctrl+Alt+F1..F12 cannot switch to another
virtual terminal), with ``XKB_DEFAULT_OPTIONS=srvrkeys:none`` (so those keys and
Ctrl+Alt+Backspace are plain keys, not "switch VT" or "zap"), no other terminal gets a login
prompt (logind ``NAutoVTs=0``), the magic SysRq key is off, and when the kiosk exits or crashes,
cage exits with it and systemd starts both again. See ``docs/operations.md``.

Inside the program, this module decides which input events the main loop must drop while
locked (:func:`swallow_reason`, :class:`Lockdown`): window-close requests, Escape, function
keys, the Super key, and any key pressed with Ctrl or Alt (Alt+F4, Alt+Tab, Ctrl+Q, Ctrl+W,
Ctrl+Alt+Backspace, ...). Plain keys and Shift pass, so a USB barcode reader or keyboard still
types. Only the admin PIN unlocks (the UI calls :meth:`Lockdown.unlock` after
:meth:`kiosk.ops.admin.AdminGate.check` said yes), and admin mode locks again when it closes.

It is pure: events are described by :class:`KeyEvent`; :func:`event_from_pygame` converts a
pygame event, importing pygame only when called.
"""

from __future__ import annotations

import enum
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# The unit's ConditionPathExists=! names this file: a kiosk stopped by staff for maintenance is
# not restarted until the file is removed or the machine reboots (/run is emptied at boot).
# The installed unit reads this path; tests point it elsewhere with KIOSK_MAINTENANCE_FLAG.
MAINTENANCE_FLAG = Path(os.environ.get("KIOSK_MAINTENANCE_FLAG", "/run/kiosk/maintenance"))


class Mod(enum.IntFlag):
    """Modifier keys held during a key event."""

    NONE = 0
    SHIFT = 1
    CTRL = 2
    ALT = 4
    SUPER = 8


@dataclass(frozen=True)
class KeyEvent:
    """An input event as the lock-down filter sees it.

    ``kind``: ``keydown``, ``keyup``, ``quit`` (the window system asks the program to end),
    ``window_close`` or ``other``. ``key``: the lower-case key name as pygame's ``key.name``
    gives it (``f4``, ``escape``, ``q``, ``backspace``, ``tab``, ``left meta``).
    """

    kind: str
    key: str = ""
    mods: Mod = Mod.NONE


_SUPER_KEYS = frozenset(
    {"left meta", "right meta", "left super", "right super", "left gui", "right gui", "menu"}
)
# Keys that on some system or toolkit do something outside the kiosk on their own.
_ALONE = {
    "escape": "Escape",
    "ac back": "Back",
    "ac home": "Home",
    "sys req": "SysRq",
    "power": "Power",
    "sleep": "Sleep",
}


def _combo(event: KeyEvent) -> str:
    names = [n for m, n in ((Mod.CTRL, "Ctrl"), (Mod.ALT, "Alt"), (Mod.SUPER, "Super"),
                            (Mod.SHIFT, "Shift")) if m in event.mods]  # fmt: skip
    key = event.key.upper() if len(event.key) <= 3 else event.key.title()
    return "+".join([*names, key])


def swallow_reason(event: KeyEvent) -> str | None:
    """Why this event must be dropped while locked (for the log), or None if it may pass."""
    if event.kind in ("quit", "window_close"):
        return f"{event.kind} request"
    if event.kind not in ("keydown", "keyup"):
        return None
    key = event.key.lower()
    if key in _SUPER_KEYS or Mod.SUPER in event.mods:
        return f"{_combo(event)} (Super opens launchers and switches windows)"
    if event.mods & (Mod.CTRL | Mod.ALT):
        # Alt+F4, Alt+Tab, Ctrl+Q, Ctrl+W, Ctrl+Alt+Backspace, Ctrl+Alt+F1..F12, Ctrl+Alt+Del...
        return f"{_combo(event)} (Ctrl/Alt shortcuts close, quit or switch)"
    if key in _ALONE:
        return _ALONE[key]
    if len(key) >= 2 and key[0] == "f" and key[1:].isdigit():
        return f"{key.upper()} (function keys toggle fullscreen, help, ...)"
    return None


class Lockdown:
    """The lock state and the filter the main loop applies to every event.

    ``if lockdown.filter(event_from_pygame(ev)): continue`` at the top of the event loop.
    """

    def __init__(self, locked: bool = True) -> None:
        self._locked = locked
        self.swallowed = 0

    @property
    def locked(self) -> bool:
        return self._locked

    def filter(self, event: KeyEvent) -> bool:
        """True when the event must be dropped."""
        if not self._locked:
            return False
        reason = swallow_reason(event)
        if reason is None:
            return False
        self.swallowed += 1
        if event.kind != "keyup":
            log.info("locked: ignored %s", reason)
        return True

    def unlock(self) -> None:
        """Open the way out; call only after the admin PIN was accepted."""
        self._locked = False
        log.info("kiosk unlocked by admin PIN")

    def lock(self) -> None:
        """Lock again (admin mode closed or timed out)."""
        if not self._locked:
            log.info("kiosk locked")
        self._locked = True


def request_maintenance_stop(flag: Path = MAINTENANCE_FLAG) -> bool:
    """Before an admin "stop for maintenance" exit: keep systemd from restarting the kiosk.

    The unit then starts a login prompt on the screen's terminal for the technician. Returns False
    when the flag cannot be written (not under the installed unit): the kiosk will just restart.
    """
    try:
        flag.parent.mkdir(parents=True, exist_ok=True)
        flag.write_text(f"stopped by admin from pid {os.getpid()}\n", encoding="utf-8")
    except OSError as exc:
        log.warning("cannot write %s (%s); the kiosk will be restarted", flag, exc)
        return False
    return True


def event_from_pygame(ev: Any) -> KeyEvent:
    """Describe a pygame event for the filter (imports pygame lazily)."""
    import pygame

    if ev.type == pygame.QUIT:
        return KeyEvent("quit")
    if ev.type == getattr(pygame, "WINDOWCLOSE", -1):
        return KeyEvent("window_close")
    if ev.type not in (pygame.KEYDOWN, pygame.KEYUP):
        return KeyEvent("other")
    raw = int(getattr(ev, "mod", 0))
    mods = Mod.NONE
    for bits, flag in (
        (pygame.KMOD_SHIFT, Mod.SHIFT),
        (pygame.KMOD_CTRL, Mod.CTRL),
        (pygame.KMOD_ALT, Mod.ALT),
        (pygame.KMOD_GUI, Mod.SUPER),
    ):
        if raw & bits:
            mods |= flag
    kind = "keydown" if ev.type == pygame.KEYDOWN else "keyup"
    return KeyEvent(kind, pygame.key.name(ev.key).lower(), mods)
