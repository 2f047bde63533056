"""What staff can press in admin mode: the PIN pad's keys and the panel's buttons."""

from __future__ import annotations

from enum import StrEnum


class AdminAction(StrEnum):
    """A button's action in admin mode (the value is what the button reports when tapped)."""

    DIGIT_0 = "digit:0"
    DIGIT_1 = "digit:1"
    DIGIT_2 = "digit:2"
    DIGIT_3 = "digit:3"
    DIGIT_4 = "digit:4"
    DIGIT_5 = "digit:5"
    DIGIT_6 = "digit:6"
    DIGIT_7 = "digit:7"
    DIGIT_8 = "digit:8"
    DIGIT_9 = "digit:9"
    ERASE = "erase"
    OK = "ok"
    CANCEL = "cancel"
    VOLUME_DOWN = "vol-"
    VOLUME_UP = "vol+"
    CAPTIONS = "captions"
    MIRROR = "mirror"
    PATTERN = "pattern"
    SOUND = "sound"
    ROLLBACK = "rollback"
    RESTART = "restart"
    EXIT = "exit"
    CLOSE = "close"

    @classmethod
    def for_digit(cls, digit: str) -> AdminAction:
        return cls(f"digit:{digit}")

    @property
    def digit(self) -> str | None:
        """The digit a PIN pad key types; None for every other action."""
        return self.value[-1] if self.value.startswith("digit:") else None

    @property
    def drastic(self) -> bool:
        """Cannot be undone by a tap, so it asks for a second one."""
        return self in DRASTIC


DRASTIC = (AdminAction.ROLLBACK, AdminAction.RESTART, AdminAction.EXIT)
"""The actions that ask "are you sure?", in the order of their buttons."""
