"""The doctor's look at the clips: can this machine decode each one fast enough to play it?

The same check as ``kiosk content validate`` (:func:`kiosk.media.speed.slow_clips`): a few
seconds of each clip of the installed collection decoded as the player does, timed here, on the
kiosk itself. A clip under 1.5x real time stutters in front of visitors; the answer names it,
its speed and the command that re-encodes it.
"""

from __future__ import annotations

from kiosk.ops.doctor.report import Check, Context


def check_playback(ctx: Context) -> Check:
    if not ctx.media:
        return Check("playback", "skip", "clips not opened (--no-media)")
    root = ctx.content_dir if ctx.content_dir is not None else ctx.settings.path("content")
    if not (root / "collection.yaml").is_file():
        return Check("playback", "skip", f"there is no collection at {root}")
    from kiosk.content.loader import load_collection
    from kiosk.media.allocator import tune_allocator
    from kiosk.media.speed import MARGIN, machine, slow_clips

    collection = load_collection(root).collection
    if collection is None:
        return Check("playback", "skip", "the collection cannot be loaded (see content)")
    tune_allocator()  # as the player does: frame buffers reused, not faulted in again
    d = ctx.settings.display
    slow = slow_clips(collection, (d.width, d.height), on_kiosk=True)
    clips = len({s.path for e in collection.explorers for s in e.segments})
    if slow:
        return Check(
            "playback",
            "warn",
            f"{len(slow)} of {clips} clips decode too slowly on {machine()} to play smoothly "
            f"(under {MARGIN:g}x real time)",
            "re-encode each as its line says, then point the segment at the new file",
            tuple(p.message for p in slow),
        )
    return Check("playback", "ok", f"{clips} clips decode at {MARGIN:g}x real time or faster here")
