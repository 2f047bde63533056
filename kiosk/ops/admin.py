"""Admin mode for staff: a hidden gesture opens a PIN pad; the PIN opens admin mode.

The gesture (:class:`HiddenGesture`) is long presses in three screen corners, in order, within a
few seconds: top-left, top-right, bottom-right by default (``admin.gesture``). A visitor does not
make it by chance, and it needs no button on screen.

The PIN (:class:`AdminGate`) is stored only as an scrypt hash in ``admin.pin_file``, written by
``kiosk admin set-pin``. After ``admin.max_attempts`` wrong PINs in a row the pad locks for
``admin.lockout_s`` seconds, doubling with each further lockout up to an hour. The count and the
lock are kept in ``admin.lockout_file``, so pulling the plug does not buy a visitor new tries.
Both modules are pure logic: the UI feeds gestures and PINs in and draws the result.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from kiosk.fsutil import atomic_write
from kiosk.settings import Settings

log = logging.getLogger(__name__)

PIN_MIN_DIGITS = 4
PIN_MAX_DIGITS = 12
# scrypt cost: 16 MiB and about 0.1 s per check on a Raspberry Pi 4, which makes a stolen hash
# of a short PIN slow to brute-force and is still quick for a person at the pad.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
LOCKOUT_MAX_S = 3600.0
CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")


class PinError(ValueError):
    """A PIN that cannot be used, or a PIN file that cannot be read."""


def validate_pin(pin: str) -> str:
    """Return the PIN if it is usable, else raise :class:`PinError` saying why."""
    if not pin.isdigit() or not pin.isascii():
        raise PinError("the PIN must be digits only (the admin pad has only digits)")
    if not PIN_MIN_DIGITS <= len(pin) <= PIN_MAX_DIGITS:
        raise PinError(f"the PIN must have {PIN_MIN_DIGITS} to {PIN_MAX_DIGITS} digits")
    if len(set(pin)) == 1 or pin in "0123456789012" or pin in "9876543210":
        raise PinError("the PIN is too easy to guess (all one digit or a run like 1234)")
    return pin


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$hash`` for a PIN (base64 fields)."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(
        pin.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=64 * 1024 * 1024
    )
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_pin(pin: str, stored: str) -> bool:
    """Whether ``pin`` matches a stored hash (constant-time comparison)."""
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.strip().split("$")
        if scheme != "scrypt":
            raise ValueError(scheme)
        salt, digest = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
        got = hashlib.scrypt(
            pin.encode(),
            salt=salt,
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=256 * 1024 * 1024,
            dklen=len(digest),
        )
    except ValueError as exc:
        raise PinError(f"the PIN file is damaged ({exc}); set the PIN again") from None
    return hmac.compare_digest(got, digest)


class CheckResult(NamedTuple):
    """The answer to one PIN try."""

    ok: bool
    locked_until: float | None  # wall-clock time (time.time()) the pad opens again, if locked
    attempts_left: int


@dataclass
class _Lockout:
    failures: int = 0
    lockouts: int = 0
    locked_until: float = 0.0


class AdminGate:
    """Checks PINs against the stored hash and enforces the persisted lockout."""

    def __init__(
        self,
        pin_file: Path,
        lockout_file: Path,
        max_attempts: int = 5,
        lockout_s: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.pin_file = pin_file
        self.lockout_file = lockout_file
        self.max_attempts = max_attempts
        self.lockout_s = lockout_s
        self.clock = clock
        self._memory: _Lockout | None = None  # used only when the lockout file is unwritable

    @classmethod
    def from_settings(cls, settings: Settings) -> AdminGate:
        a = settings.admin
        return cls(
            settings.resolve(a.pin_file),
            settings.resolve(a.lockout_file),
            a.max_attempts,
            a.lockout_s,
        )

    @property
    def persistent(self) -> bool:
        """False while the lockout state can only be kept in memory (its file is unwritable)."""
        return self._memory is None

    def has_pin(self) -> bool:
        return self.pin_file.is_file()

    def set_pin(self, pin: str) -> None:
        """Store a new PIN's hash and clear any lockout.

        The file is readable by the group of its folder (the kiosk's group, for /etc/kiosk, which
        belongs to root) and by nobody else.
        """
        validate_pin(pin)
        atomic_write(self.pin_file, (hash_pin(pin) + "\n").encode(), mode=0o640)
        self.reset()

    def reset(self) -> None:
        """Forget failed attempts and lift a lockout."""
        self._save(_Lockout())

    def locked_until(self) -> float | None:
        """When the pad opens again, or None when it is open."""
        state = self._load()
        now = self.clock()
        if state.locked_until <= now:
            return None
        # The wall clock may have jumped back (or never been set) since the lock was written;
        # a lock never lasts longer than its own length from now.
        longest = self._lock_length(max(0, state.lockouts - 1))  # this lock's own length
        if state.locked_until - now > longest:
            state.locked_until = now + longest
            self._save(state)
        return state.locked_until

    def check(self, pin: str) -> CheckResult:
        """Try a PIN. While locked the PIN is not even looked at."""
        until = self.locked_until()
        if until is not None:
            return CheckResult(False, until, 0)
        try:
            stored = self.pin_file.read_text(encoding="ascii")
        except OSError as exc:
            log.warning("admin PIN cannot be read from %s: %s", self.pin_file, exc)
            return CheckResult(False, None, 0)
        try:
            matches = verify_pin(pin, stored)
        except PinError as exc:
            log.error("admin PIN file %s: %s", self.pin_file, exc)
            return CheckResult(False, None, 0)
        if matches:
            self.reset()
            log.info("admin PIN accepted")
            return CheckResult(True, None, self.max_attempts)
        state = self._load()
        state.failures += 1
        if state.failures >= self.max_attempts:
            state.locked_until = self.clock() + self._lock_length(state.lockouts)
            state.lockouts += 1
            state.failures = 0
            self._save(state)
            log.warning("admin PIN pad locked after %d wrong PINs", self.max_attempts)
            return CheckResult(False, state.locked_until, 0)
        self._save(state)
        log.info("wrong admin PIN (%d of %d)", state.failures, self.max_attempts)
        return CheckResult(False, None, self.max_attempts - state.failures)

    def _lock_length(self, previous_lockouts: int) -> float:
        return float(min(self.lockout_s * 2 ** min(previous_lockouts, 16), LOCKOUT_MAX_S))

    def _load(self) -> _Lockout:
        if self._memory is not None:
            return _Lockout(**vars(self._memory))
        try:
            data = json.loads(self.lockout_file.read_text(encoding="utf-8"))
            return _Lockout(
                int(data.get("failures", 0)),
                int(data.get("lockouts", 0)),
                float(data.get("locked_until", 0.0)),
            )
        except FileNotFoundError:
            return _Lockout()
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            # Only the kiosk and root can write the file, so damage is a disk fault, not a trick.
            log.warning(
                "admin lockout file %s unreadable (%s); starting afresh", self.lockout_file, exc
            )
            return _Lockout()

    def _save(self, state: _Lockout) -> None:
        data = json.dumps(vars(state), indent=1).encode()
        try:
            atomic_write(self.lockout_file, data, mode=0o600)
            self._memory = None
        except OSError as exc:
            if self._memory is None:
                log.warning(
                    "admin lockout cannot be saved to %s (%s); kept in memory only",
                    self.lockout_file,
                    exc,
                )
            self._memory = _Lockout(**vars(state))


class HiddenGesture:
    """Recognises the staff gesture: long presses in screen corners, in order, within a window.

    Feed it every gesture the input layer produces with :meth:`feed`; it returns True once, when
    the sequence completes. Only ``long_press`` gestures count. A long press elsewhere, a tap or a
    swipe starts over, so visitors' touches in between break the sequence; raw ``down``/``move``/
    ``up`` events are ignored.
    """

    IGNORED = frozenset({"down", "move", "up", "motion"})

    def __init__(
        self,
        size: tuple[int, int],
        order: Sequence[str] = ("top-left", "top-right", "bottom-right"),
        window_s: float = 8.0,
        corner_size: float = 0.12,
    ) -> None:
        unknown = [c for c in order if c not in CORNERS]
        if unknown or not order:
            raise ValueError(f"gesture corners must be some of {', '.join(CORNERS)}: {unknown}")
        self.size = size
        self.order = tuple(order)
        self.window_s = window_s
        self.corner_size = corner_size
        self._step = 0
        self._started = 0.0

    @classmethod
    def from_settings(cls, settings: Settings, size: tuple[int, int]) -> HiddenGesture:
        a = settings.admin
        return cls(size, a.gesture, a.gesture_window_s, a.corner_size)

    def corner(self, x: float, y: float) -> str | None:
        """The corner zone a point lies in, if any."""
        w, h = self.size
        side = self.corner_size * min(w, h)
        horiz = "left" if x < side else "right" if x >= w - side else None
        vert = "top" if y < side else "bottom" if y >= h - side else None
        return f"{vert}-{horiz}" if horiz and vert else None

    def reset(self) -> None:
        self._step = 0

    def feed(self, x: float, y: float, t: float, kind: str) -> bool:
        """One gesture at (x, y) px, time ``t`` s; True when it completes the sequence."""
        if kind in self.IGNORED:
            return False
        if self._step and t - self._started > self.window_s:
            self._step = 0
        if kind != "long_press":
            self._step = 0
            return False
        where = self.corner(x, y)
        if where == self.order[self._step]:
            if self._step == 0:
                self._started = t
            self._step += 1
            if self._step == len(self.order):
                self._step = 0
                return True
            return False
        # A wrong corner may still be the start of a new try.
        self._step = 0
        if where == self.order[0]:
            self._started = t
            self._step = 1
        return False
