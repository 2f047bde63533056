"""Admin mode for staff: the PIN pad, the panel and its test pattern.

:mod:`.scene` is the scene (what staff's taps do), :mod:`.pin` the PIN pad, :mod:`.panel` the
status and buttons, :mod:`.pattern` the full-screen test pattern, :mod:`.actions` the buttons'
actions.
"""

from __future__ import annotations

from kiosk.ui.scenes.admin.actions import AdminAction
from kiosk.ui.scenes.admin.scene import AdminScene

__all__ = ["AdminAction", "AdminScene"]
