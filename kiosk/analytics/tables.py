"""The shape of an analytics report: plain tables with typed columns, and the report of them.

:mod:`kiosk.analytics.report` fills them from the database; :mod:`kiosk.analytics.render` and
:mod:`kiosk.analytics.htmlreport` turn them into terminal tables, JSON, CSV and an HTML page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Column:
    """A column: its key (JSON, CSV), its heading and its unit.

    Units: ``text``, ``int``, ``share`` (0..1, shown as a percentage), ``s`` (seconds),
    ``min`` (minutes), ``time`` (an ISO timestamp, shown to the minute).
    """

    key: str
    label: str
    unit: str = "int"


@dataclass(frozen=True)
class Table:
    """One question's answer."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    note: str = ""
    terminal_rows: int | None = None
    """A terminal shows only this many last rows (the files have them all)."""

    def records(self) -> list[dict[str, Any]]:
        """Rows as dicts keyed by column key (for JSON)."""
        keys = [c.key for c in self.columns]
        return [dict(zip(keys, row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class Report:
    """Everything ``kiosk stats`` shows."""

    summary: dict[str, Any]
    tables: dict[str, Table]
    visit_lengths: tuple[float, ...] = ()
    """Every ended visit's length in seconds (for the histogram)."""
    heat: dict[tuple[int, int], int] = field(default_factory=dict)
    """Visits by (weekday 0=Mon, hour)."""
    kiosk_days: dict[str, dict[str, int]] = field(default_factory=dict)
    """Visits by kiosk, then by day."""

    def as_dict(self) -> dict[str, Any]:
        """The report as one JSON-ready object."""
        return {
            "summary": self.summary,
            "tables": {name: t.records() for name, t in self.tables.items()},
        }
