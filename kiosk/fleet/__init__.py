"""The fleet: several kiosks and the curator's machine, kept in step over the museum's LAN.

Built on trusted tools rather than a server of our own: Syncthing carries content packs out and
statistics back, peer to peer, on the LAN only; Prometheus watches the kiosks' health. USB sticks
stay the fallback, with the same packs. The technician's guide is docs/fleet.md.

The rooms:

- :mod:`.layout`: the fleet home's folders, a node's role and name, atomic writes into synced
  folders;
- :mod:`.config`: Syncthing's configuration (LAN only, folders by role); :mod:`.rest`: its REST
  API; :mod:`.pairing`: ``kiosk fleet init`` and ``kiosk fleet pair``; :mod:`.service`: the
  systemd unit and Prometheus' targets;
- on a kiosk: :mod:`.mesh` (the completeness rule, installing from the ``packs`` folder),
  :mod:`.stats` (snapshots), :mod:`.agent` (all of a kiosk's duties in one call for the content
  watcher), :mod:`.health` (figures for the health file);
- on the curator's machine: :mod:`.publish`, :mod:`.status`, and :func:`.stats.merge_fleet`.
"""
