"""Delivery: how a collection travels from the curator to the screen, safely.

A curator's collection becomes one signed pack (:mod:`.packs`, signatures in minisign's formats:
:mod:`.signing`); a kiosk installs a pack into its releases folder only when it is complete and
verified, switches to it in one rename, counts its boots and goes back when it fails
(:mod:`.releases`), and picks up packs from a watched folder. :mod:`.source` is where the running
kiosk gets its collection and how a new release reaches the screen at an attract boundary.

The domain it delivers (model, loader, validator) is :mod:`kiosk.content`, which knows nothing
of packs or releases.
"""
