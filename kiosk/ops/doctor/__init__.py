"""``kiosk doctor``: check a kiosk machine and say in plain words what to fix.

Each check returns a :class:`Check` with a level: ``ok``, ``warn`` (a feature will be missing or
degraded, but visitors are served), ``fail`` (the kiosk cannot do its job: no screen, unreadable
fonts, broken content, a full disk, an unusable database, a missing compositor) or ``skip``. The
command exits 0 when nothing failed. Checks never change the machine and never keep a camera
frame: the camera check reads one frame's size and lets the frame go.

Run as root (``sudo kiosk doctor``), permissions are judged for the kiosk's own user, since that
is who must write the database and the state files.

The checks live by area: :mod:`.devices` (screen, sound, camera, model runtime), :mod:`.models`
(the mirror's perception models), :mod:`.media` (clips this machine decodes too slowly),
:mod:`.storage` (fonts, content, disk, database, health file) and :mod:`.operation` (schedule,
admin PIN, service); :mod:`.report` holds what they look at and what they say.
"""

from __future__ import annotations

from collections.abc import Callable

from kiosk.ops.doctor.devices import check_audio, check_camera, check_display, check_inference
from kiosk.ops.doctor.media import check_playback
from kiosk.ops.doctor.models import check_perception
from kiosk.ops.doctor.operation import check_admin, check_schedule, check_service
from kiosk.ops.doctor.report import Check, Context, Report, format_report
from kiosk.ops.doctor.storage import (
    check_content,
    check_database,
    check_disk,
    check_fonts,
    check_health,
)

__all__ = ["CHECKS", "Check", "Context", "Report", "format_report", "run_checks"]

CHECKS: tuple[Callable[[Context], Check], ...] = (
    check_display,
    check_audio,
    check_camera,
    check_inference,
    check_perception,
    check_fonts,
    check_content,
    check_playback,
    check_disk,
    check_database,
    check_schedule,
    check_admin,
    check_health,
    check_service,
)
ESSENTIAL = frozenset({"display", "fonts", "content", "disk", "database", "service"})


def run_checks(ctx: Context, checks: tuple[Callable[[Context], Check], ...] = CHECKS) -> Report:
    """Run every check; a check that breaks is itself reported, never a traceback."""
    results = []
    for fn in checks:
        name = fn.__name__.removeprefix("check_")
        try:
            results.append(fn(ctx))
        except Exception as exc:  # one broken check must not hide the others' answers
            level = "fail" if name in ESSENTIAL else "warn"
            results.append(
                Check(name, level, f"the check could not run: {type(exc).__name__}: {exc}")
            )
    return Report(results)
