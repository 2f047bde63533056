"""The fleet: several kiosks and the curator's machine, kept in step over the museum's LAN.

Built on trusted tools rather than a server of our own: Syncthing carries content packs out and
statistics back, peer to peer, on the LAN only; Prometheus watches the kiosks' health. USB sticks
stay the fallback, with the same packs.
"""
