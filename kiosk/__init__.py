"""White Road: a touchscreen museum exhibit about the explorers of the Russian North."""

__version__ = "0.1.0"
