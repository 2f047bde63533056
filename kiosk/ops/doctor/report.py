"""What the doctor's checks look at and what they say: :class:`Context`, :class:`Check`, and the
:class:`Report` of all of them, formatted for a person by :func:`format_report`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from kiosk.ops.lockdown import MAINTENANCE_FLAG
from kiosk.settings import Settings

UNIT_FILE = Path("/etc/systemd/system/kiosk.service")
SERVICE_USER = "kiosk"


@dataclass(frozen=True)
class Check:
    """The outcome of one check, for a person (summary, fix) and a program (level)."""

    name: str
    level: str  # ok | warn | fail | skip
    summary: str
    fix: str = ""
    details: tuple[str, ...] = ()


@dataclass
class Context:
    """What the checks look at; tests replace the parts that touch the machine."""

    settings: Settings
    content_dir: Path | None = None
    media: bool = True
    camera: bool = True
    user: str | None = SERVICE_USER
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    sys_root: Path = Path("/sys")
    unit_file: Path = UNIT_FILE
    maintenance_flag: Path = MAINTENANCE_FLAG
    systemd_dir: Path = Path("/run/systemd/system")  # exists only while systemd runs the machine
    now: Callable[[], datetime] = datetime.now


@dataclass
class Report:
    """All checks; ``ok`` when none failed."""

    checks: list[Check]

    @property
    def ok(self) -> bool:
        return not any(c.level == "fail" for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [asdict(c) for c in self.checks]}


def format_report(report: Report) -> str:
    """The report for a person."""
    lines = []
    for c in report.checks:
        tag = {"ok": "ok", "warn": "WARN", "fail": "FAIL", "skip": "-"}.get(c.level, c.level)
        lines.append(f"  {tag:<5} {c.name:<10} {c.summary}")
        lines += [f"{'':18}{d}" for d in c.details]
        if c.fix:
            lines.append(f"{'':18}fix: {c.fix}")
    failed = [c.name for c in report.checks if c.level == "fail"]
    if failed:
        lines.append(f"NOT READY: fix {', '.join(failed)} first.")
    else:
        warned = sum(c.level == "warn" for c in report.checks)
        lines.append("READY" + (f", with {warned} warning(s)." if warned else "."))
    return "\n".join(lines)
