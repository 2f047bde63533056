"""The report as one self-contained HTML page a curator can open offline and print.

Charts are drawn with matplotlib's Agg renderer (no screen, no pyplot state) and embedded as
base64 PNG images, so the page is a single file with nothing to fetch.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kiosk.analytics.render import fmt, summary_rows
from kiosk.analytics.report import WEEKDAYS
from kiosk.analytics.tables import Report, Table

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


INK = "#1d2b3a"
BLUE = "#2b5c8a"
ICE = "#9cc3e6"
RED = "#b8433a"
GREY = "#8a96a3"


class ChartsUnavailable(Exception):
    """matplotlib is not installed."""


def _figure(width: float = 8.0, height: float = 3.0) -> tuple[Figure, Axes]:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ChartsUnavailable(
            "the HTML report draws its charts with matplotlib: pip install matplotlib"
        ) from None
    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    for spine in ax.spines.values():
        spine.set_color(GREY)
    ax.tick_params(colors=INK, labelsize=9)
    return fig, ax


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", facecolor="white")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _img(b64: str, alt: str) -> str:
    return f'<img class="chart" alt="{html.escape(alt)}" src="data:image/png;base64,{b64}">'


def chart_per_day(table: Table, kiosk_days: dict[str, dict[str, int]]) -> str | None:
    if not table.rows:
        return None
    names = [r[0] for r in table.rows]
    days = np.array(names, dtype="datetime64[D]")
    counts = np.array([r[2] for r in table.rows], dtype=float)
    fig, ax = _figure()
    if len(kiosk_days) > 1:
        # One colour per kiosk, stacked: the total stays readable, the share of each shows.
        colours = [ICE, BLUE, "#e0a458", "#7fb069", "#b07aa1", "#8c8c8c"]
        bottom = np.zeros(len(names))
        for i, (kiosk, per_day) in enumerate(sorted(kiosk_days.items())):
            values = np.array([per_day.get(d, 0) for d in names], dtype=float)
            colour = colours[i % len(colours)]
            ax.bar(days, values, bottom=bottom, color=colour, width=0.85, label=kiosk)
            bottom += values
    else:
        ax.bar(days, counts, color=ICE, width=0.85, label="visits")
    span = int((days[-1] - days[0]).astype(int)) + 1
    if span >= 14:
        # A week's moving average shows the trend through weekday/weekend swings.
        series = np.zeros(span)
        series[(days - days[0]).astype(int)] = counts
        avg = np.convolve(series, np.ones(7) / 7, mode="valid")
        xs = days[0] + np.arange(6, 6 + len(avg)).astype("timedelta64[D]")
        ax.plot(xs, avg, color=INK, linewidth=2, label="7-day average (all)")
    ax.legend(frameon=False, fontsize=9, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_ylabel("visits", color=INK)
    fig.autofmt_xdate()
    return _img(_png(fig), "Visits per day")


def chart_heat(heat: dict[tuple[int, int], int]) -> str | None:
    if not heat:
        return None
    grid = np.zeros((7, 24))
    for (wd, hour), n in heat.items():
        grid[wd, hour] += n
    hours = [h for h in range(24) if grid[:, h].any()]
    lo, hi = min(hours), max(hours) + 1
    fig, ax = _figure(8.0, 2.8)
    im = ax.imshow(grid[:, lo:hi], aspect="auto", cmap="Blues", interpolation="nearest", vmin=0)
    ax.set_yticks(range(7), WEEKDAYS)
    ax.set_xticks(range(hi - lo), [f"{h:02d}" for h in range(lo, hi)])
    ax.set_xlabel("hour the visit began", color=INK)
    fig.colorbar(im, ax=ax, label="visits", shrink=0.9)
    ax.spines[:].set_visible(False)
    return _img(_png(fig), "Visits by weekday and hour")


def chart_lengths(lengths: Sequence[float], median: float | None, p90: float | None) -> str | None:
    if not lengths:
        return None
    minutes = np.array(lengths) / 60.0
    top = float(np.percentile(minutes, 99)) if len(minutes) > 10 else float(minutes.max())
    fig, ax = _figure()
    ax.hist(np.clip(minutes, 0, top), bins=40, color=ICE, edgecolor="white")
    for value, label, style in ((median, "median", "-"), (p90, "90%", "--")):
        if value is not None:
            ax.axvline(value / 60.0, color=RED, linestyle=style, linewidth=1.5)
            ax.annotate(
                f"{label} {value / 60:.1f} min",
                (value / 60.0, 1),
                xycoords=("data", "axes fraction"),
                xytext=(4, -12),
                textcoords="offset points",
                color=RED,
                fontsize=9,
            )
    ax.set_xlabel("visit length, minutes (the last bar holds the longest 1%)", color=INK)
    ax.set_ylabel("visits", color=INK)
    return _img(_png(fig), "How long visits last")


def chart_hbar(
    labels: Sequence[str],
    values: Sequence[float],
    xlabel: str,
    *,
    share: bool = False,
    colour: str = BLUE,
) -> str | None:
    if not labels:
        return None
    n = len(labels)
    fig, ax = _figure(8.0, max(1.6, 0.32 * n + 0.8))
    ys = np.arange(n)[::-1]
    ax.barh(ys, values, color=colour, height=0.65)
    ax.set_yticks(ys, labels)
    ax.set_xlabel(xlabel, color=INK)
    top = max(values) if len(values) else 1
    if share:
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(lambda x, _pos: f"{x:.0%}")
    for y, v in zip(ys, values, strict=True):
        text = f"{v:.0%}" if share else f"{v:,.0f}"
        ax.text(v + (0.01 if share else top * 0.01), y, text, va="center", fontsize=8, color=INK)
    return _img(_png(fig), xlabel)


def _table_html(table: Table, limit: int | None = None) -> str:
    if not table.rows:
        return '<p class="empty">Nothing recorded.</p>'
    rows = table.rows if limit is None else table.rows[:limit]

    def cls(unit: str) -> str:
        return "t" if unit in ("text", "time") else "n"

    head = "".join(f'<th class="{cls(c.unit)}">{html.escape(c.label)}</th>' for c in table.columns)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="{cls(c.unit)}">{html.escape(fmt(v, c.unit))}</td>'
            for v, c in zip(row, table.columns, strict=True)
        )
        body.append(f"<tr>{cells}</tr>")
    more = ""
    if limit is not None and len(table.rows) > limit:
        more = f'<p class="note">{len(table.rows) - limit} more rows in the CSV/JSON output.</p>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


def _section(title: str, *parts: str | None, note: str = "") -> str:
    inner = "".join(p for p in parts if p)
    text = f'<p class="note">{html.escape(note)}</p>' if note else ""
    return f"<section><h2>{html.escape(title)}</h2>{inner}{text}</section>"


CSS = """
body { font: 14px/1.45 "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #1d2b3a;
       margin: 0; background: #f4f6f8; }
main { max-width: 920px; margin: 0 auto; padding: 28px 32px 48px; background: white; }
h1 { font: 600 26px Georgia, "DejaVu Serif", serif; margin: 0 0 4px; }
h2 { font: 600 18px Georgia, "DejaVu Serif", serif; margin: 28px 0 8px;
     border-bottom: 2px solid #9cc3e6; padding-bottom: 3px; }
.sub { color: #5a6775; margin: 0 0 18px; }
.cards { display: grid; grid-template-columns: repeat(5, 1fr); gap: 10px; margin: 12px 0 4px; }
.card { background: #eef4fa; border-radius: 6px; padding: 10px 12px; }
.card b { display: block; font-size: 22px; color: #2b5c8a; }
.card span { font-size: 12px; color: #5a6775; }
img.chart { width: 100%; height: auto; display: block; margin: 6px 0; }
table { border-collapse: collapse; min-width: 60%; font-size: 13px; margin: 6px 0; }
th, td { padding: 4px 8px; border-bottom: 1px solid #e1e6eb; }
th { background: #f0f3f6; font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
td.t, th.t { text-align: left; }
.note { color: #5a6775; font-size: 12px; margin: 4px 0; }
.empty { color: #8a96a3; font-style: italic; }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; }
dl.summary dt { color: #5a6775; } dl.summary dd { margin: 0; }
footer { margin-top: 32px; color: #5a6775; font-size: 12px; }
@media print {
  body { background: white; } main { max-width: none; padding: 0; }
  section { break-inside: avoid; } h2 { break-after: avoid; }
  @page { size: A4; margin: 14mm; }
}
"""


def to_html(report: Report, *, title: str = "White Road: visitor analytics") -> str:
    """The whole report as one HTML document. Raises ChartsUnavailable without matplotlib."""
    s = report.summary
    t = report.tables
    period = "nothing recorded yet"
    if s.get("first_event"):
        period = f"{str(s['first_event'])[:10]} to {str(s['last_event'])[:10]}"
    kiosks = ", ".join(r[0] for r in t["kiosks"].rows) or "no kiosk"
    cards = "".join(
        f"<div class='card'><b>{html.escape(value)}</b><span>{label}</span></div>"
        for value, label in (
            (fmt(s.get("visits"), "int"), "visits"),
            (fmt(s.get("median_visit_s"), "s"), "median visit"),
            (fmt(s.get("p90_visit_s"), "s"), "90% of visits are shorter"),
            (fmt(s.get("mirror_uses"), "int"), "mirror uses"),
            (fmt(s.get("faults"), "int"), "faults"),
        )
    )
    summary = "".join(
        f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in summary_rows(report)
    )
    explorers = t["explorer_ranking"]
    segments = t["segment_completion"]
    langs = t["languages"]
    faults = t["faults_by_kind"]
    sections = [
        _section(
            "Visits per day",
            chart_per_day(t["visits_per_day"], report.kiosk_days),
            _table_html(t["visits_per_month"]),
            "<details><summary>Day by day</summary>"
            + _table_html(t["visits_per_day"])
            + "</details>",
        ),
        _section(
            "When visitors come",
            chart_heat(report.heat),
            _table_html(t["visits_per_hour"]),
            note=t["visits_per_hour"].note,
        ),
        _section(
            "How long visits last",
            chart_lengths(report.visit_lengths, s.get("median_visit_s"), s.get("p90_visit_s")),
            _table_html(t["visit_endings"]),
            note=t["visit_endings"].note,
        ),
        _section(
            "Explorers",
            chart_hbar([r[1] for r in explorers.rows], [r[2] for r in explorers.rows], "opened"),
            _table_html(explorers),
            note=explorers.note,
        ),
        _section(
            "Clips watched to the end",
            chart_hbar(
                [f"{r[0]} / {r[1]}" for r in segments.rows],
                [r[4] or 0.0 for r in segments.rows],
                "completion",
                share=True,
            ),
            _table_html(segments),
            note=segments.note,
        ),
        _section(
            "Languages",
            chart_hbar([r[0] for r in langs.rows], [r[1] for r in langs.rows], "times chosen"),
            _table_html(langs),
            note=f"Captions turned on {s.get('captions_on', 0)} times, "
            f"off {s.get('captions_off', 0)} times.",
        ),
        _section("The frost mirror", _table_html(t["mirror"]), note=t["mirror"].note),
        _section(
            "What broke",
            chart_hbar(
                [r[0] for r in faults.rows], [r[1] for r in faults.rows], "faults", colour=RED
            ),
            _table_html(faults),
            "<h3>Reasons</h3>" + _table_html(t["fault_reasons"]) if t["fault_reasons"].rows else "",
        ),
        _section("Kiosks", _table_html(t["kiosks"])),
    ]
    generated = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{CSS}</style></head>
<body><main>
<h1>{html.escape(title)}</h1>
<p class="sub">{html.escape(period)} · {html.escape(kiosks)}</p>
<div class="cards">{cards}</div>
<section><h2>Summary</h2><dl class="summary">{summary}</dl></section>
{"".join(sections)}
<footer>Generated {generated}. The kiosk records what visitors did (screens, explorers, clips,
languages, how long the mirror was used), never who they are: no pictures, no names, no text
typed by visitors. Times are the kiosk's local time.</footer>
</main></body></html>
"""


def write_html(report: Report, path: Path) -> None:
    """Write the HTML report to ``path`` (its folder is made if needed)."""
    page = to_html(report)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
