"""The test kit: helpers for the tests and benchmarks, never shipped with the kiosk.

Synthetic clips (``synth``) and a way to drive the player (``media``), a PulseAudio sink
(``pulse``) and A/V sync measurement (``avsync``), the soak (``soak``), synthetic visits
(``synthetic``), packs (``packs``), a fleet in network namespaces (``netns``, ``fleet``),
waiting for events instead of timing them (``waits``), the UI's fakes and a loop to drive
(``ui_fakes``, ``ui``), the studio's test client (``studio``), real people's media for the mirror
(``mirror_media``), ``kiosk run`` in a real X window (``window``), a screen to read pixels from
and tap on (``xvfb``), the players the kiosk is measured against (``peers``) and the installer's
stand-ins (``install``). The pytest fixtures built on them are in ``tests/conftest.py``.

Not part of the product: the wheel ships ``kiosk`` only, and nothing in ``kiosk`` imports this.
"""
