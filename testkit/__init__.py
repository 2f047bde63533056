"""The test kit: helpers for the tests and benchmarks, never shipped with the kiosk.

Synthetic clips (``synth``) and a way to drive the player (``media``), a PulseAudio sink
(``pulse``) and A/V sync measurement (``avsync``), the soak (``soak``), synthetic visits
(``synthetic``), packs (``packs``), a fleet in network namespaces (``netns``, ``fleet``), and
waiting for events instead of timing them (``waits``).

Not part of the product: the wheel ships ``kiosk`` only, and nothing in ``kiosk`` imports this.
"""
