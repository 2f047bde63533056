"""The scenes, registered by name in one table.

``attract`` (the montage while nobody is there), ``gallery`` (every explorer as a card),
``explorer`` (one explorer's page), ``mirror`` (the frost mirror) and ``admin`` (staff's PIN pad
and panel). The loop turns a :class:`~kiosk.ui.context.Transition` into a scene with
:func:`make_scene`; each scene class says how it is built (:meth:`Scene.create`) and whether this
kiosk can show it now (:meth:`Scene.available`).
"""

from __future__ import annotations

from types import MappingProxyType

from kiosk.ui.context import Context, Transition
from kiosk.ui.scenes.admin import AdminScene
from kiosk.ui.scenes.attract import AttractScene
from kiosk.ui.scenes.base import Scene
from kiosk.ui.scenes.explorer import ExplorerScene
from kiosk.ui.scenes.gallery import GalleryScene
from kiosk.ui.scenes.mirror import MirrorUIScene

SCENES: MappingProxyType[str, type[Scene]] = MappingProxyType(
    {
        "attract": AttractScene,
        "gallery": GalleryScene,
        "explorer": ExplorerScene,
        "mirror": MirrorUIScene,
        "admin": AdminScene,
    }
)
"""Every scene by its name (the name a :class:`Transition` goes to)."""

FALLBACK = "gallery"  # where a transition to a scene this kiosk cannot show lands instead


def make_scene(ctx: Context, tr: Transition) -> Scene:
    """The scene ``tr`` goes to. Raises KeyError for a name that is not in :data:`SCENES`."""
    cls = SCENES[tr.to]
    if not cls.available(ctx):
        # e.g. a stale tap on the mirror button after the camera went away
        return make_scene(ctx, Transition(FALLBACK))
    return cls.create(ctx, tr)


__all__ = [
    "SCENES",
    "AdminScene",
    "AttractScene",
    "ExplorerScene",
    "GalleryScene",
    "MirrorUIScene",
    "Scene",
    "make_scene",
]
