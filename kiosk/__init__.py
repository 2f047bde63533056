"""White Road: a touchscreen museum exhibit about the explorers of the Russian North."""

import os

__version__ = "0.1.0"

# pygame prints a banner on import; the kiosk's log is for the technician, not for pygame.
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
