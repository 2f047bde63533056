"""A report as a person reads it (terminal tables) and as a program reads it (JSON, CSV)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from tabulate import tabulate

from kiosk.analytics.tables import Report, Table

SUMMARY_LABELS: dict[str, tuple[str, str]] = {
    "database": ("Database", "text"),
    "since": ("Since", "text"),
    "first_event": ("First event", "text"),
    "last_event": ("Last event", "text"),
    "kiosks": ("Kiosks", "int"),
    "events": ("Events", "int"),
    "visits": ("Visits", "int"),
    "visits_ended": ("Visits with a known length", "int"),
    "median_visit_s": ("Median visit", "s"),
    "p90_visit_s": ("90% of visits shorter than", "s"),
    "mean_visit_s": ("Mean visit", "s"),
    "explorers_opened": ("Explorer pages opened", "int"),
    "segments_started": ("Clips started", "int"),
    "mirror_uses": ("Mirror uses", "int"),
    "captions_on": ("Captions turned on", "int"),
    "captions_off": ("Captions turned off", "int"),
    "faults": ("Faults", "int"),
}
"""Summary keys in the order shown, with a heading and a unit."""


def fmt(value: Any, unit: str) -> str:
    """A value as a person reads it, by unit (see tables.Column)."""
    if value is None or value == "":
        return "–"
    if unit == "share":
        return f"{value * 100:.1f}%"
    if unit == "s":
        return duration(float(value))
    if unit == "min":
        minutes = round(float(value))
        if minutes < 120:
            return f"{value:.1f} min"
        return f"{minutes // 60:,} h {minutes % 60:02d} min"
    if unit == "time":
        return str(value)[:16].replace("T", " ")
    if unit == "num":
        return f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"
    if unit == "int" and isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1 else f"{value:,.1f}"
    return str(value)


def duration(seconds: float) -> str:
    """``42 s``, ``2 min 05 s``, ``1 h 02 min``."""
    s = round(seconds)
    if s < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def summary_rows(report: Report) -> list[tuple[str, str]]:
    """The summary as (heading, formatted value) pairs."""
    out = []
    for key, (label, unit) in SUMMARY_LABELS.items():
        value = report.summary.get(key)
        if key in ("database", "since") and not value:
            continue
        if key in ("first_event", "last_event") and value:
            value = str(value)[:19].replace("T", " ")
        out.append((label, fmt(value, unit)))
    return out


def table_text(table: Table) -> str:
    """One table as aligned text (only its last ``terminal_rows`` rows, if it says so)."""
    if not table.rows:
        return "(nothing recorded)"
    rows = table.rows
    more = ""
    if table.terminal_rows is not None and len(rows) > table.terminal_rows:
        more = f"\n(the last {table.terminal_rows} of {len(rows)}; all are in --csv and --json)"
        rows = rows[-table.terminal_rows :]
    aligns = ["left" if c.unit in ("text", "time") else "right" for c in table.columns]
    body = [[fmt(v, c.unit) for v, c in zip(row, table.columns, strict=True)] for row in rows]
    text = tabulate(
        body,
        headers=[c.label for c in table.columns],
        tablefmt="simple",
        colalign=aligns,
        disable_numparse=True,
    )
    return text + more


def to_text(report: Report, *, style: Any = None) -> str:
    """The whole report for a terminal; ``style(text, bold=...)`` may colour headings."""

    def head(text: str) -> str:
        return style(text, bold=True) if style is not None else text

    parts = [head("White Road: visitor analytics"), ""]
    parts.append(tabulate(summary_rows(report), tablefmt="plain", disable_numparse=True))
    for table in report.tables.values():
        parts += ["", head(table.title), table_text(table)]
        if table.note and table.rows:
            parts.append(table.note)
    return "\n".join(parts)


def to_json(report: Report) -> str:
    """The report as one JSON object."""
    return json.dumps(report.as_dict(), ensure_ascii=False, indent=2)


def write_csv(report: Report, folder: Path) -> list[Path]:
    """One CSV file per table, plus ``summary.csv``; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    path = folder / "summary.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["key", "value"])
        for key, value in report.summary.items():
            out.writerow([key, "" if value is None else value])
    written.append(path)
    for table in report.tables.values():
        path = folder / f"{table.name}.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow([c.key for c in table.columns])
            for row in table.rows:
                out.writerow(["" if v is None else v for v in row])
        written.append(path)
    return written
