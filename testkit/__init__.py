"""Helpers for the tests and benchmarks: synthetic media, a PulseAudio sink, the soak, clocks.

Not part of the product: the wheel ships ``kiosk`` only, and nothing in ``kiosk`` imports this.
"""
