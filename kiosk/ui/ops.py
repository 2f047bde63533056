"""What the unattended kiosk adds to the main loop: lock-down, the hidden admin gesture, the
systemd watchdog heartbeat, the health file and the opening-hours schedule.

The loop calls :meth:`Ops.filter_event` for every raw event, :meth:`Ops.gesture` for every
gesture and :meth:`Ops.tick` once per iteration; all of it is cheap and none of it blocks. The
heartbeat is sent from here, on the main loop, so a hung loop stops it and systemd restarts the
kiosk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kiosk.ops.admin import HiddenGesture
from kiosk.ops.health import HealthSnapshot, HealthWriter
from kiosk.ops.lockdown import Lockdown, event_from_pygame
from kiosk.ops.schedule import Schedule, ScheduleState
from kiosk.ops.watchdog import Watchdog
from kiosk.settings import Settings
from kiosk.ui.input import Gesture

log = logging.getLogger(__name__)


@dataclass
class Ops:
    """The operations pieces for one kiosk; each may be None (tests, the demo)."""

    lockdown: Lockdown | None = None
    gesture_: HiddenGesture | None = None
    watchdog: Watchdog | None = None
    health: HealthWriter | None = None
    schedule: Schedule | None = None
    snapshot: Callable[[], HealthSnapshot] | None = None
    state: ScheduleState = field(default_factory=lambda: ScheduleState(True, False, False))
    next_schedule_check: float = 0.0

    @classmethod
    def from_settings(cls, settings: Settings, size: tuple[int, int], locked: bool) -> Ops:
        schedule = Schedule.from_settings(settings.schedule, strict=False)
        for problem in schedule.problems:
            log.error("schedule: %s (ignored)", problem)
        return cls(
            lockdown=Lockdown(locked),
            gesture_=HiddenGesture.from_settings(settings, size),
            watchdog=Watchdog.from_env(),
            health=HealthWriter.from_settings(settings),
            schedule=schedule,
        )

    def filter_event(self, ev: Any) -> bool:
        """True when a raw event must never reach the kiosk (a way out while locked)."""
        return self.lockdown is not None and self.lockdown.filter(event_from_pygame(ev))

    def gesture(self, g: Gesture, now: float) -> bool:
        """True when ``g`` completes the hidden staff gesture."""
        if self.gesture_ is None or g.kind == "touch":
            return False
        return self.gesture_.feed(g.pos[0], g.pos[1], now, g.kind)

    def tick(self, now: float) -> ScheduleState:
        """Heartbeat, health file, and what the schedule says now (checked every 10 s)."""
        if self.watchdog is not None:
            self.watchdog.tick()
        if self.health is not None and self.snapshot is not None:
            try:
                self.health.tick(self.snapshot)
            except OSError as exc:  # monitoring must never stop the exhibit
                log.warning("health file: %s", exc)
        if self.schedule is not None and now >= self.next_schedule_check:
            self.next_schedule_check = now + 10.0
            self.state = self.schedule.current()
        return self.state
