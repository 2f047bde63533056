"""Test kit: the visitor's exhibit driven through its real loop on an off-screen surface (not
shipped).

:class:`Rig` builds the kiosk's context and loop for a collection, with a
:class:`~testkit.ui_fakes.FakePlayer` and a clock the test moves, records the analytics events,
and taps, presses and waits as a visitor would. pygame's display must be up while a rig lives:
the tests request the ``pygame_display`` fixture (``tests/conftest.py``), usually for the whole
module with ``pytestmark = pytest.mark.usefixtures("pygame_display")``.
"""

from __future__ import annotations

from pathlib import Path

import pygame

from kiosk.analytics.events import Event
from kiosk.app import make_context
from kiosk.content.model import Collection
from kiosk.settings import Settings
from kiosk.ui.input import Gesture
from kiosk.ui.loop import Loop
from testkit.ui_fakes import FakePlayer

# The bundled demo collection.
BUNDLED = Path(__file__).resolve().parent.parent / "content"


class Rig:
    """A loop on an off-screen surface, a fake player and a clock the test moves."""

    def __init__(
        self,
        collection: Collection,
        size: tuple[int, int] = (1920, 1080),
        settings: Settings | None = None,
    ) -> None:
        self.now = 1000.0
        self.player = FakePlayer()
        self.events: list[Event] = []
        self.settings = settings or Settings()
        self.ctx = make_context(collection, self.settings, self.player, size)
        self.ctx.emit = self.events.append
        self.surface = pygame.Surface(size)
        self.housekeeping = 0
        self.loop = Loop(self.ctx, self.surface, now=lambda: self.now, after_visit=self._after)

    def _after(self) -> None:
        self.housekeeping += 1

    def tap(self, pos: tuple[int, int]) -> None:
        self.loop.handle_gesture(Gesture("touch", pos), self.now)
        self.loop.handle_gesture(Gesture("tap", pos), self.now)
        self.loop.step([])
        self.loop.draw()

    def button(self, action: str) -> pygame.Rect:
        for b in self.loop.scene.buttons:
            if b.action == action:
                return b.rect
        raise AssertionError(f"no button {action} in {self.loop.scene.name}")

    def press(self, action: str) -> None:
        self.tap(self.button(action).center)

    def wait(self, seconds: float) -> None:
        self.now += seconds
        self.loop.step([])
        self.loop.draw()
